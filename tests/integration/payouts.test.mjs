// Splits, the ledger and payouts: a beat's sales shared by accepted percentages adding up to 100,
// ledger entries per sale and refund with the platform's fee, balances, and payouts through Stripe
// Connect (the local stand-in, which checks what Stripe checks; its Connect events are signed like
// Stripe's and the signature is verified). A payout run pays each balance once, however it is run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertStatus, sleep, startServer } from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';
import { signStripe, startStripeStandin, stripeEvent } from './stripe_standin.mjs';

const CONNECT_SECRET = 'whsec_connect_test_secret';
let srv;
let stripe;
let admin;
before(async () => {
  stripe = await startStripeStandin();
  srv = await startServer({
    args: ['--stripe-secret-key', stripe.secretKey, '--stripe-webhook-secret', 'whsec_checkout_test',
      '--stripe-api-base', stripe.base, '--allow-test-payments', 'true', '--stripe-connect-webhook-secret', CONNECT_SECRET,
      '--platform-fee-percent', '10'],
  });
  admin = await srv.admin();
});
after(async () => {
  await srv?.close();
  await stripe?.close();
});

const VISA = { provider: 'test', token: 'tok_visa' };

async function beatOf(producer) {
  const b = await uploadOk(srv, producer.token, makeAudio({ seconds: 2 }), { title: 'Shared Tune', price: '19.99' });
  return waitReady(srv, b.beat_id);
}

const balance = async (user) => assertStatus(await srv.api('GET', '/api/payouts/balance', { token: user.token }), 200);

async function until(fn, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function connectWebhook(object, { secret = CONNECT_SECRET, id } = {}) {
  const payload = stripeEvent('account.updated', object, { id });
  return srv.api('POST', '/api/payouts/webhook/stripe', {
    raw: payload, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signStripe(payload, secret) },
  });
}

describe('splits', () => {
  test('shares must add up to exactly 100; collaborators must exist; only the producer proposes', async () => {
    const producer = await srv.signup();
    const other = await srv.signup();
    const beat = await beatOf(producer);
    const propose = (user, shares) => srv.api('PUT', `/api/beats/${beat.beat_id}/splits`, { token: user.token, body: { shares } });
    const ninety = assertError(await propose(producer, [{ user: producer.id, percent: 50 }, { user: other.username, percent: 40 }]),
      422, 'shares_must_total_100');
    assert.equal(ninety.details.total_percent, '90');
    assertError(await propose(producer, [{ user: producer.id, percent: 50 }, { user: other.id, percent: 50.01 }]), 422, 'shares_must_total_100');
    const bad = assertError(await propose(producer, [{ user: 'nobody-at-all', percent: 50 }, { user: other.id, percent: 0 },
      { user: other.id, percent: 33.333 }]), 422, 'validation_failed');
    assert.ok(bad.details.fields['shares[0].user']);
    assert.ok(bad.details.fields['shares[1].percent']);
    assert.ok(bad.details.fields['shares[2].user'], 'listed twice');
    assert.ok(bad.details.fields['shares[2].percent'], 'three decimals');
    assertError(await propose(other, [{ user: other.id, percent: 100 }]), 403);
    assertError(await propose(producer, []), 422);
  });

  test('a split becomes active once every collaborator accepts; a decline ends the proposal', async () => {
    const producer = await srv.signup();
    const a = await srv.signup();
    const b = await srv.signup();
    const beat = await beatOf(producer);
    const proposed = assertStatus(await srv.api('PUT', `/api/beats/${beat.beat_id}/splits`, { token: producer.token,
      body: { shares: [{ user: producer.username, percent: 50 }, { user: a.id, percent: 33.33 }, { user: b.id, percent: 16.67 }] } }), 200);
    assert.equal(proposed.status, 'proposed');
    const invites = assertStatus(await srv.api('GET', '/api/splits', { token: a.token }), 200);
    assert.ok(invites.splits.some((s) => s.split_id === proposed.split_id && s.title === 'Shared Tune'));
    assertStatus(await srv.api('POST', `/api/splits/${proposed.split_id}/accept`, { token: a.token }), 200);
    const stranger = await srv.signup();
    assertError(await srv.api('POST', `/api/splits/${proposed.split_id}/accept`, { token: stranger.token }), 404);
    assertError(await srv.api('GET', `/api/beats/${beat.beat_id}/splits`, { token: stranger.token }), 404);
    const done = assertStatus(await srv.api('POST', `/api/splits/${proposed.split_id}/accept`, { token: b.token }), 200);
    assert.equal(done.status, 'active');
    assert.deepEqual(done.shares.map((s) => s.percent), ['50', '33.33', '16.67']);

    const next = assertStatus(await srv.api('PUT', `/api/beats/${beat.beat_id}/splits`, { token: producer.token,
      body: { shares: [{ user: producer.id, percent: 60 }, { user: a.id, percent: 40 }] } }), 200);
    assertStatus(await srv.api('POST', `/api/splits/${next.split_id}/decline`, { token: a.token }), 200);
    const now = assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}/splits`, { token: producer.token }), 200);
    assert.equal(now.active.split_id, proposed.split_id, 'the accepted split stays until another is accepted');
    assert.equal(now.proposed, null);
    assertError(await srv.api('POST', `/api/splits/${next.split_id}/accept`, { token: a.token }), 409);
  });
});

describe('ledger and balances', () => {
  test('each sale is divided (fee 10 %, rounded half up; shares by largest remainder); a refund reverses it', async () => {
    const producer = await srv.signup();
    const a = await srv.signup();
    const b = await srv.signup();
    const beat = await beatOf(producer);
    const split = assertStatus(await srv.api('PUT', `/api/beats/${beat.beat_id}/splits`, { token: producer.token,
      body: { shares: [{ user: producer.id, percent: 50 }, { user: a.id, percent: 33.33 }, { user: b.id, percent: 16.67 }] } }), 200);
    for (const u of [a, b]) assertStatus(await srv.api('POST', `/api/splits/${split.split_id}/accept`, { token: u.token }), 200);

    const buyer = await srv.signup();
    const p = assertStatus(await srv.api('POST', '/api/purchases', { token: buyer.token,
      body: { beat_id: beat.beat_id, license: 'basic', payment: VISA } }), 201);
    // 19.99: fee 1.999 -> 2.00; 17.99 shared 50/33.33/16.67 = 8.995/5.996/2.999 -> 8.99 + 6.00 + 3.00.
    await until(async () => (await balance(b)).balance_cents === 300, 'the sale in the ledger');
    assert.equal((await balance(producer)).balance_cents, 899);
    assert.equal((await balance(a)).balance_cents, 600);
    const mine = await balance(a);
    assert.equal(mine.earned_cents, 600);
    assert.equal(mine.pending_cents, 600);
    assert.equal(mine.platform_fee_percent, '10');
    const entries = assertStatus(await srv.api('GET', '/api/payouts/ledger', { token: a.token }), 200).entries;
    assert.deepEqual(entries.map((e) => [e.kind, e.amount_cents, e.share_bp, e.purchase_id]), [['sale', 600, 3333, p.purchase_id]]);

    assertStatus(await srv.api('POST', `/api/purchases/${p.purchase_id}/refund`, { token: producer.token }), 200);
    await until(async () => (await balance(a)).balance_cents === 0, 'the refund in the ledger');
    assert.equal((await balance(producer)).balance_cents, 0);
    const after = await balance(a);
    assert.equal(after.refunded_cents, 600);
  });

  test('without a split the producer gets all but the fee', async () => {
    const producer = await srv.signup();
    const beat = await beatOf(producer);
    const buyer = await srv.signup();
    assertStatus(await srv.api('POST', '/api/purchases', { token: buyer.token, body: { beat_id: beat.beat_id, license: 'basic', payment: VISA } }), 201);
    await until(async () => (await balance(producer)).balance_cents === 1799, 'the sale');
  });
});

describe('payouts through Stripe Connect', () => {
  let producer;
  let account;
  before(async () => {
    producer = await srv.signup();
    const beat = await beatOf(producer);
    const buyer = await srv.signup();
    assertStatus(await srv.api('POST', '/api/purchases', { token: buyer.token, body: { beat_id: beat.beat_id, license: 'basic', payment: VISA } }), 201);
    await until(async () => (await balance(producer)).balance_cents === 1799, 'the sale');
  });

  test('onboarding makes an Express account and a link to Stripe; retrying makes no second account', async () => {
    const first = assertStatus(await srv.api('POST', '/api/payouts/account', { token: producer.token }), 200, 'onboard');
    assert.match(first.account_id, /^acct_/);
    assert.equal(first.status, 'onboarding');
    assert.match(first.onboarding_url, /^https:\/\/connect\.stripe\.test\/setup\/e\/acct_/);
    const again = assertStatus(await srv.api('POST', '/api/payouts/account', { token: producer.token }), 200);
    assert.equal(again.account_id, first.account_id);
    account = stripe.connect.accounts.get(first.account_id);
    assert.equal(account.email, producer.email);
    assert.equal(account.metadata.user_id, producer.id);
    assert.ok(stripe.connect.links.every((l) => l.return_url.endsWith('/studio?payouts=return')));
  });

  test('a run skips balances whose account cannot receive transfers yet', async () => {
    const run = assertStatus(await srv.api('POST', '/api/admin/payouts/runs', { token: admin.token }), 201);
    assert.ok(!run.payouts.some((p) => p.user_id === producer.id));
    assert.ok(run.skipped.some((s) => s.user_id === producer.id && /not ready/.test(s.reason)));
    assertError(await srv.api('POST', '/api/admin/payouts/runs', { token: producer.token }), 403);
  });

  test('Stripe\'s account.updated is verified by its signature; a forged one changes nothing', async () => {
    const ready = stripe.connect.completeOnboarding(account.id);
    assertError(await connectWebhook(ready, { secret: 'whsec_wrong' }), 400, 'invalid_signature');
    assert.equal((await srv.api('GET', '/api/payouts/account', { token: producer.token })).json.status, 'onboarding');
    const ok = assertStatus(await connectWebhook(ready, { id: 'evt_connect_1' }), 200);
    assert.equal(ok.duplicate, false);
    assert.equal(assertStatus(await connectWebhook(ready, { id: 'evt_connect_1' }), 200).duplicate, true);
    const now = assertStatus(await srv.api('GET', '/api/payouts/account', { token: producer.token }), 200);
    assert.equal(now.status, 'active');
    assert.equal(now.can_receive, true);
  });

  test('a run pays each balance once: two runs at once, and a replayed key, pay nothing twice', async () => {
    const [r1, r2] = await Promise.all([
      srv.api('POST', '/api/admin/payouts/runs', { token: admin.token, headers: { 'Idempotency-Key': 'run-a' } }),
      srv.api('POST', '/api/admin/payouts/runs', { token: admin.token, headers: { 'Idempotency-Key': 'run-b' } }),
    ]);
    const runs = [assertStatus(r1, 201), assertStatus(r2, 201)];
    const mine = runs.flatMap((r) => r.payouts).filter((p) => p.user_id === producer.id);
    assert.equal(mine.length, 1, `one payout in all: ${JSON.stringify(runs)}`);
    assert.equal(mine[0].amount_cents, 1799);
    const replay = assertStatus(await srv.api('POST', '/api/admin/payouts/runs', { token: admin.token, headers: { 'Idempotency-Key': 'run-a' } }), 201);
    assert.equal(replay.run_id, runs[0].run_id);

    const paid = await until(async () => {
      const b = await balance(producer);
      return b.paid_cents === 1799 ? b : null;
    }, 'the transfer');
    assert.equal(paid.balance_cents, 0);
    assert.equal(paid.in_transit_cents, 0);
    assert.equal(paid.payouts[0].status, 'paid');
    assert.match(paid.payouts[0].transfer_id, /^tr_/);
    const transfers = stripe.connect.transfers.filter((t) => t.destination === account.id);
    assert.equal(transfers.length, 1, 'one transfer at Stripe');
    assert.deepEqual([transfers[0].amount, transfers[0].currency], [1799, 'usd']);
    assert.equal(transfers[0].metadata.payout_id, mine[0].payout_id);

    const third = assertStatus(await srv.api('POST', '/api/admin/payouts/runs', { token: admin.token }), 201);
    assert.ok(!third.payouts.some((p) => p.user_id === producer.id), 'nothing left to pay');
    const audit = assertStatus(await srv.api('GET', '/api/admin/audit?action=payouts.run', { token: admin.token }), 200);
    assert.ok(audit.entries.length >= 3);
  });

  test('a transfer Stripe refuses (the platform balance is short) fails and the money returns to the balance', async () => {
    const beat = await beatOf(producer);
    const buyer = await srv.signup();
    assertStatus(await srv.api('POST', '/api/purchases', { token: buyer.token, body: { beat_id: beat.beat_id, license: 'basic', payment: VISA } }), 201);
    await until(async () => (await balance(producer)).balance_cents === 1799, 'the second sale');
    stripe.connect.setBalance(100);
    const run = assertStatus(await srv.api('POST', '/api/admin/payouts/runs', { token: admin.token }), 201);
    assert.ok(run.payouts.some((p) => p.user_id === producer.id));
    const back = await until(async () => {
      const b = await balance(producer);
      return b.balance_cents === 1799 && b.payouts[0].status === 'failed' ? b : null;
    }, 'the refused transfer to come back');
    assert.match(back.payouts[0].failure, /insufficient available funds/);
    assert.equal(back.paid_cents, 1799, 'only the first payout was paid');
    stripe.connect.setBalance(100_000_000);
  });
});
