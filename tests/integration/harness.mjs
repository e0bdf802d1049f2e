// Black-box harness: starts the real backbeat binary on a free port with a fresh data dir and
// talks to it over HTTP. Nothing here knows the server's internals; only the documented contract
// (CLI flags, JSON log lines on stderr, the HTTP API).
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const BIN = process.env.BACKBEAT_BIN || path.join(repoRoot, 'build', 'backbeat');
export const PASSWORD = 'correct-horse-battery';

// ---------------------------------------------------------------------------------------------
// Temp dirs and child processes are tracked so that they are removed/killed even when a test
// throws half-way (node:test runs each file in its own process, so 'exit' fires per file).
const tempDirs = new Set();
const children = new Set();

export function tempDir(prefix = 'backbeat-test-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

process.on('exit', () => {
  for (const child of children) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const dir of tempDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
});

// The environment for a child: the parent's minus every BACKBEAT_* setting (so a developer's
// shell cannot change what a test sees), plus what the test asks for.
export function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('BACKBEAT_')) env[k] = v;
  }
  return { ...env, ...extra };
}

// Runs the binary to completion (CLI commands). Returns {code, signal, stdout, stderr}.
export function runCli(args, { env = {}, timeoutMs = 20000, cwd } = {}) {
  const r = spawnSync(BIN, args, { env: childEnv(env), timeout: timeoutMs, encoding: 'utf8', cwd });
  if (r.error && r.error.code !== 'ETIMEDOUT') throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut: r.error?.code === 'ETIMEDOUT' };
}

// Async variant, for running the CLI while a server runs in this same process.
export function runCliAsync(args, { env = {}, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(p);
      resolve({ code, signal, stdout, stderr, timedOut: signal === 'SIGKILL' });
    });
  });
}

// A port that was free a moment ago (for tests that must choose their own port).
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Server

let userCounter = 0;

export class Server {
  constructor(opts) {
    this.opts = opts;
    this.root = opts.root;
    this.dataDir = opts.dataDir;
    this.proc = null;
    this.port = null;
    this.base = null;
    this._logs = [];
    this._stderr = '';
    this._exit = null;
  }

  // Spawns the binary and waits for the "listening" log line.
  async _spawn() {
    const o = this.opts;
    const args = o.rawArgs ?? [
      'serve',
      '--listen', o.listen ?? '127.0.0.1:0',
      '--data-dir', this.dataDir,
      '--log-format', 'json',
      '--access-log', String(o.accessLog ?? false),
      // Signups and logins are rate limited per client address by default (30/min), and every
      // test talks from 127.0.0.1: switch it off unless the test is about it.
      '--auth-rate', String(o.authRate ?? 0),
      ...(o.args ?? []),
    ];
    this._stderr = '';
    this._logs = [];
    const proc = spawn(BIN, args, { env: childEnv(o.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(proc);
    this.proc = proc;
    this._exit = new Promise((resolve) => {
      proc.on('exit', (code, signal) => { children.delete(proc); resolve({ code, signal }); });
    });
    proc.stdout.on('data', () => {});

    const timeoutMs = o.startTimeoutMs ?? 15000;
    const listening = new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => {
        reject(new Error(`server did not log "listening" within ${timeoutMs} ms.\nargs: ${args.join(' ')}\nstderr:\n${this._stderr}`));
      }, timeoutMs);
      proc.on('error', (e) => { clearTimeout(timer); reject(e); });
      proc.stderr.on('data', (d) => {
        const s = d.toString();
        this._stderr += s;
        buf += s;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          let rec;
          try { rec = JSON.parse(line); } catch { rec = { raw: line }; }
          this._logs.push(rec);
          if (rec.msg === 'listening' && rec.fields && Number.isInteger(rec.fields.port)) {
            clearTimeout(timer);
            resolve(rec);
          }
        }
      });
      this._exit.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited (code ${code}, signal ${signal}) before listening.\nargs: ${args.join(' ')}\nstderr:\n${this._stderr}`));
      });
    });
    const rec = await listening;
    this.listenRecord = rec;
    this.port = rec.fields.port;
    this.host = rec.fields.address && rec.fields.address !== '0.0.0.0' ? rec.fields.address : '127.0.0.1';
    this.base = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
    return this;
  }

  logs() { return this._logs.slice(); }
  stderr() { return this._stderr; }
  get running() { return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null; }

  // Sends a signal and waits for the process to exit; returns the exit code (null if killed
  // by a signal). Fails loudly if it does not exit within timeoutMs.
  async stop({ signal = 'SIGTERM', timeoutMs = 15000 } = {}) {
    if (!this.proc) return null;
    const proc = this.proc;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    let timer;
    const res = await Promise.race([
      this._exit,
      new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (res === null) {
      proc.kill('SIGKILL');
      await this._exit;
      throw new Error(`server did not exit within ${timeoutMs} ms of ${signal}\nstderr:\n${this._stderr}`);
    }
    this.exitSignal = res.signal;
    this.exitCode = res.code;
    return res.code;
  }

  async kill9() {
    if (!this.proc) return;
    this.proc.kill('SIGKILL');
    await this._exit;
  }

  // Stops (if running) and starts again on the same data dir (a new port).
  async restart(extra = {}) {
    if (this.running) await this.stop();
    this.opts = { ...this.opts, ...extra };
    return this._spawn();
  }

  // Stops the server (SIGKILL if it will not go) and removes its temp dir.
  async close() {
    try {
      if (this.running) await this.stop();
    } catch { /* already reported by the test that cares */ }
    if (this.root) removeTempDir(this.root);
  }

  // ---- HTTP ----

  // api('POST', '/api/users/login', {body: {...}, token, headers, raw})
  //   body: serialized as JSON (Content-Type application/json) unless raw is given;
  //   raw: a string/Buffer sent as-is (set Content-Type through headers yourself).
  async api(method, p, { body, token, headers = {}, raw, signal } = {}) {
    const h = { ...headers };
    let payload;
    if (raw !== undefined) {
      payload = raw;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
    }
    if (token) h.Authorization = `Bearer ${token}`;
    const res = await fetch(this.base + p, { method, headers: h, body: payload, redirect: 'manual', signal });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, json, text };
  }

  // Creates a fresh user over HTTP; returns {user, token, username, email, password, id}.
  async signup(username, { password = PASSWORD, email } = {}) {
    userCounter += 1;
    const name = username ?? uniqueName('u');
    const mail = email ?? `${name.toLowerCase()}@example.test`;
    const r = await this.api('POST', '/api/users/signup', { body: { username: name, email: mail, password } });
    assert.equal(r.status, 201, `signup ${name}: ${r.status} ${r.text}`);
    return { ...r.json, username: name, email: mail, password, id: r.json.user.user_id };
  }

  // An admin made with the CLI (which may run beside the server), logged in: {token, id, username}.
  async admin() {
    const name = uniqueName('admin');
    const cli = await runCliAsync(['user', 'create', '--username', name, '--email', `${name.toLowerCase()}@example.test`,
      '--password', PASSWORD, '--admin', '--data-dir', this.dataDir]);
    assert.equal(cli.code, 0, `user create --admin: ${cli.stderr}`);
    const r = await this.login(name);
    assert.equal(r.status, 200, `admin login: ${r.text}`);
    return { token: r.json.token, id: r.json.user.user_id, username: name };
  }

  async login(identifier, password = PASSWORD) {
    const body = identifier.includes('@') ? { email: identifier, password } : { username: identifier, password };
    return this.api('POST', '/api/users/login', { body });
  }
}

export function uniqueName(prefix = 'u') {
  userCounter += 1;
  return `${prefix}${process.pid % 100000}_${userCounter}_${Math.random().toString(36).slice(2, 7)}`;
}

// Starts a server. opts: {args: [...extra flags], env: {...}, authRate, accessLog, listen,
// dataDir (reuse one), rawArgs (replace the whole argument list), startTimeoutMs}.
export async function startServer(opts = {}) {
  const root = opts.dataDir ? null : tempDir();
  const dataDir = opts.dataDir ?? path.join(root, 'data');
  const server = new Server({ ...opts, root, dataDir });
  try {
    await server._spawn();
  } catch (e) {
    await server.close();
    throw e;
  }
  return server;
}

// ---------------------------------------------------------------------------------------------
// Assertions

// Asserts the documented error envelope {"error": {code, message, details?}} with this status
// and code. Returns the error object.
export function assertError(res, status, code, what = '') {
  const ctx = `${what ? what + ': ' : ''}got ${res.status} ${res.text.slice(0, 500)}`;
  assert.equal(res.status, status, `expected status ${status}; ${ctx}`);
  assert.ok(res.json && typeof res.json === 'object', `expected a JSON error envelope; ${ctx}`);
  assert.ok(res.json.error && typeof res.json.error === 'object', `expected {"error": {...}}; ${ctx}`);
  if (code !== undefined) assert.equal(res.json.error.code, code, `expected code ${code}; ${ctx}`);
  assert.equal(typeof res.json.error.message, 'string', `error.message must be a string; ${ctx}`);
  assert.ok(res.json.error.message.length > 0, `error.message must not be empty; ${ctx}`);
  const ct = res.headers.get('content-type') ?? '';
  assert.match(ct, /application\/json/, `error Content-Type should be JSON, got ${ct}`);
  return res.json.error;
}

export function assertStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what ? what + ': ' : ''}expected ${status}, got ${res.status} ${res.text.slice(0, 500)}`);
  return res.json;
}

export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

// ---------------------------------------------------------------------------------------------
// JWT helpers (for forging tokens in tests)

export const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function decodeJwt(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    signature: s,
  };
}

export function signJwt(header, payload, key) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = createHmac('sha256', key).update(input).digest('base64url');
  return `${input}.${sig}`;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Asserts that obj has (at least) these fields with these values.
export function assertFields(obj, expected, what = '') {
  assert.ok(obj && typeof obj === 'object', `${what} expected an object, got ${JSON.stringify(obj)}`);
  for (const [k, v] of Object.entries(expected)) {
    assert.deepEqual(obj[k], v, `${what} field ${k}: expected ${JSON.stringify(v)} in ${JSON.stringify(obj)}`);
  }
}
