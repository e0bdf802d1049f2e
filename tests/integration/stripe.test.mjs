// The stripe payment provider against a local stand-in for Stripe's API: Checkout Sessions with
// the server's prices, signed webhooks (completed, expired, refunded, duplicates, bad signatures,
// unknown types), refunds paid back through Stripe, Idempotency-Key under concurrency, and the
// circuit breaker when Stripe fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError, assertStatus, startServer, uniqueName,
} from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';
import {
  checkoutSessionObject, paymentIntentId, signStripe, startStripeStandin, stripeEvent,
} from './stripe_standin.mjs';

const SECRET_KEY = 'sk_test_123';
const WEBHOOK_SECRET = 'whsec_test';
const STRIPE = { provider: 'stripe' };
const VISA = { provider: 'test', token: 'tok_visa' };

let srv;
let stripe;
before(async () => {
  stripe = await startStripeStandin({ secretKey: SECRET_KEY });
  // These tests buy with the test provider beside Stripe too, which takes the explicit setting
  // (stripe_rules.test.mjs checks it is off without it).
  srv = await startServer({
    args: ['--stripe-secret-key', SECRET_KEY, '--stripe-webhook-secret', WEBHOOK_SECRET, '--stripe-api-base', stripe.base,
      '--allow-test-payments', 'true'],
  });
});
after(async () => {
  await srv?.close();
  await stripe?.close();
});

function buy(user, body, { key } = {}) {
  const headers = key === undefined ? {} : { 'Idempotency-Key': key };
  return srv.api('POST', '/api/purchases', { token: user.token, body, headers });
}

// Posts a webhook: payload is the raw JSON text; signature: a header value, null (no header), or
// undefined (sign payload correctly now).
function webhook(payload, signature) {
  const headers = { 'Content-Type': 'application/json' };
  const sig = signature === undefined ? signStripe(payload, WEBHOOK_SECRET) : signature;
  if (sig !== null) headers['Stripe-Signature'] = sig;
  return srv.api('POST', '/api/payments/webhook/stripe', { raw: payload, headers });
}

async function purchasedBeats(user) {
  const p = assertStatus(await srv.api('GET', '/api/users/profile', { token: user.token }), 200, 'own profile');
  return p.purchased_beats.slice().sort();
}

async function purchase(user, id) {
  return assertStatus(await srv.api('GET', `/api/purchases/${id}`, { token: user.token }), 200, `GET purchase ${id}`);
}

async function beatStatus(id) {
  return assertStatus(await srv.api('GET', `/api/beats/${id}`), 200, `GET beat ${id}`).status;
}

async function readyBeat(owner, title, licenses) {
  const wav = makeAudio({ seconds: 1, freq: 600 });
  const b = await uploadOk(srv, owner.token, wav, { title, price: String(licenses[0].price_cents / 100), licenses: JSON.stringify(licenses) });
  await waitReady(srv, b.beat_id);
  return b.beat_id;
}

describe('stripe checkout and webhooks', () => {
  let producer; let beatS; let beatT; let beatX;
  let buyer1; let p1; let p1Session; let pi1; let completedEvent;
  let pendingExclusive = null; // {buyer2, purchaseId, session}: set by the signature test

  before(async () => {
    producer = await srv.signup();
    [beatS, beatT, beatX] = await Promise.all([
      readyBeat(producer, 'Stripe Single', [{ type: 'basic', price_cents: 1999 }, { type: 'premium', price_cents: 4599 }]),
      readyBeat(producer, 'Stripe Second', [{ type: 'basic', price_cents: 1250 }]),
      readyBeat(producer, 'Stripe Exclusive', [{ type: 'basic', price_cents: 3000 }, { type: 'exclusive', price_cents: 75000 }]),
    ]);
  });

  test('provider stripe: 201 pending with the stand-in\'s checkout_url; the session carries our id and prices', async () => {
    buyer1 = await srv.signup();
    const before = stripe.count;
    const r = await buy(buyer1, { beat_id: beatS, license: 'basic', payment: STRIPE });
    const p = assertStatus(r, 201, 'stripe purchase');
    assert.equal(p.status, 'pending', JSON.stringify(p));
    assert.equal(p.provider, 'stripe');
    assert.equal(p.total_cents, 1999);
    p1 = p.purchase_id;
    assert.equal(stripe.count, before + 1, 'one call to Stripe');
    const req = stripe.requests.at(-1);
    assert.deepEqual(req.problems, [], `the stand-in accepted the request: ${JSON.stringify(req.problems)}`);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/checkout/sessions');
    assert.equal(req.headers.authorization, `Bearer ${SECRET_KEY}`);
    assert.equal(req.form.client_reference_id, p1, 'client_reference_id is our purchase id');
    assert.equal(req.form['metadata[purchase_id]'], p1);
    assert.equal(req.form['line_items[0][price_data][unit_amount]'], '1999', 'unit_amount is the server\'s price');
    assert.equal(req.form['line_items[0][price_data][currency]'], 'usd');
    assert.equal(req.form['line_items[1][price_data][unit_amount]'], undefined, 'one line item');
    const sessions = stripe.sessionsFor(p1);
    assert.equal(sessions.length, 1);
    [p1Session] = sessions;
    assert.equal(p.checkout_url, p1Session.url, 'checkout_url is the session url from Stripe');
    assert.match(p.checkout_url, /^https:\/\/checkout\.stripe\.test\/c\/cs_test_/);

    // Pending grants nothing yet.
    assert.equal((await purchase(buyer1, p1)).status, 'pending');
    assert.deepEqual(await purchasedBeats(buyer1), []);
    assertError(await srv.api('GET', `/api/beats/${beatS}/download?format=mp3`, { token: buyer1.token }), 403, 'forbidden');
    const sales = assertStatus(await srv.api('GET', '/api/sales', { token: producer.token }), 200);
    assert.equal(sales.count, 0, 'a pending purchase is not a sale');
  });

  test('a stripe cart sends one line item per beat with the server\'s prices; a client price is 422', async () => {
    const buyer = await srv.signup();
    const r = await buy(buyer, {
      items: [{ beat_id: beatS, license: 'premium' }, { beat_id: beatT, license: 'basic' }], payment: STRIPE,
    });
    const p = assertStatus(r, 201, 'stripe cart');
    assert.equal(p.status, 'pending');
    assert.equal(p.total_cents, 4599 + 1250);
    const [req] = stripe.requestsFor(p.purchase_id);
    assert.ok(req, 'the stand-in saw the cart');
    const amounts = [req.form['line_items[0][price_data][unit_amount]'], req.form['line_items[1][price_data][unit_amount]']].sort();
    assert.deepEqual(amounts, ['1250', '4599']);
    assert.equal(req.form['line_items[2][price_data][unit_amount]'], undefined);
    const before = stripe.count;
    assertError(await buy(buyer, { beat_id: beatT, license: 'basic', price_cents: 1, payment: STRIPE }), 422, 'validation_failed');
    assert.equal(stripe.count, before, 'a refused request never reaches Stripe');
  });

  test('a correctly signed checkout.session.completed completes the purchase and grants the license', async () => {
    pi1 = paymentIntentId();
    completedEvent = stripeEvent('checkout.session.completed', checkoutSessionObject(p1Session, { purchaseId: p1, paymentIntent: pi1 }));
    const r = await webhook(completedEvent);
    const ack = assertStatus(r, 200, 'webhook completed');
    assert.equal(ack.received, true, r.text);
    assert.notEqual(ack.duplicate, true, r.text);
    const p = await purchase(buyer1, p1);
    assert.equal(p.status, 'completed');
    assert.ok(p.completed_at, 'completed_at is set');
    assert.deepEqual(await purchasedBeats(buyer1), [beatS]);
    const d = await srv.api('GET', `/api/beats/${beatS}/download?format=mp3`, { token: buyer1.token });
    assert.equal(d.status, 200, `download after the webhook: ${d.status}`);
    const sales = assertStatus(await srv.api('GET', '/api/sales', { token: producer.token }), 200);
    assert.equal(sales.count, 1);
    assert.equal(sales.total_cents, 1999);
  });

  test('the same event again: 200 duplicate, nothing changes', async () => {
    const r = await webhook(completedEvent);
    const ack = assertStatus(r, 200, 'repeated event');
    assert.equal(ack.received, true, r.text);
    assert.equal(ack.duplicate, true, r.text);
    assert.equal((await purchase(buyer1, p1)).status, 'completed');
    assert.deepEqual(await purchasedBeats(buyer1), [beatS], 'still one license');
    const sales = assertStatus(await srv.api('GET', '/api/sales', { token: producer.token }), 200);
    assert.equal(sales.count, 1, 'still one sale');
  });

  test('bad signatures (tampered, stale, future, wrong secret, missing, garbage) are 400 invalid_signature and change nothing', async () => {
    const buyer2 = await srv.signup();
    const p = assertStatus(await buy(buyer2, { beat_id: beatX, license: 'exclusive', payment: STRIPE }), 201, 'exclusive via stripe');
    assert.equal(p.status, 'pending');
    const [session] = stripe.sessionsFor(p.purchase_id);
    const good = stripeEvent('checkout.session.completed', checkoutSessionObject(session, { purchaseId: p.purchase_id, paymentIntent: paymentIntentId() }));
    const other = good.replace(p.purchase_id, p1);
    assert.notEqual(other, good);
    const now = Math.floor(Date.now() / 1000);
    const sigOf = (payload, ts = now, secret = WEBHOOK_SECRET) => signStripe(payload, secret, ts);
    const attempts = [
      ['tampered (signature of another body)', sigOf(other)],
      ['tampered body, several v1 none matching', `${sigOf(other)},v1=${'0'.repeat(64)}`],
      ['stale timestamp (now - 400)', sigOf(good, now - 400)],
      ['future timestamp (now + 400)', sigOf(good, now + 400)],
      ['wrong secret', sigOf(good, now, 'whsec_other')],
      ['missing header', null],
      ['garbage header', 'nonsense'],
      ['v0 only', sigOf(good).replace('v1=', 'v0=')],
    ];
    for (const [what, sig] of attempts) {
      assertError(await webhook(good, sig), 400, 'invalid_signature', what);
    }
    assert.equal((await purchase(buyer2, p.purchase_id)).status, 'pending', 'refused webhooks change nothing');
    assert.deepEqual(await purchasedBeats(buyer2), []);
    assert.equal(await beatStatus(beatX), 'ready', 'the beat is not sold');

    // A refused delivery does not burn the event id: the genuine one is applied later.
    // (Here the genuine event is the session expiring, see the next test.)
    pendingExclusive = { buyer2, purchaseId: p.purchase_id, session };
  });

  test('unknown event types answer 200 and change nothing', async () => {
    const r = await webhook(stripeEvent('customer.created', { id: 'cus_test_1', object: 'customer' }));
    assert.equal(assertStatus(r, 200, 'unknown event type').received, true, r.text);
    const r2 = await webhook(stripeEvent('payment_intent.created', { id: paymentIntentId(), object: 'payment_intent' }));
    assert.equal(assertStatus(r2, 200, 'unknown event type 2').received, true, r2.text);
    assert.equal((await purchase(pendingExclusive.buyer2, pendingExclusive.purchaseId)).status, 'pending');
    assert.equal((await purchase(buyer1, p1)).status, 'completed');
  });

  test('checkout.session.expired declines a pending exclusive and releases the hold', async () => {
    const { buyer2, purchaseId, session } = pendingExclusive;
    const buyer3 = await srv.signup();
    assertError(await buy(buyer3, { beat_id: beatX, license: 'exclusive', payment: VISA }), 409, 'exclusive_taken',
      'the exclusive is held by the pending checkout');
    const expired = stripeEvent('checkout.session.expired',
      checkoutSessionObject(session, { purchaseId, status: 'expired', paymentStatus: 'unpaid' }));
    // First a forged copy, then the genuine one (same event id): the forgery must not mark it seen.
    assertError(await webhook(expired, signStripe(expired.replace(purchaseId, p1), WEBHOOK_SECRET)), 400, 'invalid_signature');
    const r = await webhook(expired);
    const ack = assertStatus(r, 200, 'expired webhook');
    assert.notEqual(ack.duplicate, true, `a refused forgery must not mark the event id as seen: ${r.text}`);
    assert.equal((await purchase(buyer2, purchaseId)).status, 'declined');
    assert.deepEqual(await purchasedBeats(buyer2), []);
    assert.equal(await beatStatus(beatX), 'ready');
    const p = assertStatus(await buy(buyer3, { beat_id: beatX, license: 'exclusive', payment: VISA }), 201,
      'the exclusive is buyable again after the session expired');
    assert.equal(p.status, 'completed');
    assert.equal(await beatStatus(beatX), 'sold');
  });

  test('a completed webhook for a pending exclusive sells the beat', async () => {
    const beatY = await readyBeat(producer, 'Stripe Exclusive Two', [{ type: 'basic', price_cents: 2000 }, { type: 'exclusive', price_cents: 60000 }]);
    const buyer = await srv.signup();
    const p = assertStatus(await buy(buyer, { beat_id: beatY, license: 'exclusive', payment: STRIPE }), 201, 'exclusive via stripe');
    assert.equal(p.status, 'pending');
    assert.equal(await beatStatus(beatY), 'ready', 'a pending checkout does not sell the beat yet');
    const [session] = stripe.sessionsFor(p.purchase_id);
    assert.equal(session.amounts[0], 60000);
    const r = await webhook(stripeEvent('checkout.session.completed',
      checkoutSessionObject(session, { purchaseId: p.purchase_id, paymentIntent: paymentIntentId() })));
    assertStatus(r, 200, 'completed webhook');
    assert.equal((await purchase(buyer, p.purchase_id)).status, 'completed');
    assert.equal(await beatStatus(beatY), 'sold', 'completing an exclusive sells the beat');
    assert.deepEqual(await purchasedBeats(buyer), [beatY]);
    const other = await srv.signup();
    const late = await buy(other, { beat_id: beatY, license: 'basic', payment: VISA });
    assertError(late, 409, 'sold');
  });

  test('a checkout completing for a license the buyer meanwhile bought otherwise: 200 (never 5xx), one license, not left pending', async () => {
    const buyer = await srv.signup();
    const pending = assertStatus(await buy(buyer, { beat_id: beatT, license: 'basic', payment: STRIPE }), 201, 'stripe checkout');
    assert.equal(pending.status, 'pending');
    assertStatus(await buy(buyer, { beat_id: beatT, license: 'basic', payment: VISA }), 201, 'the same license with a card meanwhile');
    const [session] = stripe.sessionsFor(pending.purchase_id);
    const event = stripeEvent('checkout.session.completed',
      checkoutSessionObject(session, { purchaseId: pending.purchase_id, paymentIntent: paymentIntentId() }));
    const r = await webhook(event);
    // Stripe retries any non-2xx for days; a webhook for a real, paid session must be settled, not fail.
    assert.equal(r.status, 200, `webhook for the paid session: expected 200, got ${r.status} ${r.text}`);
    assert.deepEqual(await purchasedBeats(buyer), [beatT], 'exactly one license');
    assert.notEqual((await purchase(buyer, pending.purchase_id)).status, 'pending', 'the paid session is settled one way or another');
  });

  test('charge.refunded with the completed session\'s payment_intent refunds the purchase', async () => {
    const charge = { id: `ch_test_${uniqueName('c')}`, object: 'charge', payment_intent: pi1, amount: 1999, amount_refunded: 1999, refunded: true };
    const r = await webhook(stripeEvent('charge.refunded', charge));
    assert.equal(assertStatus(r, 200, 'charge.refunded').received, true, r.text);
    assert.equal((await purchase(buyer1, p1)).status, 'refunded');
    assert.deepEqual(await purchasedBeats(buyer1), [], 'the license is revoked');
    assertError(await srv.api('GET', `/api/beats/${beatS}/download?format=mp3`, { token: buyer1.token }), 403, 'forbidden');
  });

  test('a seller\'s refund pays the buyer back through Stripe first; a failing Stripe changes nothing', async () => {
    const buyer = await srv.signup();
    const pending = assertStatus(await buy(buyer, { beat_id: beatT, license: 'basic', payment: STRIPE }), 201, 'stripe checkout');
    const [session] = stripe.sessionsFor(pending.purchase_id);
    const pi = paymentIntentId();
    assertStatus(await webhook(stripeEvent('checkout.session.completed',
      checkoutSessionObject(session, { purchaseId: pending.purchase_id, paymentIntent: pi }))), 200, 'completed webhook');
    const refundPath = `/api/purchases/${pending.purchase_id}/refund`;

    assertError(await srv.api('POST', refundPath, { token: buyer.token }), 403, 'forbidden', 'the buyer cannot refund');
    stripe.setMode('error500');
    try {
      assertError(await srv.api('POST', refundPath, { token: producer.token }), 503, 'payment_provider_unavailable', 'Stripe fails');
    } finally {
      stripe.setMode('ok');
    }
    assert.equal((await purchase(buyer, pending.purchase_id)).status, 'completed', 'no refund without the money back');
    assert.deepEqual(await purchasedBeats(buyer), [beatT], 'the license stands');

    const done = assertStatus(await srv.api('POST', refundPath, { token: producer.token }), 200, 'refund');
    assert.equal(done.status, 'refunded');
    const refunds = stripe.refunds.filter((r) => r.payment_intent === pi);
    assert.equal(refunds.length, 1, 'Stripe refunded the payment once');
    assert.equal(refunds[0].refund.metadata.purchase_id, pending.purchase_id);
    assert.equal(refunds[0].key, `refund-${pending.purchase_id}`);
    const call = stripe.requests.filter((r) => r.path === '/v1/refunds' && r.answered === 200).at(-1);
    assert.equal(call.headers.authorization, `Bearer ${SECRET_KEY}`);
    assert.deepEqual(await purchasedBeats(buyer), [], 'the license is revoked');

    const calls = stripe.count;
    assertError(await srv.api('POST', refundPath, { token: producer.token }), 409, 'not_refundable', 'twice');
    assert.equal(stripe.count, calls, 'a refunded purchase never reaches Stripe again');
    // Stripe then announces the refund: acknowledged, nothing changes.
    const charge = { id: `ch_test_${uniqueName('c')}`, object: 'charge', payment_intent: pi, amount: 1250, amount_refunded: 1250, refunded: true };
    assertStatus(await webhook(stripeEvent('charge.refunded', charge)), 200, 'charge.refunded after our refund');
    assert.equal((await purchase(buyer, pending.purchase_id)).status, 'refunded');
  });

  test('10 concurrent stripe requests with one key: one purchase, one session; answers 201 (same id) or 409 idempotency_in_progress', async () => {
    const buyer = await srv.signup();
    const key = `stripe-${uniqueName('k')}`;
    const body = { beat_id: beatT, license: 'basic', payment: STRIPE };
    const answers = await Promise.all(Array.from({ length: 10 }, () => buy(buyer, body, { key })));
    const report = answers.map((r) => `${r.status} ${r.text.slice(0, 160)}`).join('\n');
    const created = answers.filter((r) => r.status === 201);
    assert.ok(created.length >= 1, `at least one 201:\n${report}`);
    for (const r of answers) {
      if (r.status === 201) continue;
      assertError(r, 409, 'idempotency_in_progress', `other answers:\n${report}`);
    }
    const ids = new Set(created.map((r) => r.json.purchase_id));
    assert.equal(ids.size, 1, `every 201 names the same purchase:\n${report}`);
    const [pid] = ids;
    for (const r of created) assert.equal(r.text, created[0].text, 'every 201 is the same answer');
    const mine = assertStatus(await srv.api('GET', '/api/purchases', { token: buyer.token }), 200).purchases;
    assert.equal(mine.length, 1, `exactly one purchase: ${JSON.stringify(mine.map((x) => [x.purchase_id, x.status]))}`);
    assert.equal(stripe.sessionsFor(pid).length, 1, 'exactly one Checkout Session was created');
    // A later replay gets the 201.
    const again = await buy(buyer, body, { key });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.json.purchase_id, pid);
  });
});

describe('circuit breaker', () => {
  let producer; let beat;
  before(async () => {
    producer = await srv.signup();
    beat = await readyBeat(producer, 'Breaker Beat', [{ type: 'basic', price_cents: 800 }]);
  });
  after(() => { stripe.setMode('ok'); });

  // The Stripe client timeout is not configurable (10 s by the contract), so one hanging call is
  // enough to show a timeout becomes a 503; the counting is done with fast 500s.
  test('a Stripe that never answers: 503 payment_provider_unavailable after the client timeout', { timeout: 40000 }, async () => {
    stripe.setMode('hang');
    const buyer = await srv.signup();
    const before = stripe.count;
    const t0 = Date.now();
    const r = await buy(buyer, { beat_id: beat, license: 'basic', payment: STRIPE });
    const took = Date.now() - t0;
    assertError(r, 503, 'payment_provider_unavailable', 'Stripe hangs');
    assert.equal(stripe.count, before + 1, 'the call reached Stripe');
    assert.ok(took >= 5000 && took <= 25000, `answered after the client timeout (~10 s), took ${took} ms`);
    assert.deepEqual(await purchasedBeats(buyer), []);
    // Stripe is back: a success closes the streak.
    stripe.setMode('ok');
    const ok = assertStatus(await buy(buyer, { beat_id: beat, license: 'basic', payment: STRIPE }), 201, 'Stripe is back');
    assert.equal(ok.status, 'pending');
  });

  test('5 failures answer 503 after calling Stripe; the 6th is 503 at once without calling it; the test provider still works', async () => {
    stripe.setMode('error500');
    const buyers = await Promise.all(Array.from({ length: 6 }, () => srv.signup()));
    for (let i = 0; i < 5; i += 1) {
      const before = stripe.count;
      assertError(await buy(buyers[i], { beat_id: beat, license: 'basic', payment: STRIPE }), 503, 'payment_provider_unavailable',
        `failure ${i + 1}`);
      assert.equal(stripe.count, before + 1, `failure ${i + 1} called Stripe`);
    }
    const before = stripe.count;
    const t0 = Date.now();
    assertError(await buy(buyers[5], { beat_id: beat, license: 'basic', payment: STRIPE }), 503, 'payment_provider_unavailable',
      'circuit open');
    const took = Date.now() - t0;
    assert.equal(stripe.count, before, 'with the circuit open Stripe is not called');
    assert.ok(took < 1000, `the open circuit answers at once (${took} ms)`);
    // Even with Stripe healthy again, the circuit stays open during its cool-down.
    stripe.setMode('ok');
    assertError(await buy(buyers[5], { beat_id: beat, license: 'basic', payment: STRIPE }), 503, 'payment_provider_unavailable',
      'circuit still open');
    assert.equal(stripe.count, before);
    // The test provider is not behind Stripe's breaker.
    const p = assertStatus(await buy(buyers[5], { beat_id: beat, license: 'basic', payment: VISA }), 201, 'test provider');
    assert.equal(p.status, 'completed');
  });
});
