// One client process of bench/ws (forked by driver.mjs, driven over the IPC channel). It opens
// WebSocket connections, holds them, counts what they receive and, when it is the sender, sends
// {"message": "@@<send time, us>@<seq>"} flooded (a bounded number in flight) or paced.
// Receivers find the marker in the raw frame bytes, so the same code reads Backbeat's
// forum.message frames and the peer's frames, without parsing JSON per delivery.
import { WebSocket, nowUs, newHistogram, record, sleep } from './lib.mjs';

const conns = [];
let closingAll = false;

// What was received since the last reset.
let received = 0;  // frames carrying the marker
let other = 0;     // any other frame (an error answer, say); the first is kept for the report
let otherSample = null;
let firstUs = 0;
let lastUs = 0;
let hist = newHistogram();
let cpuBase = process.cpuUsage();
const closes = {};  // close code -> count, for connections the server closed
let onEcho = null;  // set while this process is sending: called after each receipt

const MARK = Buffer.from('@@');
function onMessage(data) {
  const now = nowUs();
  const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data);
  const at = buf.indexOf(MARK);
  if (at < 0) {
    other++;
    if (otherSample === null) otherSample = buf.toString('utf8', 0, Math.min(buf.length, 300));
    return;
  }
  let sentUs = 0;
  for (let j = at + 2, c = buf[j]; c >= 48 && c <= 57; c = buf[++j]) sentUs = sentUs * 10 + (c - 48);
  record(hist, now - sentUs);
  if (received === 0) firstUs = now;
  received++;
  lastUs = now;
  if (onEcho !== null) onEcho();
}

function onClose(code) {
  if (!closingAll) closes[code] = (closes[code] ?? 0) + 1;
}

function open(url, count, concurrency) {
  const cpu0 = process.cpuUsage();
  const t0 = nowUs();
  const errors = {};
  let started = 0;
  let opened = 0;
  let failed = 0;
  let active = 0;
  return new Promise((resolve) => {
    const finish = () => {
      const cpu = process.cpuUsage(cpu0);
      resolve({ opened, failed, errors, ms: (nowUs() - t0) / 1000, cpu_s: (cpu.user + cpu.system) / 1e6 });
    };
    if (count <= 0) return finish();
    const launch = () => {
      while (active < concurrency && started < count) {
        started++;
        active++;
        const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 15000 });
        let settled = false;
        const done = (ok, why) => {
          if (settled) return;
          settled = true;
          active--;
          if (ok) {
            opened++;
            conns.push(ws);
          } else {
            failed++;
            errors[why] = (errors[why] ?? 0) + 1;
          }
          if (opened + failed === count) finish();
          else launch();
        };
        ws.on('open', () => done(true));
        ws.on('error', (e) => done(false, String(e.message).slice(0, 80)));
        ws.on('message', onMessage);
        ws.on('close', onClose);
      }
    };
    launch();
  });
}

function reset() {
  received = 0;
  other = 0;
  otherSample = null;
  firstUs = 0;
  lastUs = 0;
  hist = newHistogram();
  for (const k of Object.keys(closes)) delete closes[k];
  cpuBase = process.cpuUsage();
}

function stats() {
  const cpu = process.cpuUsage(cpuBase);
  let open = 0;
  for (const ws of conns) if (ws.readyState === WebSocket.OPEN) open++;
  return {
    received, other, other_sample: otherSample, first_us: firstUs, last_us: lastUs, hist: Array.from(hist),
    cpu_s: (cpu.user + cpu.system) / 1e6, closes: { ...closes }, open,
  };
}

const frame = (seq) => JSON.stringify({ message: `@@${nowUs()}@${seq} bench` });

// Keep up to `window` messages in flight (sent, not yet come back to this connection) for
// durationMs; every echo tops the window up.
function flood(durationMs, window) {
  const ws = conns[0];
  const base = received;
  const t0 = nowUs();
  const end = t0 + durationMs * 1000;
  let sent = 0;
  let lastSendUs = t0;
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      onEcho = null;
      clearTimeout(timer);
      resolve({ sent, t0_us: t0, last_send_us: lastSendUs, in_flight_at_end: sent - (received - base) });
    };
    const pump = () => {
      while (sent - (received - base) < window) {
        const now = nowUs();
        if (now >= end) return finish();
        ws.send(frame(sent));
        sent++;
        lastSendUs = now;
      }
    };
    const timer = setTimeout(finish, durationMs + 5);  // ends the run even if nothing comes back
    onEcho = pump;
    pump();
  });
}

// `rate` messages per second for durationMs, on a fixed schedule (late sends catch up).
async function paced(durationMs, rate) {
  const ws = conns[0];
  const total = Math.round((durationMs / 1000) * rate);
  const intervalUs = 1e6 / rate;
  const t0 = nowUs();
  let sent = 0;
  let lastSendUs = t0;
  while (sent < total) {
    const due = t0 + sent * intervalUs;
    const now = nowUs();
    if (now < due) {
      await sleep(Math.max(0, Math.floor((due - now) / 1000)));
      continue;
    }
    ws.send(frame(sent));
    sent++;
    lastSendUs = nowUs();
  }
  return { sent, t0_us: t0, last_send_us: lastSendUs };
}

async function handle(msg) {
  switch (msg.cmd) {
    case 'open': return open(msg.url, msg.count, msg.concurrency ?? 64);
    case 'reset': reset(); return { ok: true };
    case 'stats': return stats();
    case 'count': return { received, other, closed: Object.values(closes).reduce((a, b) => a + b, 0) };
    case 'flood': return flood(msg.durationMs, msg.window);
    case 'paced': return paced(msg.durationMs, msg.rate);
    case 'close': {
      closingAll = true;
      for (const ws of conns) ws.terminate();
      conns.length = 0;
      await sleep(50);
      return { ok: true };
    }
    default: throw new Error(`unknown command ${msg.cmd}`);
  }
}

process.on('message', (msg) => {
  handle(msg).then(
    (result) => process.send({ id: msg.id, result }),
    (err) => process.send({ id: msg.id, error: String(err?.stack ?? err) }),
  );
});
// The driver went away (finished, killed, timed out): so do we.
process.on('disconnect', () => process.exit(0));
