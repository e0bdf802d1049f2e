// Purchases under contention and crashes: 20 buyers racing for one exclusive license (exactly one
// wins, the beat is sold and leaves search), refunds putting it back, and a kill -9 in the middle
// of a stream of purchases (every acknowledged purchase survives with its license, no license
// exists without a completed purchase, and every purchase event is delivered after the restart).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError, assertStatus, sleep, startServer, uniqueName,
} from './harness.mjs';
import {
  fetchBytes, makeAudio, uploadOk, waitReady,
} from './audio.mjs';

const VISA = { provider: 'test', token: 'tok_visa' };

function buy(srv, user, body) {
  return srv.api('POST', '/api/purchases', { token: user.token, body });
}

async function purchasedBeats(srv, user) {
  const p = assertStatus(await srv.api('GET', '/api/users/profile', { token: user.token }), 200, 'own profile');
  assert.ok(Array.isArray(p.purchased_beats), `profile.purchased_beats is an array: ${JSON.stringify(p)}`);
  return p.purchased_beats.slice().sort();
}

async function allPurchases(srv, user) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 100; i += 1) {
    const q = new URLSearchParams({ limit: '100' });
    if (cursor) q.set('cursor', cursor);
    const r = assertStatus(await srv.api('GET', `/api/purchases?${q}`, { token: user.token }), 200, 'GET /api/purchases');
    out.push(...r.purchases);
    cursor = r.next_cursor;
    if (!cursor) break;
  }
  return out;
}

async function searchIds(srv, q) {
  const r = assertStatus(await srv.api('GET', `/api/beats?q=${encodeURIComponent(q)}&limit=100`), 200, `search ${q}`);
  return r.beats.map((b) => b.beat_id);
}

// Signups hash passwords; a few at a time keeps the hash queue from overflowing.
async function signupMany(srv, n, batch = 8) {
  const users = [];
  for (let i = 0; i < n; i += batch) {
    users.push(...await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => srv.signup())));
  }
  return users;
}

async function metricValue(srv, name) {
  const r = await srv.api('GET', '/metrics');
  assert.equal(r.status, 200, `GET /metrics: ${r.status}`);
  const line = r.text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.trim().split(/\s+/).pop());
}

describe('exclusive race and refunds', () => {
  test('20 buyers race for one exclusive: one 201, 19 x 409; sold and out of search; refund puts it back', async () => {
    const srv = await startServer();
    try {
      const producer = await srv.signup();
      const word = `quetzal${Date.now().toString(36)}`;
      const wav = makeAudio({ seconds: 2, freq: 392 });
      const up = await uploadOk(srv, producer.token, wav, {
        title: `Exclusive ${word}`, price: '20',
        licenses: JSON.stringify([{ type: 'basic', price_cents: 2000 }, { type: 'exclusive', price_cents: 50000 }]),
      });
      const beatId = up.beat_id;
      await waitReady(srv, beatId);

      // An earlier lease holder keeps their rights whatever happens to the exclusive.
      const leaser = await srv.signup();
      assertStatus(await buy(srv, leaser, { beat_id: beatId, license: 'basic', payment: VISA }), 201, 'basic lease');
      assert.deepEqual(await searchIds(srv, word), [beatId], 'listed in search before the sale (and now in the search cache)');

      const buyers = await signupMany(srv, 20);
      const answers = await Promise.all(buyers.map((b) => buy(srv, b, { beat_id: beatId, license: 'exclusive', payment: VISA })));
      const report = answers.map((r, i) => `buyer ${i}: ${r.status} ${r.text.slice(0, 140)}`).join('\n');
      const winners = answers.map((r, i) => [r, buyers[i]]).filter(([r]) => r.status === 201);
      assert.equal(winners.length, 1, `exactly one buyer gets the exclusive:\n${report}`);
      for (const r of answers) {
        if (r.status === 201) continue;
        assert.equal(r.status, 409, `the losers get 409:\n${report}`);
        assert.ok(['exclusive_taken', 'sold'].includes(r.json?.error?.code), `409 exclusive_taken or sold:\n${report}`);
      }
      const [[winAnswer, winner]] = winners;
      assert.equal(winAnswer.json.status, 'completed');
      assert.equal(winAnswer.json.total_cents, 50000);
      const purchaseId = winAnswer.json.purchase_id;

      // Sold: out of the store and out of search.
      const sold = assertStatus(await srv.api('GET', `/api/beats/${beatId}`), 200, 'GET the sold beat');
      assert.equal(sold.status, 'sold');
      assert.deepEqual(await searchIds(srv, word), [], 'a sold beat leaves search');
      const browse = assertStatus(await srv.api('GET', `/api/beats?producer=${producer.id}&limit=100`), 200);
      assert.ok(!browse.beats.some((b) => b.beat_id === beatId), 'a sold beat leaves the producer listing');

      // Only one license: each buyer's purchased_beats.
      for (const [i, b] of buyers.entries()) {
        assert.deepEqual(await purchasedBeats(srv, b), b === winner ? [beatId] : [], `buyer ${i}'s purchased_beats`);
      }
      assert.deepEqual(await purchasedBeats(srv, leaser), [beatId], 'the lease holder keeps the lease');
      const sales = assertStatus(await srv.api('GET', '/api/sales', { token: producer.token }), 200);
      assert.equal(sales.count, 2, `the lease and the exclusive: ${JSON.stringify(sales)}`);
      assert.equal(sales.total_cents, 52000);
      assert.equal(sales.sales.filter((s) => s.license === 'exclusive').length, 1, JSON.stringify(sales));

      // After the sale nobody can buy anything of it.
      const late = await srv.signup();
      assertError(await buy(srv, late, { beat_id: beatId, license: 'basic', payment: VISA }), 409, 'sold', 'a lease of a sold beat');
      assert.ok(['sold', 'exclusive_taken'].includes(
        (await buy(srv, late, { beat_id: beatId, license: 'exclusive', payment: VISA })).json?.error?.code,
      ), 'a second exclusive after the sale is refused');

      // The winner downloads the WAV; the losers cannot download.
      const w = await fetchBytes(srv, `/api/beats/${beatId}/download?format=wav`, { token: winner.token });
      assert.equal(w.status, 200, `exclusive holder WAV: ${w.status} ${w.text.slice(0, 200)}`);
      const loser = buyers.find((b) => b !== winner);
      assertError(await srv.api('GET', `/api/beats/${beatId}/download`, { token: loser.token }), 403, 'forbidden');

      // Refunds: the buyer may not; the seller may, once.
      assertError(await srv.api('POST', `/api/purchases/${purchaseId}/refund`, { token: winner.token, body: {} }), 403, 'forbidden',
        'the buyer refunding their own purchase');
      const stranger = await srv.signup();
      const sr = await srv.api('POST', `/api/purchases/${purchaseId}/refund`, { token: stranger.token, body: {} });
      assert.ok(sr.status === 403 || sr.status === 404, `a stranger refunding: ${sr.status} ${sr.text}`);
      assert.equal(assertStatus(await srv.api('GET', `/api/beats/${beatId}`), 200).status, 'sold', 'refused refunds change nothing');

      const refunded = assertStatus(await srv.api('POST', `/api/purchases/${purchaseId}/refund`, { token: producer.token, body: {} }),
        200, 'the seller refunds');
      assert.equal(refunded.purchase_id, purchaseId);
      assert.equal(refunded.status, 'refunded');
      assert.equal(assertStatus(await srv.api('GET', `/api/purchases/${purchaseId}`, { token: winner.token }), 200).status, 'refunded');
      assert.equal(assertStatus(await srv.api('GET', `/api/beats/${beatId}`), 200).status, 'ready', 'the beat is back in the store');
      assert.deepEqual(await searchIds(srv, word), [beatId], 'and back in search');
      assertError(await srv.api('GET', `/api/beats/${beatId}/download?format=mp3`, { token: winner.token }), 403, 'forbidden',
        'download after the refund');
      assertError(await srv.api('GET', `/api/beats/${beatId}/download?format=wav`, { token: winner.token }), 403, 'forbidden');
      assert.deepEqual(await purchasedBeats(srv, winner), [], 'the refunded license is gone');
      assert.deepEqual(await purchasedBeats(srv, leaser), [beatId], 'the lease is untouched by the refund');
      assertError(await srv.api('POST', `/api/purchases/${purchaseId}/refund`, { token: producer.token, body: {} }), 409, 'not_refundable',
        'refunding twice');

      // The exclusive can be sold again.
      assertStatus(await buy(srv, loser, { beat_id: beatId, license: 'exclusive', payment: VISA }), 201, 'exclusive after the refund');
      assert.equal(assertStatus(await srv.api('GET', `/api/beats/${beatId}`), 200).status, 'sold');
    } finally {
      await srv.close();
    }
  });
});

describe('crash in the middle of purchases', () => {
  test('kill -9 during ~100 purchases: acknowledged ones survive with licenses, no orphan licenses, events delivered', async (t) => {
    const srv = await startServer();
    try {
      const producers = await signupMany(srv, 2);
      const beats = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
        const wav = makeAudio({ seconds: 1, freq: 300 + i * 20 });
        const b = await uploadOk(srv, producers[i % 2].token, wav, { title: `Crash Beat ${i}`, price: String(1 + i) });
        await waitReady(srv, b.beat_id);
        return b.beat_id;
      }));
      const buyers = await signupMany(srv, 25);
      // 100 distinct (buyer, beat) pairs: each buyer buys 4 different beats.
      const jobs = [];
      for (let k = 0; k < 4; k += 1) {
        for (const [bi, buyer] of buyers.entries()) jobs.push({ buyer, beatId: beats[(bi * 4 + k) % 10] });
      }
      assert.equal(jobs.length, 100);

      let answered = 0;
      let killed = false;
      let next = 0;
      let killNow;
      const killSignal = new Promise((resolve) => { killNow = resolve; });
      const results = new Array(jobs.length).fill(null);
      const worker = async () => {
        while (!killed && next < jobs.length) {
          const i = next;
          next += 1;
          const { buyer, beatId } = jobs[i];
          // eslint-disable-next-line no-await-in-loop
          const r = await buy(srv, buyer, { beat_id: beatId, license: 'basic', payment: VISA })
            .catch((e) => ({ status: 0, text: String(e?.cause ?? e), json: null }));
          results[i] = r;
          if (r.status !== 0) answered += 1;
          if (answered === 40) killNow();
        }
      };
      const workers = Array.from({ length: 8 }, () => worker());
      await Promise.race([killSignal, sleep(10000)]);
      killed = true;
      await srv.kill9();
      await Promise.all(workers);

      const acked = jobs.map((j, i) => ({ ...j, r: results[i] })).filter((x) => x.r?.status === 201);
      const cut = jobs.map((j, i) => ({ ...j, r: results[i] })).filter((x) => x.r && x.r.status === 0);
      const other = jobs.map((j, i) => ({ ...j, r: results[i] })).filter((x) => x.r && x.r.status !== 0 && x.r.status !== 201);
      t.diagnostic(`${acked.length} acknowledged, ${cut.length} cut off, ${jobs.length - acked.length - cut.length - other.length} never sent`);
      assert.deepEqual(other.map((x) => `${x.r.status} ${x.r.text.slice(0, 200)}`), [], 'before the kill every purchase succeeds');
      assert.ok(acked.length >= 40, `at least 40 purchases were acknowledged before the kill (${acked.length})`);
      assert.ok(acked.length < jobs.length, 'the kill landed before the stream ended');

      await srv.restart();
      assertStatus(await srv.api('GET', '/readyz'), 200, 'ready after kill -9');

      // Every acknowledged purchase exists, completed, with its license.
      const profiles = new Map();
      for (const b of buyers) profiles.set(b.id, await purchasedBeats(srv, b));
      for (const { buyer, beatId, r } of acked) {
        const got = await srv.api('GET', `/api/purchases/${r.json.purchase_id}`, { token: buyer.token });
        assert.equal(got.status, 200, `acknowledged purchase ${r.json.purchase_id} after the crash: ${got.status} ${got.text}`);
        assert.equal(got.json.status, 'completed', `acknowledged purchase ${r.json.purchase_id}: ${got.text}`);
        assert.ok(profiles.get(buyer.id).includes(beatId), `buyer ${buyer.username} holds beat ${beatId} after the crash`);
      }
      // No license without a completed purchase, and no completed purchase without its license.
      for (const b of buyers) {
        const mine = await allPurchases(srv, b);
        const completedBeats = new Set(mine.filter((p) => p.status === 'completed').flatMap((p) => p.items.map((it) => it.beat_id)));
        const held = profiles.get(b.id);
        for (const beatId of held) {
          assert.ok(completedBeats.has(beatId), `buyer ${b.username} holds ${beatId} without a completed purchase: ${JSON.stringify(mine)}`);
        }
        for (const beatId of completedBeats) {
          assert.ok(held.includes(beatId), `buyer ${b.username} has a completed purchase of ${beatId} but no license`);
        }
        for (const p of mine) assert.ok(['completed', 'declined'].includes(p.status) || p.status === 'pending', `status ${p.status}`);
      }

      // The purchase events written before the crash are all delivered after the restart.
      const deadline = Date.now() + 10000;
      let pending;
      while (Date.now() < deadline) {
        pending = await metricValue(srv, 'backbeat_outbox_pending');
        if (pending === 0) break;
        await sleep(200);
      }
      assert.equal(pending, 0, 'backbeat_outbox_pending reaches 0 within 10 s of the restart');

      // The sellers see every acknowledged sale.
      let salesCount = 0;
      for (const p of producers) salesCount += assertStatus(await srv.api('GET', '/api/sales', { token: p.token }), 200).count;
      assert.ok(salesCount >= acked.length, `sales (${salesCount}) include every acknowledged purchase (${acked.length})`);
      assert.equal(salesCount, [...profiles.values()].reduce((s, v) => s + v.length, 0), 'one sale per license held');
    } finally {
      await srv.close();
    }
  });
});
