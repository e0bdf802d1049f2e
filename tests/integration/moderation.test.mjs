// Moderation: reports of beats and users, admins taking a beat down (buyers keep what they
// bought), suspending and reinstating accounts, dismissing reports, and the audit log that every
// admin action lands in (including admin actions in other modules: deletes, refunds, room closes).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertStatus, startServer, uniqueName } from './harness.mjs';
import { fetchBytes, makeAudio, uploadOk, waitReady } from './audio.mjs';

let srv;
let admin;
before(async () => {
  srv = await startServer();
  admin = await srv.admin();
});
after(async () => { await srv?.close(); });

const VISA = { provider: 'test', token: 'tok_visa' };

async function readyBeat(owner, title = uniqueName('Beat ')) {
  const b = await uploadOk(srv, owner.token, makeAudio({ seconds: 2 }), { title, price: '5.00' });
  return waitReady(srv, b.beat_id);
}

async function audit(action) {
  const r = assertStatus(await srv.api('GET', `/api/admin/audit?action=${action}&limit=100`, { token: admin.token }), 200);
  return r.entries;
}

describe('reports', () => {
  test('anyone signed in reports a beat or a user once; bad reports are refused', async () => {
    const producer = await srv.signup();
    const beat = await readyBeat(producer);
    const reporter = await srv.signup();
    const r = assertStatus(await srv.api('POST', '/api/reports', {
      token: reporter.token, body: { target_type: 'beat', target_id: beat.beat_id, reason: 'copyright', details: 'my sample' },
    }), 201, 'report');
    assert.equal(r.status, 'open');
    assert.equal(r.target_id, beat.beat_id);
    assertError(await srv.api('POST', '/api/reports', {
      token: reporter.token, body: { target_type: 'beat', target_id: beat.beat_id, reason: 'spam' },
    }), 409, 'already_reported');
    assertError(await srv.api('POST', '/api/reports', {
      token: producer.token, body: { target_type: 'beat', target_id: beat.beat_id, reason: 'spam' },
    }), 422, 'validation_failed');
    assertError(await srv.api('POST', '/api/reports', {
      token: reporter.token, body: { target_type: 'user', target_id: reporter.id, reason: 'spam' },
    }), 422, 'validation_failed');
    const bad = assertError(await srv.api('POST', '/api/reports', {
      token: reporter.token, body: { target_type: 'playlist', target_id: 'x', reason: 'because' },
    }), 422, 'validation_failed');
    assert.deepEqual(Object.keys(bad.details.fields).sort(), ['reason', 'target_type']);
    assertError(await srv.api('POST', '/api/reports', {
      token: reporter.token, body: { target_type: 'user', target_id: 'no-such-user', reason: 'spam' },
    }), 404);
    assertError(await srv.api('POST', '/api/reports', { body: { target_type: 'user', target_id: producer.id, reason: 'spam' } }), 401);
  });

  test('only admins read reports; they see what each is about', async () => {
    const producer = await srv.signup();
    const beat = await readyBeat(producer, 'Reported Tune');
    const reporter = await srv.signup();
    const r = assertStatus(await srv.api('POST', '/api/reports', {
      token: reporter.token, body: { target_type: 'beat', target_id: beat.beat_id, reason: 'offensive' },
    }), 201);
    assertError(await srv.api('GET', '/api/admin/reports', { token: reporter.token }), 403);
    const list = assertStatus(await srv.api('GET', '/api/admin/reports?status=open', { token: admin.token }), 200);
    const mine = list.reports.find((x) => x.report_id === r.report_id);
    assert.equal(mine.target.title, 'Reported Tune');
    assert.equal(mine.reporter, reporter.username);
    assert.equal(mine.open_reports_on_target, 1);
    assertError(await srv.api('GET', '/api/admin/reports?status=weird', { token: admin.token }), 422);

    const dismissed = assertStatus(await srv.api('POST', `/api/admin/reports/${r.report_id}/dismiss`,
      { token: admin.token, body: { note: 'not offensive' } }), 200, 'dismiss');
    assert.equal(dismissed.status, 'dismissed');
    assertError(await srv.api('POST', `/api/admin/reports/${r.report_id}/dismiss`, { token: admin.token, body: {} }), 409);
    const entry = (await audit('report.dismiss')).find((e) => e.target_id === r.report_id);
    assert.equal(entry.actor_id, admin.id);
    assert.equal(entry.reason, 'not offensive');
  });
});

describe('admin actions', () => {
  test('a takedown takes the beat out of the store; its buyer keeps license and download; reports close', async () => {
    const producer = await srv.signup();
    const beat = await readyBeat(producer);
    const buyer = await srv.signup();
    const p = assertStatus(await srv.api('POST', '/api/purchases', {
      token: buyer.token, body: { beat_id: beat.beat_id, license: 'basic', payment: VISA } }), 201);
    const reporter = await srv.signup();
    assertStatus(await srv.api('POST', '/api/reports', {
      token: reporter.token, body: { target_type: 'beat', target_id: beat.beat_id, reason: 'copyright' } }), 201);

    assertError(await srv.api('POST', `/api/admin/beats/${beat.beat_id}/takedown`,
      { token: reporter.token, body: { reason: 'x' } }), 403);
    assertError(await srv.api('POST', `/api/admin/beats/${beat.beat_id}/takedown`, { token: admin.token, body: {} }), 422);
    const done = assertStatus(await srv.api('POST', `/api/admin/beats/${beat.beat_id}/takedown`,
      { token: admin.token, body: { reason: 'copyright claim upheld' } }), 200, 'takedown');
    assert.equal(done.reports_closed, 1);
    assertError(await srv.api('GET', `/api/beats/${beat.beat_id}`), 404);
    const search = assertStatus(await srv.api('GET', `/api/beats?q=${encodeURIComponent(beat.title)}`), 200);
    assert.ok(!search.beats.some((b) => b.beat_id === beat.beat_id), 'gone from search');
    const dl = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=mp3`, { token: buyer.token });
    assert.equal(dl.status, 200, 'the buyer still downloads');
    const profile = assertStatus(await srv.api('GET', '/api/users/profile', { token: buyer.token }), 200);
    assert.ok(profile.purchased_beats.includes(beat.beat_id));
    assert.equal(assertStatus(await srv.api('GET', `/api/purchases/${p.purchase_id}`, { token: buyer.token }), 200).status, 'completed');
    assertError(await srv.api('POST', `/api/admin/beats/${beat.beat_id}/takedown`,
      { token: admin.token, body: { reason: 'again' } }), 404);
    const entry = (await audit('beat.takedown')).find((e) => e.target_id === beat.beat_id);
    assert.equal(entry.reason, 'copyright claim upheld');
    assert.equal(entry.details.producer_id, producer.id);
  });

  test('a suspended user is logged out and cannot log in (said only with the right password); reinstated, can', async () => {
    const user = await srv.signup();
    assertError(await srv.api('POST', `/api/admin/users/${admin.id}/suspend`, { token: admin.token, body: { reason: 'me' } }), 422);
    assertStatus(await srv.api('POST', `/api/admin/users/${user.id}/suspend`,
      { token: admin.token, body: { reason: 'scam reports' } }), 200, 'suspend');
    assertError(await srv.api('POST', `/api/admin/users/${user.id}/suspend`, { token: admin.token, body: { reason: 'x' } }), 409);
    assertError(await srv.api('GET', '/api/users/profile', { token: user.token }), 401, 'session_ended');
    assertError(await srv.login(user.username, 'wrong-password-here'), 401, 'invalid_credentials');
    assertError(await srv.login(user.username), 403, 'account_suspended');
    assertStatus(await srv.api('GET', `/api/users/${user.id}`), 200, 'the public profile stays');
    assertStatus(await srv.api('POST', `/api/admin/users/${user.id}/reinstate`, { token: admin.token, body: {} }), 200);
    assertStatus(await srv.login(user.username), 200, 'logs in again');
    assertError(await srv.api('POST', `/api/admin/users/${user.id}/reinstate`, { token: admin.token, body: {} }), 409);
    assertError(await srv.api('POST', '/api/admin/users/nobody/suspend', { token: admin.token, body: { reason: 'x' } }), 404);
    const actions = [...await audit('user.suspend'), ...await audit('user.reinstate')].filter((e) => e.target_id === user.id);
    assert.deepEqual(actions.map((e) => e.action).sort(), ['user.reinstate', 'user.suspend']);
  });

  test('admin actions in other modules are audited too; people acting on their own things are not', async () => {
    const producer = await srv.signup();
    const own = await readyBeat(producer);
    assertStatus(await srv.api('DELETE', `/api/beats/${own.beat_id}`, { token: producer.token }), 200);
    const other = await readyBeat(producer);
    assertStatus(await srv.api('DELETE', `/api/beats/${other.beat_id}`, { token: admin.token }), 200);
    const deletes = await audit('beat.delete');
    assert.ok(deletes.some((e) => e.target_id === other.beat_id && e.actor_id === admin.id));
    assert.ok(!deletes.some((e) => e.target_id === own.beat_id), 'a producer deleting their own beat is not an admin action');

    const sold = await readyBeat(producer);
    const buyer = await srv.signup();
    const p = assertStatus(await srv.api('POST', '/api/purchases', {
      token: buyer.token, body: { beat_id: sold.beat_id, license: 'basic', payment: VISA } }), 201);
    assertStatus(await srv.api('POST', `/api/purchases/${p.purchase_id}/refund`, { token: admin.token }), 200);
    assert.ok((await audit('purchase.refund')).some((e) => e.target_id === p.purchase_id));

    const room = assertStatus(await srv.api('POST', '/api/forums/rooms', {
      token: buyer.token, body: { room_type: 'genre', genre: 'trap' } }), 201);
    assertStatus(await srv.api('DELETE', `/api/forums/rooms/${room.room_id}`, { token: admin.token }), 200);
    assert.ok((await audit('room.close')).some((e) => e.target_id === room.room_id));

    const doomed = await srv.signup();
    assertStatus(await srv.api('DELETE', `/api/users/${doomed.id}`, { token: admin.token }), 200);
    assert.ok((await audit('user.delete')).some((e) => e.target_id === doomed.id));

    assertError(await srv.api('GET', '/api/admin/audit', { token: buyer.token }), 403);
    const page = assertStatus(await srv.api('GET', '/api/admin/audit?limit=2', { token: admin.token }), 200);
    assert.equal(page.entries.length, 2);
    const next = assertStatus(await srv.api('GET', `/api/admin/audit?limit=2&cursor=${encodeURIComponent(page.next_cursor)}`,
      { token: admin.token }), 200);
    assert.ok(next.entries[0].audit_id < page.entries[1].audit_id, 'newest first, pages continue');
  });
});
