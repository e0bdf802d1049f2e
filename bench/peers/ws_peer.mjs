// The stand-in peer for bench/ws.sh: a minimal Node `ws` room server, what a small team would write
// first. GET /api/forums/connect?roomId=<id> (any other path too; no auth, no storage) joins the
// room; each message received is parsed, wrapped in a frame shaped like Backbeat's forum.message,
// serialised once (one JSON.stringify per broadcast, one Buffer shared by every send) and sent to
// every client in the room, the sender included. perMessageDeflate is off.
// Usage: PORT=0 node bench/peers/ws_peer.mjs    prints {"listening": <port>} once it listens.
import { createRequire } from 'node:module';

const testsPackage = process.env.BENCH_WS_FROM ?? new URL('../../tests/package.json', import.meta.url).pathname;
const { WebSocketServer } = createRequire(testsPackage)('ws');

const rooms = new Map();  // roomId -> Set of sockets
let nextId = 0;

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  perMessageDeflate: false,
  clientTracking: false,
});

wss.on('connection', (ws, req) => {
  const roomId = new URL(req.url, 'http://x').searchParams.get('roomId') ?? 'default';
  let room = rooms.get(roomId);
  if (!room) rooms.set(roomId, (room = new Set()));
  room.add(ws);
  ws.on('error', () => {});
  ws.on('close', () => {
    room.delete(ws);
    if (room.size === 0 && rooms.get(roomId) === room) rooms.delete(roomId);
  });
  ws.on('message', (data, isBinary) => {
    let text;
    try {
      text = JSON.parse(data.toString()).message;
    } catch {
      text = undefined;
    }
    if (isBinary || typeof text !== 'string') {
      ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: 'send {"message": "..."}' }));
      return;
    }
    const frame = Buffer.from(JSON.stringify({
      type: 'forum.message',
      message_id: `m${(++nextId).toString(36).padStart(12, '0')}`,
      room_id: roomId,
      user_id: 'peer-user',
      username: 'peer',
      message: text,
      created_at: new Date().toISOString(),
    }));
    for (const client of room) {
      if (client.readyState === 1) client.send(frame, { binary: false });
    }
  });
});

wss.on('listening', () => {
  process.stdout.write(JSON.stringify({ listening: wss.address().port }) + '\n');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
