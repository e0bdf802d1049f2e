// A reader that stops reading is cut off (close 1008) instead of growing the server's memory,
// while the other members of the room keep receiving everything.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--ws-rate', '0'] }); });
after(async () => { await srv?.close(); });

function open(roomId, token) {
  return new Promise((resolve, reject) => {
    const url = `${srv.base.replace(/^http/, 'ws')}/api/forums/connect?${new URLSearchParams({ roomId, token })}`;
    const ws = new WebSocket(url);
    const client = { ws, received: 0, closed: null };
    ws.on('message', () => { client.received += 1; });
    ws.on('close', (code) => { client.closed = code; });
    ws.on('open', () => resolve(client));
    ws.on('error', reject);
  });
}

test('a member that stops reading is closed with 1008; the others get every message', async () => {
  const owner = await srv.signup();
  const room = await srv.api('POST', '/api/forums/rooms', { token: owner.token, body: { room_type: 'genre', genre: 'trap' } });
  assert.equal(room.status, 201, room.text);
  const roomId = room.json.room_id;
  const reader = await open(roomId, (await srv.signup()).token);
  const slow = await open(roomId, (await srv.signup()).token);
  const sender = await open(roomId, owner.token);
  slow.ws._socket.pause();  // stops reading: the kernel buffers fill, then the server's queue

  const total = 3000;
  const text = 'x'.repeat(1900);  // ~2 KB frames: about 6 MB in all, more than the socket buffers hold
  for (let i = 0; i < total; i += 1) {
    sender.ws.send(JSON.stringify({ message: `${i} ${text}` }));
    if (i % 200 === 199) await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = Date.now() + 60000;
  while (reader.received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(reader.received, total, 'a reading member receives every message');

  slow.ws._socket.resume();
  const closeDeadline = Date.now() + 30000;
  while (slow.closed === null && Date.now() < closeDeadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(slow.closed, 1008, 'the member that stopped reading was cut off with 1008');
  assert.ok(slow.received < total, `the slow member did not get everything (${slow.received})`);
  for (const c of [reader, sender]) c.ws.close();
});
