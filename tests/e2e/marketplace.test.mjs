// The marketplace's commerce in headless Chromium against the real binary: license terms and
// agreement PDFs (more steps join as the features land). A producer and a buyer, each in their own
// browser context; the steps run in order and share them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { makeAudio } from '../integration/audio.mjs';
import { PASSWORD, startServer, uniqueName } from '../integration/harness.mjs';
import { uploadOk, waitReady } from '../integration/audio.mjs';
import { launch, person, screenshot, screenshotDir, steps } from './browser.mjs';

const LIVE = { timeout: 20000 };

describe('marketplace in the browser', { timeout: 300000 }, () => {
  let srv;
  let browser;
  let producer;
  let buyer;
  let prod;
  let buy;
  const beats = [];

  before(async () => {
    srv = await startServer();
    browser = await launch('marketplace');
    producer = await person(browser, srv.base);
    buyer = await person(browser, srv.base);
    prod = await srv.signup(uniqueName('prod'));
    buy = await srv.signup(uniqueName('buyer'));
    for (const [title, artist] of [['Ночной драйв', 'Zoë Ñandú'], ['Second Wind', 'Zoë Ñandú']]) {
      const b = await uploadOk(srv, prod.token, makeAudio({ seconds: 2 }), {
        title, artist, price: '20.00',
        licenses: JSON.stringify([{ type: 'basic', price_cents: 2000 }, { type: 'exclusive', price_cents: 30000, files: ['mp3', 'wav'] }]),
      });
      beats.push(await waitReady(srv, b.beat_id));
    }
    await logIn(producer, prod.username);
    await logIn(buyer, buy.username);
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
    console.log(`# screenshots: ${screenshotDir()}`);
  });

  const step = steps(it);

  async function logIn(who, username) {
    await who.page.goto('/login');
    await who.page.getByLabel('Email or username').fill(username);
    await who.page.getByLabel('Password').fill(PASSWORD);
    await who.page.getByRole('button', { name: 'Log in' }).click();
    await who.page.locator('#me', { hasText: username }).waitFor(LIVE);
  }

  step('the producer edits the basic tier\'s terms in the studio', async () => {
    const { page, errors } = producer;
    await page.goto('/studio');
    await page.getByText('License terms', { exact: true }).click();
    const form = page.locator('form.terms-form[data-tier="basic"]');
    await form.waitFor(LIVE);
    await form.getByLabel('Distribution copies').fill('3000');
    await form.getByLabel('Paid performances').fill('');
    await form.getByLabel('Credit line').fill('Prod. by {producer} (Θεόδωρος mix)');
    await form.getByRole('button', { name: 'Save Basic lease terms' }).click();
    await page.getByText('Basic lease terms saved').waitFor(LIVE);
    await screenshot(page, 'studio-terms');
    const terms = (await srv.api('GET', '/api/agreements/terms', { token: prod.token })).json.terms[0];
    assert.equal(terms.distribution_copies, 3000);
    assert.equal(terms.paid_performances, null);
    assert.deepEqual(errors, []);
  });

  step('the buyer buys and downloads the agreement PDF from the library', async () => {
    const bought = await srv.api('POST', '/api/purchases', {
      token: buy.token, body: { beat_id: beats[0].beat_id, license: 'basic', payment: { provider: 'test', token: 'tok_visa' } },
    });
    assert.equal(bought.status, 201, bought.text);
    const { page, errors } = buyer;
    await page.goto('/library');
    const button = page.getByRole('button', { name: 'Agreement PDF for Ночной драйв' });
    await button.waitFor(LIVE);
    await screenshot(page, 'library-agreement');
    let download;
    for (let attempt = 0; attempt < 20 && !download; attempt += 1) {
      const waiting = page.waitForEvent('download', { timeout: 3000 }).catch(() => null);
      await button.click();
      download = await waiting;
    }
    assert.ok(download, 'the PDF downloads');
    assert.match(download.suggestedFilename(), /\.pdf$/);
    const file = await download.path();
    const text = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' }).stdout;
    assert.match(text, /Zoë Ñandú/);
    assert.match(text, /Ночной драйв/);
    assert.match(text, /Distribution copies: 3,000/);
    assert.match(text, /Prod\. by Zoë Ñandú \(Θεόδωρος mix\)/);
    assert.deepEqual(errors.filter((e) => !/404/.test(e)), []);
  });

  step('the producer gives a beat away for an email; a visitor gets the MP3 at once; the lead shows in the studio', async () => {
    const { page, errors } = producer;
    await page.goto('/studio');
    await page.getByRole('button', { name: 'Free download of Ночной драйв' }).click();
    await page.getByLabel('Free tagged MP3 of Ночной драйв').selectOption('email');
    await page.getByLabel('Link delivered').selectOption('instant');
    await page.getByRole('button', { name: 'Give it away' }).click();
    await page.getByText('Ночной драйв is now a free download.').waitFor(LIVE);

    const visitor = await person(browser, srv.base);
    await visitor.page.goto(`/beats/${beats[0].beat_id}`);
    await visitor.page.getByRole('heading', { name: 'Free download' }).waitFor(LIVE);
    await visitor.page.getByLabel('Your email address').fill('visitor@example.test');
    const downloading = visitor.page.waitForEvent('download', LIVE);
    await visitor.page.getByRole('button', { name: 'Get the free MP3' }).click();
    const download = await downloading;
    assert.match(download.suggestedFilename(), /\(tagged\)\.mp3$/);
    await visitor.page.getByText('Your download is starting.').waitFor(LIVE);
    await screenshot(visitor.page, 'free-download');
    assert.deepEqual(visitor.errors, []);
    await visitor.context.close();

    await page.goto('/studio');
    await page.getByText('Free download leads').click();
    await page.locator('table.leads td', { hasText: 'visitor@example.test' }).waitFor(LIVE);
    assert.deepEqual(errors, []);
  });

  step('the buyer reports a beat and its producer from their pages', async () => {
    const { page, errors } = buyer;
    await page.goto(`/beats/${beats[1].beat_id}`);
    await page.getByText('Report this beat').click();
    await page.getByLabel('Reason').selectOption('copyright');
    await page.getByLabel('What is wrong (optional)').fill('This is my sample from 2019.');
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByText('Thank you: an admin will look at it.').waitFor(LIVE);
    await screenshot(page, 'report-beat');
    await page.goto(`/users/${prod.id}`);
    await page.getByText('Report this user').click();
    await page.getByLabel('Reason').selectOption('scam');
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByText('Thank you: an admin will look at it.').waitFor(LIVE);
    assert.deepEqual(errors, []);
  });

  step('an admin takes the beat down and dismisses the user report; the audit log shows both', async () => {
    const boss = await srv.admin();
    const admin = await person(browser, srv.base);
    await logIn(admin, boss.username);
    const { page, errors } = admin;
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    const beatReport = page.locator('.report-item', { hasText: 'Second Wind' });
    await beatReport.waitFor(LIVE);
    await page.getByText('This is my sample from 2019.').waitFor(LIVE);
    await screenshot(page, 'admin-reports');
    page.once('dialog', (dialog) => dialog.accept('Copyright claim upheld'));
    await beatReport.getByRole('button', { name: 'Take down Second Wind' }).click();
    await page.getByText('Taken down: the beat left the store').waitFor(LIVE);
    const userReport = page.locator('.report-item', { hasText: `User ${prod.username}` });
    page.once('dialog', (dialog) => dialog.accept('Not a scam'));
    await userReport.getByRole('button', { name: /^Dismiss report/ }).click();
    await page.locator('table.audit td', { hasText: 'report.dismiss' }).waitFor(LIVE);
    await page.locator('table.audit td', { hasText: 'beat.takedown' }).waitFor(LIVE);
    await page.locator('table.audit td', { hasText: 'Copyright claim upheld' }).waitFor(LIVE);
    await screenshot(page, 'admin-audit');
    assert.equal((await srv.api('GET', `/api/beats/${beats[1].beat_id}`)).status, 404);
    assert.equal(await buyer.page.locator('#admin-link').isHidden(), true, 'no Admin link for others');
    assert.deepEqual(errors, []);
    await admin.context.close();
  });
});
