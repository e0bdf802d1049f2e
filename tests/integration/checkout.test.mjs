// Paying for a cart in one payment: the prices the cart showed (offers, deals, coupon) are what is
// charged, line by line; declined payments give the coupon back; a beat sold meanwhile refuses the
// checkout; an exclusive is held during a Stripe checkout, released when it fails and never sold
// twice; and a coupon's limits hold with 20 buyers at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertStatus, sleep, startServer, uniqueName } from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';
import { checkoutSessionObject, paymentIntentId, signStripe, startStripeStandin, stripeEvent } from './stripe_standin.mjs';

const WEBHOOK_SECRET = 'whsec_checkout_cart';
let srv;
let stripe;
before(async () => {
  stripe = await startStripeStandin();
  srv = await startServer({ args: ['--stripe-secret-key', stripe.secretKey, '--stripe-webhook-secret', WEBHOOK_SECRET,
    '--stripe-api-base', stripe.base, '--allow-test-payments', 'true', '--platform-fee-percent', '10'] });
});
after(async () => {
  await srv?.close();
  await stripe?.close();
});

const LICENSES = JSON.stringify([{ type: 'basic', price_cents: 1000 }, { type: 'exclusive', price_cents: 40000 }]);
const VISA = { provider: 'test', token: 'tok_visa' };

async function beatOf(producer, price = 1000) {
  const licenses = JSON.stringify([{ type: 'basic', price_cents: price }, { type: 'exclusive', price_cents: 40000 }]);
  const b = await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: uniqueName('Cart '), price: '10', licenses });
  return waitReady(srv, b.beat_id);
}
const add = (user, beat, license = 'basic') => srv.api('POST', '/api/cart/items', { token: user.token, body: { beat_id: beat.beat_id, license } });
const checkout = (user, payment = VISA, key) => srv.api('POST', '/api/cart/checkout', {
  token: user.token, body: { payment }, headers: key ? { 'Idempotency-Key': key } : {} });
const code = (prefix) => uniqueName(prefix).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 30);

function webhook(type, object) {
  const payload = stripeEvent(type, object);
  return srv.api('POST', '/api/payments/webhook/stripe', {
    raw: payload, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signStripe(payload, WEBHOOK_SECRET) } });
}

async function coupons(producer) {
  return assertStatus(await srv.api('GET', '/api/coupons', { token: producer.token }), 200).coupons;
}

describe('cart checkout', () => {
  test('one payment at the cart\'s prices: a deal and a coupon, line by line; the cart empties; a retry replays', async () => {
    const producer = await srv.signup();
    const beats = [await beatOf(producer, 1000), await beatOf(producer, 2000), await beatOf(producer, 3000)];
    assertStatus(await srv.api('POST', '/api/deals', { token: producer.token, body: { quantity: 3, pay_for: 2 } }), 201);
    const c = code('TENOFF');
    assertStatus(await srv.api('POST', '/api/coupons', { token: producer.token, body: { code: c, kind: 'percent', percent: 10 } }), 201);
    const buyer = await srv.signup();
    for (const b of beats) assertStatus(await add(buyer, b), 201);
    const cart = assertStatus(await srv.api('PUT', '/api/cart/coupon', { token: buyer.token, body: { code: c } }), 200);
    assert.equal(cart.total_cents, 4500, '(3000 + 2000; the 1000 is free) - 10 %');

    const key = uniqueName('k');
    const paid = assertStatus(await checkout(buyer, VISA, key), 201, 'checkout');
    assert.equal(paid.status, 'completed');
    assert.equal(paid.total_cents, cart.total_cents);
    const prices = Object.fromEntries(paid.items.map((i) => [i.beat_id, i.price_cents]));
    assert.deepEqual([prices[beats[0].beat_id], prices[beats[1].beat_id], prices[beats[2].beat_id]], [0, 1800, 2700]);
    const replay = await checkout(buyer, VISA, key);
    assert.equal(replay.status, 201);
    assert.equal(replay.json.purchase_id, paid.purchase_id, 'the same key replays the first answer');

    const after = assertStatus(await srv.api('GET', '/api/cart', { token: buyer.token }), 200);
    assert.deepEqual([after.items.length, after.coupon], [0, null]);
    const [used] = (await coupons(producer)).filter((x) => x.code === c);
    assert.equal(used.uses, 1);
    assertError(await checkout(buyer), 409, 'cart_empty');

    // The producer's ledger gets what was paid, not the list prices: (1800 + 2700) less 10 %.
    for (let i = 0; i < 100; i += 1) {
      const b = assertStatus(await srv.api('GET', '/api/payouts/balance', { token: producer.token }), 200);
      if (b.balance_cents === 4050) break;
      assert.ok(i < 99, `ledger: ${JSON.stringify(b)}`);
      await sleep(100);
    }
  });

  test('a declined card: 402, the coupon given back, the cart kept', async () => {
    const producer = await srv.signup();
    const beat = await beatOf(producer);
    const c = code('ONCE');
    assertStatus(await srv.api('POST', '/api/coupons', { token: producer.token, body: { code: c, kind: 'fixed', amount_cents: 300, max_uses: 1 } }), 201);
    const buyer = await srv.signup();
    assertStatus(await add(buyer, beat), 201);
    assertStatus(await srv.api('PUT', '/api/cart/coupon', { token: buyer.token, body: { code: c } }), 200);
    assertError(await checkout(buyer, { provider: 'test', token: 'tok_chargeDeclined' }), 402, 'payment_declined');
    for (let i = 0; i < 100 && (await coupons(producer))[0].uses !== 0; i += 1) await sleep(100);
    assert.equal((await coupons(producer))[0].uses, 0, 'the declined purchase gave its coupon use back');
    const cart = assertStatus(await srv.api('GET', '/api/cart', { token: buyer.token }), 200);
    assert.equal(cart.items.length, 1);
    assert.equal(cart.total_cents, 700);
    assert.equal(assertStatus(await checkout(buyer), 201).total_cents, 700);
  });

  test('a beat sold or deleted meanwhile refuses the checkout and charges nothing', async () => {
    const producer = await srv.signup();
    const keep = await beatOf(producer);
    const taken = await beatOf(producer);
    const buyer = await srv.signup();
    assertStatus(await add(buyer, keep), 201);
    assertStatus(await add(buyer, taken), 201);
    const rival = await srv.signup();
    assertStatus(await srv.api('POST', '/api/purchases', { token: rival.token, body: { beat_id: taken.beat_id, license: 'exclusive', payment: VISA } }), 201);
    const refused = assertError(await checkout(buyer), 409, 'cart_has_unavailable_items');
    assert.deepEqual(refused.details.items, [{ beat_id: taken.beat_id, problem: 'sold' }]);
    const mine = assertStatus(await srv.api('GET', '/api/purchases', { token: buyer.token }), 200);
    assert.equal(mine.purchases.length, 0, 'no purchase, not even a declined one');
    assertStatus(await srv.api('DELETE', `/api/cart/items/${taken.beat_id}`, { token: buyer.token }), 200);
    assertStatus(await checkout(buyer), 201);
  });

  test('an exclusive in a Stripe checkout is held; an expired session releases it; it is never sold twice', async () => {
    const producer = await srv.signup();
    const beat = await beatOf(producer);
    const first = await srv.signup();
    const second = await srv.signup();
    assertStatus(await add(first, beat, 'exclusive'), 201);
    assertStatus(await add(second, beat, 'exclusive'), 201);
    const pending = assertStatus(await checkout(first, { provider: 'stripe' }), 201, 'stripe checkout');
    assert.equal(pending.status, 'pending');
    assert.match(pending.checkout_url, /^https:\/\/checkout\.stripe\.test\//);
    const session = stripe.sessionsFor(pending.purchase_id)[0];
    assert.deepEqual(session.amounts, [40000]);
    assertError(await checkout(second), 409, 'exclusive_taken');
    assertStatus(await webhook('checkout.session.expired', checkoutSessionObject(session, { status: 'expired', paymentStatus: 'unpaid' })), 200);
    assert.equal(assertStatus(await srv.api('GET', `/api/purchases/${pending.purchase_id}`, { token: first.token }), 200).status, 'declined');

    // Released: now two buyers race for it, and exactly one gets it.
    const results = await Promise.all([checkout(second), checkout(first)]);
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409]);
    assert.equal(assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200).status, 'sold');
  });

  test('Stripe charges the cart\'s line prices; the signed webhook completes it and the coupon is used', async () => {
    const producer = await srv.signup();
    const beats = [await beatOf(producer, 1000), await beatOf(producer, 1500)];
    const c = code('HALF');
    assertStatus(await srv.api('POST', '/api/coupons', { token: producer.token, body: { code: c, kind: 'percent', percent: 50 } }), 201);
    const buyer = await srv.signup();
    for (const b of beats) assertStatus(await add(buyer, b), 201);
    assertStatus(await srv.api('PUT', '/api/cart/coupon', { token: buyer.token, body: { code: c } }), 200);
    const pending = assertStatus(await checkout(buyer, { provider: 'stripe' }), 201);
    assert.equal(pending.total_cents, 1250);
    const session = stripe.sessionsFor(pending.purchase_id)[0];
    assert.deepEqual(session.amounts.sort((a, b) => a - b), [500, 750]);
    assertStatus(await webhook('checkout.session.completed', checkoutSessionObject(session, { paymentIntent: paymentIntentId() })), 200);
    for (let i = 0; i < 100 && (await coupons(producer))[0].uses === 0; i += 1) await sleep(100);
    assert.equal((await coupons(producer))[0].uses, 1);
    const p = assertStatus(await srv.api('GET', `/api/purchases/${pending.purchase_id}`, { token: buyer.token }), 200);
    assert.equal(p.status, 'completed');
  });

  test('an accepted offer is paid at its price and marked paid', async () => {
    const producer = await srv.signup();
    const beat = await beatOf(producer);
    assertStatus(await srv.api('PUT', `/api/beats/${beat.beat_id}/offer-settings`, { token: producer.token, body: { accept_offers: true } }), 200);
    const buyer = await srv.signup();
    const offer = assertStatus(await srv.api('POST', '/api/offers', { token: buyer.token,
      body: { beat_id: beat.beat_id, license: 'exclusive', amount_cents: 25000 } }), 201);
    assertStatus(await srv.api('POST', `/api/offers/${offer.offer_id}/accept`, { token: producer.token }), 200);
    const paid = assertStatus(await checkout(buyer), 201);
    assert.equal(paid.total_cents, 25000);
    for (let i = 0; i < 100; i += 1) {
      const o = assertStatus(await srv.api('GET', `/api/offers/${offer.offer_id}`, { token: buyer.token }), 200);
      if (o.status === 'purchased') {
        assert.equal(o.purchase_id, paid.purchase_id);
        return;
      }
      await sleep(100);
    }
    assert.fail('the offer was never marked paid');
  });
});

describe('coupon limits under concurrency', () => {
  test('20 buyers at once for a coupon with 5 uses: exactly 5 get it, the rest are refused and charged nothing', async () => {
    const producer = await srv.signup();
    const beat = await beatOf(producer, 2000);
    const c = code('FIVE');
    assertStatus(await srv.api('POST', '/api/coupons', { token: producer.token,
      body: { code: c, kind: 'percent', percent: 25, max_uses: 5, max_uses_per_buyer: 1 } }), 201);
    const buyers = [];
    for (let i = 0; i < 20; i += 1) buyers.push(await srv.signup());
    for (const b of buyers) {
      assertStatus(await add(b, beat), 201);
      assertStatus(await srv.api('PUT', '/api/cart/coupon', { token: b.token, body: { code: c } }), 200);
    }
    const results = await Promise.all(buyers.map((b) => checkout(b)));
    const won = results.filter((r) => r.status === 201);
    const lost = results.filter((r) => r.status !== 201);
    assert.equal(won.length, 5, results.map((r) => `${r.status} ${r.json?.error?.code ?? ''}`).join(', '));
    for (const r of won) assert.equal(r.json.total_cents, 1500);
    for (const r of lost) assertError(r, 422, 'coupon_not_usable');
    assert.equal((await coupons(producer))[0].uses, 5);
    // The losers were charged nothing and may still buy at the full price.
    const loser = buyers[results.findIndex((r) => r.status !== 201)];
    assert.equal(assertStatus(await srv.api('GET', '/api/purchases', { token: loser.token }), 200).purchases.length, 0);
    assertStatus(await srv.api('DELETE', '/api/cart/coupon', { token: loser.token }), 200);
    assert.equal(assertStatus(await checkout(loser), 201).total_cents, 2000);
  });

  test('a coupon used once per buyer cannot be used again by the same buyer', async () => {
    const producer = await srv.signup();
    const [a, b] = [await beatOf(producer), await beatOf(producer)];
    const c = code('ONEEACH');
    assertStatus(await srv.api('POST', '/api/coupons', { token: producer.token, body: { code: c, kind: 'fixed', amount_cents: 100, max_uses_per_buyer: 1 } }), 201);
    const buyer = await srv.signup();
    assertStatus(await add(buyer, a), 201);
    assertStatus(await srv.api('PUT', '/api/cart/coupon', { token: buyer.token, body: { code: c } }), 200);
    assertStatus(await checkout(buyer), 201);
    assertStatus(await add(buyer, b), 201);
    assertError(await srv.api('PUT', '/api/cart/coupon', { token: buyer.token, body: { code: c } }), 422, 'coupon_used_up');
  });
});
