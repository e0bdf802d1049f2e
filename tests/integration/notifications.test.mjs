// The Notifications API end to end: follows, purchases and new beats become notifications that
// arrive over the user's WebSocket ("real-time notification" frames) and are listed by
// GET /api/notifications; marking read (one, all, someone else's); reconnecting with ?since=
// replays what was missed, in order, once; the socket's 401 and 403 before the upgrade.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  RFC3339, assertError, assertStatus, sleep, startServer, uniqueName,
} from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';

let srv;
// One test sends 200+ chat messages from one user to overflow a replay: past the per-user send rate.
before(async () => { srv = await startServer({ args: ['--ws-rate', '0'] }); });
after(async () => { await srv?.close(); });

const VISA = { provider: 'test', token: 'tok_visa' };

function wsUrl(userId, token, since) {
  const q = new URLSearchParams();
  if (token !== undefined) q.set('token', token);
  if (since !== undefined) q.set('since', since);
  return `${srv.base.replace(/^http/, 'ws')}/ws/notifications/${userId}?${q}`;
}

// Opens the socket; resolves {ws, frames, waitFor(pred), close()} once open.
function openSocket(user, { since, userId = user.id } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(userId, user.token, since));
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('open', () => resolve({
      ws,
      frames,
      async waitFor(pred, what = 'a frame', timeoutMs = 15000) {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          const found = frames.filter(pred);
          if (found.length > 0) return found[0];
          await sleep(50);
        }
        assert.fail(`timed out waiting for ${what}; frames: ${JSON.stringify(frames)}`);
      },
      async waitCount(pred, n, what = 'frames', timeoutMs = 15000) {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          if (frames.filter(pred).length >= n) return frames.filter(pred);
          await sleep(50);
        }
        assert.fail(`timed out waiting for ${n} ${what}; frames: ${JSON.stringify(frames)}`);
      },
      close() {
        return new Promise((r) => {
          if (ws.readyState === WebSocket.CLOSED) return r();
          ws.once('close', () => r());
          ws.close();
        });
      },
    }));
  });
}

// The HTTP status of a refused handshake.
function handshakeStatus(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => { req.destroy(); resolve({ status: res.statusCode, body }); });
    });
    ws.once('open', () => { ws.close(); reject(new Error('the socket opened')); });
  });
}

async function list(user, query = '') {
  const r = await srv.api('GET', `/api/notifications${query}`, { token: user.token });
  const body = assertStatus(r, 200, 'GET /api/notifications');
  assert.equal(body.user_id, user.id);
  assert.ok(Array.isArray(body.notifications), r.text);
  assert.equal(typeof body.unread_count, 'number', r.text);
  assert.ok('next_cursor' in body, r.text);
  return body;
}

// Polls the list until pred holds for some notification; returns it.
async function waitListed(user, pred, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await list(user, '?limit=100');
    const found = last.notifications.find(pred);
    if (found) return found;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}; list: ${JSON.stringify(last)}`);
}

function assertFrame(f, kind, what) {
  const ctx = `${what}: ${JSON.stringify(f)}`;
  assert.equal(f.type, 'real-time notification', ctx);
  assert.equal(f.kind, kind, ctx);
  assert.equal(typeof f.notification_id, 'string', ctx);
  assert.equal(typeof f.message, 'string', ctx);
  assert.equal(f.status, 'unread', ctx);
  assert.equal(typeof f.data, 'object', ctx);
  assert.match(f.created_at, RFC3339, ctx);
}

function assertItem(n, kind, what) {
  const ctx = `${what}: ${JSON.stringify(n)}`;
  assert.equal(n.type, kind, ctx);
  assert.equal(n.kind, kind, ctx);
  assert.equal(typeof n.notification_id, 'string', ctx);
  assert.ok(['unread', 'read'].includes(n.status), ctx);
  assert.equal(typeof n.data, 'object', ctx);
  assert.match(n.created_at, RFC3339, ctx);
}

const follow = (who, whom) => srv.api('POST', `/api/users/${whom.id}/follow`, { token: who.token });

describe('the notifications socket', () => {
  test('refuses the handshake: 401 without or with a bad token, 403 for another user', async () => {
    const a = await srv.signup();
    const b = await srv.signup();
    assert.equal((await handshakeStatus(wsUrl(a.id))).status, 401, 'no token');
    assert.equal((await handshakeStatus(wsUrl(a.id, 'not-a-token'))).status, 401, 'bad token');
    const other = await handshakeStatus(wsUrl(b.id, a.token));
    assert.equal(other.status, 403, `another user's socket: ${other.body}`);
    assert.equal(JSON.parse(other.body).error.code.length > 0, true);
  });

  test('GET and mark-as-read need a token', async () => {
    assertError(await srv.api('GET', '/api/notifications'), 401);
    assertError(await srv.api('POST', '/api/notifications/mark-as-read', { body: { all: true } }), 401);
  });
});

describe('follows', () => {
  test('the followed user is told, live and in the list', async () => {
    const fan = await srv.signup();
    const star = await srv.signup();
    const sock = await openSocket(star);
    try {
      assertStatus(await follow(fan, star), 200, 'follow');
      const f = await sock.waitFor((x) => x.kind === 'follow', 'the follow frame');
      assertFrame(f, 'follow', 'follow frame');
      assert.equal(f.message, `${fan.username} followed you`);
      assert.deepEqual(f.data, { follower_id: fan.id });

      const body = await list(star);
      assert.equal(body.notifications.length, 1, JSON.stringify(body));
      assertItem(body.notifications[0], 'follow', 'listed follow');
      assert.equal(body.notifications[0].notification_id, f.notification_id);
      assert.equal(body.unread_count, 1);
      assert.equal(body.next_cursor, null);
      // The follower is told nothing.
      assert.equal((await list(fan)).notifications.length, 0);
    } finally {
      await sock.close();
    }
  });
});

describe('purchases', () => {
  test('the buyer and the seller are told of a sale; the buyer of a refund', async () => {
    const producer = await srv.signup();
    const buyer = await srv.signup();
    const title = uniqueName('Beat ');
    const beat = await uploadOk(srv, producer.token, makeAudio({ seconds: 2 }), { title, price: '9.99' });
    await waitReady(srv, beat.beat_id);

    const buyerSock = await openSocket(buyer);
    const sellerSock = await openSocket(producer);
    try {
      const r = await srv.api('POST', '/api/purchases', {
        token: buyer.token, body: { beat_id: beat.beat_id, license: 'basic', payment: VISA },
      });
      const purchase = assertStatus(r, 201, 'purchase');
      const bought = await buyerSock.waitFor((x) => x.kind === 'purchase', 'the buyer frame');
      assertFrame(bought, 'purchase', 'buyer frame');
      assert.equal(bought.message, 'Your beat has been successfully purchased');
      assert.deepEqual(bought.data, { purchase_id: purchase.purchase_id, beat_id: beat.beat_id });

      const sold = await sellerSock.waitFor((x) => x.kind === 'sale', 'the seller frame');
      assertFrame(sold, 'sale', 'seller frame');
      // Who bought which license for how much.
      assert.equal(sold.message, `${buyer.username} bought a basic license for “${title}” for $9.99`);
      assert.deepEqual(sold.data, {
        purchase_id: purchase.purchase_id, beat_id: beat.beat_id, buyer_id: buyer.id, buyer: buyer.username, license: 'basic', price_cents: 999,
      });

      const b = await list(buyer);
      const p = b.notifications.find((n) => n.kind === 'purchase');
      assertItem(p, 'purchase', 'listed purchase');
      assert.equal(p.notification_id, bought.notification_id);
      const s = (await list(producer)).notifications.filter((n) => n.kind === 'sale');
      assert.equal(s.length, 1);
      assert.deepEqual(s[0].data, sold.data);

      assertStatus(await srv.api('POST', `/api/purchases/${purchase.purchase_id}/refund`, { token: producer.token }), 200, 'refund');
      const refunded = await buyerSock.waitFor((x) => x.kind === 'purchase' && /refunded/.test(x.message), 'the refund frame');
      assertFrame(refunded, 'purchase', 'refund frame');
      assert.equal(refunded.message, `Your purchase of “${title}” was refunded; its license is revoked`);
      assert.deepEqual(refunded.data, { purchase_id: purchase.purchase_id, beat_id: beat.beat_id });
      assert.equal((await list(producer)).notifications.filter((n) => n.kind === 'sale').length, 1, 'the seller is not told of their own refund');
    } finally {
      await buyerSock.close();
      await sellerSock.close();
    }
  });
});

describe('messages and reviews', () => {
  test('a chat message tells the receiver', async () => {
    const alice = await srv.signup();
    const bob = await srv.signup();
    const sock = await openSocket(bob);
    try {
      const r = await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.id, message: 'yo' } });
      const sent = assertStatus(r, 201, 'chat send');
      const f = await sock.waitFor((x) => x.kind === 'message', 'the message frame');
      assertFrame(f, 'message', 'message frame');
      assert.equal(f.message, `New message from ${alice.username}`);
      assert.deepEqual(f.data, { chat_id: sent.chat_id, message_id: sent.message_id, sender: alice.username });
      assert.equal((await list(alice)).notifications.length, 0, 'the sender is not told');
    } finally {
      await sock.close();
    }
  });

  test("a review tells the beat's producer", async () => {
    const producer = await srv.signup();
    const critic = await srv.signup();
    const beat = await uploadOk(srv, producer.token, makeAudio({ seconds: 2, freq: 550 }), { title: uniqueName('Rev '), price: '3' });
    await waitReady(srv, beat.beat_id);
    const sock = await openSocket(producer);
    try {
      const r = await srv.api('POST', '/api/reviews', {
        token: critic.token, body: { beat_id: beat.beat_id, rating: 4, review_text: 'nice' },
      });
      const review = assertStatus(r, 201, 'review');
      const f = await sock.waitFor((x) => x.kind === 'review', 'the review frame');
      assertFrame(f, 'review', 'review frame');
      assert.deepEqual(f.data, { review_id: review.review_id, beat_id: beat.beat_id });
      assert.ok(f.message.includes(critic.username), f.message);
      const listed = await waitListed(producer, (x) => x.kind === 'review', 'the listed review');
      assertItem(listed, 'review', 'listed review');
    } finally {
      await sock.close();
    }
  });
});

describe('new beats', () => {
  test("a beat becoming ready tells each of the producer's followers once", async () => {
    const producer = await srv.signup();
    const fans = [await srv.signup(), await srv.signup(), await srv.signup()];
    for (const fan of fans) assertStatus(await follow(fan, producer), 200, 'follow');
    const stranger = await srv.signup();
    const sock = await openSocket(fans[0]);
    try {
      const title = uniqueName('Drop ');
      const beat = await uploadOk(srv, producer.token, makeAudio({ seconds: 2, freq: 660 }), { title, price: '5' });
      await waitReady(srv, beat.beat_id);

      const live = await sock.waitFor((x) => x.kind === 'upload', 'the upload frame');
      assertFrame(live, 'upload', 'upload frame');
      assert.deepEqual(live.data, { beat_id: beat.beat_id, producer_id: producer.id });
      assert.match(live.message, new RegExp(` released ${title}$`));

      for (const fan of fans) {
        const n = await waitListed(fan, (x) => x.kind === 'upload', 'the upload notification');
        assertItem(n, 'upload', 'listed upload');
        assert.deepEqual(n.data, { beat_id: beat.beat_id, producer_id: producer.id });
      }
      await sleep(500);
      for (const fan of fans) {
        const uploads = (await list(fan)).notifications.filter((x) => x.kind === 'upload');
        assert.equal(uploads.length, 1, `exactly one per follower: ${JSON.stringify(uploads)}`);
      }
      assert.equal(sock.frames.filter((x) => x.kind === 'upload').length, 1);
      assert.equal((await list(stranger)).notifications.length, 0, 'non-followers hear nothing');
      // The producer got the three follows, not an upload.
      const own = (await list(producer)).notifications;
      assert.equal(own.filter((x) => x.kind === 'follow').length, 3);
      assert.equal(own.filter((x) => x.kind === 'upload').length, 0);
      // …and one "system" notification of its own: the beat is ready.
      const ready = own.filter((x) => x.kind === 'system');
      assert.equal(ready.length, 1, JSON.stringify(own));
      assertItem(ready[0], 'system', 'ready notice');
      assert.deepEqual(ready[0].data, { beat_id: beat.beat_id });
      assert.match(ready[0].message, new RegExp(`${title}.*is ready`));
    } finally {
      await sock.close();
    }
  });
});

describe('reading', () => {
  test('mark one, mark all, unread_count; someone else\'s is 404', async () => {
    const me = await srv.signup();
    const other = await srv.signup();
    const fans = [await srv.signup(), await srv.signup(), await srv.signup()];
    for (const fan of fans) assertStatus(await follow(fan, me), 200, 'follow');
    assertStatus(await follow(fans[0], other), 200, 'follow other');
    const n3 = await waitListed(me, () => true, 'notifications');
    assert.ok(n3);
    let body;
    for (let i = 0; i < 100; i += 1) {
      body = await list(me);
      if (body.notifications.length === 3) break;
      await sleep(100);
    }
    assert.equal(body.notifications.length, 3, JSON.stringify(body));
    assert.equal(body.unread_count, 3);
    // Newest first.
    const ids = body.notifications.map((n) => n.notification_id);
    assert.deepEqual(ids, ids.slice().sort().reverse());

    const mark = (user, b) => srv.api('POST', '/api/notifications/mark-as-read', { token: user.token, body: b });
    let r = assertStatus(await mark(me, { notification_id: ids[1] }), 200, 'mark one');
    assert.deepEqual(r, { updated: 1, unread_count: 2 });
    r = assertStatus(await mark(me, { notification_id: ids[1] }), 200, 'mark one again');
    assert.deepEqual(r, { updated: 0, unread_count: 2 });
    const listed = await list(me);
    assert.equal(listed.notifications.find((n) => n.notification_id === ids[1]).status, 'read');
    assert.equal(listed.notifications.filter((n) => n.status === 'unread').length, 2);
    const unreadOnly = await list(me, '?status=unread');
    assert.equal(unreadOnly.notifications.length, 2);

    const theirs = await waitListed(other, () => true, "other's notification");
    assertError(await mark(me, { notification_id: theirs.notification_id }), 404, undefined, "someone else's");
    assertError(await mark(me, { notification_id: '01a1ffe8-dffc-7126-9f52-b32307b54ab0' }), 404, undefined, 'unknown');
    assertError(await mark(me, {}), 422, undefined, 'neither id nor all');
    assert.equal((await list(other)).unread_count, 1, "someone else's stays unread");

    r = assertStatus(await mark(me, { all: true }), 200, 'mark all');
    assert.deepEqual(r, { updated: 2, unread_count: 0 });
    assert.ok((await list(me)).notifications.every((n) => n.status === 'read'));
  });

  test('cursor paging, newest first; a forged cursor is 400', async () => {
    const me = await srv.signup();
    const fans = [];
    for (let i = 0; i < 5; i += 1) {
      const fan = await srv.signup();
      fans.push(fan);
      assertStatus(await follow(fan, me), 200, 'follow');
    }
    for (let i = 0; i < 100 && (await list(me)).notifications.length < 5; i += 1) await sleep(100);
    const seen = [];
    let cursor = null;
    for (let i = 0; i < 10; i += 1) {
      const page = await list(me, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.ok(page.notifications.length <= 2);
      seen.push(...page.notifications.map((n) => n.notification_id));
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
    assert.deepEqual(seen, seen.slice().sort().reverse());
    assertError(await srv.api('GET', '/api/notifications?cursor=bogus', { token: me.token }), 400, 'invalid_cursor');
  });
});

describe('reconnecting', () => {
  test('?since=<last id> replays what was missed, in order, once, then goes live', async () => {
    const me = await srv.signup();
    const fans = [];
    for (let i = 0; i < 5; i += 1) fans.push(await srv.signup());

    let sock = await openSocket(me);
    assertStatus(await follow(fans[0], me), 200, 'follow 0');
    const first = await sock.waitFor((x) => x.kind === 'follow', 'the first frame');
    await sock.close();

    // Offline: three more.
    for (let i = 1; i <= 3; i += 1) assertStatus(await follow(fans[i], me), 200, `follow ${i}`);
    let missed;
    for (let i = 0; i < 100; i += 1) {
      missed = (await list(me)).notifications.filter((n) => n.notification_id > first.notification_id);
      if (missed.length === 3) break;
      await sleep(100);
    }
    assert.equal(missed.length, 3, JSON.stringify(missed));
    const expected = missed.map((n) => n.notification_id).sort();

    sock = await openSocket(me, { since: first.notification_id });
    try {
      const replayed = await sock.waitCount((x) => x.kind === 'follow', 3, 'replayed frames');
      replayed.forEach((f) => assertFrame(f, 'follow', 'replayed frame'));
      assert.deepEqual(replayed.map((f) => f.notification_id), expected, 'the missed ones, oldest first');
      assert.deepEqual(replayed.map((f) => f.data.follower_id), [fans[1].id, fans[2].id, fans[3].id]);

      // Then live.
      assertStatus(await follow(fans[4], me), 200, 'follow 4');
      await sock.waitFor((x) => x.data?.follower_id === fans[4].id, 'the live frame after the replay');
      await sleep(300);
      const all = sock.frames.map((f) => f.notification_id);
      assert.equal(all.length, 4, `each once: ${JSON.stringify(sock.frames)}`);
      assert.equal(new Set(all).size, 4);
      assert.ok(!all.includes(first.notification_id), 'nothing at or before since');
    } finally {
      await sock.close();
    }

    // Reconnecting with the newest id replays nothing.
    const newest = (await list(me)).notifications[0].notification_id;
    sock = await openSocket(me, { since: newest });
    try {
      await sleep(400);
      assert.equal(sock.frames.length, 0, JSON.stringify(sock.frames));
    } finally {
      await sock.close();
    }
  });

  test('more missed than a replay holds: the oldest 200, a "replay truncated" frame, then live', async () => {
    const me = await srv.signup();
    const pen = await srv.signup();
    const send = async (i) => {
      const r = await srv.api('POST', '/api/chat/send', { token: pen.token, body: { receiver: me.username, message: `m${i}` } });
      return assertStatus(r, 201, `message ${i}`);
    };
    const before = await send(0);
    let start;
    for (let i = 0; i < 100 && !start; i += 1) {
      start = (await list(me)).notifications[0];
      if (!start) await sleep(100);
    }
    assert.ok(start, 'the first message became a notification');
    // 205 while offline, a few at a time (each is its own write; waiting on each one is slow).
    const sent = [];
    for (let i = 1; i <= 205; i += 5) sent.push(...await Promise.all([0, 1, 2, 3, 4].map((k) => send(i + k))));
    let missed = [];
    for (let i = 0; i < 100 && missed.length < 205; i += 1) {
      missed = [];
      for (let cursor = null; ;) {
        const page = await list(me, `?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        missed.push(...page.notifications.filter((n) => n.notification_id > start.notification_id));
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      if (missed.length < 205) await sleep(100);
    }
    assert.equal(missed.length, 205);
    const oldest = missed.map((n) => n.notification_id).sort().slice(0, 200);

    const notes = await openSocket(me, { since: start.notification_id });
    const chat = new WebSocket(`${srv.base.replace(/^http/, 'ws')}/ws/chat/${me.id}?token=${me.token}&since=${before.message_id}`);
    const chatFrames = [];
    chat.on('message', (d) => chatFrames.push(JSON.parse(d.toString())));
    try {
      const cut = await notes.waitFor((x) => x.type === 'replay truncated', 'the truncation frame');
      assert.equal(cut.next_since, oldest[199], JSON.stringify(cut));
      assert.match(cut.message, /GET \/api\/notifications/);
      const replayed = notes.frames.slice(0, notes.frames.indexOf(cut));
      assert.deepEqual(replayed.map((f) => f.notification_id), oldest, 'the 200 oldest missed, in order, before it');

      // Live after it, and nothing more from the gap.
      await send(999);
      const live = await notes.waitFor((x) => x.type === 'real-time notification' && x.notification_id > missed.map((n) => n.notification_id).sort().at(-1), 'the live frame');
      assert.equal(notes.frames.indexOf(live), 201, 'replay, truncation, then live');

      // The chat socket says the same about messages.
      for (let i = 0; i < 100 && !chatFrames.some((f) => f.type === 'replay truncated'); i += 1) await sleep(50);
      const chatCut = chatFrames.find((f) => f.type === 'replay truncated');
      assert.ok(chatCut, `chat truncation frame: ${JSON.stringify(chatFrames.slice(-3))}`);
      const chatReplayed = chatFrames.slice(0, chatFrames.indexOf(chatCut));
      assert.equal(chatReplayed.length, 200);
      assert.equal(chatCut.next_since, chatReplayed.at(-1).message_id);
      assert.deepEqual(chatReplayed.map((f) => f.message_id), sent.map((m) => m.message_id).sort().slice(0, 200));
    } finally {
      chat.close();
      await notes.close();
    }
  });
});
