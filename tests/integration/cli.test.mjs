// The command line: --version, --help, bad flags and values, config precedence, migrate, the
// schema-newer-than-binary refusal, and `user create`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  PASSWORD, assertStatus, freePort, runCli, startServer, tempDir, uniqueName,
} from './harness.mjs';

const nonEmptyLines = (s) => s.split('\n').filter((l) => l.trim() !== '');

// A bad invocation: exit code 2, exactly one line on stderr, no data dir created.
function assertRefused(r, { mentions, dataDir, what }) {
  assert.ok(!r.timedOut, `${what}: the binary did not exit (it should refuse at once)`);
  assert.equal(r.code, 2, `${what}: exit code ${r.code} (want 2)\nstderr: ${r.stderr}`);
  const lines = nonEmptyLines(r.stderr);
  assert.equal(lines.length, 1, `${what}: want exactly one line on stderr, got ${lines.length}:\n${r.stderr}`);
  if (mentions) assert.match(lines[0], mentions, `${what}: the message should name the problem: ${lines[0]}`);
  if (dataDir) assert.ok(!fs.existsSync(dataDir), `${what}: ${dataDir} was created`);
}

describe('version and help', () => {
  test('--version prints "backbeat X.Y.Z" and exits 0', () => {
    const r = runCli(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^backbeat \d+\.\d+\.\d+\S*$/);
  });

  test('--help lists the commands and settings and exits 0', () => {
    const r = runCli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout + r.stderr;
    for (const word of ['serve', 'migrate', 'user create', '--listen', '--data-dir', '--auth-rate', 'BACKBEAT_AUTH_RATE']) {
      assert.ok(out.includes(word), `--help should mention ${word}`);
    }
  });
});

describe('refusing bad settings', () => {
  test('an unknown flag exits 2 with one line and creates nothing', () => {
    const dataDir = path.join(tempDir(), 'data');
    const r = runCli(['serve', '--no-such-flag', 'x', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { timeoutMs: 10000 });
    assertRefused(r, { mentions: /no-such-flag/, dataDir, what: 'unknown flag' });
  });

  test('a bad flag value exits 2 with one line and creates nothing', () => {
    const dataDir = path.join(tempDir(), 'data');
    for (const args of [['--auth-rate', 'lots'], ['--listen', 'nowhere'], ['--log-format', 'xml'], ['--token-ttl-s', '-5']]) {
      const r = runCli(['serve', ...args, '--data-dir', dataDir], { timeoutMs: 10000 });
      assertRefused(r, { mentions: new RegExp(args[0].slice(2).replace(/-/g, '[-_]'), 'i'), dataDir, what: args.join(' ') });
    }
  });

  test('a bad value in the environment (BACKBEAT_AUTH_RATE=abc) exits 2 with one line', () => {
    const dataDir = path.join(tempDir(), 'data');
    const r = runCli(['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { env: { BACKBEAT_AUTH_RATE: 'abc' }, timeoutMs: 10000 });
    assertRefused(r, { mentions: /AUTH_RATE|auth[-_]rate/i, dataDir, what: 'BACKBEAT_AUTH_RATE=abc' });
  });

  test('a config file with an unknown key or bad JSON exits 2 with one line', () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    const bad = path.join(root, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ listen: '127.0.0.1:0', colour: 'blue' }));
    assertRefused(runCli(['serve', '--config', bad, '--data-dir', dataDir], { timeoutMs: 10000 }),
      { mentions: /colour/, dataDir, what: 'unknown config key' });
    fs.writeFileSync(bad, '{"listen": ');
    assertRefused(runCli(['serve', '--config', bad, '--data-dir', dataDir], { timeoutMs: 10000 }),
      { dataDir, what: 'config file that is not JSON' });
    assertRefused(runCli(['serve', '--config', path.join(root, 'missing.json'), '--data-dir', dataDir], { timeoutMs: 10000 }),
      { dataDir, what: 'missing config file' });
  });
});

describe('config precedence: flags > env > file > defaults', () => {
  test('the listening port comes from the flag, then env, then file', async () => {
    const root = tempDir();
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    assert.equal(new Set([a, b, c]).size, 3);
    const cfg = path.join(root, 'backbeat.json');
    fs.writeFileSync(cfg, JSON.stringify({ listen: `127.0.0.1:${a}`, auth_rate: 0 }));
    const dataDir = path.join(root, 'data');
    const base = ['serve', '--config', cfg, '--data-dir', dataDir, '--log-format', 'json', '--access-log', 'false'];

    const cases = [
      { what: 'file only', args: base, env: {}, want: a },
      { what: 'file + env', args: base, env: { BACKBEAT_LISTEN: `127.0.0.1:${b}` }, want: b },
      { what: 'file + env + flag', args: [...base, '--listen', `127.0.0.1:${c}`], env: { BACKBEAT_LISTEN: `127.0.0.1:${b}` }, want: c },
      { what: 'config file through BACKBEAT_CONFIG', args: base.filter((x, i) => x !== '--config' && base[i - 1] !== '--config'), env: { BACKBEAT_CONFIG: cfg }, want: a },
    ];
    for (const { what, args, env, want } of cases) {
      const s = await startServer({ rawArgs: args, env, dataDir });
      try {
        assert.equal(s.port, want, `${what}: logged port ${s.port}, want ${want}`);
        assertStatus(await s.api('GET', '/healthz'), 200, `${what}: answering on ${want}`);
      } finally {
        assert.equal(await s.stop(), 0, `${what}: exit code after SIGTERM`);
      }
    }
  });
});

describe('data dir and migrations', () => {
  test('first start creates the data dir, the database and a 0600 secret', async () => {
    const s = await startServer();
    try {
      assert.ok(fs.statSync(s.dataDir).isDirectory());
      assert.ok(fs.statSync(path.join(s.dataDir, 'backbeat.db')).isFile());
      const mode = fs.statSync(path.join(s.dataDir, 'secret.key')).mode & 0o777;
      assert.equal(mode, 0o600, `secret.key mode ${mode.toString(8)}`);
    } finally {
      await s.close();
    }
  });

  test('`backbeat migrate` exits 0, twice', () => {
    const dataDir = path.join(tempDir(), 'data');
    let r = runCli(['migrate', '--data-dir', dataDir]);
    assert.equal(r.code, 0, `migrate: ${r.stderr}`);
    assert.ok(fs.existsSync(path.join(dataDir, 'backbeat.db')), 'migrate creates the database');
    r = runCli(['migrate', '--data-dir', dataDir]);
    assert.equal(r.code, 0, `second migrate: ${r.stderr}`);
  });

  // sqlite3 comes with `make test` (scripts/setup.sh test); without it this test fails, never skips.
  test('a database newer than the binary is refused', async () => {
    const dataDir = path.join(tempDir(), 'data');
    let r = runCli(['migrate', '--data-dir', dataDir]);
    assert.equal(r.code, 0, `migrate: ${r.stderr}`);
    const db = path.join(dataDir, 'backbeat.db');
    const sql = spawnSync('sqlite3', [db, "INSERT INTO core_migrations (version, name, applied_ms) VALUES (9999, '9999_future.sql', 0);"], { encoding: 'utf8' });
    assert.equal(sql.status, 0, `sqlite3: ${sql.stderr}`);
    r = runCli(['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--log-format', 'json'], { timeoutMs: 15000 });
    assert.ok(!r.timedOut, 'serve should refuse to start, not run');
    assert.notEqual(r.code, 0, 'serve must exit non-zero');
    assert.match(r.stderr, /newer|too new|schema_too_new/i, `message about the schema: ${r.stderr}`);
    assert.ok(!/"msg":"listening"/.test(r.stderr), 'it must not have listened');
    r = runCli(['migrate', '--data-dir', dataDir]);
    assert.notEqual(r.code, 0, 'migrate refuses too');
  });
});

describe('user create', () => {
  test('prints the user as JSON; a duplicate fails; the user logs in', async () => {
    const s = await startServer();
    try {
      const name = uniqueName('cli');
      const args = ['user', 'create', '--username', name, '--email', `${name}@example.test`, '--password', PASSWORD, '--data-dir', s.dataDir];
      let r = runCli(args);
      assert.equal(r.code, 0, `user create: ${r.stderr}`);
      const out = JSON.parse(r.stdout);
      const u = out.user ?? out;
      assert.equal(u.username, name);
      assert.equal(u.role, 'user');
      assert.equal(typeof u.user_id, 'string');
      r = runCli(args);
      assert.notEqual(r.code, 0, 'a taken username fails');
      assert.ok(r.stderr.trim().length > 0, 'and says why');
      const login = assertStatus(await s.login(name), 200, 'CLI-created user logs in over HTTP');
      assert.equal(login.user.user_id, u.user_id);
      r = runCli(['user', 'create', '--username', 'x', '--email', 'bad', '--password', 'short', '--data-dir', s.dataDir]);
      assert.notEqual(r.code, 0, 'invalid values fail');
    } finally {
      await s.close();
    }
  });
});
