// The Users API end to end, against a real server: signup, login, profile, update, public
// profile, follow, password change, logout, delete (self and admin).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD, RFC3339, assertError, assertFields, assertStatus, runCliAsync, startServer, uniqueName,
} from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.close(); });

const PROFILE_KEYS = ['user_id', 'username', 'email', 'bio', 'avatar_url', 'role', 'created_at',
  'purchased_beats', 'followers_count', 'following_count'];
const PUBLIC_KEYS = ['user_id', 'username', 'bio', 'avatar_url', 'created_at', 'beats_count', 'followers_count'];

function assertProfile(p, { username, email }) {
  for (const k of PROFILE_KEYS) assert.ok(k in p, `profile lacks ${k}: ${JSON.stringify(p)}`);
  assert.equal(typeof p.user_id, 'string');
  assert.ok(p.user_id.length >= 8, `user_id looks like an auto-increment: ${p.user_id}`);
  assert.doesNotMatch(p.user_id, /^\d+$/, 'ids are opaque strings, not integers');
  assert.equal(p.username, username);
  assert.equal(p.email, email);
  assert.equal(p.role, 'user');
  assert.match(p.created_at, RFC3339);
  assert.deepEqual(p.purchased_beats, []);
  assert.equal(p.followers_count, 0);
  assert.equal(p.following_count, 0);
  for (const k of Object.keys(p)) assert.doesNotMatch(k, /password|hash|salt/i, `profile leaks ${k}`);
}

describe('signup and login', () => {
  test('signup answers 201 with the profile and a working bearer token', async () => {
    const username = uniqueName('Sign');
    const email = `${username.toLowerCase()}@example.test`;
    const before = Date.now();
    const r = await srv.api('POST', '/api/users/signup', { body: { username, email, password: PASSWORD } });
    const b = assertStatus(r, 201, 'signup');
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assertProfile(b.user, { username, email });
    assert.equal(b.token_type, 'Bearer');
    assert.equal(typeof b.token, 'string');
    assert.equal(b.token.split('.').length, 3, 'token is a JWT');
    assert.match(b.expires_at, RFC3339);
    assert.ok(Date.parse(b.expires_at) > before + 3600_000, `expires_at ${b.expires_at} should be well in the future`);
    assert.ok(!r.text.includes(PASSWORD), 'the password must never be echoed');

    const me = await srv.api('GET', '/api/users/profile', { token: b.token });
    assertStatus(me, 200, 'profile with the signup token');
    assert.deepEqual(me.json, b.user);
  });

  test('login by email and by username', async () => {
    const u = await srv.signup();
    for (const body of [{ email: u.email, password: PASSWORD }, { username: u.username, password: PASSWORD }]) {
      const r = await srv.api('POST', '/api/users/login', { body });
      const b = assertStatus(r, 200, `login ${JSON.stringify(body)}`);
      assert.equal(b.token_type, 'Bearer');
      assert.match(b.expires_at, RFC3339);
      assert.equal(b.user.user_id, u.id);
      assert.equal(b.user.username, u.username);
      assert.equal(b.user.email, u.email);
      assert.notEqual(b.token, u.token, 'each login is a new session');
      const me = await srv.api('GET', '/api/users/profile', { token: b.token });
      assert.equal(assertStatus(me, 200).user_id, u.id);
    }
  });

  test('login with a wrong password or unknown user is 401 invalid_credentials', async () => {
    const u = await srv.signup();
    assertError(await srv.login(u.username, 'wrong-password-1'), 401, 'invalid_credentials');
    assertError(await srv.login(`${u.username}nope`, PASSWORD), 401, 'invalid_credentials');
    assertError(await srv.login(`nobody-${u.email}`, PASSWORD), 401, 'invalid_credentials');
  });

  test('profile without a token is 401 unauthorized', async () => {
    assertError(await srv.api('GET', '/api/users/profile'), 401, 'unauthorized');
    assertError(await srv.api('GET', '/api/users/profile', { headers: { Authorization: 'Basic Zm9vOmJhcg==' } }), 401);
  });
});

describe('profile update', () => {
  test('bio and avatar_url are updated and persisted', async () => {
    const u = await srv.signup();
    const r = await srv.api('PUT', '/api/users/profile/update', {
      token: u.token, body: { bio: 'I make trap beats', avatar_url: 'https://img.example/a.png' },
    });
    const p = assertStatus(r, 200, 'update');
    assert.equal(p.bio, 'I make trap beats');
    assert.equal(p.avatar_url, 'https://img.example/a.png');
    assert.equal(p.username, u.username);
    assert.equal(p.user_id, u.id);
    const me = assertStatus(await srv.api('GET', '/api/users/profile', { token: u.token }), 200);
    assert.equal(me.bio, 'I make trap beats');
    assert.equal(me.avatar_url, 'https://img.example/a.png');
    assert.equal(me.email, u.email);
  });

  test('username change: the new name logs in, a taken name is 409 (case-insensitively)', async () => {
    const a = await srv.signup();
    const b = await srv.signup();
    const newName = uniqueName('Renamed');
    const p = assertStatus(await srv.api('PUT', '/api/users/profile/update', { token: a.token, body: { username: newName } }), 200);
    assert.equal(p.username, newName);
    assertStatus(await srv.login(newName), 200, 'login with the new username');
    assertError(await srv.login(a.username), 401, 'invalid_credentials', 'old username no longer logs in');

    assertError(await srv.api('PUT', '/api/users/profile/update', { token: b.token, body: { username: newName } }),
      409, 'username_taken');
    assertError(await srv.api('PUT', '/api/users/profile/update', { token: b.token, body: { username: newName.toUpperCase() } }),
      409, 'username_taken', 'case-insensitive');
    assertError(await srv.api('PUT', '/api/users/profile/update', { token: b.token, body: { email: a.email } }),
      409, 'email_taken');
    const me = assertStatus(await srv.api('GET', '/api/users/profile', { token: b.token }), 200);
    assert.equal(me.username, b.username, 'a refused update changes nothing');
    assert.equal(me.email, b.email);
  });

  test('invalid values are 422 naming the field', async () => {
    const u = await srv.signup();
    let e = assertError(await srv.api('PUT', '/api/users/profile/update', { token: u.token, body: { username: 'a b!' } }), 422, 'validation_failed');
    assert.ok('username' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('PUT', '/api/users/profile/update', { token: u.token, body: { email: 'not-an-email' } }), 422, 'validation_failed');
    assert.ok('email' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('PUT', '/api/users/profile/update', { token: u.token, body: { bio: 42 } }), 422, 'validation_failed');
    assert.ok('bio' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('PUT', '/api/users/profile/update', { token: u.token, body: { role: 'admin' } }), 422, 'validation_failed');
    assert.ok('role' in (e.details?.fields ?? {}), `role cannot be set: ${JSON.stringify(e)}`);
    const me = assertStatus(await srv.api('GET', '/api/users/profile', { token: u.token }), 200);
    assert.equal(me.role, 'user');
  });

  test('update needs a token', async () => {
    assertError(await srv.api('PUT', '/api/users/profile/update', { body: { bio: 'x' } }), 401, 'unauthorized');
  });
});

describe('public profile', () => {
  test('has the public fields and never the email', async () => {
    const u = await srv.signup();
    await srv.api('PUT', '/api/users/profile/update', { token: u.token, body: { bio: 'public bio' } });
    const r = await srv.api('GET', `/api/users/${u.id}`);
    const p = assertStatus(r, 200, 'public profile without a token');
    for (const k of PUBLIC_KEYS) assert.ok(k in p, `public profile lacks ${k}: ${r.text}`);
    assert.equal(p.user_id, u.id);
    assert.equal(p.username, u.username);
    assert.equal(p.bio, 'public bio');
    assert.equal(p.beats_count, 0);
    assert.equal(p.followers_count, 0);
    assert.match(p.created_at, RFC3339);
    assert.ok(!('email' in p), 'public profile must not have email');
    assert.ok(!r.text.toLowerCase().includes(u.email.toLowerCase()), 'email must not appear anywhere in the public profile');
    for (const k of Object.keys(p)) assert.doesNotMatch(k, /password|hash|email|purchased|session/i, `public profile leaks ${k}`);
  });

  test('unknown user id is 404 not_found', async () => {
    assertError(await srv.api('GET', '/api/users/0190c2a4-0000-7000-8000-000000000000'), 404, 'not_found');
    assertError(await srv.api('GET', '/api/users/does-not-exist'), 404, 'not_found');
  });
});

describe('follow', () => {
  test('follow, idempotent re-follow, counts, unfollow', async () => {
    const a = await srv.signup();
    const b = await srv.signup();
    let r = assertStatus(await srv.api('POST', `/api/users/${b.id}/follow`, { token: a.token }), 200, 'follow');
    assertFields(r, { user_id: b.id, following: true, followers_count: 1 });
    r = assertStatus(await srv.api('POST', `/api/users/${b.id}/follow`, { token: a.token }), 200, 'follow again');
    assert.equal(r.following, true);
    assert.equal(r.followers_count, 1, 'following twice is idempotent');

    assert.equal(assertStatus(await srv.api('GET', `/api/users/${b.id}`), 200).followers_count, 1);
    assert.equal(assertStatus(await srv.api('GET', '/api/users/profile', { token: b.token }), 200).followers_count, 1);
    assert.equal(assertStatus(await srv.api('GET', '/api/users/profile', { token: a.token }), 200).following_count, 1);

    // A second follower counts.
    const c = await srv.signup();
    r = assertStatus(await srv.api('POST', `/api/users/${b.id}/follow`, { token: c.token }), 200);
    assert.equal(r.followers_count, 2);

    r = assertStatus(await srv.api('DELETE', `/api/users/${b.id}/follow`, { token: a.token }), 200, 'unfollow');
    assertFields(r, { user_id: b.id, following: false, followers_count: 1 });
    r = assertStatus(await srv.api('DELETE', `/api/users/${b.id}/follow`, { token: a.token }), 200, 'unfollow again');
    assert.equal(r.following, false);
    assert.equal(r.followers_count, 1);
    assert.equal(assertStatus(await srv.api('GET', `/api/users/${b.id}`), 200).followers_count, 1);
    assert.equal(assertStatus(await srv.api('GET', '/api/users/profile', { token: a.token }), 200).following_count, 0);
  });

  test('GET .../follow tells whether I follow them, without changing anything', async () => {
    const a = await srv.signup();
    const b = await srv.signup();
    let r = assertStatus(await srv.api('GET', `/api/users/${b.id}/follow`, { token: a.token }), 200, 'before');
    assertFields(r, { user_id: b.id, following: false, followers_count: 0 });
    assertStatus(await srv.api('POST', `/api/users/${b.id}/follow`, { token: a.token }), 200);
    r = assertStatus(await srv.api('GET', `/api/users/${b.id}/follow`, { token: a.token }), 200, 'after');
    assertFields(r, { user_id: b.id, following: true, followers_count: 1 });
    r = assertStatus(await srv.api('GET', `/api/users/${a.id}/follow`, { token: b.token }), 200, 'the other way');
    assertFields(r, { following: false, followers_count: 0 });
    assertError(await srv.api('GET', `/api/users/${b.id}/follow`), 401, 'unauthorized');
    assertError(await srv.api('GET', '/api/users/0190c2a4-0000-7000-8000-000000000000/follow', { token: a.token }), 404, 'not_found');
  });

  test('follow yourself is 422, unknown user 404, no token 401', async () => {
    const a = await srv.signup();
    assertError(await srv.api('POST', `/api/users/${a.id}/follow`, { token: a.token }), 422, 'validation_failed');
    assertError(await srv.api('POST', '/api/users/0190c2a4-0000-7000-8000-000000000000/follow', { token: a.token }), 404, 'not_found');
    assertError(await srv.api('POST', `/api/users/${a.id}/follow`), 401, 'unauthorized');
  });
});

describe('password change', () => {
  test('ends other sessions, keeps the calling one, swaps the password', async () => {
    const u = await srv.signup();
    const other = u.token; // the signup session
    const current = assertStatus(await srv.login(u.username), 200).token;
    const newPassword = 'a-brand-new-password';

    let e = assertError(await srv.api('PUT', '/api/users/password', {
      token: current, body: { current_password: 'not-my-password', new_password: newPassword },
    }), 422, 'validation_failed', 'wrong current password');
    assert.ok('current_password' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('PUT', '/api/users/password', {
      token: current, body: { current_password: PASSWORD, new_password: 'short' },
    }), 422, 'validation_failed', 'too short new password');
    assert.ok('new_password' in (e.details?.fields ?? {}), JSON.stringify(e));
    // Nothing changed yet: the other session still works.
    assertStatus(await srv.api('GET', '/api/users/profile', { token: other }), 200);

    const r = await srv.api('PUT', '/api/users/password', {
      token: current, body: { current_password: PASSWORD, new_password: newPassword },
    });
    assertFields(assertStatus(r, 200, 'password change'), { password_changed: true });

    assertError(await srv.api('GET', '/api/users/profile', { token: other }), 401, undefined, 'other session after password change');
    assertStatus(await srv.api('GET', '/api/users/profile', { token: current }), 200, 'calling session keeps working');
    assertError(await srv.login(u.username, PASSWORD), 401, 'invalid_credentials', 'old password');
    assertStatus(await srv.login(u.email, newPassword), 200, 'new password');
  });

  test('needs a token', async () => {
    assertError(await srv.api('PUT', '/api/users/password', { body: { current_password: PASSWORD, new_password: 'whatever-123' } }), 401, 'unauthorized');
  });
});

describe('logout', () => {
  test('the token is rejected afterwards, other sessions live on', async () => {
    const u = await srv.signup();
    const second = assertStatus(await srv.login(u.username), 200).token;
    const r = await srv.api('POST', '/api/users/logout', { token: u.token, body: {} });
    assertFields(assertStatus(r, 200, 'logout'), { logged_out: true });
    assertError(await srv.api('GET', '/api/users/profile', { token: u.token }), 401, 'session_ended');
    assertError(await srv.api('PUT', '/api/users/profile/update', { token: u.token, body: { bio: 'x' } }), 401, 'session_ended');
    assertStatus(await srv.api('GET', '/api/users/profile', { token: second }), 200, 'another session is untouched');
  });

  test('logout without a body works too', async () => {
    const u = await srv.signup();
    assertStatus(await srv.api('POST', '/api/users/logout', { token: u.token }), 200);
    assertError(await srv.api('GET', '/api/users/profile', { token: u.token }), 401, 'session_ended');
  });
});

describe('delete', () => {
  test('deleting yourself ends your sessions and hides the profile', async () => {
    const u = await srv.signup();
    const r = await srv.api('DELETE', `/api/users/${u.id}`, { token: u.token });
    assertFields(assertStatus(r, 200, 'delete self'), { user_id: u.id, deleted: true });
    assertError(await srv.api('GET', '/api/users/profile', { token: u.token }), 401, undefined, 'token of a deleted user');
    assertError(await srv.api('GET', `/api/users/${u.id}`), 404, 'not_found');
    assertError(await srv.login(u.username), 401, 'invalid_credentials');
  });

  test('another non-admin user cannot delete you (403)', async () => {
    const a = await srv.signup();
    const b = await srv.signup();
    assertError(await srv.api('DELETE', `/api/users/${b.id}`, { token: a.token }), 403, 'forbidden');
    assertStatus(await srv.api('GET', `/api/users/${b.id}`), 200, 'still there');
    assertStatus(await srv.api('GET', '/api/users/profile', { token: b.token }), 200, 'still logged in');
    assertError(await srv.api('DELETE', `/api/users/${b.id}`), 401, 'unauthorized');
  });

  test('an admin created with the CLI (while the server runs) deletes another user', async () => {
    const victim = await srv.signup();
    const adminName = uniqueName('admin');
    const adminEmail = `${adminName}@example.test`;
    const cli = await runCliAsync(['user', 'create', '--username', adminName, '--email', adminEmail,
      '--password', PASSWORD, '--admin', '--data-dir', srv.dataDir]);
    assert.equal(cli.code, 0, `user create exited ${cli.code}\nstdout: ${cli.stdout}\nstderr: ${cli.stderr}`);
    let created;
    assert.doesNotThrow(() => { created = JSON.parse(cli.stdout); }, `user create prints JSON: ${cli.stdout}`);
    const createdUser = created.user ?? created;
    assert.equal(createdUser.username, adminName);
    assert.equal(createdUser.role, 'admin');

    const login = assertStatus(await srv.login(adminName), 200, 'admin logs in over HTTP');
    assert.equal(login.user.role, 'admin');
    assert.equal(login.user.user_id, createdUser.user_id);

    const r = await srv.api('DELETE', `/api/users/${victim.id}`, { token: login.token });
    assertFields(assertStatus(r, 200, 'admin delete'), { user_id: victim.id, deleted: true });
    assertError(await srv.api('GET', `/api/users/${victim.id}`), 404, 'not_found');
    assertError(await srv.api('GET', '/api/users/profile', { token: victim.token }), 401, undefined, 'victim token');
    // Deleting again is 404.
    assertError(await srv.api('DELETE', `/api/users/${victim.id}`, { token: login.token }), 404, 'not_found');
  });
});
