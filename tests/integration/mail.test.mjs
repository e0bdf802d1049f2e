// Mail against a real SMTP server on loopback (Debian's aiosmtpd, tests/integration/smtp.mjs):
// STARTTLS and AUTH, templated plain-text and HTML mail, email verification, the forgotten-password
// reset (single use, expiring, the same answer for unknown addresses), and the queue: a server that
// is down, refuses for a while, refuses for good or hangs loses no mail.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PASSWORD, assertError, assertStatus, freePort, sleep, startServer, uniqueName } from './harness.mjs';
import { linkToken, smtpArgs, startSmtp } from './smtp.mjs';

const cleanup = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function withSmtp(opts) {
  const smtp = await startSmtp(opts);
  cleanup.push(() => smtp.close());
  return smtp;
}

async function server(args = [], extra = {}) {
  const srv = await startServer({ args, ...extra });
  cleanup.push(() => srv.close());
  return srv;
}

const to = (address) => (m) => m.rcpt_tos.includes(address);

// Polls the admin view of the queue until the mail to `address` is in a state that passes `check`.
async function mailRecord(srv, admin, address, check, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const list = assertStatus(await srv.api('GET', '/api/admin/mail?limit=100', { token: admin.token }), 200, 'mail list');
    last = list.mails.find((m) => m.to === address);
    if (last && check(last)) return last;
    await sleep(200);
  }
  throw new Error(`mail to ${address} never became ${what}; last: ${JSON.stringify(last)}`);
}

describe('mail through STARTTLS and AUTH', async () => {
  const smtp = await withSmtp({ tls: true, user: 'mailer', password: 's3cret-smtp' });
  const srv = await server([...smtpArgs(smtp, { user: 'mailer', password: 's3cret-smtp' }),
    '--public-url', 'https://beats.example.test', '--mail-from', 'Backbeat Störe <no-reply@beats.example.test>']);

  test('signup mails a verification link (plain text and HTML, over TLS, logged in); the link verifies once', async () => {
    const u = await srv.signup();
    assert.equal(u.user.email_verified, false);
    const mail = await smtp.waitForMessage(to(u.email));
    assert.equal(mail.tls, true, 'STARTTLS was used');
    assert.equal(mail.auth, true, 'the client logged in');
    assert.equal(mail.mail_from, 'no-reply@beats.example.test');
    assert.equal(mail.from, 'Backbeat Störe <no-reply@beats.example.test>', 'a UTF-8 display name survives');
    assert.equal(mail.subject, 'Confirm your email address for Backbeat');
    assert.match(mail.text, new RegExp(`Hi ${u.username},`));
    assert.match(mail.text, /https:\/\/beats\.example\.test\/verify-email\?token=/);
    assert.match(mail.html, /<a class="button" href="https:\/\/beats\.example\.test\/verify-email\?token=/);
    assert.match(mail.message_id, /@beats\.example\.test>$/);

    const token = linkToken(mail);
    const ok = assertStatus(await srv.api('POST', '/api/users/email/verify', { body: { token } }), 200, 'verify');
    assert.deepEqual(ok, { email_verified: true, user_id: u.id });
    const me = assertStatus(await srv.api('GET', '/api/users/profile', { token: u.token }), 200, 'profile');
    assert.equal(me.email_verified, true);
    const again = assertError(await srv.api('POST', '/api/users/email/verify', { body: { token } }), 422, 'validation_failed');
    assert.ok(again.details.fields.token, 'the token field is named');
    assertError(await srv.api('POST', '/api/users/email/verification', { token: u.token }), 409, 'email_already_verified');
  });

  test('a changed address is unverified and gets its own link', async () => {
    const u = await srv.signup();
    const changed = `${uniqueName('new').toLowerCase()}@example.test`;
    assertStatus(await srv.api('PUT', '/api/users/profile/update', { token: u.token, body: { email: changed } }), 200);
    const mail = await smtp.waitForMessage(to(changed));
    assert.match(mail.subject, /Confirm your email address/);
    const me = assertStatus(await srv.api('GET', '/api/users/profile', { token: u.token }), 200);
    assert.equal(me.email_verified, false, 'a new address starts unverified');
    assertStatus(await srv.api('POST', '/api/users/email/verify', { body: { token: linkToken(mail) } }), 200);
  });

  test('forgot password: the same answer for known and unknown addresses; the link resets once and ends sessions', async () => {
    const u = await srv.signup();
    const known = await srv.api('POST', '/api/users/password/forgot', { body: { email: u.email.toUpperCase() } });
    const unknown = await srv.api('POST', '/api/users/password/forgot', { body: { email: `nobody-${uniqueName()}@example.test` } });
    assert.equal(known.status, 202);
    assert.equal(unknown.status, 202);
    assert.equal(known.text, unknown.text, 'the answers are identical');
    const mail = await smtp.waitForMessage((m) => to(u.email)(m) && /Reset your Backbeat password/.test(m.subject));
    assert.match(mail.text, /\/reset-password\?token=/);
    assert.match(mail.text, /60 minutes/);
    await sleep(500);
    assert.equal(smtp.messages.filter((m) => /^nobody-/.test(m.rcpt_tos[0])).length, 0, 'no mail to an unknown address');

    const token = linkToken(mail);
    assertError(await srv.api('POST', '/api/users/password/reset', { body: { token, new_password: 'short' } }),
      422, 'validation_failed');
    assertStatus(await srv.api('POST', '/api/users/password/reset', { body: { token, new_password: 'a-brand-new-password' } }),
      200, 'reset');
    assertError(await srv.api('GET', '/api/users/profile', { token: u.token }), 401, 'session_ended');
    assertError(await srv.login(u.username, PASSWORD), 401, 'invalid_credentials');
    assertStatus(await srv.login(u.username, 'a-brand-new-password'), 200, 'login with the new password');
    const reuse = assertError(await srv.api('POST', '/api/users/password/reset',
      { body: { token, new_password: 'yet-another-password' } }), 422, 'validation_failed');
    assert.match(reuse.details.fields.token, /invalid, already used or expired/);
    assertError(await srv.api('POST', '/api/users/password/reset',
      { body: { token: 'made-up-token', new_password: 'yet-another-password' } }), 422, 'validation_failed');
  });

  test('a reset link expires', async () => {
    const u = await srv.signup();
    assertStatus(await srv.api('POST', '/api/users/password/forgot', { body: { email: u.email } }), 202);
    const mail = await smtp.waitForMessage((m) => to(u.email)(m) && /Reset/.test(m.subject));
    // An hour passes: the token's expiry is moved into the past in the database itself.
    const db = path.join(srv.dataDir, 'backbeat.db');
    const r = spawnSync('sqlite3', ['-cmd', '.timeout 5000', db,
      `UPDATE users_email_tokens SET expires_ms = 1 WHERE purpose = 'reset' AND email = '${u.email.toLowerCase()}'`],
    { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assertError(await srv.api('POST', '/api/users/password/reset',
      { body: { token: linkToken(mail), new_password: 'a-brand-new-password' } }), 422, 'validation_failed');
    assertStatus(await srv.login(u.username, PASSWORD), 200, 'the old password still works');
  });

  test('malformed requests: not an email 422, no token 422', async () => {
    assertError(await srv.api('POST', '/api/users/password/forgot', { body: { email: 'not-an-address' } }), 422, 'validation_failed');
    assertError(await srv.api('POST', '/api/users/password/forgot', { body: {} }), 422, 'validation_failed');
    assertError(await srv.api('POST', '/api/users/email/verify', { body: {} }), 422, 'validation_failed');
    assertError(await srv.api('POST', '/api/users/password/forgot', { raw: '{"email":', headers: { 'Content-Type': 'application/json' } }),
      400);
  });

  test('the SMTP password is not in /api/status or the log', async () => {
    const status = await srv.api('GET', '/api/status');
    assert.ok(!status.text.includes('s3cret-smtp'));
    assert.match(JSON.stringify(status.json.modules.find((m) => m.name === 'mail')), /STARTTLS/);
    assert.ok(!srv.stderr().includes('s3cret-smtp'));
  });
});

describe('the queue loses no mail', () => {
  test('SMTP down at first: the mail waits and goes once the server is up', async () => {
    const port = await freePort();
    const srv = await server(['--smtp-url', `smtp://127.0.0.1:${port}`, '--smtp-starttls', 'false', '--smtp-timeout-s', '3']);
    const admin = await srv.admin();
    const u = await srv.signup();
    const waiting = await mailRecord(srv, admin, u.email, (m) => m.attempts >= 1 && m.last_error, 'tried');
    assert.equal(waiting.status, 'queued');
    assert.match(waiting.last_error, /connect/i);
    const smtp = await withSmtp({ port });
    const mail = await smtp.waitForMessage(to(u.email), 30000);
    assert.match(mail.subject, /Confirm your email/);
    const sent = await mailRecord(srv, admin, u.email, (m) => m.status === 'sent', 'sent');
    assert.ok(sent.attempts >= 2);
  });

  test('a server that answers 451 for a while: retried until it takes the mail', async () => {
    const smtp = await withSmtp();
    const srv = await server(smtpArgs(smtp));
    const admin = await srv.admin();
    await smtp.setMode('tempfail');
    const u = await srv.signup();
    await smtp.waitForRefusal();
    const waiting = await mailRecord(srv, admin, u.email, (m) => m.last_error, 'refused once');
    assert.equal(waiting.status, 'queued');
    assert.match(waiting.last_error, /451/);
    await smtp.setMode('ok');
    await smtp.waitForMessage(to(u.email), 30000);
  });

  test('a server that hangs: the exchange times out, the server stays responsive, the mail goes later', async () => {
    const smtp = await withSmtp();
    const srv = await server(smtpArgs(smtp));
    const admin = await srv.admin();
    await smtp.setMode('hang');
    const u = await srv.signup();
    const started = Date.now();
    const health = await srv.api('GET', '/healthz');
    assert.equal(health.status, 200);
    assert.ok(Date.now() - started < 2000, 'requests are not held up by the hanging SMTP server');
    const waiting = await mailRecord(srv, admin, u.email, (m) => m.last_error, 'timed out once', 30000);
    assert.match(waiting.last_error, /time/i);
    await smtp.setMode('ok');
    const mail = await smtp.waitForMessage(to(u.email), 40000);
    assert.match(mail.subject, /Confirm your email/);
  });

  test('a server that refuses the recipient for good: the mail is marked failed, not retried; an admin retries it', async () => {
    const smtp = await withSmtp();
    const srv = await server(smtpArgs(smtp));
    const admin = await srv.admin();
    await smtp.setMode('reject');
    const u = await srv.signup();
    const failed = await mailRecord(srv, admin, u.email, (m) => m.status === 'failed', 'failed');
    assert.match(failed.last_error, /550/);
    await sleep(3000);
    assert.equal(smtp.refused.filter((r) => r.rcpt === u.email).length, 1, 'a permanent refusal is not retried');
    const user = await srv.signup();
    assertError(await srv.api('POST', `/api/admin/mail/${failed.mail_id}/retry`, { token: user.token }), 403);
    await smtp.setMode('ok');
    assertStatus(await srv.api('POST', `/api/admin/mail/${failed.mail_id}/retry`, { token: admin.token }), 200, 'retry');
    await smtp.waitForMessage(to(u.email));
    assertError(await srv.api('POST', `/api/admin/mail/${failed.mail_id}/retry`, { token: admin.token }), 409, 'mail_not_failed');
  });

  test('without an SMTP server mail is held, and sent after a restart with one', async () => {
    const srv = await server();
    const admin = await srv.admin();
    const u = await srv.signup();
    const held = await mailRecord(srv, admin, u.email, (m) => m.status === 'held', 'held');
    assert.equal(held.attempts, 0);
    const smtp = await withSmtp();
    await srv.restart({ args: smtpArgs(smtp) });
    await smtp.waitForMessage(to(u.email));
    await mailRecord(srv, admin, u.email, (m) => m.status === 'sent', 'sent');
  });

  test('bad mail settings stop the server at start with one line', async () => {
    const { runCli, tempDir } = await import('./harness.mjs');
    for (const [flag, value] of [['--smtp-url', 'http://mail.example.test'], ['--smtp-url', 'smtp://user:pw@mail.example.test'],
      ['--mail-from', 'not an address'], ['--smtp-timeout-s', '0']]) {
      const r = runCli(['serve', '--data-dir', path.join(tempDir(), 'd'), flag, value]);
      assert.equal(r.code, 2, `${flag} ${value}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.ok(!r.stderr.includes('pw@'), 'the password in a refused URL is not echoed');
    }
  });
});
