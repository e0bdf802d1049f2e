// Test audio and upload helpers for the beats/playlists integration tests. Audio is generated at
// test time with the ffmpeg CLI into a temp dir (never committed); uploads go through fetch's
// FormData, or through raw sockets when a test must control every byte (cut-off bodies, lying
// Content-Length). Nothing here knows the server's internals, only the documented contract.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import assert from 'node:assert/strict';
import { assertStatus, sleep, tempDir } from './harness.mjs';

let mediaDir = null;
function dir() {
  if (!mediaDir) mediaDir = tempDir('backbeat-audio-');
  return mediaDir;
}

let fileCounter = 0;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'buffer', timeout: 120000, maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-2000)}`);
  return r.stdout;
}

// Generates an audio file and returns its path.
//   kind: 'sine' (freq Hz) | 'noise' (pink noise, amplitude) | 'mix' (sine + quiet noise)
//   format: 'wav' | 'mp3'; seconds; channels; rate.
export function makeAudio({
  kind = 'sine', seconds = 3, freq = 440, amplitude = 0.3, format = 'wav', channels = 1, rate = 44100, name,
} = {}) {
  fileCounter += 1;
  const file = path.join(dir(), name ?? `${kind}-${freq}-${seconds}s-${fileCounter}.${format}`);
  let src;
  if (kind === 'sine') src = `sine=frequency=${freq}:sample_rate=${rate}:duration=${seconds}`;
  else if (kind === 'noise') src = `anoisesrc=color=pink:amplitude=${amplitude}:sample_rate=${rate}:duration=${seconds}:seed=${fileCounter}`;
  else if (kind === 'mix') {
    src = `aevalsrc=exprs='${amplitude}*sin(2*PI*${freq}*t)+0.02*sin(2*PI*${freq * 3 + fileCounter}*t)':s=${rate}:d=${seconds}`;
  } else throw new Error(`unknown kind ${kind}`);
  const codec = format === 'mp3' ? ['-c:a', 'libmp3lame', '-b:a', '192k'] : ['-c:a', 'pcm_s16le'];
  run('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', src, '-ac', String(channels), '-ar', String(rate),
    ...codec, file]);
  return file;
}

// Writes arbitrary bytes to a temp file (for the not-audio cases) and returns its path.
export function writeTemp(name, content) {
  fileCounter += 1;
  const sub = path.join(dir(), `f${fileCounter}`);
  fs.mkdirSync(sub, { recursive: true });
  const file = path.join(sub, name);
  fs.writeFileSync(file, content);
  return file;
}

// ffprobe's view of a file (path or Buffer): {duration (s), bit_rate (bit/s), format_name, codec}.
export function probe(fileOrBuffer) {
  let file = fileOrBuffer;
  if (Buffer.isBuffer(fileOrBuffer)) file = writeTemp('probe.bin', fileOrBuffer);
  const out = run('ffprobe', ['-v', 'error', '-show_entries', 'format=bit_rate,duration,format_name:stream=codec_name',
    '-of', 'json', file]).toString();
  const j = JSON.parse(out);
  return {
    duration: Number(j.format?.duration),
    bit_rate: Number(j.format?.bit_rate),
    format_name: j.format?.format_name,
    codec: j.streams?.[0]?.codec_name,
  };
}

// Decodes audio (path or Buffer) to mono signed 16-bit samples at `rate` Hz (an Int16Array).
export function decodePcm(fileOrBuffer, rate = 8000) {
  let file = fileOrBuffer;
  if (Buffer.isBuffer(fileOrBuffer)) file = writeTemp('decode.bin', fileOrBuffer);
  const raw = run('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-ac', '1', '-ar', String(rate), '-f', 's16le', '-']);
  return new Int16Array(raw.buffer, raw.byteOffset, Math.floor(raw.length / 2));
}

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

// ---------------------------------------------------------------------------------------------
// Uploads

// Uploads a beat with FormData. file: a path (its basename is the filename) or {data, filename, type}.
// fields: {title, price, ...} (values are stringified). Returns {status, headers, json, text}.
export async function upload(srv, token, file, fields = {}, { path: p = '/api/beats/upload', method = 'POST', fieldName = 'file' } = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    form.append(k, typeof v === 'string' ? v : (typeof v === 'object' ? JSON.stringify(v) : String(v)));
  }
  if (file) {
    let data; let filename; let type;
    if (typeof file === 'string') {
      data = fs.readFileSync(file);
      filename = path.basename(file);
      type = filename.endsWith('.mp3') ? 'audio/mpeg' : filename.endsWith('.wav') ? 'audio/wav' : 'application/octet-stream';
    } else {
      ({ data, filename, type = 'application/octet-stream' } = file);
    }
    form.append(fieldName, new Blob([data], { type }), filename);
  }
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(srv.base + p, { method, headers, body: form });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}

// Uploads and asserts 201 with status "processing"; returns the Beat.
export async function uploadOk(srv, token, file, fields = {}) {
  const r = await upload(srv, token, file, fields);
  const b = assertStatus(r, 201, `upload ${typeof file === 'string' ? path.basename(file) : file?.filename}`);
  assert.equal(b.status, 'processing', `a new upload is processing: ${r.text}`);
  return b;
}

// Polls GET /api/beats/{id} until its status is not "processing"; asserts it is `want`.
export async function waitStatus(srv, id, { want = 'ready', timeoutMs = 60000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await srv.api('GET', `/api/beats/${id}`);
    if (last.status === 200 && last.json.status !== 'processing') break;
    await sleep(150);
  }
  assert.equal(last?.status, 200, `GET /api/beats/${id}: ${last?.status} ${last?.text}`);
  assert.equal(last.json.status, want, `beat ${id} should end ${want} within ${timeoutMs} ms: ${last.text}`);
  return last.json;
}

export const waitReady = (srv, id, timeoutMs = 60000) => waitStatus(srv, id, { want: 'ready', timeoutMs });

// GET (or another method) returning the body as a Buffer.
export async function fetchBytes(srv, p, { method = 'GET', headers = {}, token } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(srv.base + p, { method, headers: h, redirect: 'manual' });
  const body = Buffer.from(await res.arrayBuffer());
  let json = null;
  try { json = JSON.parse(body.toString('utf8')); } catch { /* audio */ }
  return { status: res.status, headers: res.headers, body, json, text: body.toString('utf8', 0, Math.min(body.length, 2000)) };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP over a socket, for requests fetch will not send (cut-off bodies, lying lengths).

// Sends `head` (request line + headers, without the blank line) and then the body chunks;
// resolves with the parsed answer: {status, headers (lower-case keys), body, text, json,
// answeredAfterBytes (how many body bytes had been written when the answer's first byte came),
// closed}. With sendBody=false only the headers go out and we wait for the answer.
export function rawRequest(srv, head, body = Buffer.alloc(0), { sendBody = true, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(srv.port, srv.host);
    let buf = Buffer.alloc(0);
    let bodyBytesSent = 0;
    let answeredAfter = null;
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no complete answer within ${timeoutMs} ms; got so far: ${buf.toString('latin1').slice(0, 500)}`)), timeoutMs);

    function parse(closed) {
      const sep = buf.indexOf('\r\n\r\n');
      if (sep < 0) return null;
      const lines = buf.subarray(0, sep).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
      if (!m) return { error: new Error(`not an HTTP answer: ${lines[0]}`) };
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const rest = buf.subarray(sep + 4);
      const len = headers['content-length'] !== undefined ? Number(headers['content-length']) : null;
      if (len !== null && rest.length < len && !closed) return null;
      if (len === null && !closed) return null;
      const b = len === null ? rest : rest.subarray(0, len);
      const text = b.toString('utf8');
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: Number(m[1]), headers, body: b, text, json, closed };
    }

    function finish(err, res) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve({ ...res, answeredAfterBytes: answeredAfter });
    }

    sock.on('connect', async () => {
      sock.write(`${head}\r\n\r\n`);
      if (!sendBody) return;
      // Write the body in pieces so that an early answer can be noticed.
      const step = 64 * 1024;
      for (let i = 0; i < body.length && !done && !sockError; i += step) {
        const piece = body.subarray(i, i + step);
        const ok = sock.write(piece);
        bodyBytesSent += piece.length;
        if (!ok) await new Promise((r) => sock.once('drain', r));
      }
    });
    sock.on('data', (d) => {
      if (answeredAfter === null) answeredAfter = bodyBytesSent;
      buf = Buffer.concat([buf, d]);
      const r = parse(false);
      if (r?.error) finish(r.error);
      else if (r) finish(null, r);
    });
    let sockError = null;
    sock.on('error', (e) => {
      // A write error (EPIPE) or a reset after the server answered early and closed is not the
      // end of the story: what the server sent may still be readable. 'close' decides.
      sockError = e;
    });
    sock.on('close', () => {
      const r = parse(true);
      if (r?.error) finish(r.error);
      else if (r) finish(null, r);
      else finish(sockError ?? new Error(`connection closed without a complete answer: ${buf.toString('latin1').slice(0, 500)}`));
    });
    sock.on('end', () => {
      const r = parse(true);
      if (r?.error) finish(r.error);
      else if (r) finish(null, r);
      else finish(new Error(`connection closed without a complete answer: ${buf.toString('latin1').slice(0, 500)}`));
    });
  });
}

// Builds a multipart/form-data body by hand. parts: [{name, value} | {name, filename, type, data}].
// Returns {boundary, body (Buffer), contentType}. With close=false the closing boundary is left off.
export function multipartBody(parts, { close = true, boundary = `----bbtest${Math.random().toString(16).slice(2)}` } = {}) {
  const chunks = [];
  for (const p of parts) {
    let h = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) h += `; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}`;
    chunks.push(Buffer.from(`${h}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(String(p.value ?? p.data ?? '')));
    chunks.push(Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { boundary, body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

// ---------------------------------------------------------------------------------------------
// Data dir inspection

function listFiles(root) {
  const out = [];
  if (!fs.existsSync(root)) return out;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

// {originals: [relative paths], tmp: [relative paths]} under the server's data dir.
export function storeSnapshot(dataDir) {
  return {
    originals: listFiles(path.join(dataDir, 'media', 'originals')),
    tmp: listFiles(path.join(dataDir, 'tmp')),
  };
}

// Ids of the ready beats listed for a producer (all pages).
export async function producerBeatIds(srv, producer) {
  const ids = [];
  let cursor = null;
  for (let i = 0; i < 50; i += 1) {
    const q = new URLSearchParams({ producer, limit: '100' });
    if (cursor) q.set('cursor', cursor);
    const r = assertStatus(await srv.api('GET', `/api/beats?${q}`), 200, 'list producer beats');
    ids.push(...r.beats.map((b) => b.beat_id));
    cursor = r.next_cursor;
    if (!cursor) break;
  }
  return ids.sort();
}
