// The marketplace's commerce in headless Chromium against the real binary: license terms and
// agreement PDFs (more steps join as the features land). A producer and a buyer, each in their own
// browser context; the steps run in order and share them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { makeAudio } from '../integration/audio.mjs';
import { PASSWORD, sleep, startServer, uniqueName } from '../integration/harness.mjs';
import { uploadOk, waitReady } from '../integration/audio.mjs';
import { signStripe, startStripeStandin, stripeEvent } from '../integration/stripe_standin.mjs';
import { launch, person, screenshot, screenshotDir, steps } from './browser.mjs';

const LIVE = { timeout: 20000 };

describe('marketplace in the browser', { timeout: 300000 }, () => {
  let srv;
  let browser;
  let producer;
  let buyer;
  let prod;
  let buy;
  let stripe;
  const beats = [];
  const more = [];
  const CONNECT_SECRET = 'whsec_e2e_connect';

  before(async () => {
    stripe = await startStripeStandin();
    srv = await startServer({ args: ['--stripe-secret-key', stripe.secretKey, '--stripe-webhook-secret', 'whsec_e2e',
      '--stripe-api-base', stripe.base, '--allow-test-payments', 'true', '--stripe-connect-webhook-secret', CONNECT_SECRET] });
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
    for (const [title, cents] of [['Deal One', 1000], ['Deal Two', 2000], ['Deal Three', 3000], ['Offer Piece', 1500]]) {
      const b = await uploadOk(srv, prod.token, makeAudio({ seconds: 2 }), {
        title, artist: 'Zoë Ñandú', price: '10.00',
        licenses: JSON.stringify([{ type: 'basic', price_cents: cents }, { type: 'exclusive', price_cents: 30000 }]),
      });
      more.push(await waitReady(srv, b.beat_id));
    }
    await logIn(producer, prod.username);
    await logIn(buyer, buy.username);
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
    await stripe?.close();
    console.log(`# screenshots: ${screenshotDir()}`);
  });

  const step = steps();

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

  step('the producer adds a 3-for-2 deal and a coupon in the studio', async () => {
    const { page, errors } = producer;
    await page.goto('/studio');
    await page.getByText('Deals', { exact: true }).click();
    await page.getByLabel('Items').fill('3');
    await page.getByLabel('for the price of').fill('2');
    await page.getByRole('button', { name: 'Add deal' }).click();
    await page.locator('ul.deals li', { hasText: '3 for the price of 2' }).waitFor(LIVE);
    await page.getByText('Coupons', { exact: true }).click();
    await page.getByLabel('Code').fill('SPRING10');
    await page.getByLabel('Amount').fill('10');
    await page.getByLabel('Uses at most').fill('5');
    await page.getByRole('button', { name: 'Create coupon' }).click();
    await page.locator('table.coupons td', { hasText: 'SPRING10' }).waitFor(LIVE);
    await screenshot(page, 'studio-deals-coupons');
    assert.deepEqual(errors, []);
  });

  step('the buyer fills a cart from beat pages, the deal and the coupon apply, and one payment buys all three', async () => {
    const { page, errors } = buyer;
    for (const beat of more.slice(0, 3)) {
      await page.goto(`/beats/${beat.beat_id}`);
      await page.getByRole('button', { name: 'Add Basic lease to cart' }).click();
      await page.getByText(`Added “${beat.title}” to your cart.`).waitFor(LIVE);
    }
    await page.locator('#cart-count', { hasText: '3' }).waitFor(LIVE);
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.locator('#cart-total', { hasText: '$50.00' }).waitFor(LIVE);  // 30 + 20, the 10 free
    await page.getByText('free with the deal').waitFor(LIVE);
    await page.getByLabel('Coupon code').fill('NOPE');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('coupon not found').waitFor(LIVE);
    await page.getByLabel('Coupon code').fill('spring10');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#cart-total', { hasText: '$45.00' }).waitFor(LIVE);
    await screenshot(page, 'cart');
    await page.getByRole('button', { name: 'Pay $45.00' }).click();
    await page.getByRole('heading', { name: 'My library' }).waitFor(LIVE);
    await page.locator('#cart-count').waitFor({ state: 'hidden', ...LIVE });
    const purchases = (await srv.api('GET', '/api/purchases', { token: buy.token })).json.purchases;
    assert.equal(purchases[0].total_cents, 4500);
    assert.equal(purchases[0].items.length, 3);
    assert.deepEqual(errors.filter((e) => !/404/.test(e)), []);
  });

  step('offers: the producer takes offers, the buyer offers, the producer counters, the buyer accepts and pays', async () => {
    const beat = more[3];
    await producer.page.goto('/studio');
    await producer.page.getByRole('button', { name: `Offers on ${beat.title}` }).click();
    await producer.page.getByLabel(`Take offers on ${beat.title}`).check();
    await producer.page.getByLabel('Lowest offer ($)').fill('100');
    await producer.page.getByRole('button', { name: 'Save', exact: true }).click();
    await producer.page.getByText(`${beat.title} takes offers.`).waitFor(LIVE);

    const { page } = buyer;
    await page.goto(`/beats/${beat.beat_id}`);
    await page.getByRole('heading', { name: 'Make an offer' }).waitFor(LIVE);
    await page.getByLabel('License', { exact: true }).selectOption('exclusive');
    await page.getByLabel('Your price ($)').fill('150');
    await page.getByLabel('Message to the producer (optional)').fill('Would you take 150?');
    await page.getByRole('button', { name: 'Send offer' }).click();
    await page.getByText('Offer sent: $150.00.').waitFor(LIVE);
    await screenshot(page, 'offer-sent');

    const seller = producer.page;
    await seller.getByText('New offer: $150.00').first().waitFor(LIVE);  // the live notice
    await seller.goto('/offers?role=producer');
    const card = seller.locator('.offer-card', { hasText: beat.title });
    await card.waitFor(LIVE);
    seller.once('dialog', (dialog) => dialog.accept('200'));
    await card.getByRole('button', { name: 'Counter' }).click();
    await card.getByText('waiting for the buyer').waitFor(LIVE);
    await screenshot(seller, 'offers-producer');

    await page.goto('/offers');
    const mine = page.locator('.offer-card', { hasText: beat.title });
    await mine.getByText('$200.00').first().waitFor(LIVE);
    await mine.getByRole('button', { name: 'Accept' }).click();
    await mine.getByText('accepted: in the buyer’s cart').waitFor(LIVE);
    await mine.getByRole('link', { name: 'Check out' }).click();
    await page.locator('#cart-total', { hasText: '$200.00' }).waitFor(LIVE);
    await page.getByText('your accepted offer').waitFor(LIVE);
    await page.getByRole('button', { name: 'Pay $200.00' }).click();
    await page.getByRole('heading', { name: 'My library' }).waitFor(LIVE);
    assert.equal((await srv.api('GET', `/api/beats/${beat.beat_id}`)).json.status, 'sold');
    assert.deepEqual(buyer.errors.filter((e) => !/404/.test(e)), []);
    assert.deepEqual(producer.errors, []);
  });

  step('the producer splits a beat with a collaborator, who accepts in their studio', async () => {
    const collaborator = await srv.signup(uniqueName('collab'));
    const partner = await person(browser, srv.base);
    await logIn(partner, collaborator.username);
    const { page } = producer;
    await page.goto('/studio');
    await page.getByRole('button', { name: `Split of ${more[0].title}` }).click();
    await page.getByLabel('Percent').first().fill('70');
    await page.getByRole('button', { name: 'Add a collaborator' }).click();
    await page.getByLabel('Collaborator 2').fill(collaborator.username);
    await page.getByLabel('Percent').nth(1).fill('20');
    await page.getByRole('button', { name: 'Propose split' }).click();
    await page.getByText('the shares must add up to exactly 100').waitFor(LIVE);
    producer.errors.length = 0;  // that 422 was the point
    await page.getByLabel('Percent').nth(1).fill('30');
    await page.getByRole('button', { name: 'Propose split' }).click();
    await page.getByText('Split proposed').waitFor(LIVE);
    await partner.page.goto('/studio');
    const invite = partner.page.locator('.split-invite', { hasText: '30 % for you' });
    await invite.waitFor(LIVE);
    await screenshot(partner.page, 'split-invite');
    await invite.getByRole('button', { name: 'Accept' }).click();
    await partner.page.getByText('Split accepted.').waitFor(LIVE);
    const splits = (await srv.api('GET', `/api/beats/${more[0].beat_id}/splits`, { token: prod.token })).json;
    assert.equal(splits.active.shares.length, 2);
    assert.deepEqual(partner.errors, []);
    await partner.context.close();
  });

  step('the producer sees the balance, sets up payouts with Stripe, and an admin\'s payout run pays it', async () => {
    const { page, errors } = producer;
    // Stripe's onboarding pages: the stand-in's link, answered here as Stripe would show a page.
    await page.route('https://connect.stripe.test/**', (route) => route.fulfill({ status: 200, contentType: 'text/html',
      body: '<!doctype html><title>Stripe onboarding</title><h1>Stripe onboarding</h1>' }));
    await page.goto('/studio');
    await page.locator('#balance-pending', { hasText: /\$/ }).waitFor(LIVE);
    const owed = (await srv.api('GET', '/api/payouts/balance', { token: prod.token })).json.pending_cents;
    assert.ok(owed > 0, `a balance from the sales: ${owed}`);
    await screenshot(page, 'studio-balance');
    await page.getByRole('button', { name: 'Set up payouts with Stripe' }).click();
    await page.getByRole('heading', { name: 'Stripe onboarding' }).waitFor(LIVE);
    const account = (await srv.api('GET', '/api/payouts/account', { token: prod.token })).json;
    const ready = stripe.connect.completeOnboarding(account.account_id);
    const payload = stripeEvent('account.updated', ready);
    const hook = await srv.api('POST', '/api/payouts/webhook/stripe', { raw: payload,
      headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signStripe(payload, CONNECT_SECRET) } });
    assert.equal(hook.status, 200, hook.text);
    await page.goto('/studio?payouts=return');
    await page.getByText('Payouts go to your Stripe account.').waitFor(LIVE);

    const boss = await srv.admin();
    const admin = await person(browser, srv.base);
    await logIn(admin, boss.username);
    await admin.page.goto('/admin');
    await admin.page.getByRole('button', { name: 'Run payouts' }).click();
    await admin.page.getByText(/^Payout run: \d+ payouts/).waitFor(LIVE);
    await screenshot(admin.page, 'admin-payouts');
    await admin.context.close();
    for (let i = 0; i < 100; i += 1) {
      const b = (await srv.api('GET', '/api/payouts/balance', { token: prod.token })).json;
      if (b.paid_cents === owed) break;
      assert.ok(i < 99, `the payout: ${JSON.stringify(b)}`);
      await sleep(100);
    }
    await page.reload();
    await page.locator('#balance-paid', { hasText: `$${(owed / 100).toFixed(2)}` }).waitFor(LIVE);
    assert.deepEqual(errors, []);
  });
});
