// Process lifecycle: graceful shutdown (SIGTERM/SIGINT drain and exit 0), restart on the same
// data dir, and durability of acknowledged writes across kill -9.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD, assertError, assertStatus, sleep, startServer, uniqueName,
} from './harness.mjs';

describe('graceful shutdown', () => {
  test('SIGTERM on an idle server exits 0', async () => {
    const s = await startServer();
    try {
      assertStatus(await s.api('GET', '/healthz'), 200);
      assert.equal(await s.stop({ signal: 'SIGTERM', timeoutMs: 10000 }), 0, `exit code\n${s.stderr()}`);
    } finally {
      await s.close();
    }
  });

  test('SIGINT exits 0 too', async () => {
    const s = await startServer();
    try {
      assert.equal(await s.stop({ signal: 'SIGINT', timeoutMs: 10000 }), 0, `exit code\n${s.stderr()}`);
    } finally {
      await s.close();
    }
  });

  test('a signup in flight when SIGTERM arrives still gets its 201', async () => {
    const s = await startServer();
    try {
      await s.api('GET', '/healthz'); // warm up
      // Password hashing makes a signup take tens of milliseconds; with 4 at once (and at
      // most 2 hashing) the last ones are still running when the signal lands.
      const bodies = [0, 1, 2, 3].map(() => {
        const username = uniqueName('term');
        return { username, email: `${username}@example.test`, password: PASSWORD };
      });
      const pending = bodies.map((body) => s.api('POST', '/api/users/signup', { body })
        .catch((e) => ({ status: 0, text: String(e?.cause ?? e), json: null })));
      await sleep(40);
      const stopping = s.stop({ signal: 'SIGTERM', timeoutMs: 15000 });
      const results = await Promise.all(pending);
      const code = await stopping;
      const report = results.map((r, i) => `${bodies[i].username}: ${r.status} ${r.text.slice(0, 200)}`).join('\n');
      // The first request was certainly being handled: it must complete.
      assert.equal(results[0].status, 201, `first in-flight signup\n${report}`);
      for (const r of results) {
        assert.ok(r.status === 201 || (r.status === 503 && r.json?.error?.code === 'shutting_down'),
          `each request completes (201) or is refused cleanly (503 shutting_down), never cut off:\n${report}`);
      }
      assert.equal(code, 0, `exit code after draining\n${s.stderr()}`);

      // What was acknowledged is there after a restart.
      await s.restart();
      for (const [i, r] of results.entries()) {
        if (r.status === 201) assertStatus(await s.login(bodies[i].username), 200, `login ${bodies[i].username} after restart`);
      }
    } finally {
      await s.close();
    }
  });
});

describe('restart and crash', () => {
  test('tokens and data survive a restart on the same data dir', async () => {
    const s = await startServer();
    try {
      const u = await s.signup();
      const oldPort = s.port;
      await s.restart();
      assert.ok(s.port > 0);
      const me = assertStatus(await s.api('GET', '/api/users/profile', { token: u.token }), 200,
        `token issued before the restart (old port ${oldPort})`);
      assert.equal(me.user_id, u.id);
      assertStatus(await s.api('GET', '/readyz'), 200);
    } finally {
      await s.close();
    }
  });

  test('kill -9 during ~40 concurrent signups: every acknowledged signup survives', async (t) => {
    const s = await startServer();
    try {
      const N = 40;
      const bodies = Array.from({ length: N }, () => {
        const username = uniqueName('crash');
        return { username, email: `${username}@example.test`, password: PASSWORD };
      });
      let done = 0;
      let killed;
      const killAt = new Promise((resolve) => { killed = resolve; });
      const results = bodies.map((body) => s.api('POST', '/api/users/signup', { body })
        .then((r) => r, (e) => ({ status: 0, text: String(e?.cause ?? e), json: null }))
        .then((r) => { done += 1; if (done === Math.floor(N / 3)) killed(); return r; }));
      // Kill once about a third have answered (or after 5 s, whichever first).
      await Promise.race([killAt, sleep(5000)]);
      await s.kill9();
      const answered = await Promise.all(results);
      const ok = answered.map((r, i) => [r, bodies[i]]).filter(([r]) => r.status === 201);
      const lost = answered.filter((r) => r.status !== 201);
      t.diagnostic(`${ok.length} acknowledged before kill -9, ${lost.length} cut off`);
      assert.ok(ok.length >= 1, 'some signups were acknowledged before the kill');
      assert.ok(lost.length >= 1, `the kill was meant to land mid-way, but all ${N} finished first`);
      for (const r of lost) assert.ok(r.status === 0 || r.status === 503, `unexpected answer ${r.status} ${r.text}`);

      await s.restart();
      assertStatus(await s.api('GET', '/readyz'), 200, 'ready after the crash');
      // Logins run concurrently (the server hashes a core's worth at a time anyway).
      const logins = await Promise.all(ok.map(([, body]) => s.login(body.username)));
      for (const [i, r] of logins.entries()) {
        const body = ok[i][1];
        assertStatus(r, 200, `acknowledged signup ${body.username} must log in after kill -9`);
        assert.equal(r.json.user.email, body.email);
      }
      // The database takes new writes too.
      const fresh = await s.signup();
      assertStatus(await s.api('GET', `/api/users/${fresh.id}`), 200);
      // A signup that was never acknowledged either exists whole (it logs in) or not at all.
      const unacked = answered.map((r, i) => [r, bodies[i]]).filter(([r]) => r.status !== 201).slice(0, 8);
      const probes = await Promise.all(unacked.map(([, body]) => s.login(body.username)));
      for (const [i, login] of probes.entries()) {
        assert.ok(login.status === 200 || login.status === 401,
          `half-made user ${unacked[i][1].username}: ${login.status} ${login.text}`);
        if (login.status === 401) assertError(login, 401, 'invalid_credentials');
      }
    } finally {
      await s.close();
    }
  });
});
