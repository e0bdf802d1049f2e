// The web UI end to end, in headless Chromium against the real binary (embedded assets): a
// producer and a buyer, each in their own browser context, go through the store's main flows.
// The steps run in order and share the two people; a failing step stops the ones after it.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { makeAudio, writeTemp } from '../integration/audio.mjs';
import { PASSWORD, startServer, uniqueName } from '../integration/harness.mjs';
import { makeZip } from '../integration/zip.mjs';

const assertOk = (res) => assert.ok(res.status >= 200 && res.status < 300, `${res.status} ${res.text}`);
import {
  launch, person, screenshot, screenshotDir, signUp as signUpPage, steps,
} from './browser.mjs';

const LIVE = { timeout: 20000 };

describe('web UI', { timeout: 300000 }, () => {
  let srv;
  let browser;
  let producer;
  let buyer;
  const producerName = uniqueName('prod');
  const buyerName = uniqueName('buyer');
  const word = `zq${Math.random().toString(36).slice(2, 8)}`;  // a search term only our beat has
  const title = `Midnight ${word}`;

  before(async () => {
    srv = await startServer();
    browser = await launch('store');
    producer = await person(browser, srv.base);
    buyer = await person(browser, srv.base);
    // The producer's notifications socket passes through a relay the test can cut, to see the
    // page reconnect with ?since= and get what it missed.
    await producer.page.routeWebSocket(/\/ws\/notifications\//, (ws) => {
      const server = ws.connectToServer();
      relay.urls.push(ws.url());
      relay.current = ws;
      server.onMessage((m) => { if (!relay.cut) ws.send(m); });
      ws.onMessage((m) => server.send(m));
    });
  });
  const relay = { urls: [], current: null, cut: false };

  after(async () => {
    await browser?.close();
    await srv?.close();
    console.log(`# screenshots: ${screenshotDir()}`);
  });

  const step = steps();

  // From the store, by search, as a buyer would come back to it.
  async function openBeatPage(page) {
    await page.goto('/');
    await page.getByRole('searchbox', { name: 'Search beats' }).last().fill(word);
    await page.locator('.card', { hasText: title }).getByRole('link', { name: title }).click();
    await page.getByRole('heading', { name: title }).waitFor(LIVE);
  }

  const signUp = (who, username) => signUpPage(who.page, username);

  step('serves the store under a strict CSP with cacheable assets and a light first page', async () => {
    const res = await fetch(`${srv.base}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline script allowed');
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await res.text();
    const assets = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), html);
    for (const asset of assets) {
      const a = await fetch(`${srv.base}${asset}`);
      assert.equal(a.status, 200, asset);
      assert.match(a.headers.get('cache-control'), /max-age=31536000/, asset);
      assert.ok(a.headers.get('etag'), asset);
    }
    // What the store page really loads (HTML, CSS, JavaScript), measured in the browser.
    const { page, errors } = await person(browser, srv.base);
    const bytes = new Map();
    page.on('response', async (r) => {
      const type = r.headers()['content-type'] ?? '';
      if (/text\/html|text\/css|javascript/.test(type)) bytes.set(r.url(), (await r.body()).length);
    });
    await page.goto('/');
    await page.getByRole('search', { name: 'Filter beats' }).waitFor();
    await page.waitForLoadState('networkidle');
    const total = [...bytes.values()].reduce((a, b) => a + b, 0);
    assert.ok(total > 10000 && total < 150 * 1024, `store page loads ${total} bytes of HTML/CSS/JS`);
    console.log(`# the store page loads ${total} bytes of HTML, CSS and JavaScript (limit ${150 * 1024})`);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '00-store-phone');
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  step('lets a producer sign up, upload a WAV and see it become ready', async () => {
    await signUp(producer, producerName);
    const { page } = producer;
    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    await page.getByLabel('Audio file').setInputFiles(makeAudio({ kind: 'mix', seconds: 8, freq: 220 }));
    await page.getByLabel('Stems (optional)').setInputFiles(writeTemp('stems.zip', makeZip([{ name: 'drums.txt', data: Buffer.from('kick') }])));
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Price ($, basic lease)').fill('29.99');
    await page.getByLabel('Genre').fill('trap');
    await page.getByLabel('BPM').fill('140');
    await page.getByLabel('Tags').fill('dark, 808');
    await page.locator('#offer-premium').check();
    await page.getByLabel('Premium lease price in dollars').fill('59');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('.processing .state', { hasText: 'processing' }).or(page.locator('.processing .state', { hasText: 'ready' })).waitFor(LIVE);
    await page.locator('.processing[data-status="ready"]').waitFor({ timeout: 60000 });
    await page.locator('#bell-count', { hasText: '1' }).waitFor(LIVE);  // the producer is told it is ready
    await screenshot(page, '01-upload-ready');
    const found = await srv.api('GET', `/api/beats?q=${word}`);
    assert.equal(found.json?.beats?.[0]?.has_stems, true, `the stems went up with the beat: ${found.text.slice(0, 300)}`);
    assert.deepEqual(producer.errors, []);
  });

  step('lets a buyer find the beat by search, play it and seek in the waveform', async () => {
    await signUp(buyer, buyerName);
    const { page } = buyer;
    await page.getByRole('link', { name: 'Store', exact: true }).click();
    await page.getByRole('searchbox', { name: 'Search beats' }).last().fill(word.slice(0, 5));  // type-ahead prefix
    const card = page.locator('.card', { hasText: title });
    await card.waitFor(LIVE);
    await screenshot(page, '02-store-search');
    await card.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { name: title }).waitFor();
    await page.getByRole('button', { name: `Play ${title}` }).click();
    await page.waitForFunction(() => document.getElementById('audio').currentTime > 0.3, null, LIVE);
    const wave = page.getByRole('slider', { name: `Seek in ${title}` });
    const box = await wave.boundingBox();
    await page.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2);
    await page.waitForFunction(() => {
      const a = document.getElementById('audio');
      return a.currentTime >= a.duration * 0.6;
    }, null, LIVE);
    assert.equal(await page.locator('#player-title').textContent(), title);
    await screenshot(page, '03-beat-page');
    assert.deepEqual(buyer.errors, []);
  });

  step('lets the buyer buy with tok_visa and download, and rings the producer’s bell live', async () => {
    await producer.page.getByRole('link', { name: 'Studio', exact: true }).click();
    await producer.page.locator('.summary', { hasText: '0 sales' }).waitFor(LIVE);
    // One unread so far: "… is ready", from the upload.
    assert.equal(await producer.page.locator('#bell-count').textContent(), '1');

    const { page } = buyer;
    await page.getByRole('button', { name: 'Buy Basic lease' }).click();
    await page.getByLabel('Test card token').fill('tok_visa');
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.getByText('Purchased: Basic lease').waitFor(LIVE);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download MP3' }).click()]);
    const saved = await download.path();
    const head = fs.readFileSync(saved).subarray(0, 3);
    assert.ok(head.toString('latin1') === 'ID3' || (head[0] === 0xff && (head[1] & 0xe0) === 0xe0), 'an MP3 file');

    await producer.page.locator('#bell-count', { hasText: '2' }).waitFor(LIVE);
    await producer.page.getByRole('link', { name: 'Studio', exact: true }).click();
    await producer.page.locator('.summary', { hasText: '1 sale ·' }).waitFor(LIVE);
    await screenshot(producer.page, '04-studio-after-sale');

    await page.getByRole('link', { name: 'Library', exact: true }).click();
    const purchase = page.locator('.purchase', { hasText: title });
    await purchase.waitFor(LIVE);
    await purchase.getByRole('button', { name: 'License agreement' }).click();
    await purchase.locator('.agreement', { hasText: buyerName }).waitFor(LIVE);
    await screenshot(page, '05-library');
    assert.deepEqual(buyer.errors, []);
    assert.deepEqual(producer.errors, []);
  });

  step('lets them chat live', async () => {
    const { page } = buyer;
    await openBeatPage(page);
    await page.getByRole('link', { name: 'Message the producer' }).click();
    await page.getByRole('textbox', { name: `Message to ${producerName}` }).fill('Hi! Can I get the stems?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.messages li', { hasText: 'Can I get the stems?' }).waitFor(LIVE);

    await producer.page.getByRole('link', { name: 'Chat', exact: true }).click();
    await producer.page.getByRole('link', { name: new RegExp(buyerName) }).click();
    await producer.page.locator('.messages li', { hasText: 'Can I get the stems?' }).waitFor(LIVE);
    await producer.page.getByRole('textbox', { name: `Message to ${buyerName}` }).fill('Sure, <b>tomorrow</b>');
    await producer.page.getByRole('button', { name: 'Send' }).click();

    const reply = page.locator('.messages li', { hasText: 'Sure, <b>tomorrow</b>' });
    await reply.waitFor(LIVE);  // arrived over the chat socket, no reload
    assert.equal(await reply.locator('b').count(), 0, 'a message is text, not HTML');
    await screenshot(page, '06-chat');
    assert.deepEqual(buyer.errors, []);
    assert.deepEqual(producer.errors, []);
  });

  step('shows a review with <script> in it as text', async () => {
    const { page } = buyer;
    const evil = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> loved it';
    await openBeatPage(page);
    await page.getByRole('radio', { name: '4 stars' }).check({ force: true });
    await page.getByLabel('Review', { exact: true }).fill(evil);
    await page.getByRole('button', { name: 'Post review' }).click();
    const review = page.locator('.review-text', { hasText: 'loved it' });
    await review.waitFor(LIVE);
    assert.equal(await review.textContent(), evil);
    assert.equal(await review.locator('script, img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await page.locator('.reviews-summary, #reviews-title').first().waitFor();
    await screenshot(page, '07-review');
    assert.deepEqual(buyer.errors, []);
  });

  step('plays a playlist as a queue that keeps playing across screens', async () => {
    const { page } = buyer;
    page.once('dialog', (dialog) => dialog.accept('Late night set'));
    await page.getByRole('combobox', { name: 'Playlist' }).selectOption('new');
    await page.getByText('to the playlist').waitFor(LIVE);
    await page.getByRole('link', { name: 'Library', exact: true }).click();
    await page.getByRole('link', { name: 'Late night set' }).click();
    await page.getByRole('heading', { name: 'Late night set' }).waitFor(LIVE);
    await page.locator('.track', { hasText: title }).waitFor(LIVE);
    await screenshot(page, '08-playlist');
    await page.getByRole('button', { name: 'Play all' }).click();
    await page.waitForFunction(() => !document.getElementById('audio').paused, null, LIVE);
    await page.getByRole('link', { name: 'Store', exact: true }).click();
    await page.getByRole('search', { name: 'Filter beats' }).waitFor();
    const t0 = await page.evaluate(() => document.getElementById('audio').currentTime);
    await page.waitForFunction((t) => document.getElementById('audio').currentTime > t + 0.3, t0, LIVE);
    assert.equal(await page.locator('#player-title').textContent(), title);
    assert.deepEqual(buyer.errors, []);
  });

  step('broadcasts a beat’s room between them', async () => {
    await openBeatPage(buyer.page);
    const { page } = buyer;
    await page.getByRole('button', { name: 'Join the beat’s room' }).click();
    await page.getByText('Connected: messages appear live.').waitFor(LIVE);
    const roomUrl = page.url();

    await producer.page.goto(roomUrl);
    await producer.page.getByText('Connected: messages appear live.').waitFor(LIVE);
    await page.getByRole('textbox', { name: 'Message to the room' }).fill('first listen: the 808s slap');
    await page.getByRole('button', { name: 'Send' }).click();
    await producer.page.locator('.messages li', { hasText: 'the 808s slap' }).waitFor(LIVE);
    await producer.page.getByRole('textbox', { name: 'Message to the room' }).fill('thanks!');
    await producer.page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.messages li', { hasText: 'thanks!' }).waitFor(LIVE);
    await screenshot(page, '09-room');

    await page.getByRole('link', { name: 'Rooms', exact: true }).click();
    await page.locator('.room', { hasText: title }).waitFor(LIVE);
    await screenshot(page, '10-rooms');
    assert.deepEqual(buyer.errors, []);
    assert.deepEqual(producer.errors, []);
  });

  step('lists notifications and marks them read', async () => {
    const { page } = producer;
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await page.locator('.notification.unread', { hasText: /purchased|sold|bought/i }).first().waitFor(LIVE);
    await screenshot(page, '11-notifications');
    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await page.locator('#bell-count').waitFor({ state: 'hidden', ...LIVE });
    assert.equal(await page.locator('.notification.unread').count(), 0);

    // A dropped socket: a notification sent while it was down arrives after the reconnect, once.
    const buyerSession = await srv.login(buyerName);
    const producerId = (await srv.login(producerName)).json.user.user_id;
    relay.cut = true;
    assertOk(await srv.api('POST', `/api/users/${producerId}/follow`, { token: buyerSession.json.token }));
    await new Promise((resolve) => setTimeout(resolve, 500));  // it reached the cut relay and was lost there
    const before = relay.urls.length;
    relay.cut = false;
    await relay.current.close({ code: 4000, reason: 'test: connection lost' });
    await page.locator('.notification.unread', { hasText: 'follow' }).waitFor(LIVE);
    assert.match(relay.urls[before] ?? '', /[?&]since=/, 'the reconnect asks for what came after the newest id seen');
    assert.equal(await page.locator('.notification', { hasText: `${buyerName} followed you` }).count(), 1, 'shown once');
    assert.equal(await page.locator('#bell-count').textContent(), '1');

    await page.getByRole('link', { name: producerName }).click();
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    await screenshot(page, '12-profile');
    await page.goto(`/users/${encodeURIComponent((await srv.login(buyerName)).json.user.user_id)}`);
    await page.getByRole('button', { name: 'Follow' }).waitFor(LIVE);
    await screenshot(page, '13-producer-page');
    await page.getByRole('button', { name: 'Follow' }).click();
    await page.getByRole('button', { name: 'Following ✓' }).waitFor(LIVE);
    await page.getByRole('link', { name: producerName }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).waitFor(LIVE);
    await page.getByRole('link', { name: 'Log in' }).click();
    await page.getByLabel('Email or username').fill(producerName);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: /password|credentials/i }).waitFor(LIVE);
    await screenshot(page, '14-login-error');
    producer.errors.splice(0, producer.errors.length, ...producer.errors.filter((e) => !/status of 401/.test(e)));
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#me', { hasText: producerName }).waitFor(LIVE);
    assert.deepEqual(producer.errors, []);
  });
});
