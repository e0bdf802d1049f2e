// Bad input, bad tokens, rate limits and login-failure uniformity. Every case checks the exact
// status AND the envelope's error code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import {
  PASSWORD, assertError, assertStatus, b64url, decodeJwt, runCliAsync, signJwt, startServer, uniqueName,
} from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.close(); });

const signupBody = () => {
  const username = uniqueName('e');
  return { username, email: `${username}@example.test`, password: PASSWORD };
};

function fieldsOf(err) {
  const f = err.details?.fields;
  assert.ok(f && typeof f === 'object', `422 must carry details.fields: ${JSON.stringify(err)}`);
  return f;
}

describe('malformed and invalid bodies', () => {
  test('malformed JSON is 400 invalid_json', async () => {
    for (const raw of ['{"username":', '{username: "x"}', 'not json at all', '{"a":1}garbage']) {
      assertError(await srv.api('POST', '/api/users/signup', { raw, headers: { 'Content-Type': 'application/json' } }),
        400, 'invalid_json', `body ${raw}`);
    }
    const u = await srv.signup();
    assertError(await srv.api('PUT', '/api/users/profile/update', { token: u.token, raw: '{"bio": "x",}', headers: { 'Content-Type': 'application/json' } }),
      400, 'invalid_json', 'trailing comma');
  });

  test('wrong types are 422 validation_failed naming the field', async () => {
    const b = signupBody();
    let e = assertError(await srv.api('POST', '/api/users/signup', { body: { ...b, username: 12345 } }), 422, 'validation_failed');
    assert.ok('username' in fieldsOf(e), JSON.stringify(e));
    e = assertError(await srv.api('POST', '/api/users/signup', { body: { ...b, password: ['a', 'b'] } }), 422, 'validation_failed');
    assert.ok('password' in fieldsOf(e), JSON.stringify(e));
    e = assertError(await srv.api('POST', '/api/users/signup', { body: { ...b, email: { x: 1 } } }), 422, 'validation_failed');
    assert.ok('email' in fieldsOf(e), JSON.stringify(e));
    e = assertError(await srv.api('POST', '/api/users/login', { body: { username: b.username, password: 12345678 } }), 422, 'validation_failed');
    assert.ok('password' in fieldsOf(e), JSON.stringify(e));
  });

  test('a JSON body that is not an object is 422 (or 400), never 500', async () => {
    for (const raw of ['[]', '"text"', '42', 'null']) {
      const r = await srv.api('POST', '/api/users/signup', { raw, headers: { 'Content-Type': 'application/json' } });
      assert.ok(r.status === 422 || r.status === 400, `body ${raw}: got ${r.status} ${r.text}`);
      assertError(r, r.status, r.status === 422 ? 'validation_failed' : 'invalid_json', `body ${raw}`);
    }
  });

  test('missing fields are 422 listing each missing field', async () => {
    let e = assertError(await srv.api('POST', '/api/users/signup', { body: { username: uniqueName('m') } }), 422, 'validation_failed');
    const f = fieldsOf(e);
    assert.ok('email' in f && 'password' in f, `both missing fields listed: ${JSON.stringify(f)}`);
    assert.ok(!('username' in f), `username was fine: ${JSON.stringify(f)}`);
    e = assertError(await srv.api('POST', '/api/users/signup', { body: {} }), 422, 'validation_failed');
    assert.deepEqual(Object.keys(fieldsOf(e)).sort(), ['email', 'password', 'username']);
    e = assertError(await srv.api('POST', '/api/users/login', { body: { password: PASSWORD } }), 422, 'validation_failed', 'login without email/username');
    e = assertError(await srv.api('POST', '/api/users/login', { body: { username: 'someone' } }), 422, 'validation_failed', 'login without password');
    assert.ok('password' in fieldsOf(e));
  });

  test('invalid values: username, email, password rules', async () => {
    const cases = [
      [{ username: 'ab' }, 'username'],
      [{ username: 'x'.repeat(33) }, 'username'],
      [{ username: 'bad name' }, 'username'],
      [{ username: 'émile_x' }, 'username'],
      [{ email: 'not-an-email' }, 'email'],
      [{ password: 'short7!' }, 'password'],
      [{ password: 'p'.repeat(129) }, 'password'],
    ];
    for (const [patch, field] of cases) {
      const e = assertError(await srv.api('POST', '/api/users/signup', { body: { ...signupBody(), ...patch } }),
        422, 'validation_failed', JSON.stringify(patch));
      assert.ok(field in fieldsOf(e), `${JSON.stringify(patch)} should name ${field}: ${JSON.stringify(e)}`);
    }
    // The limits themselves are fine.
    const edge = signupBody();
    edge.username = `a${uniqueName('').replace(/[^a-z0-9_]/gi, '')}`.slice(0, 32).padEnd(32, 'z');
    edge.email = `${edge.username}@example.test`;
    edge.password = 'p'.repeat(128);
    assertStatus(await srv.api('POST', '/api/users/signup', { body: edge }), 201, '32-char username, 128-char password');
    const short = { ...signupBody(), password: '12345678' };
    assertStatus(await srv.api('POST', '/api/users/signup', { body: short }), 201, '8-char password');
  });

  test('role, user_id, created_at cannot be set at signup (422)', async () => {
    for (const [field, value] of [['role', 'admin'], ['user_id', 'my-own-id'], ['created_at', '2020-01-01T00:00:00Z']]) {
      const b = { ...signupBody(), [field]: value };
      const e = assertError(await srv.api('POST', '/api/users/signup', { body: b }), 422, 'validation_failed', field);
      assert.ok(field in fieldsOf(e), `${field} should be named: ${JSON.stringify(e)}`);
      assertError(await srv.login(b.username), 401, 'invalid_credentials', `no user was created with ${field}`);
    }
  });

  test('a JSON body over 1 MiB is 413 body_too_large', async () => {
    const b = { ...signupBody(), bio: 'x'.repeat((1 << 20) + 1024) };
    assertError(await srv.api('POST', '/api/users/signup', { body: b }), 413, 'body_too_large');
    // The server still works afterwards.
    assertStatus(await srv.api('GET', '/healthz'), 200);
  });

  test('headers over 16 KiB are 431 header_too_large', async () => {
    const r = await srv.api('GET', '/api/users/profile', { headers: { 'X-Big': 'a'.repeat(20 * 1024) } });
    assertError(r, 431, 'header_too_large');
    assertStatus(await srv.api('GET', '/healthz', { headers: { 'X-Medium': 'a'.repeat(8 * 1024) } }), 200, '8 KiB of headers is fine');
  });

  test('multipart body to a JSON endpoint is 415 unsupported_media_type', async () => {
    const b = signupBody();
    const form = new FormData();
    for (const [k, v] of Object.entries(b)) form.append(k, v);
    assertError(await srv.api('POST', '/api/users/signup', { raw: form }), 415, 'unsupported_media_type');
    assertError(await srv.login(b.username), 401, 'invalid_credentials', 'nothing was created');
  });

  test('JSON is parsed whatever the Content-Type', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', null]) {
      const b = signupBody();
      const headers = ct ? { 'Content-Type': ct } : {};
      const r = await srv.api('POST', '/api/users/signup', { raw: Buffer.from(JSON.stringify(b)), headers });
      assertStatus(r, 201, `signup with Content-Type ${ct}`);
      assert.equal(r.json.user.username, b.username);
    }
  });
});

describe('routing', () => {
  test('unknown route is a 404 JSON envelope', async () => {
    for (const [m, p] of [['GET', '/api/nope'], ['POST', '/api/nope'], ['GET', '/api/users/a/b/c/d']]) {
      assertError(await srv.api(m, p), 404, 'not_found', `${m} ${p}`);
    }
  });

  test('wrong method is 405 method_not_allowed with Allow', async () => {
    let r = await srv.api('GET', '/api/users/signup');
    assertError(r, 405, 'method_not_allowed');
    assert.match(r.headers.get('allow') ?? '', /\bPOST\b/, `Allow: ${r.headers.get('allow')}`);
    assert.doesNotMatch(r.headers.get('allow') ?? '', /\bGET\b/);
    r = await srv.api('PATCH', '/api/users/profile');
    assertError(r, 405, 'method_not_allowed');
    assert.match(r.headers.get('allow') ?? '', /\bGET\b/, `Allow: ${r.headers.get('allow')}`);
    r = await srv.api('PUT', '/api/users/someid/follow', { body: {} });
    assertError(r, 405, 'method_not_allowed');
    const allow = r.headers.get('allow') ?? '';
    assert.match(allow, /\bPOST\b/, `Allow: ${allow}`);
    assert.match(allow, /\bDELETE\b/, `Allow: ${allow}`);
  });
});

describe('conflicts', () => {
  test('duplicate username (case-insensitive) and email are 409', async () => {
    const u = await srv.signup(uniqueName('Dup'));
    assertError(await srv.api('POST', '/api/users/signup', { body: { username: u.username, email: `x${u.email}`, password: PASSWORD } }),
      409, 'username_taken', 'same username');
    assertError(await srv.api('POST', '/api/users/signup', { body: { username: u.username.toLowerCase(), email: `y${u.email}`, password: PASSWORD } }),
      409, 'username_taken', 'lower-cased username');
    assertError(await srv.api('POST', '/api/users/signup', { body: { username: u.username.toUpperCase(), email: `z${u.email}`, password: PASSWORD } }),
      409, 'username_taken', 'upper-cased username');
    assertError(await srv.api('POST', '/api/users/signup', { body: { username: uniqueName('other'), email: u.email, password: PASSWORD } }),
      409, 'email_taken', 'same email');
  });

  test('concurrent signups of the same username: exactly one wins', async () => {
    const name = uniqueName('race');
    const rs = await Promise.all([0, 1, 2, 3].map((i) => srv.api('POST', '/api/users/signup', {
      body: { username: name, email: `${name}.${i}@example.test`, password: PASSWORD },
    })));
    const statuses = rs.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409], rs.map((r) => `${r.status} ${r.text}`).join('\n'));
    for (const r of rs.filter((x) => x.status === 409)) assertError(r, 409, 'username_taken');
  });
});

describe('tokens', () => {
  // The key is in <dataDir>/secret.key as hex text; the server may use the text itself or the
  // bytes it spells as the HMAC key. Find out with a token that must be accepted.
  async function serverKey(user) {
    const file = path.join(srv.dataDir, 'secret.key');
    const st = fs.statSync(file);
    assert.equal(st.mode & 0o777, 0o600, `secret.key mode is ${(st.mode & 0o777).toString(8)}, want 600`);
    const hex = fs.readFileSync(file, 'utf8').trim();
    assert.match(hex, /^[0-9a-fA-F]+$/, 'secret.key holds hex text');
    assert.ok(hex.length >= 64, `secret.key should hold at least 32 bytes, has ${hex.length / 2}`);
    const { header, payload } = decodeJwt(user.token);
    assert.equal(header.alg, 'HS256');
    for (const c of ['sub', 'sid', 'iat', 'exp']) assert.ok(c in payload, `token lacks claim ${c}`);
    assert.equal(payload.sub, user.id);
    const now = Math.floor(Date.now() / 1000);
    for (const key of [hex, Buffer.from(hex, 'hex')]) {
      const t = signJwt(header, { ...payload, iat: now, exp: now + 600 }, key);
      const r = await srv.api('GET', '/api/users/profile', { token: t });
      if (r.status === 200) return { key, header, payload };
    }
    assert.fail('a token signed with the key from secret.key (as text or as bytes) was not accepted');
  }

  test('no token, malformed token', async () => {
    assertError(await srv.api('GET', '/api/users/profile'), 401, 'unauthorized');
    for (const t of ['garbage', 'a.b.c', 'a.b', `${b64url('{"alg":"HS256"}')}.${b64url('{}')}.`]) {
      assertError(await srv.api('GET', '/api/users/profile', { token: t }), 401, 'invalid_token', `token ${t}`);
    }
  });

  test('expired token is 401 token_expired', async () => {
    const u = await srv.signup();
    const { key, header, payload } = await serverKey(u);
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt(header, { ...payload, iat: now - 7200, exp: now - 60 }, key);
    assertError(await srv.api('GET', '/api/users/profile', { token: expired }), 401, 'token_expired');
  });

  test('forged signature and tampered payload are 401 invalid_token', async () => {
    const u = await srv.signup();
    const victim = await srv.signup();
    const { header, payload } = decodeJwt(u.token);
    assertError(await srv.api('GET', '/api/users/profile', { token: signJwt(header, payload, 'not-the-secret') }),
      401, 'invalid_token', 'signed with another key');
    // Swap in another user's id but keep the original signature.
    const [h, , s] = u.token.split('.');
    const tampered = `${h}.${b64url(JSON.stringify({ ...payload, sub: victim.id }))}.${s}`;
    assertError(await srv.api('GET', '/api/users/profile', { token: tampered }), 401, 'invalid_token', 'tampered sub');
    const sigBytes = Buffer.from(s, 'base64url');
    sigBytes[0] ^= 0xff;
    assertError(await srv.api('GET', '/api/users/profile', { token: `${h}.${u.token.split('.')[1]}.${b64url(sigBytes)}` }),
      401, 'invalid_token', 'flipped signature byte');
  });

  test('alg none and other algorithms are refused', async () => {
    const u = await srv.signup();
    const { key, payload } = await serverKey(u);
    const body = b64url(JSON.stringify(payload));
    for (const alg of ['none', 'None', 'NONE']) {
      const t = `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${body}.`;
      assertError(await srv.api('GET', '/api/users/profile', { token: t }), 401, 'invalid_token', `alg ${alg}`);
    }
    // Right key, wrong algorithm.
    const h512 = b64url(JSON.stringify({ alg: 'HS512', typ: 'JWT' }));
    const sig = createHmac('sha512', key).update(`${h512}.${body}`).digest('base64url');
    assertError(await srv.api('GET', '/api/users/profile', { token: `${h512}.${body}.${sig}` }), 401, 'invalid_token', 'HS512');
  });

  test('a token of a logged-out session is 401 session_ended, even re-signed with a fresh exp', async () => {
    const u = await srv.signup();
    const { key, header, payload } = await serverKey(u);
    assertStatus(await srv.api('POST', '/api/users/logout', { token: u.token }), 200);
    assertError(await srv.api('GET', '/api/users/profile', { token: u.token }), 401, 'session_ended');
    const now = Math.floor(Date.now() / 1000);
    const resigned = signJwt(header, { ...payload, iat: now, exp: now + 600 }, key);
    assertError(await srv.api('GET', '/api/users/profile', { token: resigned }), 401, 'session_ended', 'valid signature, ended session');
  });
});

describe('request ids', () => {
  test('X-Request-Id is echoed when sent and generated otherwise', async () => {
    const id = `test-${Date.now()}-abc`;
    let r = await srv.api('GET', '/healthz', { headers: { 'X-Request-Id': id } });
    assert.equal(r.headers.get('x-request-id'), id);
    r = await srv.api('GET', '/api/nope', { headers: { 'X-Request-Id': id } });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('x-request-id'), id, 'echoed on errors too');
    const a = (await srv.api('GET', '/healthz')).headers.get('x-request-id');
    const b = (await srv.api('GET', '/api/users/profile')).headers.get('x-request-id');
    assert.ok(a && a.length >= 8, `generated id: ${a}`);
    assert.ok(b && b.length >= 8, `generated id on a 401: ${b}`);
    assert.notEqual(a, b, 'each request gets its own id');
  });
});

describe('rate limits', () => {
  test('--auth-rate 5: the 6th login from one address is 429 with Retry-After', async () => {
    const s = await startServer({ authRate: 5 });
    try {
      const name = uniqueName('rl');
      const cli = await runCliAsync(['user', 'create', '--username', name, '--email', `${name}@example.test`,
        '--password', PASSWORD, '--data-dir', s.dataDir]);
      assert.equal(cli.code, 0, `user create: ${cli.stderr}`);
      for (let i = 1; i <= 5; i++) assertStatus(await s.login(name), 200, `login ${i} of 5`);
      const r = await s.login(name);
      assertError(r, 429, 'rate_limited', '6th login');
      const ra = r.headers.get('retry-after');
      assert.match(ra ?? '', /^\d+$/, `Retry-After must be whole seconds, got ${ra}`);
      assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `Retry-After ${ra}`);
      // Signups share the budget, and an untrusted X-Forwarded-For does not escape it.
      assertError(await s.api('POST', '/api/users/signup', { body: signupBody() }), 429, 'rate_limited', 'signup after the budget');
      assertError(await s.api('POST', '/api/users/login', {
        body: { username: name, password: PASSWORD }, headers: { 'X-Forwarded-For': '203.0.113.9' },
      }), 429, 'rate_limited', 'X-Forwarded-For from an untrusted peer is ignored');
      // Other endpoints are not limited.
      assertStatus(await s.api('GET', '/healthz'), 200);
    } finally {
      await s.close();
    }
  });

  test('5 failed logins for one account: the 6th attempt is 429 even with the right password', async () => {
    const u = await srv.signup();
    for (let i = 1; i <= 5; i++) {
      assertError(await srv.login(u.username, `wrong-password-${i}`), 401, 'invalid_credentials', `failure ${i}`);
    }
    const r = await srv.login(u.username, PASSWORD);
    assertError(r, 429, 'rate_limited', 'right password after 5 failures');
    assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After present');
    assertError(await srv.login(u.email, PASSWORD), 429, 'rate_limited', 'by email too: the limit is per account');
    // Another account is not affected, and the existing session still works.
    const other = await srv.signup();
    assertStatus(await srv.login(other.username), 200);
    assertStatus(await srv.api('GET', '/api/users/profile', { token: u.token }), 200);
  });
});

describe('login failures do not reveal whether the account exists', () => {
  test('unknown user and wrong password: same body, similar time', async () => {
    const u = await srv.signup();
    const time = async (body) => {
      const t0 = process.hrtime.bigint();
      const r = await srv.api('POST', '/api/users/login', { body });
      return { r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    };
    // Warm-up (first hash may load things).
    await time({ username: uniqueName('ghost'), password: 'whatever-pass' });
    const unknown = [];
    const wrong = [];
    for (let i = 0; i < 4; i++) { // 4 failures: below the per-account limit of 5
      unknown.push(await time({ username: uniqueName('ghost'), password: `wrong-password-${i}` }));
      wrong.push(await time({ username: u.username, password: `wrong-password-${i}` }));
    }
    for (const { r } of [...unknown, ...wrong]) assertError(r, 401, 'invalid_credentials');
    assert.deepEqual(unknown[0].r.json, wrong[0].r.json, 'same body for unknown user and wrong password');
    const unknownByEmail = await time({ email: `ghost-${Date.now()}@example.test`, password: 'wrong-password-x' });
    assert.deepEqual(unknownByEmail.r.json, wrong[0].r.json, 'same body for unknown email');
    const median = (xs) => xs.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const mu = median(unknown);
    const mw = median(wrong);
    const ratio = Math.max(mu, mw) / Math.min(mu, mw);
    assert.ok(ratio < 3, `median unknown-user ${mu.toFixed(1)} ms vs wrong-password ${mw.toFixed(1)} ms (ratio ${ratio.toFixed(2)})`);
  });
});
