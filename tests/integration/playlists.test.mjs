// Playlists (create/list/get/update/delete, tracks: add, remove, reorder; visibility) and
// playback (events, the play counter's 30 s window, state, history with cursor paging).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RFC3339, assertError, assertStatus, startServer } from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';

let srv; let producer; let beats;
const UNKNOWN = '01a1ffe8-dffc-7126-9f52-b32307b54ab0';

before(async () => {
  srv = await startServer();
  producer = await srv.signup();
  const file = makeAudio({ seconds: 1 });
  beats = [];
  for (const title of ['Track One', 'Track Two', 'Track Three', 'Track Four']) {
    beats.push(await uploadOk(srv, producer.token, file, { title, price: '2', artist: `Artist of ${title}` }));
  }
  for (const b of beats) await waitReady(srv, b.beat_id);
});
after(async () => { await srv?.close(); });

const PLAYLIST_KEYS = ['playlist_id', 'owner_id', 'name', 'description', 'public', 'tracks', 'created_at', 'updated_at'];
function assertPlaylist(p, what = 'playlist') {
  for (const k of PLAYLIST_KEYS) assert.ok(k in p, `${what} lacks ${k}: ${JSON.stringify(p)}`);
  assert.match(p.created_at, RFC3339);
  assert.match(p.updated_at, RFC3339);
  assert.ok(Array.isArray(p.tracks));
  return p;
}
const trackIds = (p) => p.tracks.map((t) => t.beat_id);

describe('playlists', () => {
  test('create, get, list, update, delete', async () => {
    const u = await srv.signup();
    const r = await srv.api('POST', '/api/playlists', { token: u.token, body: { name: 'Late Night', description: 'for coding' } });
    const p = assertPlaylist(assertStatus(r, 201, 'create playlist'));
    assert.equal(p.name, 'Late Night');
    assert.equal(p.description, 'for coding');
    assert.equal(p.owner_id, u.id);
    assert.equal(p.public, false, 'private by default');
    assert.deepEqual(p.tracks, []);

    const got = assertPlaylist(assertStatus(await srv.api('GET', `/api/playlists/${p.playlist_id}`, { token: u.token }), 200));
    assert.deepEqual(got, p);

    const p2 = assertStatus(await srv.api('POST', '/api/playlists', { token: u.token, body: { name: 'Gym', public: true } }), 201);
    assert.equal(p2.public, true);
    const list = assertStatus(await srv.api('GET', '/api/playlists', { token: u.token }), 200);
    assert.ok(Array.isArray(list.playlists) && 'next_cursor' in list, JSON.stringify(list));
    assert.deepEqual(list.playlists.map((x) => x.playlist_id).sort(), [p.playlist_id, p2.playlist_id].sort());
    const otherList = assertStatus(await srv.api('GET', '/api/playlists', { token: (await srv.signup()).token }), 200);
    assert.deepEqual(otherList.playlists, [], 'GET /api/playlists lists only mine');

    const up = assertStatus(await srv.api('PUT', `/api/playlists/${p.playlist_id}`, {
      token: u.token, body: { name: 'Later Night', description: 'renamed', public: true },
    }), 200, 'update');
    assert.equal(up.name, 'Later Night');
    assert.equal(up.description, 'renamed');
    assert.equal(up.public, true);
    assert.equal(assertStatus(await srv.api('GET', `/api/playlists/${p.playlist_id}`, { token: u.token }), 200).name, 'Later Night');

    const del = await srv.api('DELETE', `/api/playlists/${p.playlist_id}`, { token: u.token });
    assert.deepEqual(assertStatus(del, 200, 'delete'), { playlist_id: p.playlist_id, deleted: true });
    assertError(await srv.api('GET', `/api/playlists/${p.playlist_id}`, { token: u.token }), 404, 'not_found');
    assertError(await srv.api('DELETE', `/api/playlists/${p.playlist_id}`, { token: u.token }), 404, 'not_found');
    const after = assertStatus(await srv.api('GET', '/api/playlists', { token: u.token }), 200);
    assert.deepEqual(after.playlists.map((x) => x.playlist_id), [p2.playlist_id]);
  });

  test('validation and auth', async () => {
    const u = await srv.signup();
    let e = assertError(await srv.api('POST', '/api/playlists', { token: u.token, body: {} }), 422, 'validation_failed');
    assert.ok('name' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('POST', '/api/playlists', { token: u.token, body: { name: 'x', public: 'yes' } }), 422, 'validation_failed');
    assert.ok('public' in (e.details?.fields ?? {}), JSON.stringify(e));
    assertError(await srv.api('POST', '/api/playlists', { body: { name: 'x' } }), 401, 'unauthorized');
    assertError(await srv.api('GET', '/api/playlists'), 401, 'unauthorized');
    assertError(await srv.api('GET', `/api/playlists/${UNKNOWN}`, { token: u.token }), 404, 'not_found');
  });

  test('paging my playlists with a cursor', async () => {
    const u = await srv.signup();
    const made = [];
    for (let i = 0; i < 5; i += 1) {
      made.push(assertStatus(await srv.api('POST', '/api/playlists', { token: u.token, body: { name: `List ${i}` } }), 201).playlist_id);
    }
    const seen = [];
    let cursor = null;
    for (let i = 0; i < 10; i += 1) {
      const page = assertStatus(await srv.api('GET', `/api/playlists?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: u.token }), 200);
      assert.ok(page.playlists.length <= 2);
      seen.push(...page.playlists.map((x) => x.playlist_id));
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    assert.equal(cursor, null);
    assert.deepEqual([...seen].sort(), [...made].sort(), 'every playlist once');
    assertError(await srv.api('GET', '/api/playlists?cursor=garbage', { token: u.token }), 400, 'invalid_cursor');
  });

  test('tracks: add, duplicate 409, unknown beat 422, remove, reorder', async () => {
    const u = await srv.signup();
    const p = assertStatus(await srv.api('POST', '/api/playlists', { token: u.token, body: { name: 'Mix' } }), 201);
    const path = `/api/playlists/${p.playlist_id}/tracks`;
    let cur;
    for (const b of beats.slice(0, 3)) {
      cur = assertPlaylist(assertStatus(await srv.api('POST', path, { token: u.token, body: { beat_id: b.beat_id } }), 201, 'add track'));
    }
    assert.deepEqual(trackIds(cur), beats.slice(0, 3).map((b) => b.beat_id), 'tracks in the order added');
    assert.deepEqual(cur.tracks.map((t) => t.title), ['Track One', 'Track Two', 'Track Three']);
    assert.deepEqual(cur.tracks.map((t) => t.artist), ['Artist of Track One', 'Artist of Track Two', 'Artist of Track Three']);
    const positions = cur.tracks.map((t) => t.position);
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b), 'positions ascend');
    assert.equal(new Set(positions).size, 3);
    for (const t of cur.tracks) {
      assert.match(t.added_at, RFC3339);
      assert.equal(t.available, true);
    }

    assertError(await srv.api('POST', path, { token: u.token, body: { beat_id: beats[1].beat_id } }), 409, 'already_in_playlist');
    let e = assertError(await srv.api('POST', path, { token: u.token, body: { beat_id: UNKNOWN } }), 422, 'validation_failed');
    assert.ok('beat_id' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('POST', path, { token: u.token, body: {} }), 422, 'validation_failed');
    assert.ok('beat_id' in (e.details?.fields ?? {}), JSON.stringify(e));
    assert.equal(assertStatus(await srv.api('GET', `/api/playlists/${p.playlist_id}`, { token: u.token }), 200).tracks.length, 3);

    // Reorder: exactly the current set, in a new order.
    const [a, b, c] = beats.slice(0, 3).map((x) => x.beat_id);
    cur = assertStatus(await srv.api('PUT', path, { token: u.token, body: { beat_ids: [c, a, b] } }), 200, 'reorder');
    assert.deepEqual(trackIds(cur), [c, a, b]);
    assert.deepEqual(trackIds(assertStatus(await srv.api('GET', `/api/playlists/${p.playlist_id}`, { token: u.token }), 200)), [c, a, b],
      'the new order is stored');
    for (const bad of [[c, a], [c, a, b, beats[3].beat_id], [c, a, a], [c, a, UNKNOWN], []]) {
      assertError(await srv.api('PUT', path, { token: u.token, body: { beat_ids: bad } }), 422, 'validation_failed',
        `reorder with ${bad.length} ids`);
    }
    assertError(await srv.api('PUT', path, { token: u.token, body: { beat_ids: 'nope' } }), 422, 'validation_failed');
    assert.deepEqual(trackIds(assertStatus(await srv.api('GET', `/api/playlists/${p.playlist_id}`, { token: u.token }), 200)), [c, a, b],
      'a refused reorder changes nothing');

    // Remove one.
    const rm = await srv.api('DELETE', `${path}/${a}`, { token: u.token });
    assertStatus(rm, 200, 'remove a track');
    assert.deepEqual(trackIds(assertStatus(await srv.api('GET', `/api/playlists/${p.playlist_id}`, { token: u.token }), 200)), [c, b]);
    assertError(await srv.api('DELETE', `${path}/${a}`, { token: u.token }), 404, 'not_found', 'removing it again');
    // And it can be added again, at the end.
    cur = assertStatus(await srv.api('POST', path, { token: u.token, body: { beat_id: a } }), 201);
    assert.deepEqual(trackIds(cur), [c, b, a]);
  });

  test('a beat deleted by its producer shows as unavailable (or leaves the playlist)', async () => {
    const u = await srv.signup();
    const doomed = await uploadOk(srv, producer.token, makeAudio({ seconds: 1, freq: 300 }), { title: 'Short Lived', price: '1' });
    await waitReady(srv, doomed.beat_id);
    const p = assertStatus(await srv.api('POST', '/api/playlists', { token: u.token, body: { name: 'Ephemeral' } }), 201);
    assertStatus(await srv.api('POST', `/api/playlists/${p.playlist_id}/tracks`, { token: u.token, body: { beat_id: beats[0].beat_id } }), 201);
    assertStatus(await srv.api('POST', `/api/playlists/${p.playlist_id}/tracks`, { token: u.token, body: { beat_id: doomed.beat_id } }), 201);
    assertStatus(await srv.api('DELETE', `/api/beats/${doomed.beat_id}`, { token: producer.token }), 200);
    const got = assertStatus(await srv.api('GET', `/api/playlists/${p.playlist_id}`, { token: u.token }), 200);
    const t = got.tracks.find((x) => x.beat_id === doomed.beat_id);
    if (t) assert.equal(t.available, false, `a deleted beat is not available: ${JSON.stringify(t)}`);
    assert.equal(got.tracks.find((x) => x.beat_id === beats[0].beat_id)?.available, true);
  });

  test('visibility: another user\'s private playlist is 404; a public one is readable without a token but not writable', async () => {
    const owner = await srv.signup();
    const other = await srv.signup();
    const priv = assertStatus(await srv.api('POST', '/api/playlists', { token: owner.token, body: { name: 'Secret' } }), 201);
    const pub = assertStatus(await srv.api('POST', '/api/playlists', { token: owner.token, body: { name: 'Shared', public: true } }), 201);
    assertStatus(await srv.api('POST', `/api/playlists/${pub.playlist_id}/tracks`, { token: owner.token, body: { beat_id: beats[0].beat_id } }), 201);

    // Private: not even its existence is revealed.
    assertError(await srv.api('GET', `/api/playlists/${priv.playlist_id}`, { token: other.token }), 404, 'not_found');
    assertError(await srv.api('PUT', `/api/playlists/${priv.playlist_id}`, { token: other.token, body: { name: 'Mine now' } }), 404, 'not_found');
    assertError(await srv.api('DELETE', `/api/playlists/${priv.playlist_id}`, { token: other.token }), 404, 'not_found');
    assertError(await srv.api('POST', `/api/playlists/${priv.playlist_id}/tracks`, { token: other.token, body: { beat_id: beats[1].beat_id } }),
      404, 'not_found');
    const anonPriv = await srv.api('GET', `/api/playlists/${priv.playlist_id}`);
    assert.ok(anonPriv.status === 404 || anonPriv.status === 401, `a private playlist without a token: ${anonPriv.status}`);
    assertError(anonPriv, anonPriv.status);

    // Public: anyone reads, only the owner writes.
    const anon = assertPlaylist(assertStatus(await srv.api('GET', `/api/playlists/${pub.playlist_id}`), 200, 'public playlist without a token'));
    assert.deepEqual(trackIds(anon), [beats[0].beat_id]);
    assertStatus(await srv.api('GET', `/api/playlists/${pub.playlist_id}`, { token: other.token }), 200);
    assertError(await srv.api('PUT', `/api/playlists/${pub.playlist_id}`, { token: other.token, body: { name: 'Hijacked' } }), 403, 'forbidden');
    assertError(await srv.api('DELETE', `/api/playlists/${pub.playlist_id}`, { token: other.token }), 403, 'forbidden');
    assertError(await srv.api('POST', `/api/playlists/${pub.playlist_id}/tracks`, { token: other.token, body: { beat_id: beats[1].beat_id } }),
      403, 'forbidden');
    assertError(await srv.api('PUT', `/api/playlists/${pub.playlist_id}/tracks`, { token: other.token, body: { beat_ids: [beats[0].beat_id] } }),
      403, 'forbidden');
    assertError(await srv.api('DELETE', `/api/playlists/${pub.playlist_id}/tracks/${beats[0].beat_id}`, { token: other.token }), 403, 'forbidden');
    assertError(await srv.api('PUT', `/api/playlists/${pub.playlist_id}`, { body: { name: 'Anon' } }), 401, 'unauthorized');
    const still = assertStatus(await srv.api('GET', `/api/playlists/${pub.playlist_id}`), 200);
    assert.equal(still.name, 'Shared');
    assert.deepEqual(trackIds(still), [beats[0].beat_id]);

    // Making it private hides it again.
    assertStatus(await srv.api('PUT', `/api/playlists/${pub.playlist_id}`, { token: owner.token, body: { public: false } }), 200);
    assertError(await srv.api('GET', `/api/playlists/${pub.playlist_id}`, { token: other.token }), 404, 'not_found');
  });
});

describe('playback', () => {
  test('state before any playback has beat_id null', async () => {
    const u = await srv.signup();
    const s = assertStatus(await srv.api('GET', '/api/playback/state', { token: u.token }), 200);
    assert.equal(s.beat_id, null);
    const h = assertStatus(await srv.api('GET', '/api/playback/history', { token: u.token }), 200);
    assert.deepEqual(h.history, []);
    assert.equal(h.next_cursor, null);
  });

  test('two plays within 30 s count once; pause and stop are logged; state and history follow', async () => {
    const u = await srv.signup();
    const beat = beats[2];
    const before = assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200).plays;
    const events = [];
    const send = async (action, position_ms) => {
      const body = { beat_id: beat.beat_id, action };
      if (position_ms !== undefined) body.position_ms = position_ms;
      const r = assertStatus(await srv.api('POST', '/api/playback', { token: u.token, body }), 201, `playback ${action}`);
      assert.equal(r.beat_id, beat.beat_id);
      assert.equal(r.action, action);
      assert.equal(typeof r.event_id, 'string');
      assert.match(r.created_at, RFC3339);
      if (position_ms !== undefined) assert.equal(r.position_ms, position_ms);
      events.push(r);
      return r;
    };
    await send('play', 0);
    await send('play', 0);
    assert.equal(assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200).plays, before + 1,
      'two plays by one user within 30 s count one play');
    await send('pause', 1500);
    let st = assertStatus(await srv.api('GET', '/api/playback/state', { token: u.token }), 200);
    assert.equal(st.beat_id, beat.beat_id);
    assert.equal(st.action, 'pause');
    assert.equal(st.position_ms, 1500);
    assert.match(st.updated_at, RFC3339);
    await send('stop', 2500);
    st = assertStatus(await srv.api('GET', '/api/playback/state', { token: u.token }), 200);
    assert.equal(st.action, 'stop');
    assert.equal(st.position_ms, 2500);

    // Another listener's play counts.
    const v = await srv.signup();
    assertStatus(await srv.api('POST', '/api/playback', { token: v.token, body: { beat_id: beat.beat_id, action: 'play' } }), 201);
    assert.equal(assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200).plays, before + 2);

    // History: newest first.
    const h = assertStatus(await srv.api('GET', '/api/playback/history', { token: u.token }), 200);
    assert.deepEqual(h.history.map((x) => x.action), ['stop', 'pause', 'play', 'play']);
    assert.deepEqual(h.history.map((x) => x.event_id), events.map((x) => x.event_id).reverse());
    assert.equal(h.next_cursor, null);
    for (const x of h.history) assert.equal(x.beat_id, beat.beat_id);

    // Cursor paging.
    const seen = [];
    let cursor = null;
    for (let i = 0; i < 5; i += 1) {
      const page = assertStatus(await srv.api('GET', `/api/playback/history?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: u.token }), 200);
      assert.ok(page.history.length <= 3);
      seen.push(...page.history.map((x) => x.event_id));
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, events.map((x) => x.event_id).reverse(), 'paging walks the same newest-first order without duplicates');
    assertError(await srv.api('GET', '/api/playback/history?cursor=xyz', { token: u.token }), 400, 'invalid_cursor');
    // v's history is v's own.
    const hv = assertStatus(await srv.api('GET', '/api/playback/history', { token: v.token }), 200);
    assert.equal(hv.history.length, 1);
  });

  test('bad playback requests', async () => {
    const u = await srv.signup();
    let e = assertError(await srv.api('POST', '/api/playback', { token: u.token, body: { beat_id: beats[0].beat_id, action: 'rewind' } }),
      422, 'validation_failed');
    assert.ok('action' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('POST', '/api/playback', { token: u.token, body: { action: 'play' } }), 422, 'validation_failed');
    assert.ok('beat_id' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('POST', '/api/playback', { token: u.token, body: { beat_id: beats[0].beat_id, action: 'play', position_ms: -5 } }),
      422, 'validation_failed');
    assert.ok('position_ms' in (e.details?.fields ?? {}), JSON.stringify(e));
    const unknown = await srv.api('POST', '/api/playback', { token: u.token, body: { beat_id: UNKNOWN, action: 'play' } });
    assert.ok(unknown.status === 404 || unknown.status === 422, `an unknown beat: ${unknown.status} ${unknown.text}`);
    assertError(unknown, unknown.status);
    assertError(await srv.api('POST', '/api/playback', { body: { beat_id: beats[0].beat_id, action: 'play' } }), 401, 'unauthorized');
    assertError(await srv.api('GET', '/api/playback/state'), 401, 'unauthorized');
    const h = assertStatus(await srv.api('GET', '/api/playback/history', { token: u.token }), 200);
    assert.deepEqual(h.history, [], 'refused events are not logged');
  });
});
