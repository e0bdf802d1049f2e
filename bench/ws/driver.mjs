// Drives one server through bench/ws's two measurements and prints one JSON object on stdout
// (progress goes to stderr). The server is already running; bench/ws.sh starts and stops it.
//   idle:   BENCH_WS_CONNS connections, spread over BENCH_WS_PROCS client processes, opened to
//           --idle-url and held; VmRSS of --pid before and after -> KiB per connection.
//   fan-out: a room of BENCH_WS_ROOM members (one of them the sender, in its own process);
//           flooded (at most --window in flight, counted by the sender's own echoes) and paced
//           (--rate per second), each for --duration seconds; deliveries summed over members,
//           latency from the send timestamp inside the message to its receipt.
// Usage: node driver.mjs --name N --pid PID --idle-url URL --room-url URL [--conns 10000]
//          [--procs 4] [--room 1000] [--duration 10] [--window 200] [--rate 50]
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { cpuSeconds, mergeInto, newHistogram, nowUs, quantileMs, rssKiB, sleep } from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    name: { type: 'string' },
    pid: { type: 'string' },
    'idle-url': { type: 'string' },
    'room-url': { type: 'string' },
    conns: { type: 'string', default: '10000' },
    procs: { type: 'string', default: '4' },
    room: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    window: { type: 'string', default: '200' },
    rate: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '64' },
    timeout: { type: 'string', default: '120' },
  },
});
const pid = Number(opt.pid);
const CONNS = Number(opt.conns);
const PROCS = Math.max(1, Number(opt.procs));
const ROOM = Math.max(2, Number(opt.room));
const DURATION_MS = Number(opt.duration) * 1000;
const WINDOW = Number(opt.window);
const RATE = Number(opt.rate);
const CONCURRENCY = Number(opt.concurrency);
const DRAIN_MS = 10000;  // at most this long after the last send for the last deliveries
const log = (...a) => console.error(`bench[${opt.name}]:`, ...a);

const children = new Set();
function spawnClient() {
  const child = fork(new URL('./client.mjs', import.meta.url).pathname, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const pending = new Map();
  let nextId = 1;
  child.on('message', ({ id, result, error }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (error) p.reject(new Error(error));
    else p.resolve(result);
  });
  child.on('exit', (code, signal) => {
    children.delete(child);
    for (const p of pending.values()) p.reject(new Error(`client exited (${code ?? signal})`));
    pending.clear();
  });
  return {
    child,
    req(msg) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ ...msg, id });
      });
    },
  };
}
async function stopClients(clients) {
  await Promise.allSettled(clients.map((c) => c.req({ cmd: 'close' })));
  for (const c of clients) c.child.kill('SIGTERM');
  await sleep(100);
}
function killAll() {
  for (const child of children) child.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const watchdog = setTimeout(() => {
  log(`gave up after ${opt.timeout}s`);
  process.exit(2);
}, Number(opt.timeout) * 1000);

function split(total, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
function addCloses(into, from) {
  for (const [code, n] of Object.entries(from)) into[code] = (into[code] ?? 0) + n;
}

async function idle() {
  await sleep(500);
  const rssBefore = rssKiB(pid);
  const cpu0 = cpuSeconds(pid);
  const clients = Array.from({ length: PROCS }, spawnClient);
  log(`opening ${CONNS} idle connections from ${PROCS} processes`);
  const opened = await Promise.all(
    split(CONNS, PROCS).map((n, i) => clients[i].req({ cmd: 'open', url: opt['idle-url'], count: n, concurrency: CONCURRENCY })),
  );
  const connectS = Math.max(...opened.map((r) => r.ms)) / 1000;
  await sleep(2000);  // let the server finish with the handshakes before reading its RSS
  const rssAfter = rssKiB(pid);
  const cpu1 = cpuSeconds(pid);
  const held = await Promise.all(clients.map((c) => c.req({ cmd: 'stats' })));
  const errors = {};
  for (const r of opened) addCloses(errors, r.errors);
  const closes = {};
  for (const s of held) addCloses(closes, s.closes);
  const result = {
    conns: CONNS,
    opened: sum(opened.map((r) => r.opened)),
    failed: sum(opened.map((r) => r.failed)),
    errors,
    still_open: sum(held.map((s) => s.open)),
    closed_by_server: closes,
    rss_before_kib: rssBefore,
    rss_after_kib: rssAfter,
    connect_s: connectS,
    server_cpu_s: cpu1 - cpu0,
    client_cpu_s: sum(opened.map((r) => r.cpu_s)),
  };
  result.kib_per_conn = result.opened > 0 ? (rssAfter - rssBefore) / result.opened : null;
  log(`idle: ${result.opened} open (${result.failed} failed) in ${connectS.toFixed(1)}s, ` +
    `RSS ${rssBefore} -> ${rssAfter} KiB`);
  await stopClients(clients);
  return result;
}

async function fanout() {
  const receivers = Array.from({ length: PROCS }, spawnClient);
  const sender = spawnClient();
  const everyone = [...receivers, sender];
  log(`opening a room of ${ROOM} (${ROOM - 1} receivers in ${PROCS} processes + the sender)`);
  const opened = await Promise.all(
    split(ROOM - 1, PROCS).map((n, i) => receivers[i].req({ cmd: 'open', url: opt['room-url'], count: n, concurrency: CONCURRENCY })),
  );
  const sOpen = await sender.req({ cmd: 'open', url: opt['room-url'], count: 1, concurrency: 1 });
  const members = sum(opened.map((r) => r.opened)) + sOpen.opened;
  if (sOpen.opened !== 1) throw new Error(`the sender could not connect: ${JSON.stringify(sOpen.errors)}`);
  if (members !== ROOM) log(`warning: only ${members} of ${ROOM} members connected`);
  await sleep(500);

  async function run(mode) {
    await Promise.all(everyone.map((c) => c.req({ cmd: 'reset' })));
    const cpu0 = cpuSeconds(pid);
    const sent = mode === 'flood'
      ? await sender.req({ cmd: 'flood', durationMs: DURATION_MS, window: WINDOW })
      : await sender.req({ cmd: 'paced', durationMs: DURATION_MS, rate: RATE });
    const expected = sent.sent * members;
    const drainEnd = Date.now() + DRAIN_MS;
    for (;;) {
      const counts = await Promise.all(everyone.map((c) => c.req({ cmd: 'count' })));
      const got = sum(counts.map((c) => c.received));
      const closed = sum(counts.map((c) => c.closed));
      // Members the server cut off will not get the rest: stop waiting once the others have it all.
      if (got >= expected - closed * sent.sent || Date.now() >= drainEnd) break;
      await sleep(100);
    }
    const cpu1 = cpuSeconds(pid);
    const stats = await Promise.all(everyone.map((c) => c.req({ cmd: 'stats' })));
    const hist = newHistogram();
    const closes = {};
    let lastUs = 0;
    for (const s of stats) {
      mergeInto(hist, s.hist);
      addCloses(closes, s.closes);
      lastUs = Math.max(lastUs, s.last_us);
    }
    const delivered = sum(stats.map((s) => s.received));
    const spanS = (lastUs - sent.t0_us) / 1e6;
    const other = sum(stats.map((s) => s.other));
    const r = {
      mode,
      members,
      sent: sent.sent,
      send_s: (sent.last_send_us - sent.t0_us) / 1e6,
      expected,
      delivered,
      span_s: spanS,
      delivered_per_s: spanS > 0 ? delivered / spanS : 0,
      sent_per_s: spanS > 0 ? sent.sent / spanS : 0,
      offered_per_s: mode === 'paced' ? RATE * members : null,
      p50_ms: quantileMs(hist, 0.5),
      p99_ms: quantileMs(hist, 0.99),
      server_cpu_s: cpu1 - cpu0,
      server_cpu_us_per_msg: delivered > 0 ? ((cpu1 - cpu0) / delivered) * 1e6 : null,
      client_cpu_s: sum(stats.map((s) => s.cpu_s)),
      other_frames: other,
      other_sample: stats.map((s) => s.other_sample).find((x) => x) ?? null,
      closed_by_server: closes,
    };
    if (delivered < expected) log(`warning: ${mode}: ${expected - delivered} of ${expected} deliveries missing`);
    if (other > 0) log(`warning: ${mode}: ${other} frames without the marker, e.g. ${r.other_sample}`);
    if (Object.keys(closes).length) log(`warning: ${mode}: the server closed members: ${JSON.stringify(closes)}`);
    log(`${mode}: sent ${r.sent}, delivered ${delivered} in ${spanS.toFixed(2)}s = ` +
      `${Math.round(r.delivered_per_s)}/s, p50 ${r.p50_ms?.toFixed(2)} ms, p99 ${r.p99_ms?.toFixed(2)} ms`);
    return r;
  }

  // A short paced warm-up (not measured): the room works, the code paths are hot.
  await sender.req({ cmd: 'paced', durationMs: 500, rate: 20 });
  await sleep(500);
  const flood = await run('flood');
  await sleep(1000);
  const paced = await run('paced');
  await stopClients(everyone);
  return { flood, paced };
}

try {
  const t0 = nowUs();
  const result = { name: opt.name, idle: await idle() };
  await sleep(1000);  // the server notices the closes
  Object.assign(result, await fanout());
  result.wall_s = (nowUs() - t0) / 1e6;
  clearTimeout(watchdog);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
} catch (err) {
  log(String(err?.stack ?? err));
  process.exit(1);
}
