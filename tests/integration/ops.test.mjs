// Operations endpoints: health, readiness, status, metrics, OpenAPI, docs page, security
// headers, CORS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertStatus, runCli, startServer } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--cors-origins', 'http://a.example'] }); });
after(async () => { await srv?.close(); });

describe('health', () => {
  test('/healthz and /readyz', async () => {
    let r = await srv.api('GET', '/healthz');
    assert.deepEqual(assertStatus(r, 200), { status: 'ok' });
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    r = await srv.api('GET', '/readyz');
    assert.deepEqual(assertStatus(r, 200), { status: 'ready' });
  });

  test('/api/status lists the users module and the binary version', async () => {
    const st = assertStatus(await srv.api('GET', '/api/status'), 200);
    const version = runCli(['--version']).stdout.trim().replace(/^backbeat\s+/, '');
    assert.equal(st.version, version, 'same version as --version');
    assert.equal(typeof st.uptime_s, 'number');
    assert.ok(st.uptime_s >= 0 && st.uptime_s < 3600, `uptime_s ${st.uptime_s}`);
    assert.ok(Array.isArray(st.modules), 'modules is an array');
    const users = st.modules.find((m) => m.name === 'users');
    assert.ok(users, `modules includes users: ${JSON.stringify(st.modules)}`);
    assert.equal(users.healthy, true);
    for (const m of st.modules) {
      assert.equal(typeof m.name, 'string');
      assert.equal(typeof m.healthy, 'boolean');
    }
  });
});

describe('metrics', () => {
  test('Prometheus text with requests by templated route', async () => {
    const u = await srv.signup();
    await srv.api('GET', '/healthz');
    await srv.api('GET', `/api/users/${u.id}`);
    await srv.api('GET', '/api/definitely-not-a-route');
    const r = await srv.api('GET', '/metrics');
    assertStatus(r, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    const m = r.text;
    assert.match(m, /^# TYPE backbeat_http_requests_total counter$/m);
    const line = /^backbeat_http_requests_total\{(.*)\} (\d+(\.\d+)?(e[+-]?\d+)?)$/gm;
    const samples = [...m.matchAll(line)].map((x) => ({ labels: x[1], value: Number(x[2]) }));
    assert.ok(samples.length > 0, 'backbeat_http_requests_total samples');
    for (const s of samples) {
      assert.match(s.labels, /route="[^"]*"/, `route label: ${s.labels}`);
      assert.match(s.labels, /method="[A-Z]+"/, `method label: ${s.labels}`);
      assert.match(s.labels, /status="\d{3}"/, `status label: ${s.labels}`);
    }
    const healthz = samples.find((s) => /route="\/healthz"/.test(s.labels) && /method="GET"/.test(s.labels) && /status="200"/.test(s.labels));
    assert.ok(healthz && healthz.value >= 1, 'a sample for GET /healthz 200');
    assert.ok(samples.some((s) => /route="\/api\/users\/\{[a-z_]+\}"/.test(s.labels)), 'GET /api/users/{id} counted under its route template');
    assert.ok(!m.includes(u.id), 'raw ids must not become label values (unbounded cardinality)');
    assert.ok(!m.includes('definitely-not-a-route'), 'unknown paths must not become label values');
    assert.match(m, /^backbeat_http_request_duration_seconds_bucket\{.*le="\+Inf".*\} \d+$/m, 'latency histogram');
    for (const name of ['backbeat_ws_connections', 'backbeat_jobs_queued', 'backbeat_outbox_pending']) {
      assert.match(m, new RegExp(`^${name}(\\{[^}]*\\})? \\d+`, 'm'), `${name} is exported`);
    }
  });
});

describe('API description', () => {
  test('/api/openapi.json is OpenAPI 3.1 with the users paths', async () => {
    const r = await srv.api('GET', '/api/openapi.json');
    const doc = assertStatus(r, 200);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof doc.info?.title, 'string');
    assert.equal(typeof doc.info?.version, 'string');
    const want = {
      '/api/users/signup': ['post'],
      '/api/users/login': ['post'],
      '/api/users/profile': ['get'],
      '/api/users/profile/update': ['put'],
      '/api/users/logout': ['post'],
      '/api/users/password': ['put'],
      '/api/users/{user_id}': ['get', 'delete'],
      '/api/users/{user_id}/follow': ['post', 'delete'],
      '/healthz': ['get'],
      '/api/status': ['get'],
    };
    for (const [p, methods] of Object.entries(want)) {
      assert.ok(doc.paths?.[p], `paths has ${p}; has ${Object.keys(doc.paths ?? {}).join(', ')}`);
      for (const m of methods) assert.ok(doc.paths[p][m], `${m.toUpperCase()} ${p} is described`);
    }
    const signup = doc.paths['/api/users/signup'].post;
    assert.ok(signup.responses?.['201'], 'signup documents its 201');
    assert.ok(signup.requestBody, 'signup documents its body');
    const profile = doc.paths['/api/users/profile'].get;
    assert.ok(profile.security || doc.security, 'the profile needs a token, and says so');
  });

  test('/api/docs is an HTML page without inline scripts', async () => {
    const r = await srv.api('GET', '/api/docs');
    assertStatus(r, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(r.text, /<html/i);
    for (const tag of r.text.match(/<script\b[^>]*>/gi) ?? []) {
      assert.match(tag, /\bsrc=/, `no inline script: ${tag}`);
      assert.doesNotMatch(tag, /src=["']?(https?:)?\/\//, `no CDN: ${tag}`);
    }
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/, `CSP: ${csp}`);
  });
});

describe('web UI files', () => {
  test('index.html for / and client routes, versioned assets cached for a year, CSP everywhere', async () => {
    const home = await srv.api('GET', '/');
    assert.equal(home.status, 200);
    assert.match(home.headers.get('content-type'), /text\/html/);
    assert.equal(home.headers.get('cache-control'), 'no-cache', 'the page itself is revalidated');
    assert.match(home.headers.get('content-security-policy'), /default-src 'self'/);
    for (const route of ['/beats/abc', '/studio', '/chat/xyz']) {
      const r = await srv.api('GET', route);
      assert.equal(r.status, 200, route);
      assert.equal(r.text, home.text, `${route} is the UI`);
    }
    const script = /src="(\/assets\/([0-9a-f]{12})\/js\/app\.js)"/.exec(home.text);
    assert.ok(script, 'index.html names its script under a content version');
    const js = await srv.api('GET', script[1]);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /javascript/);
    assert.match(js.headers.get('cache-control'), /max-age=31536000.*immutable/);
    const etag = js.headers.get('etag');
    assert.equal((await srv.api('GET', script[1], { headers: { 'If-None-Match': etag } })).status, 304);
    const stale = await srv.api('GET', '/assets/000000000000/js/app.js');
    assert.equal(stale.status, 200, 'an old page still gets the file');
    assert.equal(stale.headers.get('cache-control'), 'no-cache', 'but not cached under the wrong version');
    assert.equal((await srv.api('GET', `/assets/${script[2]}/js/nope.js`)).status, 404);
    assert.equal((await srv.api('GET', `/assets/${script[2]}/..%2F..%2Fsecret.txt`)).status, 404);
  });
});

describe('headers', () => {
  test('security headers on API answers and errors', async () => {
    for (const p of ['/healthz', '/api/nope', '/api/users/profile']) {
      const r = await srv.api('GET', p);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', `${p}: X-Content-Type-Options`);
      assert.ok(r.headers.get('x-request-id'), `${p}: X-Request-Id`);
    }
  });

  test('CORS: an allowed origin gets Access-Control-Allow-Origin, another does not', async () => {
    const preflight = (origin) => srv.api('OPTIONS', '/api/users/login', {
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, authorization' },
    });
    let r = await preflight('http://a.example');
    assert.ok(r.status === 204 || r.status === 200, `preflight status ${r.status} ${r.text}`);
    assert.equal(r.headers.get('access-control-allow-origin'), 'http://a.example');
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match((r.headers.get('access-control-allow-headers') ?? '').toLowerCase(), /authorization/);
    assert.match(r.headers.get('vary') ?? '', /origin/i, 'Vary: Origin');

    r = await preflight('http://b.example');
    assert.equal(r.headers.get('access-control-allow-origin'), null, 'no ACAO for an origin that is not listed');

    r = await srv.api('GET', '/healthz', { headers: { Origin: 'http://a.example' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), 'http://a.example', 'simple request from an allowed origin');
    r = await srv.api('GET', '/healthz', { headers: { Origin: 'http://evil.example' } });
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });
});
