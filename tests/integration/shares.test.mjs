// Share links: a producer shares a beat, an owner a playlist; anyone with the link plays it
// without an account (each play counted, logged here and in the playback log), until it
// expires, is revoked or uses its plays (410); an optional download right; the owner lists,
// inspects and revokes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertStatus, sleep, startServer } from './harness.mjs';
import { fetchBytes, makeAudio, uploadOk, waitReady } from './audio.mjs';

let srv; let producer; let other; let beat; let second;

before(async () => {
  srv = await startServer();
  producer = await srv.signup();
  other = await srv.signup();
  beat = await uploadOk(srv, producer.token, makeAudio({ seconds: 4, freq: 300 }), { title: 'Unreleased One', price: '9' });
  second = await uploadOk(srv, producer.token, makeAudio({ seconds: 3, freq: 500 }), { title: 'Unreleased Two', price: '9' });
  await waitReady(srv, beat.beat_id);
  await waitReady(srv, second.beat_id);
});
after(async () => { await srv?.close(); });

const share = async (body, token = producer.token) => srv.api('POST', '/api/shares', { token, body });
const open = (s) => srv.api('GET', `/api/s/${s.share_id}`);
const startPlay = (s, beatId) => srv.api('POST', `/api/s/${s.share_id}/tracks/${beatId}/plays`);

describe('share links', () => {
  test('a producer shares a beat; anyone plays it without an account, with Range; each play is counted and logged', async () => {
    const s = assertStatus(await share({ beat_id: beat.beat_id, note: 'for your next single' }), 201, 'create');
    assert.equal(s.kind, 'beat');
    assert.equal(s.url, `/s/${s.share_id}`);
    assert.equal(s.status, 'active');
    assert.equal(s.max_plays, null);
    assert.equal(s.plays, 0);
    assert.equal(s.allow_download, false);
    assert.match(s.share_id, /^[A-Za-z0-9_-]{22}$/, '128 random bits');
    const week = Date.parse(s.expires_at) - Date.now();
    assert.ok(week > 6.9 * 86400e3 && week <= 7 * 86400e3, `7 days by default: ${s.expires_at}`);

    const page = assertStatus(await open(s), 200, 'open without an account');
    assert.equal(page.title, 'Unreleased One');
    assert.equal(page.shared_by, producer.username);
    assert.equal(page.note, 'for your next single');
    assert.deepEqual(page.tracks.map((t) => t.beat_id), [beat.beat_id]);

    const noTicket = await fetchBytes(srv, `/api/s/${s.share_id}/stream/${beat.beat_id}`);
    assert.equal(noTicket.status, 403, 'a stream needs a play');
    const playsBefore = assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200).plays;
    const play = assertStatus(await startPlay(s, beat.beat_id), 201, 'play');
    assert.equal(play.plays_left, null);
    const preview = await fetchBytes(srv, `/api/beats/${beat.beat_id}/preview.mp3`);
    const ranged = await fetchBytes(srv, play.stream_url, { headers: { Range: 'bytes=0-999' } });
    assert.equal(ranged.status, 206);
    assert.ok(ranged.body.equals(preview.body.subarray(0, 1000)), 'the tagged preview, as the web plays it');
    const rest = await fetchBytes(srv, play.stream_url, { headers: { Range: 'bytes=1000-' } });
    assert.equal(rest.status, 206, 'seeking within one play needs no new play');

    const mine = assertStatus(await srv.api('GET', `/api/shares/${s.share_id}/plays`, { token: producer.token }), 200);
    assert.equal(mine.plays, 1);
    assert.deepEqual(mine.log.map((p) => [p.beat_id, p.kind]), [[beat.beat_id, 'play']]);
    assert.equal(assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200).plays, playsBefore + 1,
      'the play is in the playback log and counts on the beat');
    const listed = assertStatus(await srv.api('GET', '/api/shares', { token: producer.token }), 200);
    const entry = listed.shares.find((x) => x.share_id === s.share_id);
    assert.equal(entry.plays, 1);
    assert.ok(entry.last_played_at);
    assert.equal(assertStatus(await srv.api('GET', '/api/shares', { token: other.token }), 200).shares.length, 0, 'links are their owner\'s');
    assertError(await srv.api('GET', `/api/shares/${s.share_id}/plays`, { token: other.token }), 404, 'not_found');
  });

  test('only the producer shares a beat, only the owner a playlist; bad input is 422', async () => {
    assertError(await share({ beat_id: beat.beat_id }, other.token), 403, 'forbidden');
    assertError(await share({ beat_id: '01a1ffe8-dffc-7126-9f52-b32307b54ab0' }), 404, 'not_found');
    assertError(await share({}), 422);
    assertError(await share({ beat_id: beat.beat_id, playlist_id: 'x' }), 422);
    assertError(await share({ beat_id: beat.beat_id, max_plays: 0 }), 422);
    assertError(await share({ beat_id: beat.beat_id, expires_in_s: 0 }), 422);
    assertError(await srv.api('POST', '/api/shares', { body: { beat_id: beat.beat_id } }), 401);
    const p = assertStatus(await srv.api('POST', '/api/playlists', { token: producer.token, body: { name: 'Private picks' } }), 201);
    assertError(await share({ playlist_id: p.playlist_id }, other.token), 404, 'not_found');
  });

  test('a play limit gives exactly that many plays, even raced for; then the link answers 410', async () => {
    const s = assertStatus(await share({ beat_id: beat.beat_id, max_plays: 3 }), 201);
    const results = await Promise.all(Array.from({ length: 6 }, () => startPlay(s, beat.beat_id)));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, 410, 410, 410], JSON.stringify(results.map((r) => r.json)));
    assertError(results.find((r) => r.status === 410), 410, 'share_used_up');
    assertError(await open(s), 410, 'share_used_up');
    const after = assertStatus(await srv.api('GET', `/api/shares/${s.share_id}/plays`, { token: producer.token }), 200);
    assert.equal(after.plays, 3);
    assert.equal(after.log.length, 3);
  });

  test('an expired link answers 410, even to a play already started', async () => {
    const s = assertStatus(await share({ beat_id: beat.beat_id, expires_in_s: 2 }), 201);
    const play = assertStatus(await startPlay(s, beat.beat_id), 201);
    assert.equal((await fetchBytes(srv, play.stream_url)).status, 200);
    await sleep(2300);
    assertError(await open(s), 410, 'share_expired');
    assertError(await startPlay(s, beat.beat_id), 410, 'share_expired');
    const late = await fetchBytes(srv, play.stream_url);
    assert.equal(late.status, 410);
    const listed = assertStatus(await srv.api('GET', '/api/shares', { token: producer.token }), 200);
    assert.equal(listed.shares.find((x) => x.share_id === s.share_id).status, 'expired');
  });

  test('a revoked link answers 410; only its owner can revoke it', async () => {
    const s = assertStatus(await share({ beat_id: beat.beat_id }), 201);
    assertError(await srv.api('DELETE', `/api/shares/${s.share_id}`, { token: other.token }), 404, 'not_found');
    assertStatus(await open(s), 200);
    const revoked = assertStatus(await srv.api('DELETE', `/api/shares/${s.share_id}`, { token: producer.token }), 200);
    assert.equal(revoked.status, 'revoked');
    assert.ok(revoked.revoked_at);
    assertError(await open(s), 410, 'share_revoked');
    assertError(await startPlay(s, beat.beat_id), 410, 'share_revoked');
    assertError(await srv.api('GET', '/api/s/AAAAAAAAAAAAAAAAAAAAAA'), 404, 'not_found');
  });

  test('downloads only with the right: the untagged MP3, logged', async () => {
    const without = assertStatus(await share({ beat_id: beat.beat_id }), 201);
    assertError(await srv.api('GET', `/api/s/${without.share_id}/download/${beat.beat_id}`), 403, 'forbidden');
    const withRight = assertStatus(await share({ beat_id: beat.beat_id, allow_download: true }), 201);
    assert.equal(assertStatus(await open(withRight), 200).allow_download, true);
    const file = await fetchBytes(srv, `/api/s/${withRight.share_id}/download/${beat.beat_id}`);
    assert.equal(file.status, 200);
    assert.match(file.headers.get('content-disposition'), /attachment/);
    const untagged = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=mp3`, { token: producer.token });
    assert.ok(file.body.equals(untagged.body), 'the untagged 320 kbit/s MP3');
    const log = assertStatus(await srv.api('GET', `/api/shares/${withRight.share_id}/plays`, { token: producer.token }), 200);
    assert.deepEqual(log.log.map((p) => p.kind), ['download']);
    assert.equal(log.plays, 0, 'a download is not a play');
  });

  test('a private playlist shared by its owner plays through the link; the playlist stays private', async () => {
    const listener = await srv.signup();
    const p = assertStatus(await srv.api('POST', '/api/playlists', { token: listener.token, body: { name: 'For the studio' } }), 201);
    for (const b of [second, beat]) {
      assertStatus(await srv.api('POST', `/api/playlists/${p.playlist_id}/tracks`, { token: listener.token, body: { beat_id: b.beat_id } }), 201);
    }
    const s = assertStatus(await share({ playlist_id: p.playlist_id, max_plays: 5 }, listener.token), 201);
    assert.equal(s.kind, 'playlist');
    assert.equal(s.title, 'For the studio');
    const page = assertStatus(await open(s), 200);
    assert.deepEqual(page.tracks.map((t) => t.beat_id), [second.beat_id, beat.beat_id]);
    assert.equal(page.plays_left, 5);
    const play = assertStatus(await startPlay(s, second.beat_id), 201);
    assert.equal(play.plays_left, 4);
    assert.equal((await fetchBytes(srv, play.stream_url)).status, 200);
    assertError(await startPlay(s, '01a1ffe8-dffc-7126-9f52-b32307b54ab0'), 404, 'not_found');
    assertError(await srv.api('GET', `/api/playlists/${p.playlist_id}`), 404, 'not_found');
    const wrongTrack = await fetchBytes(srv, `/api/s/${s.share_id}/stream/${beat.beat_id}?play=${play.play_id}`);
    assert.equal(wrongTrack.status, 403, "a play's ticket is for its own track");
  });
});
