// Money rules with Stripe configured (and nothing else): the test provider is off, a checkout
// session never outlives the exclusive's hold, only money that arrived grants a license (bank
// debits wait for their event), and a payment for an exclusive someone else got meanwhile is
// refunded automatically, never a second owner.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError, assertStatus, sleep, startServer,
} from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';
import {
  checkoutSessionObject, paymentIntentId, signStripe, startStripeStandin, stripeEvent,
} from './stripe_standin.mjs';

const SECRET_KEY = 'sk_test_rules';
const WEBHOOK_SECRET = 'whsec_rules';
const STRIPE = { provider: 'stripe' };
const VISA = { provider: 'test', token: 'tok_visa' };

let srv;
let stripe;
let producer;
before(async () => {
  stripe = await startStripeStandin({ secretKey: SECRET_KEY });
  srv = await startServer({
    args: ['--stripe-secret-key', SECRET_KEY, '--stripe-webhook-secret', WEBHOOK_SECRET, '--stripe-api-base', stripe.base],
  });
  producer = await srv.signup();
});
after(async () => {
  await srv?.close();
  await stripe?.close();
});

const buy = (user, body) => srv.api('POST', '/api/purchases', { token: user.token, body });
const purchase = async (user, id) => assertStatus(await srv.api('GET', `/api/purchases/${id}`, { token: user.token }), 200, `purchase ${id}`);
const beatStatus = async (id) => assertStatus(await srv.api('GET', `/api/beats/${id}`), 200).status;

async function owned(user) {
  const p = assertStatus(await srv.api('GET', '/api/users/profile', { token: user.token }), 200, 'profile');
  return p.purchased_beats.slice().sort();
}

function webhook(type, object) {
  const payload = stripeEvent(type, object);
  return srv.api('POST', '/api/payments/webhook/stripe', {
    raw: payload, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signStripe(payload, WEBHOOK_SECRET) },
  });
}

async function sessionEvent(type, user, purchaseId, opts = {}) {
  const [session] = stripe.sessionsFor(purchaseId);
  assert.ok(session, `the stand-in has a session for ${purchaseId}`);
  const r = await webhook(type, checkoutSessionObject(session, { purchaseId, ...opts }));
  assertStatus(r, 200, `${type} for ${purchaseId}`);
  return purchase(user, purchaseId);
}

async function exclusiveBeat(title) {
  const wav = makeAudio({ seconds: 1, freq: 500 });
  const b = await uploadOk(srv, producer.token, wav, {
    title, price: '30', licenses: JSON.stringify([{ type: 'basic', price_cents: 3000 }, { type: 'exclusive', price_cents: 90000 }]),
  });
  await waitReady(srv, b.beat_id);
  return b.beat_id;
}

async function pendingExclusive(beat) {
  const buyer = await srv.signup();
  const p = assertStatus(await buy(buyer, { beat_id: beat, license: 'exclusive', payment: STRIPE }), 201, 'exclusive via stripe');
  assert.equal(p.status, 'pending');
  return { buyer, id: p.purchase_id, p };
}

describe('the test provider beside Stripe', () => {
  test('is off: tok_visa is refused with a clear 422, creates nothing, and unlocks no download', async () => {
    const beat = await exclusiveBeat('Free Rider');
    const buyer = await srv.signup();
    const e = assertError(await buy(buyer, { beat_id: beat, license: 'basic', payment: VISA }), 422, 'payment_provider_disabled');
    assert.equal(e.details.field, 'payment.provider');
    assert.deepEqual(e.details.providers, ['stripe']);
    assert.match(e.message, /test payment provider is off/);
    const mine = assertStatus(await srv.api('GET', '/api/purchases', { token: buyer.token }), 200);
    assert.deepEqual(mine.purchases, [], 'no purchase was recorded');
    assert.deepEqual(await owned(buyer), []);
    assertError(await srv.api('GET', `/api/beats/${beat}/download?format=mp3`, { token: buyer.token }), 403, 'forbidden');
    const status = assertStatus(await srv.api('GET', '/api/status'), 200);
    assert.equal(status.modules.find((m) => m.name === 'purchases').detail, 'providers: stripe');
  });
});

describe('checkout sessions end with the hold', () => {
  test('a Stripe session is created with expires_at within Stripe\'s 30 min..24 h, no later than the purchase\'s end', async () => {
    const beat = await exclusiveBeat('Hold Length');
    const t0 = Math.floor(Date.now() / 1000);
    const { id, p } = await pendingExclusive(beat);
    const [req] = stripe.requestsFor(id);
    assert.deepEqual(req.problems, [], 'the stand-in accepted the session');
    assert.ok(req.form.expires_at, 'the server sets expires_at (Stripe\'s default of 24 h would outlive the hold)');
    const [session] = stripe.sessionsFor(id);
    const ends = Date.parse(p.expires_at);
    assert.ok(Number.isFinite(ends), `the pending purchase says when it ends: ${JSON.stringify(p)}`);
    assert.ok(session.expires_at * 1000 <= ends, `the session (${session.expires_at}) ends no later than the hold (${p.expires_at})`);
    assert.ok(session.expires_at - t0 >= 30 * 60 && session.expires_at - t0 <= 24 * 3600, 'within Stripe\'s range');
    assertError(await buy(await srv.signup(), { beat_id: beat, license: 'exclusive', payment: STRIPE }), 409, 'exclusive_taken',
      'the exclusive is held until the session ends');
  });

  test('the stand-in refuses what Stripe refuses: an expiry under 30 minutes, a key reused with other parameters', async () => {
    const form = (expires) => new URLSearchParams({
      mode: 'payment', client_reference_id: 'p1', 'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '100', 'line_items[0][price_data][product_data][name]': 'x',
      'line_items[0][quantity]': '1', expires_at: String(expires),
    }).toString();
    const post = (body, key) => fetch(`${stripe.base}/v1/checkout/sessions`, {
      method: 'POST', body, headers: { Authorization: `Bearer ${SECRET_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': key },
    });
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await post(form(now + 600), 'k-short')).status, 400, 'a 10 minute expiry');
    assert.equal((await post(form(now + 25 * 3600), 'k-long')).status, 400, 'a 25 hour expiry');
    const first = await post(form(now + 3600), 'k-same');
    assert.equal(first.status, 200);
    const again = await post(form(now + 3600), 'k-same');
    assert.equal((await again.json()).id, (await first.json()).id, 'the same key and body replay the session');
    assert.equal((await post(form(now + 3700), 'k-same')).status, 400, 'the same key with another body');
  });
});

describe('what a Stripe event grants', () => {
  test('completed but unpaid (a bank debit) grants nothing and keeps the exclusive held; async_payment_failed releases it', async () => {
    const beat = await exclusiveBeat('Slow Debit');
    const { buyer, id } = await pendingExclusive(beat);
    const p = await sessionEvent('checkout.session.completed', buyer, id, { paymentIntent: paymentIntentId(), paymentStatus: 'unpaid' });
    assert.equal(p.status, 'pending', 'not completed before the money arrives');
    assert.deepEqual(await owned(buyer), [], 'no license yet');
    assertError(await srv.api('GET', `/api/beats/${beat}/download?format=mp3`, { token: buyer.token }), 403, 'forbidden');
    assert.equal(await beatStatus(beat), 'ready', 'not sold yet');
    const rival = await srv.signup();
    assertError(await buy(rival, { beat_id: beat, license: 'exclusive', payment: STRIPE }), 409, 'exclusive_taken', 'still held');
    const failed = await sessionEvent('checkout.session.async_payment_failed', buyer, id, { paymentStatus: 'unpaid' });
    assert.equal(failed.status, 'declined');
    assert.match(failed.failure_reason, /payment failed/);
    assert.deepEqual(await owned(buyer), []);
    const next = assertStatus(await buy(rival, { beat_id: beat, license: 'exclusive', payment: STRIPE }), 201, 'free again');
    assert.equal(next.status, 'pending');
  });

  test('completed but unpaid, then async_payment_succeeded: the license and the sale', async () => {
    const beat = await exclusiveBeat('Debit Clears');
    const { buyer, id } = await pendingExclusive(beat);
    const pi = paymentIntentId();
    await sessionEvent('checkout.session.completed', buyer, id, { paymentIntent: pi, paymentStatus: 'unpaid' });
    const done = await sessionEvent('checkout.session.async_payment_succeeded', buyer, id, { paymentIntent: pi, paymentStatus: 'paid' });
    assert.equal(done.status, 'completed');
    assert.deepEqual(await owned(buyer), [beat]);
    assert.equal(await beatStatus(beat), 'sold');
  });

  test('a basic license paid by a debit still settling: no download until it clears', async () => {
    const beat = await exclusiveBeat('Basic Debit');
    const buyer = await srv.signup();
    const p = assertStatus(await buy(buyer, { beat_id: beat, license: 'basic', payment: STRIPE }), 201);
    await sessionEvent('checkout.session.completed', buyer, p.purchase_id, { paymentIntent: paymentIntentId(), paymentStatus: 'unpaid' });
    assertError(await srv.api('GET', `/api/beats/${beat}/download?format=mp3`, { token: buyer.token }), 403, 'forbidden');
  });
});

describe('an exclusive is sold once, whatever the clock', () => {
  test('paid after its checkout expired, with nobody else in between: paid is paid, the license is granted', async () => {
    const beat = await exclusiveBeat('Late But Free');
    const { buyer, id } = await pendingExclusive(beat);
    assert.equal((await sessionEvent('checkout.session.expired', buyer, id, { status: 'expired', paymentStatus: 'unpaid' })).status, 'declined');
    const p = await sessionEvent('checkout.session.completed', buyer, id, { paymentIntent: paymentIntentId() });
    assert.equal(p.status, 'completed');
    assert.deepEqual(await owned(buyer), [beat]);
    assert.equal(await beatStatus(beat), 'sold');
  });

  test('paid after another buyer got the exclusive: refunded through Stripe and recorded, never a second owner', async () => {
    const beat = await exclusiveBeat('Sold Once');
    const late = await pendingExclusive(beat);
    await sessionEvent('checkout.session.expired', late.buyer, late.id, { status: 'expired', paymentStatus: 'unpaid' });
    const winner = await pendingExclusive(beat);
    assert.equal((await sessionEvent('checkout.session.completed', winner.buyer, winner.id, { paymentIntent: paymentIntentId() })).status, 'completed');
    assert.equal(await beatStatus(beat), 'sold');

    const pi = paymentIntentId();
    const p = await sessionEvent('checkout.session.completed', late.buyer, late.id, { paymentIntent: pi });
    assert.equal(p.status, 'refunded', `the late payment is refunded: ${JSON.stringify(p)}`);
    assert.match(p.failure_reason, /sold to another buyer/);
    assert.deepEqual(await owned(late.buyer), [], 'the late buyer has no license');
    assert.deepEqual(await owned(winner.buyer), [beat], 'the winner keeps it');
    assertError(await srv.api('GET', `/api/beats/${beat}/download?format=wav`, { token: late.buyer.token }), 403, 'forbidden');

    // The refund itself goes through Stripe (a job, retried until Stripe confirms).
    let refunded = null;
    for (let i = 0; i < 60 && !refunded; i += 1) {
      const q = await purchase(late.buyer, late.id);
      if (q.refunded_at) refunded = q;
      else await sleep(250);
    }
    assert.ok(refunded, 'refunded_at is set once Stripe confirmed');
    const refunds = stripe.refunds.filter((r) => r.payment_intent === pi);
    assert.equal(refunds.length, 1, 'Stripe refunded the late payment once');
    assert.equal(refunds[0].key, `refund-${late.id}`);
    assert.equal(refunds[0].refund.metadata.purchase_id, late.id);

    const sales = assertStatus(await srv.api('GET', '/api/sales', { token: producer.token }), 200);
    assert.equal(sales.sales.filter((s) => s.beat_id === beat).length, 1, 'one sale of the exclusive');
    const notes = assertStatus(await srv.api('GET', '/api/notifications', { token: late.buyer.token }), 200);
    assert.ok(notes.notifications.some((n) => n.kind === 'purchase' && /refunded/.test(n.message) && n.data.purchase_id === late.id),
      `the buyer is told: ${JSON.stringify(notes.notifications.map((n) => n.message))}`);
  });
});
