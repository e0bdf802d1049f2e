// The Purchases API end to end with the test payment provider: buying one license and a cart,
// server-side prices, declined cards, the refusals (own beat, processing, deleted, license not
// offered, already held), reading purchases and sales, the license agreement, Idempotency-Key
// replays, and what a license lets its holder download.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  RFC3339, assertError, assertStatus, startServer, uniqueName,
} from './harness.mjs';
import {
  fetchBytes, makeAudio, probe, uploadOk, waitReady,
} from './audio.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.close(); });

const VISA = { provider: 'test', token: 'tok_visa' };
const DECLINED = { provider: 'test', token: 'tok_chargeDeclined' };
const UNKNOWN_ID = '01a1ffe8-dffc-7126-9f52-b32307b54ab0';

function buy(user, body, { key, headers = {} } = {}) {
  const h = { ...headers };
  if (key !== undefined) h['Idempotency-Key'] = key;
  return srv.api('POST', '/api/purchases', { token: user.token, body, headers: h });
}

const one = (beat, license = 'basic', payment = VISA) => ({ beat_id: beat.beat_id, license, payment });

async function purchasedBeats(user) {
  const p = assertStatus(await srv.api('GET', '/api/users/profile', { token: user.token }), 200, 'own profile');
  assert.ok(Array.isArray(p.purchased_beats), `profile.purchased_beats is an array: ${JSON.stringify(p)}`);
  return p.purchased_beats.slice().sort();
}

// Every purchase of this buyer, all pages.
async function allPurchases(user, limit = 100) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 100; i += 1) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    const r = assertStatus(await srv.api('GET', `/api/purchases?${q}`, { token: user.token }), 200, 'GET /api/purchases');
    assert.ok(Array.isArray(r.purchases), `purchases is an array: ${JSON.stringify(r)}`);
    assert.ok('next_cursor' in r, `the list has next_cursor: ${JSON.stringify(r)}`);
    out.push(...r.purchases);
    cursor = r.next_cursor;
    if (!cursor) break;
  }
  return out;
}

// Uploads a beat and waits until it is ready. licenses: array (sent as JSON text) or undefined.
async function readyBeat(owner, { title = uniqueName('Beat '), price = '9.99', licenses, seconds = 2, channels = 1, freq = 440 } = {}) {
  const wav = makeAudio({ seconds, channels, freq });
  const fields = { title, price };
  if (licenses) fields.licenses = JSON.stringify(licenses);
  const b = await uploadOk(srv, owner.token, wav, fields);
  const ready = await waitReady(srv, b.beat_id);
  return { ...ready, wavPath: wav };
}

function assertPurchase(p, { buyer, items, provider = 'test', status = 'completed' }, what = 'purchase') {
  const ctx = `${what}: ${JSON.stringify(p)}`;
  assert.equal(typeof p.purchase_id, 'string', ctx);
  assert.doesNotMatch(p.purchase_id, /^\d+$/, `ids are opaque strings; ${ctx}`);
  assert.equal(p.buyer_id, buyer.id, ctx);
  assert.equal(p.status, status, ctx);
  assert.equal(p.provider, provider, ctx);
  assert.equal(p.currency, 'USD', ctx);
  assert.match(p.created_at, RFC3339, ctx);
  if (status === 'completed') assert.match(p.completed_at, RFC3339, ctx);
  assert.ok(Array.isArray(p.items) && p.items.length === items.length, `items: ${ctx}`);
  const total = items.reduce((s, it) => s + it.price_cents, 0);
  assert.equal(p.total_cents, total, `total_cents is the sum of the server's prices; ${ctx}`);
  assert.equal(p.total, total / 100, `total is total_cents as a decimal; ${ctx}`);
  const byBeat = Object.fromEntries(p.items.map((it) => [it.beat_id, it]));
  for (const want of items) {
    const got = byBeat[want.beat_id];
    assert.ok(got, `item for beat ${want.beat_id}; ${ctx}`);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, `item ${want.beat_id} field ${k}; ${ctx}`);
  }
}

// ---------------------------------------------------------------------------------------------

describe('buying', () => {
  let producer; let beatA; let beatB; let beatC;
  before(async () => {
    producer = await srv.signup();
    [beatA, beatB, beatC] = await Promise.all([
      readyBeat(producer, {
        title: 'Aardvark Sunrise', price: '19.99', licenses: [
          { type: 'basic', price: 19.99 },
          { type: 'premium', price_cents: 4999 },
          { type: 'exclusive', price_cents: 99900 },
        ],
      }),
      readyBeat(producer, { title: 'Basic Only Beat', price: '9.99' }),
      readyBeat(producer, { title: 'Cheap Cart Beat', price: '5' }),
    ]);
  });

  test('one item: 201 completed with the server\'s price; purchased_beats lists it; GET by buyer and seller', async () => {
    const buyer = await srv.signup();
    const r = await buy(buyer, one(beatA, 'basic'));
    const p = assertStatus(r, 201, 'buy beat A basic');
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assertPurchase(p, {
      buyer,
      items: [{
        beat_id: beatA.beat_id, seller_id: producer.id, title: 'Aardvark Sunrise', license: 'basic', files: ['mp3'], price_cents: 1999,
      }],
    }, 'buy answer');
    assert.deepEqual(await purchasedBeats(buyer), [beatA.beat_id]);

    const mine = await allPurchases(buyer);
    assert.deepEqual(mine.map((x) => x.purchase_id), [p.purchase_id]);
    assert.equal(mine[0].status, 'completed');

    const got = assertStatus(await srv.api('GET', `/api/purchases/${p.purchase_id}`, { token: buyer.token }), 200, 'buyer GET');
    assert.equal(got.purchase_id, p.purchase_id);
    assert.equal(got.status, 'completed');
    assert.equal(got.total_cents, 1999);
    const seller = assertStatus(await srv.api('GET', `/api/purchases/${p.purchase_id}`, { token: producer.token }), 200,
      'the seller may read a purchase of their beat');
    assert.equal(seller.purchase_id, p.purchase_id);
    const stranger = await srv.signup();
    assertError(await srv.api('GET', `/api/purchases/${p.purchase_id}`, { token: stranger.token }), 404, 'not_found',
      'another user does not learn the purchase exists');
    assertError(await srv.api('GET', `/api/purchases/${UNKNOWN_ID}`, { token: buyer.token }), 404, 'not_found');
    assertError(await srv.api('GET', `/api/purchases/${p.purchase_id}`), 401, 'unauthorized');
    assertError(await srv.api('POST', '/api/purchases', { body: one(beatB) }), 401, 'unauthorized', 'buying needs a token');
  });

  test('a cart of two beats: one purchase, total is the sum, both licensed', async () => {
    const buyer = await srv.signup();
    const r = await buy(buyer, {
      items: [{ beat_id: beatB.beat_id, license: 'basic' }, { beat_id: beatC.beat_id, license: 'basic' }], payment: VISA,
    });
    const p = assertStatus(r, 201, 'buy a cart');
    assertPurchase(p, {
      buyer,
      items: [
        { beat_id: beatB.beat_id, license: 'basic', price_cents: 999, seller_id: producer.id, title: 'Basic Only Beat' },
        { beat_id: beatC.beat_id, license: 'basic', price_cents: 500, seller_id: producer.id, title: 'Cheap Cart Beat' },
      ],
    }, 'cart answer');
    assert.equal(p.total_cents, 1499);
    assert.deepEqual(await purchasedBeats(buyer), [beatB.beat_id, beatC.beat_id].sort());
    assert.equal((await allPurchases(buyer)).length, 1, 'a cart is one purchase');
  });

  test('prices come from the server: price, price_cents or total_cents in the request is 422, nothing bought', async () => {
    const buyer = await srv.signup();
    const attempts = [
      ['price_cents', { ...one(beatA, 'basic'), price_cents: 1 }],
      ['price', { ...one(beatA, 'basic'), price: 0.01 }],
      ['total_cents', { ...one(beatA, 'basic'), total_cents: 1 }],
    ];
    for (const [what, body] of attempts) {
      const e = assertError(await buy(buyer, body), 422, 'validation_failed', `request with ${what}`);
      assert.ok(e.details && typeof e.details.fields === 'object', `422 names the field: ${JSON.stringify(e)}`);
    }
    assert.deepEqual(await purchasedBeats(buyer), []);
    assert.equal((await allPurchases(buyer)).filter((x) => x.status === 'completed').length, 0);
  });

  test('a price inside a cart item is 422 too, nothing bought', async () => {
    const buyer = await srv.signup();
    for (const [what, extra] of [['items[0].price_cents', { price_cents: 1 }], ['items[0].price', { price: 0.01 }]]) {
      const r = await buy(buyer, { items: [{ beat_id: beatA.beat_id, license: 'basic', ...extra }], payment: VISA });
      assertError(r, 422, 'validation_failed', `cart item with ${what}`);
    }
    assert.deepEqual(await purchasedBeats(buyer), []);
  });

  test('tok_chargeDeclined: 402 payment_declined with the purchase id, status declined, no license', async () => {
    const buyer = await srv.signup();
    const e = assertError(await buy(buyer, one(beatA, 'premium', DECLINED)), 402, 'payment_declined');
    const pid = e.details?.purchase_id;
    assert.equal(typeof pid, 'string', `details.purchase_id: ${JSON.stringify(e)}`);
    const got = assertStatus(await srv.api('GET', `/api/purchases/${pid}`, { token: buyer.token }), 200, 'the declined purchase');
    assert.equal(got.status, 'declined');
    assert.deepEqual(await purchasedBeats(buyer), [], 'a declined payment grants nothing');
    assertError(await srv.api('GET', `/api/beats/${beatA.beat_id}/download?format=mp3`, { token: buyer.token }), 403, 'forbidden',
      'download after a declined payment');
    assertError(await srv.api('GET', `/api/beats/${beatA.beat_id}/download`, { token: buyer.token }), 403, 'forbidden');
    // A declined attempt does not block a later good one.
    const ok = assertStatus(await buy(buyer, one(beatA, 'premium')), 201, 'buy after a decline');
    assert.notEqual(ok.purchase_id, pid);
    assert.deepEqual(await purchasedBeats(buyer), [beatA.beat_id]);
  });

  test('an unknown test token is 422 on payment.token; a missing payment is 422', async () => {
    const buyer = await srv.signup();
    let e = assertError(await buy(buyer, one(beatB, 'basic', { provider: 'test', token: 'tok_nonsense' })), 422, 'validation_failed');
    assert.ok('payment.token' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await buy(buyer, { beat_id: beatB.beat_id, license: 'basic' }), 422, 'validation_failed', 'no payment');
    assert.deepEqual(await purchasedBeats(buyer), []);
  });

  test('your own beat is 422 own_beat', async () => {
    assertError(await buy(producer, one(beatB)), 422, 'own_beat');
    assertError(await buy(producer, { items: [{ beat_id: beatC.beat_id, license: 'basic' }], payment: VISA }), 422, 'own_beat');
  });

  test('a beat still processing is 409 not_ready', async () => {
    const other = await srv.signup();
    const buyer = await srv.signup();
    const long = makeAudio({ kind: 'sine', seconds: 60, freq: 330 });
    const b = await uploadOk(srv, other.token, long, { title: 'Long Processing Beat', price: '3' });
    const e = assertError(await buy(buyer, one(b)), 409, 'not_ready', 'buying right after the upload');
    assert.ok(e);
    assert.deepEqual(await purchasedBeats(buyer), []);
  });

  test('a declined purchase cannot be refunded (409 not_refundable); an unknown one is 404', async () => {
    const buyer = await srv.signup();
    const e = assertError(await buy(buyer, one(beatB, 'basic', DECLINED)), 402, 'payment_declined');
    assertError(await srv.api('POST', `/api/purchases/${e.details.purchase_id}/refund`, { token: producer.token, body: {} }),
      409, 'not_refundable', 'refund of a declined purchase');
    assertError(await srv.api('POST', `/api/purchases/${UNKNOWN_ID}/refund`, { token: producer.token, body: {} }), 404, 'not_found');
  });

  test('a deleted or unknown beat is 404', async () => {
    const buyer = await srv.signup();
    const doomed = await readyBeat(producer, { title: 'Doomed Beat', price: '2' });
    assertStatus(await srv.api('DELETE', `/api/beats/${doomed.beat_id}`, { token: producer.token }), 200, 'delete');
    assertError(await buy(buyer, one(doomed)), 404, 'not_found', 'deleted beat');
    assertError(await buy(buyer, { beat_id: UNKNOWN_ID, license: 'basic', payment: VISA }), 404, 'not_found', 'unknown beat');
    // One bad item fails the whole cart.
    assertError(await buy(buyer, {
      items: [{ beat_id: beatB.beat_id, license: 'basic' }, { beat_id: doomed.beat_id, license: 'basic' }], payment: VISA,
    }), 404, 'not_found', 'cart with a deleted beat');
    assert.deepEqual(await purchasedBeats(buyer), [], 'a refused cart grants nothing');
  });

  test('a license type the beat does not offer is 422 license_not_offered', async () => {
    const buyer = await srv.signup();
    assertError(await buy(buyer, one(beatB, 'premium')), 422, 'license_not_offered');
    assertError(await buy(buyer, one(beatB, 'exclusive')), 422, 'license_not_offered');
    assert.deepEqual(await purchasedBeats(buyer), []);
  });

  test('buying a license you already hold is 409 already_licensed', async () => {
    const buyer = await srv.signup();
    assertStatus(await buy(buyer, one(beatC)), 201, 'first purchase');
    assertError(await buy(buyer, one(beatC)), 409, 'already_licensed', 'second purchase of the same license');
    assertError(await buy(buyer, { items: [{ beat_id: beatB.beat_id, license: 'basic' }, { beat_id: beatC.beat_id, license: 'basic' }], payment: VISA }),
      409, 'already_licensed', 'a cart containing a held license');
    assert.deepEqual(await purchasedBeats(buyer), [beatC.beat_id]);
    assert.equal((await allPurchases(buyer)).filter((x) => x.status === 'completed').length, 1);
  });

  test('the license agreement is text/plain naming buyer, producer, beat, license type and purchase id', async () => {
    const buyer = await srv.signup();
    const p = assertStatus(await buy(buyer, one(beatA, 'premium')), 201);
    const r = await srv.api('GET', `/api/purchases/${p.purchase_id}/license`, { token: buyer.token });
    assert.equal(r.status, 200, `license agreement: ${r.status} ${r.text.slice(0, 300)}`);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    for (const s of [buyer.username, producer.username, 'Aardvark Sunrise', 'premium', p.purchase_id]) {
      assert.ok(r.text.includes(s), `the agreement mentions ${s}:\n${r.text}`);
    }
    const stranger = await srv.signup();
    assertError(await srv.api('GET', `/api/purchases/${p.purchase_id}/license`, { token: stranger.token }), 404, 'not_found');
  });
});

describe('sales and paging', () => {
  test('/api/sales sums price_cents and counts sales across pages; /api/purchases pages too', async () => {
    const seller = await srv.signup();
    const [x, y] = await Promise.all([
      readyBeat(seller, { title: 'Sales One', price: '10', licenses: [{ type: 'basic', price_cents: 1000 }, { type: 'premium', price_cents: 2500 }] }),
      readyBeat(seller, { title: 'Sales Two', price: '7.5' }),
    ]);
    const b1 = await srv.signup();
    const b2 = await srv.signup();
    const ids = [];
    ids.push(assertStatus(await buy(b1, one(x, 'basic')), 201).purchase_id);
    ids.push(assertStatus(await buy(b2, one(x, 'premium')), 201).purchase_id);
    ids.push(assertStatus(await buy(b1, one(y, 'basic')), 201).purchase_id);
    // A declined attempt is not a sale.
    assertError(await buy(b2, one(y, 'basic', DECLINED)), 402, 'payment_declined');

    const first = assertStatus(await srv.api('GET', '/api/sales?limit=2', { token: seller.token }), 200, 'sales page 1');
    assert.equal(first.sales.length, 2, JSON.stringify(first));
    assert.equal(typeof first.next_cursor, 'string', `a second page exists: ${JSON.stringify(first)}`);
    assert.equal(first.total_cents, 1000 + 2500 + 750, `total_cents covers all sales: ${JSON.stringify(first)}`);
    assert.equal(first.count, 3, `count covers all sales: ${JSON.stringify(first)}`);
    assert.equal(first.currency, 'USD');
    const second = assertStatus(await srv.api('GET', `/api/sales?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`,
      { token: seller.token }), 200, 'sales page 2');
    assert.equal(second.sales.length, 1, JSON.stringify(second));
    assert.equal(second.next_cursor, null);
    assert.equal(second.total_cents, 4250);
    assert.equal(second.count, 3);
    const all = [...first.sales, ...second.sales];
    assert.deepEqual(all.map((s) => s.purchase_id).sort(), ids.slice().sort(), 'every sale exactly once across pages');
    for (const s of all) {
      for (const k of ['purchase_id', 'beat_id', 'title', 'license', 'price_cents', 'buyer_id', 'completed_at']) {
        assert.ok(k in s, `sale lacks ${k}: ${JSON.stringify(s)}`);
      }
      assert.match(s.completed_at, RFC3339);
    }
    const premium = all.find((s) => s.license === 'premium');
    assert.equal(premium.price_cents, 2500);
    assert.equal(premium.buyer_id, b2.id);
    assert.equal(premium.beat_id, x.beat_id);
    assert.equal(premium.title, 'Sales One');
    assert.equal(all.reduce((s, v) => s + v.price_cents, 0), 4250);

    // A buyer who sold nothing has an empty sales list.
    const none = assertStatus(await srv.api('GET', '/api/sales', { token: b1.token }), 200);
    assert.deepEqual(none.sales, []);
    assert.equal(none.count, 0);
    assert.equal(none.total_cents, 0);
    assertError(await srv.api('GET', '/api/sales?cursor=not-a-cursor', { token: seller.token }), 400, 'invalid_cursor');
    assertError(await srv.api('GET', '/api/sales'), 401, 'unauthorized');

    // The buyer's list pages the same way: b1 bought twice.
    const p1 = assertStatus(await srv.api('GET', '/api/purchases?limit=1', { token: b1.token }), 200);
    assert.equal(p1.purchases.length, 1);
    assert.equal(typeof p1.next_cursor, 'string');
    const p2 = assertStatus(await srv.api('GET', `/api/purchases?limit=1&cursor=${encodeURIComponent(p1.next_cursor)}`,
      { token: b1.token }), 200);
    assert.equal(p2.purchases.length, 1);
    assert.notEqual(p2.purchases[0].purchase_id, p1.purchases[0].purchase_id);
    const p3 = p2.next_cursor
      ? assertStatus(await srv.api('GET', `/api/purchases?limit=1&cursor=${encodeURIComponent(p2.next_cursor)}`, { token: b1.token }), 200)
      : { purchases: [], next_cursor: null };
    assert.deepEqual(p3.purchases, [], 'b1 has exactly two purchases');
    assert.equal(p3.next_cursor, null);
    assertError(await srv.api('GET', '/api/purchases?cursor=not-a-cursor', { token: b1.token }), 400, 'invalid_cursor');
  });
});

describe('idempotency', () => {
  let producer; let beat;
  before(async () => {
    producer = await srv.signup();
    beat = await readyBeat(producer, {
      title: 'Idempotent Groove', price: '12', licenses: [{ type: 'basic', price_cents: 1200 }, { type: 'premium', price_cents: 3000 }],
    });
  });

  test('the same key and body replays the same answer byte for byte; only one purchase exists', async () => {
    const buyer = await srv.signup();
    const key = `key-${uniqueName('k')}`;
    const first = await buy(buyer, one(beat, 'basic'), { key });
    const p = assertStatus(first, 201, 'first request');
    const again = await buy(buyer, one(beat, 'basic'), { key });
    assert.equal(again.status, 201, `replay: ${again.status} ${again.text}`);
    assert.equal(again.json.purchase_id, p.purchase_id, 'the replay names the same purchase');
    assert.equal(again.text, first.text, 'the replay is the first answer, byte for byte');
    const third = await buy(buyer, one(beat, 'basic'), { key });
    assert.equal(third.text, first.text);
    const mine = await allPurchases(buyer);
    assert.equal(mine.length, 1, `one purchase exists: ${JSON.stringify(mine.map((x) => [x.purchase_id, x.status]))}`);
    assert.deepEqual(await purchasedBeats(buyer), [beat.beat_id]);
  });

  test('the same key with another body is 409 idempotency_key_reused and buys nothing', async () => {
    const buyer = await srv.signup();
    const key = `key-${uniqueName('k')}`;
    assertStatus(await buy(buyer, one(beat, 'basic'), { key }), 201);
    assertError(await buy(buyer, one(beat, 'premium'), { key }), 409, 'idempotency_key_reused', 'other license, same key');
    const mine = await allPurchases(buyer);
    assert.equal(mine.length, 1, `still one purchase: ${JSON.stringify(mine.map((x) => [x.purchase_id, x.status]))}`);
    assert.equal(mine[0].items[0].license, 'basic');
  });

  test('a key is the caller\'s own: another user with the same key and body gets their own purchase', async () => {
    const alice = await srv.signup();
    const bob = await srv.signup();
    const key = `key-${uniqueName('k')}`;
    const a = assertStatus(await buy(alice, one(beat, 'basic'), { key }), 201, 'alice');
    const r = await buy(bob, one(beat, 'basic'), { key });
    const b = assertStatus(r, 201, 'bob with alice\'s key');
    assert.notEqual(b.purchase_id, a.purchase_id, `bob must not be answered with alice's purchase: ${r.text}`);
    assert.equal(b.buyer_id, bob.id);
    assert.deepEqual(await purchasedBeats(bob), [beat.beat_id]);
    assert.equal((await allPurchases(alice)).length, 1);
  });

  test('a replayed decline stays a decline with the same purchase id', async () => {
    const buyer = await srv.signup();
    const key = `key-${uniqueName('k')}`;
    const first = await buy(buyer, one(beat, 'premium', DECLINED), { key });
    const e = assertError(first, 402, 'payment_declined');
    const again = await buy(buyer, one(beat, 'premium', DECLINED), { key });
    assert.equal(again.status, 402, again.text);
    assert.equal(again.json?.error?.details?.purchase_id, e.details.purchase_id);
    assert.equal((await allPurchases(buyer)).length, 1);
  });

  test('10 concurrent requests with one key: all 201 with the same purchase id, one purchase exists', async () => {
    const buyer = await srv.signup();
    const key = `key-${uniqueName('k')}`;
    const body = one(beat, 'premium');
    const answers = await Promise.all(Array.from({ length: 10 }, () => buy(buyer, body, { key })));
    const report = answers.map((r) => `${r.status} ${r.text.slice(0, 160)}`).join('\n');
    for (const r of answers) assert.equal(r.status, 201, `with the test provider every request gets the (replayed) 201:\n${report}`);
    const ids = new Set(answers.map((r) => r.json.purchase_id));
    assert.equal(ids.size, 1, `one purchase id in every answer:\n${report}`);
    const mine = await allPurchases(buyer);
    assert.equal(mine.length, 1, `exactly one purchase exists: ${JSON.stringify(mine.map((x) => [x.purchase_id, x.status]))}`);
    assert.equal(mine[0].purchase_id, [...ids][0]);
    assert.equal(mine[0].status, 'completed');
  });
});

describe('downloads', () => {
  let producer; let beat; let wavBytes; let basicBuyer; let premiumBuyer;
  before(async () => {
    producer = await srv.signup();
    beat = await readyBeat(producer, {
      title: 'Download Test Beat', price: '10', seconds: 4, channels: 2, freq: 523,
      licenses: [{ type: 'basic', price_cents: 1000 }, { type: 'premium', price_cents: 4000 }],
    });
    wavBytes = fs.readFileSync(beat.wavPath);
    basicBuyer = await srv.signup();
    premiumBuyer = await srv.signup();
    assertStatus(await buy(basicBuyer, one(beat, 'basic')), 201, 'basic purchase');
    assertStatus(await buy(premiumBuyer, one(beat, 'premium')), 201, 'premium purchase');
  });

  test('a basic buyer gets a 320 kbit/s MP3 (also by default); WAV is 403', async () => {
    const d = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=mp3`, { token: basicBuyer.token });
    assert.equal(d.status, 200, `basic mp3 download: ${d.status} ${d.text.slice(0, 200)}`);
    assert.match(d.headers.get('content-type') ?? '', /^audio\/mpeg/);
    const p = probe(d.body);
    assert.equal(p.codec, 'mp3', JSON.stringify(p));
    assert.ok(p.bit_rate >= 288000 && p.bit_rate <= 352000, `bit rate ${p.bit_rate} should be 320 kbit/s ±10%`);
    assert.ok(Math.abs(p.duration - 4) <= 0.2, `duration ${p.duration} should be about 4 s`);

    const def = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download`, { token: basicBuyer.token });
    assert.equal(def.status, 200, `default download: ${def.status} ${def.text.slice(0, 200)}`);
    assert.match(def.headers.get('content-type') ?? '', /^audio\/mpeg/, 'the best a basic license covers is the MP3');

    const wav = await srv.api('GET', `/api/beats/${beat.beat_id}/download?format=wav`, { token: basicBuyer.token });
    assertError(wav, 403, undefined, 'basic buyer asks for the WAV');
  });

  test('a premium buyer gets the original WAV byte for byte (also by default) and the MP3', async () => {
    const w = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=wav`, { token: premiumBuyer.token });
    assert.equal(w.status, 200, `premium wav download: ${w.status} ${w.text.slice(0, 200)}`);
    assert.match(w.headers.get('content-type') ?? '', /^audio\/(wav|x-wav|wave|vnd\.wave)/);
    assert.ok(w.body.equals(wavBytes), `the WAV is the uploaded file (${w.body.length} vs ${wavBytes.length} bytes)`);

    const def = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download`, { token: premiumBuyer.token });
    assert.equal(def.status, 200);
    assert.ok(def.body.equals(wavBytes), 'the default for premium is the best covered file, the WAV');

    const m = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=mp3`, { token: premiumBuyer.token });
    assert.equal(m.status, 200, `premium mp3 download: ${m.status} ${m.text.slice(0, 200)}`);
    assert.match(m.headers.get('content-type') ?? '', /^audio\/mpeg/);
    const p = probe(m.body);
    assert.ok(p.bit_rate >= 288000 && p.bit_rate <= 352000, `bit rate ${p.bit_rate} should be 320 kbit/s ±10%`);
  });

  test('a non-buyer gets 403 for every format; no token 401', async () => {
    const stranger = await srv.signup();
    for (const q of ['?format=mp3', '?format=wav', '']) {
      assertError(await srv.api('GET', `/api/beats/${beat.beat_id}/download${q}`, { token: stranger.token }), 403, 'forbidden',
        `non-buyer download${q}`);
    }
    assertError(await srv.api('GET', `/api/beats/${beat.beat_id}/download?format=mp3`), 401, 'unauthorized');
  });

  test('a buyer keeps the download after the producer deletes the beat', async () => {
    const b = await readyBeat(producer, { title: 'Deleted After Sale', price: '3' });
    const buyer = await srv.signup();
    assertStatus(await buy(buyer, one(b)), 201);
    assertStatus(await srv.api('DELETE', `/api/beats/${b.beat_id}`, { token: producer.token }), 200);
    const d = await fetchBytes(srv, `/api/beats/${b.beat_id}/download?format=mp3`, { token: buyer.token });
    assert.equal(d.status, 200, `license holder after delete: ${d.status} ${d.text.slice(0, 200)}`);
    assert.match(d.headers.get('content-type') ?? '', /^audio\/mpeg/);
  });
});
