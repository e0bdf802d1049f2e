// The web UI for share links and music players: a producer makes a link on a beat's page, a
// listener without an account opens it, plays and downloads; the producer sees the play on
// /shares and revokes the link, which then says so; an owner shares a playlist; the profile's
// "Music players" makes an app password that a Subsonic call accepts, and revokes it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeAudio, uploadOk, waitReady } from '../integration/audio.mjs';
import { PASSWORD, assertStatus, startServer } from '../integration/harness.mjs';
import { launch, person, screenshot } from './browser.mjs';

const LIVE = { timeout: 20000 };

describe('web UI: share links and music players', { timeout: 240000 }, () => {
  let srv;
  let browser;
  let producer;
  let listener;
  let prod;
  let beat;
  let link;

  before(async () => {
    srv = await startServer();
    browser = await launch('shares');
    prod = await srv.signup();
    beat = await uploadOk(srv, prod.token, makeAudio({ kind: 'mix', seconds: 12, freq: 262 }), { title: 'Demo For Kay', price: '20', genre: 'soul' });
    await waitReady(srv, beat.beat_id);
    producer = await person(browser, srv.base);
    listener = await person(browser, srv.base);
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

  it('a producer makes a link with a play limit and a download right on the beat page', async () => {
    await logIn(producer, prod.username);
    const { page } = producer;
    await page.goto(`/beats/${beat.beat_id}`);
    await page.getByRole('heading', { name: 'Share by link' }).waitFor(LIVE);
    await page.getByLabel('Expires in').selectOption({ label: '1 day' });
    await page.getByLabel('Play limit').fill('2');
    await page.getByLabel('Note').fill('For your EP, Kay');
    await page.getByLabel('Allow downloading the untagged MP3').check();
    await page.getByRole('button', { name: 'Create link' }).click();
    const box = page.getByLabel('Share link');
    await box.waitFor(LIVE);
    link = await box.inputValue();
    assert.match(link, new RegExp(`^${srv.base}/s/[A-Za-z0-9_-]{22}$`));
    await screenshot(page, '01-beat-share-created');
    assert.deepEqual(producer.errors, []);
  });

  it('a listener without an account opens the link, plays the beat and downloads it', async () => {
    const { page } = listener;
    await page.goto(link);
    await page.getByRole('heading', { name: 'Demo For Kay' }).waitFor(LIVE);
    await page.getByText(`Shared with you by ${prod.username}`).waitFor(LIVE);
    await page.getByText('For your EP, Kay').waitFor(LIVE);
    await page.getByText('2 plays left').waitFor(LIVE);
    await page.getByRole('button', { name: 'Play Demo For Kay' }).click();
    await page.waitForFunction(() => {
      const audio = document.querySelector('.share-audio');
      return audio && !audio.paused && audio.currentTime > 0.5;
    }, null, LIVE);
    await page.getByText('1 play left').waitFor(LIVE);
    await screenshot(page, '02-listener-playing');
    const [file] = await Promise.all([page.waitForEvent('download', LIVE), page.getByRole('button', { name: 'Download' }).click()]);
    assert.match(file.suggestedFilename(), /Demo.For.Kay\.mp3$/);
    assert.deepEqual(listener.errors, []);
  });

  it('the producer sees the play on /shares, revokes the link, and the listener is told', async () => {
    const { page } = producer;
    await page.goto('/profile');
    await page.getByRole('link', { name: 'Share links' }).click();
    const item = page.locator('.share-item', { hasText: 'Demo For Kay' });
    await item.waitFor(LIVE);
    await item.getByText('1 of 2 plays').waitFor(LIVE);
    await item.getByText('Active').waitFor(LIVE);
    await screenshot(page, '03-shares-list');
    await item.getByRole('button', { name: 'Revoke the link to Demo For Kay' }).click();
    await item.getByText('Revoked').waitFor(LIVE);
    await screenshot(page, '04-shares-revoked');
    await listener.page.reload();
    await listener.page.getByRole('heading', { name: 'This link was revoked by the person who shared it.' }).waitFor(LIVE);
    await screenshot(listener.page, '05-listener-revoked');
    const api = await srv.api('GET', `/api/s/${link.split('/s/')[1]}`);
    assert.equal(api.status, 410);
    listener.errors.splice(0, listener.errors.length, ...listener.errors.filter((e) => !/status of 410/.test(e)));
    assert.deepEqual(listener.errors, []);
  });

  it('an owner shares a private playlist from its page', async () => {
    const { page } = producer;
    const p = assertStatus(await srv.api('POST', '/api/playlists', { token: prod.token, body: { name: 'Kay picks' } }), 201);
    assertStatus(await srv.api('POST', `/api/playlists/${p.playlist_id}/tracks`, { token: prod.token, body: { beat_id: beat.beat_id } }), 201);
    await page.goto(`/playlists/${p.playlist_id}`);
    await page.getByRole('button', { name: 'Create link' }).click();
    const url = await page.getByLabel('Share link').inputValue();
    await listener.page.goto(url);
    await listener.page.getByRole('heading', { name: 'Kay picks' }).waitFor(LIVE);
    await listener.page.getByRole('button', { name: 'Play Demo For Kay' }).waitFor(LIVE);
    assert.equal(await listener.page.getByRole('button', { name: 'Download' }).count(), 0, 'no download right by default');
    await screenshot(listener.page, '06-playlist-shared');
  });

  it('the profile makes an app password for a Subsonic player, which signs in, and revokes it', async () => {
    const { page } = producer;
    await page.goto('/profile');
    await page.getByRole('heading', { name: 'Music players' }).waitFor(LIVE);
    await page.getByLabel('Player').fill('Symfonium');
    await page.getByRole('button', { name: 'Create app password' }).click();
    const password = await page.locator('.app-password').textContent();
    assert.match(password, /^[a-z2-9]{4}(-[a-z2-9]{4}){4}$/);
    await page.locator('.app-passwords li', { hasText: 'Symfonium' }).waitFor(LIVE);
    await screenshot(page, '07-app-password');
    const ping = async () => (await fetch(`${srv.base}/rest/ping?u=${prod.username}&p=${password}&v=1.16.1&c=e2e&f=json`).then((r) => r.json()))['subsonic-response'].status;
    assert.equal(await ping(), 'ok');
    await page.getByRole('button', { name: 'Revoke Symfonium' }).click();
    await page.locator('.app-passwords li', { hasText: 'Symfonium' }).waitFor({ state: 'detached', ...LIVE });
    assert.equal(await ping(), 'failed');
    assert.deepEqual(producer.errors, []);
  });
});
