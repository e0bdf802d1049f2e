// Live discussion rooms: creating, listing (with members online), talking over the WebSocket
// (every member gets every message), history with cursor paging, closing (forum.closed, then
// code 1000) and the handshake's refusals (401 without a token, 404 for an unknown room).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  PASSWORD, RFC3339, assertError, assertFields, assertStatus, runCliAsync, sleep, startServer, uniqueName,
} from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';

let srv; let producer; let beat;
const UNKNOWN = '01a1ffe8-dffc-7126-9f52-b32307b54ab0';
const ROOM_KEYS = ['room_id', 'room_type', 'beat_id', 'genre', 'name', 'created_by', 'owner_id', 'members_online', 'created_at', 'closed_at'];

before(async () => {
  srv = await startServer();
  producer = await srv.signup();
  beat = await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'Room Beat', price: '3' });
  await waitReady(srv, beat.beat_id);
});
after(async () => { await srv?.close(); });

function assertRoom(r, what = 'room') {
  for (const k of ROOM_KEYS) assert.ok(k in r, `${what} lacks ${k}: ${JSON.stringify(r)}`);
  assert.match(r.created_at, RFC3339);
  return r;
}

function wsUrl(q) {
  return `${srv.base.replace(/^http/, 'ws')}/api/forums/connect?${new URLSearchParams(q)}`;
}

// Opens a socket and collects its frames; resolves once open.
function connect(roomId, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl({ roomId, token }));
    const client = { ws, frames: [], closed: null, waiters: [] };
    ws.on('message', (data) => {
      client.frames.push(JSON.parse(data.toString()));
      client.waiters.forEach((w) => w());
    });
    ws.on('close', (code, reason) => {
      client.closed = { code, reason: reason.toString() };
      client.waiters.forEach((w) => w());
    });
    ws.on('open', () => resolve(client));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

// Waits until pred(client) holds.
function until(client, pred, what, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    if (pred(client)) return resolve();
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(client.frames)}`)), timeoutMs);
    client.waiters.push(() => { if (pred(client)) { clearTimeout(timer); resolve(); } });
  });
}

// The HTTP status of a refused handshake.
function refusal(q) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(q));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    ws.on('open', () => { ws.close(); reject(new Error('the handshake should have been refused')); });
    ws.on('error', () => {});
  });
}

async function membersOnline(roomId, want) {
  const deadline = Date.now() + 5000;
  let room;
  while (Date.now() < deadline) {
    const list = assertStatus(await srv.api('GET', '/api/forums/rooms?limit=100'), 200, 'rooms');
    room = list.rooms.find((r) => r.room_id === roomId);
    if (room?.members_online === want) return room;
    await sleep(50);
  }
  assert.fail(`members_online should become ${want}: ${JSON.stringify(room)}`);
}

describe('forums', () => {
  test('rooms: create (beat and genre), defaults, validation', async () => {
    const u = await srv.signup();
    const br = assertRoom(assertStatus(await srv.api('POST', '/api/forums/rooms',
      { token: u.token, body: { room_type: 'beat', beat_id: beat.beat_id } }), 201, 'beat room'));
    // A beat's room belongs to the beat's producer, whoever opened it.
    assertFields(br, { room_type: 'beat', beat_id: beat.beat_id, genre: null, name: 'Room Beat', created_by: u.id,
      owner_id: producer.id, members_online: 0, closed_at: null });
    const gr = assertRoom(assertStatus(await srv.api('POST', '/api/forums/rooms',
      { token: u.token, body: { room_type: 'genre', genre: 'trap', name: 'Trap talk' } }), 201, 'genre room'));
    assertFields(gr, { room_type: 'genre', beat_id: null, genre: 'trap', name: 'Trap talk', owner_id: u.id });
    const dflt = assertStatus(await srv.api('POST', '/api/forums/rooms',
      { token: u.token, body: { room_type: 'genre', genre: 'lofi' } }), 201, 'default name');
    assert.equal(dflt.name, 'lofi');

    assertError(await srv.api('POST', '/api/forums/rooms', { body: { room_type: 'genre', genre: 'x' } }), 401);
    let e = assertError(await srv.api('POST', '/api/forums/rooms', { token: u.token, body: { room_type: 'party' } }), 422);
    assert.ok(e.details.fields.room_type);
    e = assertError(await srv.api('POST', '/api/forums/rooms', { token: u.token, body: { room_type: 'beat' } }), 422);
    assert.ok(e.details.fields.beat_id);
    e = assertError(await srv.api('POST', '/api/forums/rooms', { token: u.token, body: { room_type: 'genre' } }), 422);
    assert.ok(e.details.fields.genre);
    assertError(await srv.api('POST', '/api/forums/rooms',
      { token: u.token, body: { room_type: 'beat', beat_id: UNKNOWN } }), 404, 'not_found');

    const list = assertStatus(await srv.api('GET', '/api/forums/rooms'), 200, 'public list');
    const ids = list.rooms.map((r) => r.room_id);
    for (const id of [br.room_id, gr.room_id, dflt.room_id]) assert.ok(ids.includes(id), `listed ${id}`);
    list.rooms.forEach((r) => assertRoom(r));
    // Newest first, and pages.
    assert.ok(ids.indexOf(dflt.room_id) < ids.indexOf(br.room_id));
    const p1 = assertStatus(await srv.api('GET', '/api/forums/rooms?limit=1'), 200, 'page 1');
    assert.equal(p1.rooms.length, 1);
    assert.equal(typeof p1.next_cursor, 'string');
    const p2 = assertStatus(await srv.api('GET', `/api/forums/rooms?limit=1&cursor=${encodeURIComponent(p1.next_cursor)}`), 200, 'p2');
    assert.notEqual(p2.rooms[0].room_id, p1.rooms[0].room_id);
    assertError(await srv.api('GET', '/api/forums/rooms?cursor=nope'), 400, 'invalid_cursor');

    // ?beat_id= finds a beat's open rooms (how the UI joins a beat's room), and nothing else.
    const forBeat = assertStatus(await srv.api('GET', `/api/forums/rooms?beat_id=${beat.beat_id}`), 200, 'by beat');
    assert.ok(forBeat.rooms.length >= 1);
    assert.ok(forBeat.rooms.some((r) => r.room_id === br.room_id));
    for (const r of forBeat.rooms) assert.equal(r.beat_id, beat.beat_id);
    assert.deepEqual(assertStatus(await srv.api('GET', `/api/forums/rooms?beat_id=${UNKNOWN}`), 200).rooms, []);
  });

  test('three members: every message reaches all three, history lists them, closing tells and disconnects each', async () => {
    const [owner, b, c] = [await srv.signup(), await srv.signup(), await srv.signup()];
    const room = assertStatus(await srv.api('POST', '/api/forums/rooms',
      { token: owner.token, body: { room_type: 'beat', beat_id: beat.beat_id, name: 'Live' } }), 201, 'room');
    const members = [await connect(room.room_id, owner.token), await connect(room.room_id, b.token),
      await connect(room.room_id, c.token)];
    await membersOnline(room.room_id, 3);

    const sent = [[0, 'first!'], [1, '<b>bold</b> & "quoted" \u{1F3B5}'], [2, 'third']];
    for (const [i, text] of sent) members[i].ws.send(JSON.stringify({ message: text }));
    for (const m of members) await until(m, (x) => x.frames.filter((f) => f.type === 'forum.message').length === 3, '3 messages');
    const users = [owner, b, c];
    for (const m of members) {
      const msgs = m.frames.filter((f) => f.type === 'forum.message');
      // The same order for everyone (commit order); each sender's messages in the order sent.
      assert.deepEqual(msgs.map((f) => f.message).sort(), sent.map(([, t]) => t).sort());
      for (const f of msgs) {
        assert.equal(f.room_id, room.room_id);
        assert.match(f.created_at, RFC3339);
        assert.equal(typeof f.message_id, 'string');
        const [i] = sent.find(([, t]) => t === f.message);
        assertFields(f, { user_id: users[i].id, username: users[i].username });
      }
    }
    assert.deepEqual(members[0].frames.filter((f) => f.type === 'forum.message').map((f) => f.message_id),
      members[2].frames.filter((f) => f.type === 'forum.message').map((f) => f.message_id));

    // Bad input: an error frame, the socket stays open, nothing is broadcast.
    members[1].ws.send('not json');
    members[1].ws.send(JSON.stringify({ message: '' }));
    members[1].ws.send(JSON.stringify({ message: 'x'.repeat(2001) }));
    members[1].ws.send(JSON.stringify({ text: 'wrong field' }));
    await until(members[1], (x) => x.frames.filter((f) => f.type === 'error').length === 4, '4 error frames');
    assert.equal(members[1].closed, null);
    assert.equal(members[0].frames.filter((f) => f.type === 'error').length, 0);

    // History: oldest to newest, with cursor paging back.
    const order = members[0].frames.filter((f) => f.type === 'forum.message').map((f) => f.message_id);
    const h = assertStatus(await srv.api('GET', `/api/forums/rooms/${room.room_id}/messages`), 200, 'history');
    assert.equal(h.room_id, room.room_id);
    assert.deepEqual(h.messages.map((m) => m.message_id), order);
    assert.equal(h.next_cursor, null);
    for (const m of h.messages) {
      for (const k of ['message_id', 'room_id', 'user_id', 'username', 'message', 'created_at']) assert.ok(k in m, k);
    }
    const h1 = assertStatus(await srv.api('GET', `/api/forums/rooms/${room.room_id}/messages?limit=2`), 200, 'h1');
    assert.deepEqual(h1.messages.map((m) => m.message_id), order.slice(1));
    const h2 = assertStatus(await srv.api('GET',
      `/api/forums/rooms/${room.room_id}/messages?limit=2&cursor=${encodeURIComponent(h1.next_cursor)}`), 200, 'h2');
    assert.deepEqual(h2.messages.map((m) => m.message_id), order.slice(0, 1));
    assert.equal(h2.next_cursor, null);

    // Only its owner, the beat's producer (or an admin), closes it: not a member, not whoever opened it.
    assertError(await srv.api('DELETE', `/api/forums/rooms/${room.room_id}`, { token: b.token }), 403, 'forbidden');
    assertError(await srv.api('DELETE', `/api/forums/rooms/${room.room_id}`, { token: owner.token }), 403, 'forbidden');
    const closed = assertStatus(await srv.api('DELETE', `/api/forums/rooms/${room.room_id}`, { token: producer.token }), 200, 'close');
    assert.match(closed.closed_at, RFC3339);
    for (const m of members) {
      await until(m, (x) => x.closed !== null, 'the close');
      assert.equal(m.closed.code, 1000);
      const last = m.frames[m.frames.length - 1];
      assert.deepEqual(last, { type: 'forum.closed', room_id: room.room_id });
    }
    // Gone from the active list; the history stays; the socket cannot be opened again.
    const list = assertStatus(await srv.api('GET', '/api/forums/rooms?limit=100'), 200, 'rooms');
    assert.ok(!list.rooms.some((r) => r.room_id === room.room_id));
    assert.equal(assertStatus(await srv.api('GET', `/api/forums/rooms/${room.room_id}/messages`), 200, 'h').messages.length, 3);
    assert.equal((await refusal({ roomId: room.room_id, token: b.token })).status, 404);
  });

  test('an admin closes anyone\'s room', async () => {
    const u = await srv.signup();
    const room = assertStatus(await srv.api('POST', '/api/forums/rooms',
      { token: u.token, body: { room_type: 'genre', genre: 'drill' } }), 201, 'room');
    const member = await connect(room.room_id, u.token);
    await membersOnline(room.room_id, 1);
    const name = uniqueName('admin');
    const cli = await runCliAsync(['user', 'create', '--username', name, '--email', `${name}@example.test`,
      '--password', PASSWORD, '--admin', '--data-dir', srv.dataDir]);
    assert.equal(cli.code, 0, cli.stderr);
    const admin = assertStatus(await srv.login(name), 200, 'admin login');
    assertStatus(await srv.api('DELETE', `/api/forums/rooms/${room.room_id}`, { token: admin.token }), 200, 'admin close');
    await until(member, (x) => x.closed !== null, 'the close');
    assert.equal(member.closed.code, 1000);
    assert.deepEqual(member.frames.at(-1), { type: 'forum.closed', room_id: room.room_id });
  });

  test('handshake refusals: no token 401, unknown room 404; unknown room history 404', async () => {
    const u = await srv.signup();
    const room = assertStatus(await srv.api('POST', '/api/forums/rooms',
      { token: u.token, body: { room_type: 'genre', genre: 'house' } }), 201, 'room');
    assert.equal((await refusal({ roomId: room.room_id })).status, 401);
    assert.equal((await refusal({ roomId: room.room_id, token: 'garbage' })).status, 401);
    const unknown = await refusal({ roomId: UNKNOWN, token: u.token });
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).error.code, 'not_found');
    assertError(await srv.api('GET', `/api/forums/rooms/${UNKNOWN}/messages`), 404, 'not_found');
    assertError(await srv.api('DELETE', `/api/forums/rooms/${UNKNOWN}`, { token: u.token }), 404, 'not_found');
    // A member who leaves is no longer counted.
    const m = await connect(room.room_id, u.token);
    await membersOnline(room.room_id, 1);
    m.ws.close();
    await membersOnline(room.room_id, 0);
  });

  test('the OpenAPI spec documents the forums routes', async () => {
    const spec = assertStatus(await srv.api('GET', '/api/openapi.json'), 200, 'spec');
    for (const p of ['/api/forums/rooms', '/api/forums/rooms/{room_id}', '/api/forums/rooms/{room_id}/messages',
      '/api/forums/connect']) {
      assert.ok(spec.paths[p], `spec has ${p}`);
    }
    assert.ok(spec.components.schemas.Room);
    assert.equal(spec.paths['/api/forums/rooms'].post.tags[0], 'forums');
  });
});
