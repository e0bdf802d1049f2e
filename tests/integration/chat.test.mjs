// Chat: direct messages over REST and the /ws/chat/{user_id} socket (live frames on every tab,
// acks, ?since= replay of missed messages), chat lists with unread counts and read marks,
// who may read a chat, and the socket's handshake refusals, frame size limit and logout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { RFC3339, assertError, assertFields, assertStatus, sleep, startServer } from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.close(); });

const UNKNOWN = '01a1ffe8-dffc-7126-9f52-b32307b54ab0';
const wsUrl = (userId, token, extra = '') =>
  `${srv.base.replace(/^http/, 'ws')}/ws/chat/${userId}${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}${extra}`;

// A socket that records every frame; next(pred) waits for the first unseen frame matching pred.
function openSocket(user, { since, path } = {}) {
  const url = wsUrl(path ?? user.id, user.token, since ? `&since=${since}` : '');
  const ws = new WebSocket(url);
  const frames = [];
  const waiters = [];
  let taken = 0;
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    frames.push(frame);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const sock = {
    ws,
    frames,
    closed,
    messages: () => frames.filter((f) => f.type === 'real-time message'),
    send: (obj) => ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)),
    // Waits for a frame matching pred (searching all frames, not only new ones).
    wait(pred, what = 'frame', timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.find(pred);
          if (found) {
            waiters.splice(waiters.indexOf(check), 1);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(frames)}`));
        }, timeoutMs);
        waiters.push(check);
        check();
      });
    },
    // The next frame after the ones already taken.
    async next(what = 'next frame') {
      await sock.wait((_, i) => i >= taken, what);
      return frames[taken++];
    },
    close() { if (ws.readyState <= 1) ws.close(); return closed; },
  };
  sock.opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
  });
  return sock;
}

async function connect(user, opts) {
  const s = openSocket(user, opts);
  await s.opened;
  await sleep(100);  // on_open runs on the blocking pool: let it join before anything is sent
  return s;
}

// The HTTP status a handshake was refused with.
function refusal(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode); res.resume(); ws.terminate(); });
    ws.on('open', () => { ws.close(); reject(new Error('the handshake was accepted')); });
    ws.on('error', () => {});
  });
}

async function sendRest(from, receiver, message, extra = {}) {
  const r = await srv.api('POST', '/api/chat/send', { token: from.token, body: { receiver, message, ...extra } });
  return assertStatus(r, 201, 'send');
}

const isMsg = (id) => (f) => f.type === 'real-time message' && f.message_id === id;

describe('chat', () => {
  test('two users chat both ways over WebSocket and REST; every tab hears it', async () => {
    const alice = await srv.signup();
    const bob = await srv.signup();
    const a1 = await connect(alice);
    const b1 = await connect(bob);
    const b2 = await connect(bob);  // bob's second tab
    try {
      // alice -> bob over the socket, by username
      a1.send({ action: 'send', receiver: bob.username, message: 'hi bob', ref: 7 });
      const ack = await a1.wait((f) => f.type === 'ack', 'ack');
      assert.equal(typeof ack.message_id, 'string');
      assert.equal(typeof ack.chat_id, 'string');
      assert.equal(ack.ref, 7, 'the ref is echoed');
      for (const tab of [b1, b2]) {
        const f = await tab.wait(isMsg(ack.message_id), 'frame on bob');
        assertFields(f, {
          type: 'real-time message', message: `New message from ${alice.username}`, chat_id: ack.chat_id,
          sender: alice.username, sender_id: alice.id, content: 'hi bob',
        });
        assert.match(f.created_at, RFC3339);
      }

      // bob -> alice over the socket, by id; bob's other tab sees it, the sending tab only gets the ack
      b1.send({ action: 'send', receiver: alice.id, message: 'hey alice' });
      const ack2 = await b1.wait((f) => f.type === 'ack', 'ack on b1');
      assert.equal(ack2.chat_id, ack.chat_id, 'one chat per pair, whoever writes');
      await a1.wait(isMsg(ack2.message_id), 'frame on alice');
      await b2.wait(isMsg(ack2.message_id), 'frame on bob\'s other tab');

      // REST: alice -> bob; bob's tabs and alice's socket get the frame
      const sent = await sendRest(alice, bob.id, 'over rest');
      assertFields(sent, { chat_id: ack.chat_id, sender: alice.username, sender_id: alice.id, receiver: bob.username, content: 'over rest' });
      assert.match(sent.created_at, RFC3339);
      for (const tab of [b1, b2, a1]) await tab.wait(isMsg(sent.message_id), 'REST message frame');

      await sleep(200);
      assert.equal(b1.frames.filter(isMsg(ack2.message_id)).length, 0, 'the sending socket does not echo its own message');
      for (const tab of [a1, b1, b2]) {
        const ids = tab.messages().map((f) => f.message_id);
        assert.equal(new Set(ids).size, ids.length, 'no frame twice');
      }

      // the conversation as stored
      const page = assertStatus(await srv.api('GET', `/api/chat/messages/${ack.chat_id}`, { token: bob.token }), 200);
      assert.deepEqual(page.messages.map((m) => m.content), ['hi bob', 'hey alice', 'over rest']);
      assert.deepEqual(page.messages.map((m) => m.sender), [alice.username, bob.username, alice.username]);
      assert.equal(page.next_cursor, null);
    } finally {
      await Promise.all([a1.close(), b1.close(), b2.close()]);
    }
  });

  test('send validation: sender must be the caller, receiver must exist and not be me', async () => {
    const alice = await srv.signup();
    const bob = await srv.signup();
    assertStatus(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.username, message: 'x', sender: alice.username } }), 201);
    assertStatus(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.username, message: 'x', sender: alice.id } }), 201);
    assertError(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.username, message: 'x', sender: bob.username } }), 403, 'forbidden');
    assertError(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: 'nobody_here_at_all', message: 'x' } }), 404, 'not_found');
    assertError(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: alice.username, message: 'x' } }), 422);
    const empty = assertError(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.username, message: '' } }), 422);
    assert.ok(empty.details.fields.message);
    assertError(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.username, message: 'y'.repeat(4001) } }), 422);
    assertStatus(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.username, message: 'y'.repeat(4000) } }), 201);
    assertError(await srv.api('POST', '/api/chat/send', { body: { receiver: bob.username, message: 'x' } }), 401);
    assertError(await srv.api('POST', '/api/chat/send', { token: alice.token, raw: '{nope', headers: { 'Content-Type': 'application/json' } }), 400);
  });

  test('bad frames get an error frame and the socket stays open', async () => {
    const alice = await srv.signup();
    const bob = await srv.signup();
    const a = await connect(alice);
    try {
      a.send('not json');
      const e1 = await a.next('error for bad JSON');
      assertFields(e1, { type: 'error', code: 'invalid_json' });
      assert.equal(typeof e1.message, 'string');
      a.send({ action: 'dance' });
      assertFields(await a.next('error for unknown action'), { type: 'error', code: 'unknown_action' });
      a.send({ action: 'send', receiver: bob.username });
      const e3 = await a.next('error for a missing message');
      assertFields(e3, { type: 'error', code: 'validation_failed' });
      assert.ok(e3.details.fields.message);
      a.send({ action: 'send', receiver: 'nobody_here_at_all', message: 'x' });
      assertFields(await a.next('error for unknown receiver'), { type: 'error', code: 'not_found' });
      a.send({ action: 'send', receiver: alice.id, message: 'x' });
      assertFields(await a.next('error for myself'), { type: 'error', code: 'validation_failed' });
      a.send({ action: 'send', receiver: bob.username, message: 'still here' });
      assertFields(await a.next('ack after errors'), { type: 'ack' });
      assert.equal(a.ws.readyState, WebSocket.OPEN);
    } finally {
      await a.close();
    }
  });

  test('an offline receiver reads messages over REST and replays them with ?since=', async () => {
    const alice = await srv.signup();
    const carol = await srv.signup();
    const m = [];
    for (let i = 1; i <= 5; i += 1) m.push(await sendRest(alice, carol.username, `m${i}`));
    const chatId = m[0].chat_id;

    // REST, newest last, paging backwards
    const all = assertStatus(await srv.api('GET', `/api/chat/messages/${chatId}`, { token: carol.token }), 200);
    assert.equal(all.chat_id, chatId);
    assert.deepEqual(all.messages.map((x) => x.content), ['m1', 'm2', 'm3', 'm4', 'm5']);
    for (const x of all.messages) {
      assert.deepEqual(Object.keys(x).sort(), ['content', 'created_at', 'message_id', 'sender', 'sender_id']);
      assertFields(x, { sender: alice.username, sender_id: alice.id });
    }
    const p1 = assertStatus(await srv.api('GET', `/api/chat/messages/${chatId}?limit=2`, { token: carol.token }), 200);
    assert.deepEqual(p1.messages.map((x) => x.content), ['m4', 'm5']);
    assert.equal(typeof p1.next_cursor, 'string');
    const p2 = assertStatus(await srv.api('GET', `/api/chat/messages/${chatId}?limit=2&cursor=${encodeURIComponent(p1.next_cursor)}`, { token: carol.token }), 200);
    assert.deepEqual(p2.messages.map((x) => x.content), ['m2', 'm3']);
    const p3 = assertStatus(await srv.api('GET', `/api/chat/messages/${chatId}?limit=2&cursor=${encodeURIComponent(p2.next_cursor)}`, { token: carol.token }), 200);
    assert.deepEqual(p3.messages.map((x) => x.content), ['m1']);
    assert.equal(p3.next_cursor, null);
    assertError(await srv.api('GET', `/api/chat/messages/${chatId}?cursor=forged`, { token: carol.token }), 400, 'invalid_cursor');

    // The socket replays exactly the missed ones after m2, in order, once; then live ones follow.
    const c = await connect(carol, { since: m[1].message_id });
    try {
      await c.wait(isMsg(m[4].message_id), 'the last missed message');
      const live = await sendRest(alice, carol.id, 'm6');
      await c.wait(isMsg(live.message_id), 'a live message after the replay');
      await sleep(300);
      assert.deepEqual(c.messages().map((f) => f.content), ['m3', 'm4', 'm5', 'm6']);
      assertFields(c.messages()[0], { type: 'real-time message', chat_id: chatId, sender: alice.username, sender_id: alice.id });
    } finally {
      await c.close();
    }

    // messages carol sent herself are replayed too (another tab missed them)
    const reply = await sendRest(carol, alice.id, 'reply');
    const c2 = await connect(carol, { since: m[4].message_id });
    try {
      await c2.wait(isMsg(reply.message_id), 'own message in the replay');
      await sleep(200);
      assert.deepEqual(c2.messages().map((f) => f.content), ['m6', 'reply']);
    } finally {
      await c2.close();
    }
  });

  test('?since= while messages keep coming: each exactly once, in id order', async () => {
    const alice = await srv.signup();
    const gus = await srv.signup();
    const start = await sendRest(alice, gus.username, 'start');
    const before = [];
    for (let i = 0; i < 5; i += 1) before.push(await sendRest(alice, gus.username, `b${i}`));
    // Sends race the socket's replay.
    const racing = Promise.all(Array.from({ length: 30 }, (_, i) => sendRest(alice, gus.username, `r${i}`)));
    const g = openSocket(gus, { since: start.message_id });
    try {
      await g.opened;
      const sent = await racing;
      const last = sent.map((s) => s.message_id).sort().at(-1);
      await g.wait(isMsg(last), 'the newest racing message');
      await sleep(300);
      const got = g.messages().map((f) => f.message_id);
      const expected = [...before, ...sent].map((s) => s.message_id).sort();
      assert.deepEqual(got, expected, 'every message after since, once, in id order');
    } finally {
      await g.close();
    }
  });

  test('chat list: newest activity first, unread counts, marking read', async () => {
    const dan = await srv.signup();
    const erin = await srv.signup();
    const fay = await srv.signup();
    const first = await sendRest(erin, dan.username, 'e1');
    await sendRest(erin, dan.username, 'e2');
    await sendRest(dan, erin.username, 'd1');  // mine: not unread for me
    await sendRest(erin, dan.username, 'e3');
    const fromFay = await sendRest(fay, dan.username, 'f1');

    let h = assertStatus(await srv.api('GET', `/api/chat/history/${dan.id}`, { token: dan.token }), 200);
    assert.equal(h.user_id, dan.id);
    assert.equal(h.next_cursor, null);
    assert.deepEqual(h.chats.map((c) => c.chat_id), [fromFay.chat_id, first.chat_id], 'newest activity first');
    assert.deepEqual(h.chats[1].participants.slice().sort(), [dan.username, erin.username].sort());
    assert.deepEqual(h.chats.map((c) => c.unread), [1, 3]);
    assertFields(h.chats[1].last_message, { sender: erin.username, content: 'e3' });
    assert.match(h.chats[1].last_message.created_at, RFC3339);
    assert.equal(typeof h.chats[1].last_message.message_id, 'string');

    // erin has read nothing of dan's either
    const he = assertStatus(await srv.api('GET', `/api/chat/history/${erin.id}`, { token: erin.token }), 200);
    assert.equal(he.chats[0].unread, 1);

    const r = assertStatus(await srv.api('POST', `/api/chat/${first.chat_id}/read`, { token: dan.token }), 200);
    assert.deepEqual(r, { chat_id: first.chat_id, unread: 0 });
    h = assertStatus(await srv.api('GET', `/api/chat/history/${dan.id}`, { token: dan.token }), 200);
    assert.deepEqual(h.chats.map((c) => c.unread), [1, 0]);

    await sendRest(erin, dan.username, 'e4');
    h = assertStatus(await srv.api('GET', `/api/chat/history/${dan.id}?limit=1`, { token: dan.token }), 200);
    assert.equal(h.chats.length, 1);
    assert.equal(h.chats[0].chat_id, first.chat_id, 'the latest message moves the chat to the top');
    assert.equal(h.chats[0].unread, 1);
    assert.equal(typeof h.next_cursor, 'string');
    const rest = assertStatus(await srv.api('GET', `/api/chat/history/${dan.id}?limit=1&cursor=${encodeURIComponent(h.next_cursor)}`, { token: dan.token }), 200);
    assert.deepEqual(rest.chats.map((c) => c.chat_id), [fromFay.chat_id]);
    assert.equal(rest.next_cursor, null);

    // a user with no chats
    const lonely = await srv.signup();
    assert.deepEqual(assertStatus(await srv.api('GET', `/api/chat/history/${lonely.id}`, { token: lonely.token }), 200).chats, []);
    // only that user
    assertError(await srv.api('GET', `/api/chat/history/${dan.id}`, { token: erin.token }), 403);
    assertError(await srv.api('GET', `/api/chat/history/${dan.id}`), 401);
  });

  test('only participants see or mark a chat', async () => {
    const a = await srv.signup();
    const b = await srv.signup();
    const outsider = await srv.signup();
    const sent = await sendRest(a, b.username, 'private');
    assertError(await srv.api('GET', `/api/chat/messages/${sent.chat_id}`, { token: outsider.token }), 404, 'not_found');
    assertError(await srv.api('POST', `/api/chat/${sent.chat_id}/read`, { token: outsider.token }), 404, 'not_found');
    assertError(await srv.api('GET', `/api/chat/messages/${UNKNOWN}`, { token: a.token }), 404, 'not_found');
    assertError(await srv.api('GET', `/api/chat/messages/${sent.chat_id}`), 401);
    assertStatus(await srv.api('GET', `/api/chat/messages/${sent.chat_id}`, { token: a.token }), 200);
    assertStatus(await srv.api('POST', `/api/chat/${sent.chat_id}/read`, { token: b.token }), 200);
  });

  test('handshake: 401 without a valid token, 403 on another user\'s path, before the upgrade', async () => {
    const a = await srv.signup();
    const b = await srv.signup();
    assert.equal(await refusal(wsUrl(a.id, 'not-a-token')), 401);
    assert.equal(await refusal(wsUrl(a.id, undefined)), 401);
    assert.equal(await refusal(wsUrl(b.id, a.token)), 403);
    // the header works as well as ?token=
    const ws = new WebSocket(wsUrl(a.id, undefined), { headers: { Authorization: `Bearer ${a.token}` } });
    await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    ws.close();
  });

  test('a 1 MiB frame closes the socket with 1009', async () => {
    const a = await srv.signup();
    const s = await connect(a);
    s.send(JSON.stringify({ action: 'send', receiver: a.id, message: 'x'.repeat(1024 * 1024) }));
    const { code } = await s.closed;
    assert.equal(code, 1009);
  });

  test('logging out closes that session\'s chat socket, not the others', async () => {
    const u = await srv.signup();
    const other = assertStatus(await srv.login(u.username), 200).token;
    const s = await connect(u);
    const t = await connect({ ...u, token: other });
    assertStatus(await srv.api('POST', '/api/users/logout', { token: u.token }), 200);
    const { code } = await s.closed;
    assert.equal(code, 1000);
    await sleep(200);
    assert.equal(t.ws.readyState, WebSocket.OPEN, 'the other session\'s socket stays open');
    assert.equal(await refusal(wsUrl(u.id, u.token)), 401, 'the logged-out token no longer opens a socket');
    await t.close();
  });
});
