// The store page a buyer expects, in headless Chromium: a line saying what the store is, cover
// art from the upload on cards, the beat page and the player, errors and upload progress brought
// into view, the licenses a buyer owns shown as owned (not "Buy"), no "null" for an empty playlist
// description, chat messages read in the open thread neither counted nor announced, a beat's room
// hosted by its producer, a sale notice saying who bought what for how much, and a player bar
// with a volume control and keyboard seeking by seconds.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { makeAudio } from '../integration/audio.mjs';
import {
  assertStatus, startServer, tempDir, uniqueName,
} from '../integration/harness.mjs';
import {
  launch, person, screenshot, signUp as signUpPage, steps,
} from './browser.mjs';

const LIVE = { timeout: 20000 };

function coverImage() {
  const file = path.join(tempDir('backbeat-e2e-cover-'), 'cover.png');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i',
    'gradients=s=400x400:c0=0xff4fa3:c1=0x5b2bd6:seed=7', '-frames:v', '1', file]);
  assert.equal(r.status, 0, String(r.stderr));
  return file;
}

// Whether an element is within the visible part of the page.
const inView = (locator) => locator.evaluate((el) => {
  const r = el.getBoundingClientRect();
  return r.bottom > 0 && r.top < window.innerHeight;
});

describe('web UI: what a buyer expects', { timeout: 300000 }, () => {
  let srv;
  let browser;
  let producer;
  let buyer;
  const producerName = uniqueName('host');
  const buyerName = uniqueName('fan');
  const title = `Cover Story ${Math.random().toString(36).slice(2, 7)}`;
  let beatId;

  before(async () => {
    srv = await startServer();
    browser = await launch('buyer');
    producer = await person(browser, srv.base, { viewport: { width: 1280, height: 560 } });
    buyer = await person(browser, srv.base);
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  const step = steps();
  const signUp = (who, username) => signUpPage(who.page, username);

  const dropExpected = (who, pattern) => who.errors.splice(0, who.errors.length, ...who.errors.filter((e) => !pattern.test(e)));

  step('the home page says what the store is', async () => {
    const { page } = buyer;
    await page.goto('/');
    const line = page.locator('.tagline');
    await line.waitFor(LIVE);
    assert.match(await line.textContent(), /store for beats.*producers sell.*artists preview.*license/i);
  });

  step('an upload error and the upload progress are brought into view on a short screen', async () => {
    await signUp(producer, producerName);
    const { page } = producer;
    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    await page.getByLabel('Audio file').setInputFiles(makeAudio({ kind: 'mix', seconds: 20, freq: 196 }));
    await page.getByLabel('Cover art (optional)').setInputFiles(coverImage());
    await page.getByLabel('Price ($, basic lease)').fill('29.99');
    await page.getByRole('button', { name: 'Upload' }).click();  // no title: the server says so
    const titleInput = page.getByLabel('Title');
    await page.locator('#f-title-error', { hasText: /./ }).waitFor(LIVE);
    await page.waitForFunction(() => {
      const r = document.getElementById('f-title').getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    }, null, LIVE);
    assert.equal(await titleInput.getAttribute('aria-invalid'), 'true');
    await screenshot(page, '30-upload-error-in-view');
    dropExpected(producer, /status of 422/);

    await titleInput.fill(title);
    await page.getByLabel('Artist').focus();  // the top of the form, far from the progress below it
    await page.getByRole('button', { name: 'Upload' }).click();
    const status = page.locator('.processing');
    await status.locator('.state').waitFor(LIVE);
    await page.waitForFunction(() => {
      const r = document.querySelector('.processing').getBoundingClientRect();
      return r.bottom > 0 && r.top < window.innerHeight;
    }, null, LIVE);
    assert.ok(await inView(page.locator('progress')), 'the progress bar is in view');
    await page.locator('.processing[data-status="ready"]').waitFor({ timeout: 60000 });
    await screenshot(page, '31-upload-ready-in-view');
    const found = assertStatus(await srv.api('GET', `/api/beats?producer=${encodeURIComponent(producerName)}`), 200).beats;
    beatId = found[0].beat_id;
    assert.ok(found[0].cover_url, 'the cover went up with the beat');
    assert.deepEqual(producer.errors, []);
  });

  step('the cover is on the card, the beat page and the player', async () => {
    await signUp(buyer, buyerName);
    const { page } = buyer;
    await page.goto('/');
    const card = page.locator('.card', { hasText: title });
    await card.waitFor(LIVE);
    const art = card.locator('img.cover');
    await page.waitForFunction((el) => el.complete && el.naturalWidth === 400, await art.elementHandle(), LIVE);
    await screenshot(page, '32-store-with-covers');
    await card.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { name: title }).waitFor(LIVE);
    const big = page.locator('.beat-head img.cover.large');
    await page.waitForFunction((el) => el.complete && el.naturalWidth === 400, await big.elementHandle(), LIVE);
    await page.getByRole('button', { name: `Play ${title}` }).click();
    await page.waitForFunction(() => document.getElementById('audio').currentTime > 0.2, null, LIVE);
    const small = page.locator('#player-cover img.cover');
    await page.waitForFunction((el) => el.complete && el.naturalWidth === 400, await small.elementHandle(), LIVE);
    await screenshot(page, '33-beat-page-cover-player');
    assert.deepEqual(buyer.errors, []);
  });

  step('the player bar has a volume control, kept across visits, and seeks by seconds with the arrow keys', async () => {
    const { page } = buyer;
    const volume = page.getByRole('slider', { name: 'Volume' });
    await volume.fill('0.3');
    assert.equal(await page.evaluate(() => document.getElementById('audio').volume), 0.3);
    await page.evaluate(() => { const a = document.getElementById('audio'); a.pause(); a.currentTime = 2; });
    await page.waitForFunction(() => Math.abs(document.getElementById('audio').currentTime - 2) < 0.1, null, LIVE);
    const seek = page.getByRole('slider', { name: 'Seek', exact: true });
    await seek.focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => Math.abs(document.getElementById('audio').currentTime - 7) < 0.3, null, LIVE);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => Math.abs(document.getElementById('audio').currentTime - 7) < 0.3, null, LIVE);
    await page.keyboard.press('PageUp');
    await page.waitForFunction(() => Math.abs(document.getElementById('audio').currentTime - 20) < 0.5, null, LIVE);
    await page.reload();
    await page.getByRole('heading', { name: title }).waitFor(LIVE);
    await page.getByRole('button', { name: `Play ${title}` }).click();
    await page.waitForFunction(() => document.getElementById('audio').volume === 0.3, null, LIVE);
    assert.equal(await page.getByRole('slider', { name: 'Volume' }).inputValue(), '0.3');
    await page.evaluate(() => document.getElementById('audio').pause());
    assert.deepEqual(buyer.errors, []);
  });

  step('a license the buyer owns shows as owned with its downloads, not "Buy"', async () => {
    const { page } = buyer;
    await page.getByRole('button', { name: 'Buy Basic lease' }).click();
    await page.getByLabel('Test card token').fill('tok_visa');
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.getByText('Purchased: Basic lease').waitFor(LIVE);
    await page.reload();
    await page.getByRole('heading', { name: title }).waitFor(LIVE);
    const basic = page.locator('.license[data-license="basic"]');
    await basic.getByText('You hold this license.').waitFor(LIVE);
    assert.equal(await basic.getByRole('button', { name: 'Buy Basic lease' }).count(), 0);
    await basic.getByRole('button', { name: 'Download MP3' }).waitFor(LIVE);
    await screenshot(page, '34-owned-license');
    assert.deepEqual(buyer.errors, []);
  });

  step('the producer is told who bought which license for how much', async () => {
    const { page } = producer;
    await page.goto('/notifications');
    const sale = page.locator('.notification', { hasText: `${buyerName} bought a basic license for “${title}” for $29.99` });
    await sale.waitFor(LIVE);
    await screenshot(page, '35-sale-notice');
    assert.deepEqual(producer.errors, []);
  });

  step('an empty playlist description shows nothing, never "null"', async () => {
    const { page } = buyer;
    await page.goto(`/beats/${beatId}`);
    page.once('dialog', (dialog) => dialog.accept('Empty words'));
    await page.getByRole('combobox', { name: 'Playlist' }).selectOption('new');
    await page.getByText('to the playlist').waitFor(LIVE);
    await page.getByRole('link', { name: 'Library', exact: true }).click();
    await page.getByRole('link', { name: 'Empty words' }).click();
    await page.getByRole('heading', { name: 'Empty words' }).waitFor(LIVE);
    const check = async () => {
      assert.doesNotMatch(await page.locator('main').innerText(), /\bnull\b|undefined/);
      assert.equal(await page.getByLabel('Description').inputValue(), '');
    };
    await check();
    await page.getByRole('button', { name: 'Save' }).click();  // saved with the description still empty
    await page.getByText('Playlist saved.').waitFor(LIVE);
    await page.reload();
    await page.getByRole('heading', { name: 'Empty words' }).waitFor(LIVE);
    await check();
    await screenshot(page, '36-playlist-empty-description');
    assert.deepEqual(buyer.errors, []);
  });

  step('messages read in the open chat are not counted or announced; opening a chat settles its unread ones', async () => {
    const { page } = producer;
    const fan = await srv.login(buyerName);
    const send = async (message) => assertStatus(await srv.api('POST', '/api/chat/send', { token: fan.json.token, body: { receiver: producerName, message } }), 201);
    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await page.locator('#bell-count').waitFor({ state: 'hidden', ...LIVE });

    const first = await send('first, while you look elsewhere');
    await page.locator('#bell-count', { hasText: '1' }).waitFor(LIVE);
    await page.locator('.toast', { hasText: `New message from ${buyerName}` }).waitFor(LIVE);
    await page.goto(`/chat/${first.chat_id}`);
    await page.locator('.messages li', { hasText: 'first, while you look elsewhere' }).waitFor(LIVE);
    await page.locator('#bell-count').waitFor({ state: 'hidden', ...LIVE });  // reading the chat read its notification

    await send('second, in the open thread');
    await page.locator('.messages li', { hasText: 'second, in the open thread' }).waitFor(LIVE);
    await page.waitForTimeout(1500);  // time for a notification to arrive, if one were going to count
    assert.equal(await page.locator('#bell-count').isHidden(), true, 'the bell does not count it');
    assert.equal(await page.locator('.toast', { hasText: 'New message' }).count(), 0, 'no toast for it');
    const unread = async () => assertStatus(await srv.api('GET', '/api/notifications', { token: (await srv.login(producerName)).json.token }), 200).unread_count;
    for (let i = 0; i < 30 && await unread() !== 0; i += 1) await page.waitForTimeout(200);
    assert.equal(await unread(), 0, 'nor does the server');
    await screenshot(page, '37-chat-open-thread');
    assert.deepEqual(producer.errors, []);
  });

  step('a beat\'s room is hosted by the beat\'s producer, not by its first visitor', async () => {
    const { page } = buyer;
    await page.goto(`/beats/${beatId}`);
    await page.getByRole('button', { name: 'Join the beat’s room' }).click();
    await page.getByText('Connected: messages appear live.').waitFor(LIVE);
    await page.getByText(`hosted by ${producerName}`).waitFor(LIVE);
    assert.equal(await page.getByRole('button', { name: 'Close room' }).count(), 0, 'the first visitor cannot close it');
    await screenshot(page, '38-room-visitor');
    await producer.page.goto(page.url());
    await producer.page.getByRole('button', { name: 'Close room' }).waitFor(LIVE);
    assert.deepEqual(buyer.errors, []);
    assert.deepEqual(producer.errors, []);
  });
});
