// The cart, deals, coupons and offers (checkout is in checkout.test.mjs): a cart kept on the
// server and priced in integer cents, producers' "N for the price of M" deals, coupon codes with
// their rules, and offers with counters, expiry and notices (live and by mail).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { assertError, assertStatus, sleep, startServer, uniqueName } from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';
import { smtpArgs, startSmtp } from './smtp.mjs';

let srv;
let smtp;
before(async () => {
  smtp = await startSmtp();
  srv = await startServer({ args: [...smtpArgs(smtp), '--offer-window-s', '4'] });
});
after(async () => {
  await srv?.close();
  await smtp?.close();
});

const LICENSES = JSON.stringify([{ type: 'basic', price_cents: 1999 }, { type: 'premium', price_cents: 4999 },
  { type: 'exclusive', price_cents: 50000 }]);

async function beatOf(producer, title = uniqueName('Beat '), licenses = LICENSES) {
  const b = await uploadOk(srv, producer.token, makeAudio({ seconds: 2 }), { title, price: '19.99', licenses });
  return waitReady(srv, b.beat_id);
}

const cart = (user) => srv.api('GET', '/api/cart', { token: user.token });
const add = (user, beat, license = 'basic') => srv.api('POST', '/api/cart/items', { token: user.token, body: { beat_id: beat.beat_id, license } });

describe('cart and deals', () => {
  let producer;
  let beats;
  before(async () => {
    producer = await srv.signup();
    beats = [];
    for (let i = 0; i < 3; i += 1) beats.push(await beatOf(producer));
  });

  test('the cart holds beats with a license each; the total is the sum; bad adds are refused', async () => {
    const buyer = await srv.signup();
    const empty = assertStatus(await cart(buyer), 200);
    assert.deepEqual([empty.items.length, empty.total_cents], [0, 0]);
    assertStatus(await add(buyer, beats[0]), 201);
    const two = assertStatus(await add(buyer, beats[1], 'premium'), 201);
    assert.equal(two.total_cents, 1999 + 4999);
    assert.equal(two.items[1].list_price_cents, 4999);
    const changed = assertStatus(await add(buyer, beats[1], 'basic'), 201, 'the same beat again changes its license');
    assert.equal(changed.items.length, 2);
    assert.equal(changed.total_cents, 3998);
    assertError(await add(buyer, { beat_id: 'nope' }), 404);
    assertError(await add(producer, beats[0]), 422, 'validation_failed');
    assertError(await add(buyer, beats[0], 'platinum'), 422);
    const removed = assertStatus(await srv.api('DELETE', `/api/cart/items/${beats[1].beat_id}`, { token: buyer.token }), 200);
    assert.equal(removed.total_cents, 1999);
    assertError(await srv.api('DELETE', `/api/cart/items/${beats[1].beat_id}`, { token: buyer.token }), 404);
    assertError(await srv.api('GET', '/api/cart'), 401);
  });

  test('a beat deleted or sold meanwhile stays listed with its problem and leaves the total', async () => {
    const other = await srv.signup();
    const doomed = await beatOf(other);
    const sold = await beatOf(other);
    const buyer = await srv.signup();
    assertStatus(await add(buyer, beats[0]), 201);
    assertStatus(await add(buyer, doomed), 201);
    assertStatus(await add(buyer, sold), 201);
    assertStatus(await srv.api('DELETE', `/api/beats/${doomed.beat_id}`, { token: other.token }), 200);
    const rival = await srv.signup();
    assertStatus(await srv.api('POST', '/api/purchases', { token: rival.token,
      body: { beat_id: sold.beat_id, license: 'exclusive', payment: { provider: 'test', token: 'tok_visa' } } }), 201);
    const c = assertStatus(await cart(buyer), 200);
    const problems = Object.fromEntries(c.items.map((i) => [i.beat_id, i.problem]));
    assert.equal(problems[doomed.beat_id], 'gone');
    assert.equal(problems[sold.beat_id], 'sold');
    assert.equal(problems[beats[0].beat_id], null);
    assert.equal(c.total_cents, 1999);
    assert.equal(c.count, 1);
  });

  test('buy 2 get 1 free: the cheapest of each three is free; deals are per producer and tier', async () => {
    const bad = assertError(await srv.api('POST', '/api/deals', { token: producer.token, body: { quantity: 2, pay_for: 2 } }), 422);
    assert.ok(bad.details.fields.pay_for);
    const deal = assertStatus(await srv.api('POST', '/api/deals', {
      token: producer.token, body: { tier: 'basic', quantity: 3, pay_for: 2 } }), 201, 'deal');
    assert.equal(deal.label, '3 for the price of 2');
    assertError(await srv.api('POST', '/api/deals', { token: producer.token, body: { tier: 'basic', quantity: 4, pay_for: 3 } }), 409);
    const listed = assertStatus(await srv.api('GET', `/api/deals?producer=${producer.id}`), 200);
    assert.deepEqual(listed.deals.map((d) => d.deal_id), [deal.deal_id]);

    const buyer = await srv.signup();
    for (const b of beats) assertStatus(await add(buyer, b), 201);
    const c = assertStatus(await cart(buyer), 200);
    assert.equal(c.subtotal_cents, 3 * 1999);
    assert.equal(c.deal_discount_cents, 1999);
    assert.equal(c.total_cents, 2 * 1999);
    assert.equal(c.items.filter((i) => i.price_cents === 0).length, 1);
    assertStatus(await add(buyer, beats[2], 'premium'), 201);
    assert.equal(assertStatus(await cart(buyer), 200).deal_discount_cents, 0, 'a premium item is not in the basic deal');
    assertStatus(await srv.api('DELETE', `/api/deals/${deal.deal_id}`, { token: producer.token }), 200);
    assertError(await srv.api('DELETE', `/api/deals/${deal.deal_id}`, { token: producer.token }), 404);
  });
});

describe('coupons', () => {
  let producer;
  let beat;
  let beat2;
  before(async () => {
    producer = await srv.signup();
    beat = await beatOf(producer);
    beat2 = await beatOf(producer);
  });
  const coupon = (body) => srv.api('POST', '/api/coupons', { token: producer.token, body });
  const use = (user, code) => srv.api('PUT', '/api/cart/coupon', { token: user.token, body: { code } });

  test('percent coupons round half up; fixed ones never take the total below zero', async () => {
    const code = uniqueName('PCT').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 30);
    assertStatus(await coupon({ code, kind: 'percent', percent: 15 }), 201);
    const buyer = await srv.signup();
    assertStatus(await add(buyer, beat), 201);
    const c = assertStatus(await use(buyer, code.toLowerCase()), 200, 'codes are case-insensitive');
    assert.equal(c.coupon_discount_cents, 300, '15% of 19.99 = 2.9985, rounded half up to 3.00');
    assert.equal(c.total_cents, 1699);
    assert.equal(c.coupon.applied, true);

    const big = uniqueName('BIG').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 30);
    assertStatus(await coupon({ code: big, kind: 'fixed', amount_cents: 1_000_000 }), 201);
    const free = assertStatus(await use(buyer, big), 200);
    assert.equal(free.total_cents, 0);
    assert.equal(free.coupon_discount_cents, 1999);
    assertStatus(await srv.api('DELETE', '/api/cart/coupon', { token: buyer.token }), 200);
    assert.equal(assertStatus(await cart(buyer), 200).total_cents, 1999);
  });

  test('bad coupons: fields named, codes unique, unknown 404, expired 422, not for this cart 422', async () => {
    const bad = assertError(await coupon({ code: 'x', kind: 'half', percent: 150, expires_at: 'tomorrow', tiers: ['gold'] }), 422);
    assert.deepEqual(Object.keys(bad.details.fields).sort(), ['code', 'expires_at', 'kind', 'tiers']);
    assertError(await coupon({ code: 'OKCODE1', kind: 'percent', percent: 0 }), 422);
    assertError(await coupon({ code: 'OKCODE2', kind: 'percent', percent: 10, expires_at: '2001-01-01T00:00:00Z' }), 422);
    const code = uniqueName('DUP').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 30);
    assertStatus(await coupon({ code, kind: 'percent', percent: 10 }), 201);
    assertError(await coupon({ code: code.toUpperCase(), kind: 'percent', percent: 20 }), 409, 'coupon_code_taken');

    const buyer = await srv.signup();
    assertError(await use(buyer, 'NO-SUCH-CODE'), 404);
    const someoneElse = await srv.signup();
    const theirs = await beatOf(someoneElse);
    assertStatus(await add(buyer, theirs), 201);
    assertError(await use(buyer, code), 422, 'coupon_not_applicable');
    assert.equal(assertStatus(await cart(buyer), 200).coupon, null, 'a refused coupon is not kept');

    const premiumOnly = uniqueName('PREM').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 30);
    assertStatus(await coupon({ code: premiumOnly, kind: 'percent', percent: 50, tiers: ['premium'], beat_ids: [beat.beat_id] }), 201);
    assertStatus(await add(buyer, beat, 'basic'), 201);
    assertError(await use(buyer, premiumOnly), 422, 'coupon_not_applicable');
    assertStatus(await add(buyer, beat, 'premium'), 201);
    assertStatus(await add(buyer, beat2, 'premium'), 201);
    const c = assertStatus(await use(buyer, premiumOnly), 200);
    assert.equal(c.coupon_discount_cents, 2500, 'half of 49.99 rounded half up, on the one beat named');

    const minimum = uniqueName('MIN').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 30);
    assertStatus(await coupon({ code: minimum, kind: 'fixed', amount_cents: 500, min_total_cents: 100000 }), 201);
    assertError(await use(buyer, minimum), 422, 'coupon_not_applicable');

    const mine = assertStatus(await srv.api('GET', '/api/coupons', { token: producer.token }), 200);
    assert.ok(mine.coupons.some((x) => x.code === premiumOnly && x.percent === 50 && x.uses === 0));
    assertStatus(await srv.api('DELETE', `/api/coupons/${mine.coupons[0].coupon_id}`, { token: producer.token }), 200);
  });
});

describe('offers', () => {
  let producer;
  let beat;
  before(async () => {
    producer = await srv.signup();
    beat = await beatOf(producer, 'Offer Me');
  });
  const offer = (user, body) => srv.api('POST', '/api/offers', { token: user.token, body: { beat_id: beat.beat_id, license: 'exclusive', ...body } });
  const moveOn = (user, id, action, body = {}) => srv.api('POST', `/api/offers/${id}/${action}`, { token: user.token, body });

  function live(user) {
    const frames = [];
    const ws = new WebSocket(`${srv.base.replace(/^http/, 'ws')}/ws/notifications/${user.id}?token=${user.token}`);
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    return {
      frames,
      ready: new Promise((resolve) => ws.on('open', resolve)),
      async waitFor(pred, what) {
        for (let i = 0; i < 200; i += 1) {
          const f = frames.find(pred);
          if (f) return f;
          await sleep(50);
        }
        throw new Error(`no live ${what}: ${JSON.stringify(frames)}`);
      },
      close: () => ws.close(),
    };
  }

  test('only where the producer takes offers, at or above their minimum', async () => {
    const buyer = await srv.signup();
    assertError(await offer(buyer, { amount_cents: 30000 }), 409, 'offers_closed');
    const stranger = await srv.signup();
    assertError(await srv.api('PUT', `/api/beats/${beat.beat_id}/offer-settings`, { token: stranger.token, body: { accept_offers: true } }), 403);
    assertStatus(await srv.api('PUT', `/api/beats/${beat.beat_id}/offer-settings`,
      { token: producer.token, body: { accept_offers: true, minimum_cents: 20000 } }), 200);
    assert.deepEqual(assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}/offer-settings`), 200),
      { beat_id: beat.beat_id, accept_offers: true, minimum_cents: 20000 });
    assertError(await offer(buyer, { amount_cents: 100 }), 422);
    assertError(await offer(buyer, { license: 'unlimited', amount_cents: 30000 }), 422, 'validation_failed');
    assertError(await offer(producer, { amount_cents: 30000 }), 422);
    assertError(await offer(buyer, {}), 422);
  });

  test('offer, counter, accept: each side told live and by mail; the accepted price lands in the buyer\'s cart', async () => {
    const buyer = await srv.signup();
    const producerLive = live(producer);
    const buyerLive = live(buyer);
    await Promise.all([producerLive.ready, buyerLive.ready]);
    try {
      const o = assertStatus(await offer(buyer, { amount: 300, message: 'Can you do 300?' }), 201, 'offer');
      assert.equal(o.status, 'open');
      assert.equal(o.amount_cents, 30000);
      assert.equal(o.waiting_for, 'producer');
      assertError(await offer(buyer, { amount_cents: 31000 }), 409, 'offer_exists');
      const heard = await producerLive.waitFor((f) => f.data?.offer_id === o.offer_id, 'offer notice');
      assert.match(heard.message, /New offer: \$300\.00 for “Offer Me”/);
      const mailed = await smtp.waitForMessage((m) => m.rcpt_tos.includes(producer.email) && /New offer/.test(m.subject));
      assert.match(mailed.text, /Can you do 300\?/);

      assertError(await moveOn(buyer, o.offer_id, 'accept'), 409, 'not_your_turn');
      const stranger = await srv.signup();
      assertError(await moveOn(stranger, o.offer_id, 'accept'), 404);
      assertError(await moveOn(producer, o.offer_id, 'counter', {}), 422);
      const countered = assertStatus(await moveOn(producer, o.offer_id, 'counter', { amount_cents: 40000, message: '400 and it is yours' }), 200);
      assert.equal(countered.status, 'countered');
      assert.equal(countered.waiting_for, 'buyer');
      await buyerLive.waitFor((f) => f.data?.offer_id === o.offer_id && f.data.status === 'countered', 'counter notice');
      await smtp.waitForMessage((m) => m.rcpt_tos.includes(buyer.email) && /The producer countered: \$400\.00/.test(m.subject));

      const accepted = assertStatus(await moveOn(buyer, o.offer_id, 'accept'), 200, 'accept');
      assert.equal(accepted.status, 'accepted');
      await producerLive.waitFor((f) => f.data?.offer_id === o.offer_id && f.data.status === 'accepted', 'accept notice');
      const c = assertStatus(await cart(buyer), 200);
      const line = c.items.find((i) => i.beat_id === beat.beat_id);
      assert.equal(line.license, 'exclusive');
      assert.equal(line.offer_id, o.offer_id);
      assert.equal(line.price_cents, 40000, 'the agreed price, not the list price of 500.00');
      const other = await srv.signup();
      assertStatus(await add(other, beat, 'exclusive'), 201);
      assert.equal(assertStatus(await cart(other), 200).total_cents, 50000, 'only for that buyer');

      const full = assertStatus(await srv.api('GET', `/api/offers/${o.offer_id}`, { token: producer.token }), 200);
      assert.deepEqual(full.history.map((h) => `${h.by}:${h.action}`), ['buyer:offer', 'producer:counter', 'buyer:accept']);
      const mine = assertStatus(await srv.api('GET', '/api/offers?role=producer', { token: producer.token }), 200);
      assert.ok(mine.offers.some((x) => x.offer_id === o.offer_id));
      assertError(await srv.api('GET', `/api/offers/${o.offer_id}`, { token: other.token }), 404);
    } finally {
      producerLive.close();
      buyerLive.close();
    }
  });

  test('a counter after the window closed is refused; the expiry is announced to both and the price leaves the cart', async () => {
    const buyer = await srv.signup();
    const o = assertStatus(await offer(buyer, { amount_cents: 25000 }), 201);
    await sleep(4500);  // --offer-window-s 4
    assertError(await moveOn(producer, o.offer_id, 'counter', { amount_cents: 45000 }), 409, 'offer_expired');
    const got = assertStatus(await srv.api('GET', `/api/offers/${o.offer_id}`, { token: buyer.token }), 200);
    assert.equal(got.status, 'expired');
    await smtp.waitForMessage((m) => m.rcpt_tos.includes(buyer.email) && /expired/.test(m.subject), 20000);
    await smtp.waitForMessage((m) => m.rcpt_tos.includes(producer.email) && /expired/.test(m.subject) && m.text.includes('$250.00'), 20000);

    // Accepted, then the checkout window closes: the cart is back to the list price.
    const again = assertStatus(await offer(buyer, { amount_cents: 26000 }), 201, 'a new offer after the old one expired');
    assertStatus(await moveOn(producer, again.offer_id, 'accept'), 200);
    assert.equal((await cart(buyer)).json.items.find((i) => i.beat_id === beat.beat_id).price_cents, 26000);
    await sleep(4500);
    const line = (await cart(buyer)).json.items.find((i) => i.beat_id === beat.beat_id);
    assert.equal(line.offer_id, null);
    assert.equal(line.price_cents, 50000);
  });

  test('declined and withdrawn offers are closed', async () => {
    const buyer = await srv.signup();
    const a = assertStatus(await offer(buyer, { amount_cents: 21000 }), 201);
    assertError(await moveOn(producer, a.offer_id, 'withdraw'), 403);
    assertStatus(await moveOn(producer, a.offer_id, 'decline'), 200);
    assertError(await moveOn(buyer, a.offer_id, 'accept'), 409, 'offer_closed');
    const b = assertStatus(await offer(buyer, { amount_cents: 22000 }), 201);
    const w = assertStatus(await moveOn(buyer, b.offer_id, 'withdraw'), 200);
    assert.equal(w.status, 'withdrawn');
  });
});
