// The web UI's less travelled paths: the studio's edit (with a field error shown beside its
// input), stems, delete, refund of a sale and the voice tag, keyboard seeking on the waveform,
// starting a chat by username, a room closed by its creator, and a phone-sized screen without
// sideways scrolling.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeAudio, uploadOk, waitReady, writeTemp } from '../integration/audio.mjs';
import { PASSWORD, startServer } from '../integration/harness.mjs';
import { makeZip } from '../integration/zip.mjs';
import { launch, person, screenshot } from './browser.mjs';

const LIVE = { timeout: 20000 };

describe('web UI: studio, keyboard, chat by name, rooms, phone', { timeout: 240000 }, () => {
  let srv;
  let browser;
  let producer;
  let buyer;
  let prod;
  let keep;
  let drop;

  before(async () => {
    srv = await startServer();
    browser = await launch('studio');
    prod = await srv.signup();
    keep = await uploadOk(srv, prod.token, makeAudio({ kind: 'mix', seconds: 20, freq: 330 }), { title: 'Keeper Track', price: '15' });
    drop = await uploadOk(srv, prod.token, makeAudio({ seconds: 2, freq: 880 }), { title: 'Throwaway Track', price: '5' });
    await waitReady(srv, keep.beat_id);
    await waitReady(srv, drop.beat_id);
    producer = await person(browser, srv.base);
    buyer = await person(browser, srv.base);
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  async function logIn({ page }, username) {
    await page.goto('/login');
    await page.getByLabel('Email or username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#me', { hasText: username }).waitFor(LIVE);
  }

  it('edits a beat in the studio, showing a bad value beside its field, and deletes another', async () => {
    await logIn(producer, prod.username);
    const { page } = producer;
    await page.getByRole('link', { name: 'Studio', exact: true }).click();
    await page.getByRole('button', { name: 'Edit Keeper Track' }).click();
    await page.getByLabel('Title').fill('Keeper Track (remaster)');
    await page.getByLabel('BPM').fill('5');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#f-bpm-error', { hasText: /./ }).waitFor(LIVE);
    assert.equal(await page.getByLabel('BPM').getAttribute('aria-invalid'), 'true');
    await screenshot(page, '20-studio-field-error');
    producer.errors.splice(0, producer.errors.length, ...producer.errors.filter((e) => !/status of 422/.test(e)));

    await page.getByLabel('BPM').fill('96');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('link', { name: 'Keeper Track (remaster)' }).waitFor(LIVE);
    const beat = (await srv.api('GET', `/api/beats/${keep.beat_id}`)).json;
    assert.equal(beat.title, 'Keeper Track (remaster)');
    assert.equal(beat.bpm, 96);

    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: 'Delete Throwaway Track' }).click();
    await page.getByRole('link', { name: 'Throwaway Track' }).waitFor({ state: 'detached', ...LIVE });
    assert.equal((await srv.api('GET', `/api/beats/${drop.beat_id}`)).status, 404);
    assert.deepEqual(producer.errors, []);
  });

  it('lists a sale in the studio and refunds it', async () => {
    const customer = await srv.signup();
    const sold = await srv.api('POST', '/api/purchases', {
      token: customer.token, body: { beat_id: keep.beat_id, license: 'basic', payment: { provider: 'test', token: 'tok_visa' } },
    });
    assert.equal(sold.status, 201, sold.text);
    const { page } = producer;
    await page.goto('/studio');
    const sale = page.locator('table.sales tr', { hasText: 'Keeper Track (remaster)' });
    await sale.waitFor(LIVE);
    await page.locator('.summary', { hasText: '1 sale ·' }).waitFor(LIVE);
    await screenshot(page, '20b-studio-sales');
    page.once('dialog', (dialog) => dialog.accept());
    await sale.getByRole('button', { name: /^Refund Keeper Track/ }).click();
    await page.getByText('No sales yet.').waitFor(LIVE);
    await page.locator('.summary', { hasText: '0 sales' }).waitFor(LIVE);
    const after = await srv.api('GET', `/api/purchases/${sold.json.purchase_id}`, { token: customer.token });
    assert.equal(after.json.status, 'refunded');
    assert.deepEqual(producer.errors, []);
  });

  it('uploads a beat\'s stems from the studio', async () => {
    const { page } = producer;
    await page.goto('/studio');
    await page.getByRole('button', { name: 'Stems of Keeper Track (remaster)' }).click();
    const archive = writeTemp('stems.zip', makeZip([{ name: 'drums.txt', data: Buffer.from('boom') }]));
    await page.getByLabel('Stems of Keeper Track (remaster) (one ZIP archive)').setInputFiles(archive);
    await page.getByRole('button', { name: 'Upload stems' }).click();
    await page.getByRole('button', { name: 'Stems of Keeper Track (remaster)' }).filter({ hasText: '✓' }).waitFor(LIVE);
    assert.equal((await srv.api('GET', `/api/beats/${keep.beat_id}`)).json.has_stems, true);
    assert.deepEqual(producer.errors, []);
  });

  it('sets and removes the voice tag, showing whether one is set', async () => {
    const { page } = producer;
    await page.goto('/studio');
    await page.getByText('You have no voice tag.').waitFor(LIVE);
    assert.equal(await page.getByRole('button', { name: 'Remove voice tag' }).isVisible(), false);
    await page.getByLabel('Voice tag (at most 15 s)').setInputFiles(makeAudio({ seconds: 2, freq: 1500 }));
    await page.getByRole('button', { name: 'Upload voice tag' }).click();
    await page.getByText(/^Your voice tag is set/).waitFor(LIVE);
    assert.equal((await srv.api('GET', '/api/users/profile/voice-tag', { token: prod.token })).json.voice_tag, true);
    await page.getByRole('button', { name: 'Remove voice tag' }).click();
    await page.getByText('You have no voice tag.').waitFor(LIVE);
    assert.equal((await srv.api('GET', '/api/users/profile/voice-tag', { token: prod.token })).json.voice_tag, false);
    assert.deepEqual(producer.errors, []);
  });

  it('plays and seeks the waveform from the keyboard', async () => {
    const b = await srv.signup();
    await logIn(buyer, b.username);
    const { page } = buyer;
    await page.goto(`/beats/${keep.beat_id}`);
    const wave = page.getByRole('slider', { name: /^Seek in Keeper Track/ });
    await wave.focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => !document.getElementById('audio').paused, null, LIVE);
    const before = await page.evaluate(() => document.getElementById('audio').currentTime);
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((t) => document.getElementById('audio').currentTime >= t + 4, before, LIVE);
    assert.match(await wave.getAttribute('aria-valuetext'), /of 0:20/);
    assert.deepEqual(buyer.errors, []);
  });

  it('starts a chat by username', async () => {
    const { page } = buyer;
    await page.getByRole('link', { name: 'Chat', exact: true }).click();
    await page.getByRole('textbox', { name: /Start a conversation/ }).fill(prod.username);
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('textbox', { name: `Message to ${prod.username}` }).fill('first contact');
    await page.keyboard.press('Enter');
    await page.locator('.messages li', { hasText: 'first contact' }).waitFor(LIVE);
    await page.waitForURL(/\/chat\/[^/]+$/);

    await producer.page.getByRole('link', { name: 'Chat', exact: true }).click();
    const conversation = producer.page.locator('.conversations a', { hasText: 'first contact' });
    await conversation.waitFor(LIVE);
    assert.match(await conversation.textContent(), /1/, 'an unread count');
    assert.deepEqual(buyer.errors, []);
    assert.deepEqual(producer.errors, []);
  });

  it('closes a room for everyone in it', async () => {
    const { page } = producer;
    await page.getByRole('link', { name: 'Rooms', exact: true }).click();
    await page.getByLabel('Genre').fill('lofi');
    await page.getByLabel('Room name').fill('Lofi corner');
    await page.getByRole('button', { name: 'Open room' }).click();
    await page.getByText('Connected: messages appear live.').waitFor(LIVE);

    await buyer.page.getByRole('link', { name: 'Rooms', exact: true }).click();
    await buyer.page.getByRole('link', { name: 'Lofi corner' }).click();
    await buyer.page.getByText('Connected: messages appear live.').waitFor(LIVE);

    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: 'Close room' }).click();
    await buyer.page.getByText('The room was closed.').first().waitFor(LIVE);
    assert.equal(await buyer.page.getByRole('textbox', { name: 'Message to the room' }).isHidden(), true);
    assert.deepEqual(buyer.errors, []);
    assert.deepEqual(producer.errors, []);
  });

  it('fits a phone-sized screen', async () => {
    const phone = await person(browser, srv.base, { viewport: { width: 375, height: 740 } });
    for (const path of ['/', `/beats/${keep.beat_id}`, '/rooms', '/login']) {
      await phone.page.goto(path);
      await phone.page.locator('main h1, main form').first().waitFor(LIVE);
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px`);
    }
    await screenshot(phone.page, '21-login-phone');
    await phone.page.goto(`/beats/${keep.beat_id}`);
    await phone.page.getByRole('heading', { name: /Keeper Track/ }).waitFor(LIVE);
    await screenshot(phone.page, '22-beat-phone');
    assert.deepEqual(phone.errors, []);
    await phone.context.close();
  });
});
