// The Beats API end to end: uploads (WAV and MP3) and their background processing (duration,
// 128 kbit/s MP3 preview, waveform), editing, deleting and downloading, the producer's voice tag,
// and processing surviving a kill -9.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  RFC3339, assertError, assertStatus, startServer, uniqueName,
} from './harness.mjs';
import {
  decodePcm, fetchBytes, makeAudio, probe, sha256, upload, uploadOk, waitReady,
} from './audio.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.close(); });

const BEAT_KEYS = ['beat_id', 'title', 'artist', 'producer_id', 'price', 'price_cents', 'currency', 'genre', 'bpm',
  'key', 'mood', 'tags', 'description', 'duration_ms', 'status', 'file_url', 'stream_url', 'licenses', 'plays',
  'rating_avg', 'rating_count', 'created_at'];

function assertBeatShape(b, what = 'beat') {
  for (const k of BEAT_KEYS) assert.ok(k in b, `${what} lacks ${k}: ${JSON.stringify(b)}`);
  assert.equal(typeof b.beat_id, 'string');
  assert.doesNotMatch(b.beat_id, /^\d+$/, 'ids are opaque strings');
  assert.equal(b.file_url, `/api/beats/${b.beat_id}/download`);
  assert.equal(b.stream_url, `/api/beats/${b.beat_id}/preview.mp3`);
  assert.ok(Array.isArray(b.tags), `tags is an array: ${JSON.stringify(b.tags)}`);
  assert.ok(Array.isArray(b.licenses) && b.licenses.length >= 1, `licenses: ${JSON.stringify(b.licenses)}`);
  assert.match(b.created_at, RFC3339);
}

async function publicProfile(id) {
  return assertStatus(await srv.api('GET', `/api/users/${id}`), 200, 'public profile');
}

// Checks a ready beat's derived media against the source file.
async function checkProcessed(beat, sourceFile) {
  const src = probe(sourceFile);
  const srcMs = src.duration * 1000;
  assert.ok(Math.abs(beat.duration_ms - srcMs) <= 100,
    `duration_ms ${beat.duration_ms} should be within 100 ms of the source's ${srcMs.toFixed(0)} ms`);

  const info = assertStatus(await srv.api('GET', `/api/beats/stream/${beat.beat_id}`), 200, 'stream info');
  assert.equal(info.beat_id, beat.beat_id);
  assert.equal(info.stream_url, beat.stream_url);
  assert.equal(info.mime, 'audio/mpeg');
  assert.equal(info.duration_ms, beat.duration_ms);

  const prev = await fetchBytes(srv, info.stream_url);
  assert.equal(prev.status, 200, `GET ${info.stream_url}: ${prev.status} ${prev.text.slice(0, 200)}`);
  assert.match(prev.headers.get('content-type') ?? '', /^audio\/mpeg/);
  assert.equal(Number(prev.headers.get('content-length')), prev.body.length);
  const p = probe(prev.body);
  assert.equal(p.codec, 'mp3', `the preview is an MP3: ${JSON.stringify(p)}`);
  assert.ok(p.bit_rate >= 120000 && p.bit_rate <= 136000, `preview bit rate ${p.bit_rate} should be about 128 kbit/s`);
  assert.ok(Math.abs(p.duration * 1000 - srcMs) <= 150,
    `preview duration ${(p.duration * 1000).toFixed(0)} ms should be within 150 ms of the source's ${srcMs.toFixed(0)} ms`);

  const w = assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}/waveform`), 200, 'waveform');
  assert.ok(Array.isArray(w.peaks), `peaks is an array: ${JSON.stringify(w).slice(0, 200)}`);
  assert.ok(w.peaks.length >= 700 && w.peaks.length <= 900, `about 800 peaks, got ${w.peaks.length}`);
  for (const v of w.peaks) assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `peak ${v} is a number in 0..1`);
  assert.ok(Math.max(...w.peaks) > 0.05, `a tone has visible peaks: max ${Math.max(...w.peaks)}`);
  assert.equal(w.duration_ms, beat.duration_ms);
  return prev.body;
}

describe('upload and processing', () => {
  test('a WAV upload answers 201 processing with the given fields, then becomes ready', async () => {
    const u = await srv.signup();
    const wav = makeAudio({ kind: 'sine', freq: 440, seconds: 4, channels: 2 });
    const r = await upload(srv, u.token, wav, {
      title: 'Night Drive', price: '24.99', genre: 'trap', bpm: '128', key: 'A minor', mood: 'dark',
      tags: 'trap, dark ,night', description: 'A test beat',
    });
    const b = assertStatus(r, 201, 'upload WAV');
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assertBeatShape(b, 'upload answer');
    assert.equal(b.status, 'processing');
    assert.equal(b.title, 'Night Drive');
    assert.equal(b.artist, u.username, 'artist defaults to the uploader\'s username');
    assert.equal(b.producer_id, u.id);
    assert.equal(b.price_cents, 2499);
    assert.equal(b.price, 24.99);
    assert.equal(b.currency, 'USD');
    assert.equal(b.genre, 'trap');
    assert.equal(b.bpm, 128);
    assert.equal(b.key, 'A minor');
    assert.equal(b.mood, 'dark');
    assert.deepEqual(b.tags, ['trap', 'dark', 'night']);
    assert.equal(b.description, 'A test beat');
    assert.equal(b.plays, 0);
    assert.equal(b.rating_avg, null);
    assert.equal(b.rating_count, 0);
    assert.equal(b.licenses[0].type, 'basic', 'one basic license by default');
    assert.equal(b.licenses[0].price_cents, 2499);

    const got = assertStatus(await srv.api('GET', `/api/beats/${b.beat_id}`), 200, 'GET the new beat');
    assert.ok(['processing', 'ready'].includes(got.status), got.status);

    const ready = await waitReady(srv, b.beat_id);
    assertBeatShape(ready, 'ready beat');
    assert.equal(ready.title, 'Night Drive');
    await checkProcessed(ready, wav);
    assert.equal((await publicProfile(u.id)).beats_count, 1, 'beats_count counts the ready beat');
  });

  test('an MP3 upload (price_cents, tags as JSON array text) is processed the same way', async () => {
    const u = await srv.signup();
    const mp3 = makeAudio({ kind: 'noise', seconds: 5, format: 'mp3', channels: 2 });
    const b = await uploadOk(srv, u.token, mp3, {
      title: 'Pink Static', price_cents: '1500', tags: JSON.stringify(['noise', 'lofi']), artist: 'Someone Else',
    });
    assert.equal(b.price_cents, 1500);
    assert.equal(b.price, 15);
    assert.equal(b.artist, 'Someone Else');
    assert.deepEqual(b.tags, ['noise', 'lofi']);
    const ready = await waitReady(srv, b.beat_id);
    await checkProcessed(ready, mp3);
    assert.ok(typeof ready.loudness_lufs === 'number' && ready.loudness_lufs < 0,
      `loudness_lufs is measured: ${ready.loudness_lufs}`);
  });

  test('audio is recognised by its content, not by its name or Content-Type', async () => {
    const u = await srv.signup();
    const wav = makeAudio({ seconds: 2 });
    const b = await uploadOk(srv, u.token, { data: fs.readFileSync(wav), filename: 'notes.txt', type: 'text/plain' },
      { title: 'Disguised', price: '5' });
    const ready = await waitReady(srv, b.beat_id);
    assert.ok(Math.abs(ready.duration_ms - 2000) <= 100, `duration ${ready.duration_ms}`);
  });

  test('licenses given as JSON text are stored', async () => {
    const u = await srv.signup();
    const wav = makeAudio({ seconds: 2 });
    const b = await uploadOk(srv, u.token, wav, {
      title: 'Licensed', price: '19.99',
      licenses: JSON.stringify([{ type: 'basic', price: 19.99 }, { type: 'premium', price_cents: 4999, files: ['mp3', 'wav'] }]),
    });
    const byType = Object.fromEntries(b.licenses.map((l) => [l.type, l]));
    assert.equal(byType.basic?.price_cents, 1999, JSON.stringify(b.licenses));
    assert.equal(byType.premium?.price_cents, 4999, JSON.stringify(b.licenses));
    assert.deepEqual(byType.premium?.files, ['mp3', 'wav']);
  });

  test('invalid fields are 422 naming them: bpm out of 20..400, price missing, file missing', async () => {
    const u = await srv.signup();
    const wav = makeAudio({ seconds: 1 });
    let e = assertError(await upload(srv, u.token, wav, { title: 't', price: '1', bpm: '1000' }), 422, 'validation_failed');
    assert.ok('bpm' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await upload(srv, u.token, wav, { title: 't', price: '1', bpm: '19' }), 422, 'validation_failed');
    assert.ok('bpm' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await upload(srv, u.token, wav, { title: 't' }), 422, 'validation_failed');
    assert.ok('price' in (e.details?.fields ?? {}) || 'price_cents' in (e.details?.fields ?? {}), JSON.stringify(e));
    for (const price of ['-1', 'abc', '1.999']) {
      e = assertError(await upload(srv, u.token, wav, { title: 't', price }), 422, 'validation_failed', `price ${price}`);
      assert.ok('price' in (e.details?.fields ?? {}), JSON.stringify(e));
    }
    e = assertError(await upload(srv, u.token, wav, { title: 't', price: '1', licenses: 'not json' }), 422, 'validation_failed');
    assert.ok('licenses' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await upload(srv, u.token, null, { title: 't', price: '1' }), 422, 'validation_failed');
    assert.ok('file' in (e.details?.fields ?? {}), JSON.stringify(e));
    assertError(await upload(srv, null, wav, { title: 't', price: '1' }), 401, 'unauthorized', 'upload without a token');
    assert.equal((await publicProfile(u.id)).beats_count, 0);
  });
});

describe('editing, deleting and downloading', () => {
  let owner; let other; let beat; let wavBytes;
  before(async () => {
    owner = await srv.signup();
    other = await srv.signup();
    const wav = makeAudio({ seconds: 2, freq: 523 });
    wavBytes = fs.readFileSync(wav);
    beat = await uploadOk(srv, owner.token, wav, { title: 'Original Quokka Title', price: '10', genre: 'house' });
    await waitReady(srv, beat.beat_id);
  });

  test('GET /api/beats/mine lists my beats in every state but deleted, newest first, and only mine', async () => {
    const wav = makeAudio({ seconds: 1, freq: 700 });
    const fresh = await uploadOk(srv, owner.token, wav, { title: 'Mine Listing Check', price: '5' });
    let page = assertStatus(await srv.api('GET', '/api/beats/mine', { token: owner.token }), 200, 'mine');
    assert.equal(page.beats[0].beat_id, fresh.beat_id, 'newest first, even while processing');
    assert.ok(page.beats.some((b) => b.beat_id === beat.beat_id));
    for (const b of page.beats) assert.equal(b.producer_id, owner.id);
    page = assertStatus(await srv.api('GET', '/api/beats/mine?limit=1', { token: owner.token }), 200, 'page 1');
    assert.equal(page.beats.length, 1);
    const next = assertStatus(await srv.api('GET', `/api/beats/mine?limit=1&cursor=${encodeURIComponent(page.next_cursor)}`,
      { token: owner.token }), 200, 'page 2');
    assert.notEqual(next.beats[0].beat_id, page.beats[0].beat_id);
    assert.equal(assertStatus(await srv.api('GET', '/api/beats/mine', { token: other.token }), 200).beats.length, 0);
    assertError(await srv.api('GET', '/api/beats/mine'), 401, 'unauthorized');
    await waitReady(srv, fresh.beat_id);
    assertStatus(await srv.api('DELETE', `/api/beats/${fresh.beat_id}`, { token: owner.token }), 200);
    page = assertStatus(await srv.api('GET', '/api/beats/mine', { token: owner.token }), 200, 'after delete');
    assert.ok(!page.beats.some((b) => b.beat_id === fresh.beat_id), 'a deleted beat leaves the list');
  });

  test('another user cannot PATCH or DELETE (403 forbidden); an unknown id is 404', async () => {
    assertError(await srv.api('PATCH', `/api/beats/${beat.beat_id}`, { token: other.token, body: { title: 'Stolen' } }),
      403, 'forbidden');
    assertError(await srv.api('PATCH', `/api/beats/${beat.beat_id}`, { token: other.token, body: { bpm: 5 } }),
      403, 'forbidden', 'an invalid edit of another user\'s beat is still 403');
    assertError(await srv.api('PATCH', '/api/beats/01a1ffe8-dffc-7126-9f52-b32307b54ab0', { token: owner.token, body: { bpm: 5 } }),
      404, 'not_found');
    assertError(await srv.api('DELETE', `/api/beats/${beat.beat_id}`, { token: other.token }), 403, 'forbidden');
    assertError(await srv.api('DELETE', `/api/beats/${beat.beat_id}/delete`, { token: other.token }), 403, 'forbidden');
    assertError(await srv.api('PATCH', `/api/beats/${beat.beat_id}`, { body: { title: 'Anon' } }), 401, 'unauthorized');
    assertError(await srv.api('PATCH', '/api/beats/01a1ffe8-dffc-7126-9f52-b32307b54ab0', { token: owner.token, body: { title: 'x' } }),
      404, 'not_found');
    assertError(await srv.api('GET', '/api/beats/01a1ffe8-dffc-7126-9f52-b32307b54ab0'), 404, 'not_found');
    const b = assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200);
    assert.equal(b.title, 'Original Quokka Title', 'refused edits change nothing');
    assert.equal(b.status, 'ready');
  });

  test('the owner PATCHes title, price and tags; search finds the new title, not the old', async () => {
    const r = await srv.api('PATCH', `/api/beats/${beat.beat_id}`, {
      token: owner.token, body: { title: 'Renamed Wombat Anthem', price_cents: 1234, tags: ['edited', 'wombat'] },
    });
    const b = assertStatus(r, 200, 'owner PATCH');
    assert.equal(b.title, 'Renamed Wombat Anthem');
    assert.equal(b.price_cents, 1234);
    assert.deepEqual(b.tags, ['edited', 'wombat']);
    assert.equal(b.genre, 'house', 'fields not sent are kept');
    assert.equal(b.status, 'ready');
    const again = assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200);
    assert.equal(again.title, 'Renamed Wombat Anthem');

    const found = assertStatus(await srv.api('GET', '/api/beats?q=wombat'), 200, 'search the new title');
    assert.deepEqual(found.beats.map((x) => x.beat_id), [beat.beat_id]);
    const old = assertStatus(await srv.api('GET', '/api/beats?q=quokka'), 200, 'search the old title');
    assert.deepEqual(old.beats.map((x) => x.beat_id), [], 'the old title is no longer indexed');

    let e = assertError(await srv.api('PATCH', `/api/beats/${beat.beat_id}`, { token: owner.token, body: { bpm: 5000 } }),
      422, 'validation_failed');
    assert.ok('bpm' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('PATCH', `/api/beats/${beat.beat_id}`, { token: owner.token, body: { title: '' } }),
      422, 'validation_failed');
    assert.ok('title' in (e.details?.fields ?? {}), JSON.stringify(e));
    e = assertError(await srv.api('PATCH', `/api/beats/${beat.beat_id}`, {
      token: owner.token, body: { status: 'sold', plays: 1000, producer_id: other.id },
    }), 422, 'validation_failed', 'server-owned fields cannot be set');
    const kept = assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200);
    assert.equal(kept.status, 'ready');
    assert.equal(kept.plays, 0);
    assert.equal(kept.producer_id, owner.id);

    const dec = assertStatus(await srv.api('PATCH', `/api/beats/${beat.beat_id}`, { token: owner.token, body: { price: 12.5, tags: 'x, y' } }), 200);
    assert.equal(dec.price_cents, 1250, 'price as a decimal');
    assert.deepEqual(dec.tags, ['x', 'y'], 'tags as a comma list');
  });

  test('download: the owner gets the original bytes; another user 403; no token 401', async () => {
    const d = await fetchBytes(srv, beat.file_url, { token: owner.token });
    assert.equal(d.status, 200, `owner download: ${d.status} ${d.text.slice(0, 200)}`);
    assert.match(d.headers.get('content-disposition') ?? '', /^attachment/);
    assert.equal(d.body.length, wavBytes.length);
    assert.ok(d.body.equals(wavBytes), 'the download is the original file, byte for byte');
    assertError(await srv.api('GET', beat.file_url, { token: other.token }), 403, 'forbidden');
    assertError(await srv.api('GET', beat.file_url), 401, 'unauthorized');
  });

  for (const variant of ['/api/beats/{id}', '/api/beats/{id}/delete']) {
    test(`DELETE ${variant} by the owner: 200 {beat_id, deleted: true}, then GET 404 everywhere`, async () => {
      const u = await srv.signup();
      const title = `Doomed ${uniqueName('Zz').replace(/_/g, '')}`;
      const b = await uploadOk(srv, u.token, makeAudio({ seconds: 1 }), { title, price: '1' });
      await waitReady(srv, b.beat_id);
      assert.equal((await publicProfile(u.id)).beats_count, 1);
      const r = await srv.api('DELETE', variant.replace('{id}', b.beat_id), { token: u.token });
      assert.deepEqual(assertStatus(r, 200, 'owner delete'), { beat_id: b.beat_id, deleted: true });
      assertError(await srv.api('GET', `/api/beats/${b.beat_id}`), 404, 'not_found', 'GET after delete');
      assertError(await srv.api('GET', `/api/beats/stream/${b.beat_id}`), 404, 'not_found', 'stream info after delete');
      assert.equal((await fetchBytes(srv, b.stream_url)).status, 404, 'preview after delete');
      assertError(await srv.api('PATCH', `/api/beats/${b.beat_id}`, { token: u.token, body: { title: 'x' } }), 404, 'not_found');
      const list = assertStatus(await srv.api('GET', `/api/beats?producer=${u.id}`), 200);
      assert.deepEqual(list.beats, [], 'a deleted beat leaves the store');
      assert.equal((await publicProfile(u.id)).beats_count, 0);
    });
  }
});

describe('voice tag', () => {
  test('previews of a producer with a voice tag differ; the owner still downloads the original', async () => {
    const tagged = await srv.signup();
    const plain = await srv.signup();
    const plain2 = await srv.signup();
    // A loud 2 s tone as the tag; a quiet low tone as the beat (35 s: the tag comes every 30 s).
    const tag = makeAudio({ kind: 'sine', freq: 1760, seconds: 2 });
    const r = await upload(srv, tagged.token, tag, {}, { path: '/api/users/profile/voice-tag', method: 'PUT' });
    assert.deepEqual(assertStatus(r, 200, 'PUT voice-tag'), { voice_tag: true });
    const state = assertStatus(await srv.api('GET', '/api/users/profile/voice-tag', { token: tagged.token }), 200);
    assert.equal(state.voice_tag, true);
    assert.ok(Math.abs(Date.parse(state.updated_at) - Date.now()) < 60000, `updated_at ${state.updated_at} is about now`);
    assert.deepEqual(assertStatus(await srv.api('GET', '/api/users/profile/voice-tag', { token: plain.token }), 200),
      { voice_tag: false });

    const beatFile = makeAudio({ kind: 'mix', freq: 110, amplitude: 0.2, seconds: 35 });
    const original = fs.readFileSync(beatFile);
    const [bt, bp, bp2] = await Promise.all([tagged, plain, plain2].map((u, i) => uploadOk(srv, u.token, beatFile,
      { title: `Same Audio ${i}`, price: '3' })));
    for (const b of [bt, bp, bp2]) await waitReady(srv, b.beat_id);

    const [pt, pp, pp2] = await Promise.all([bt, bp, bp2].map((b) => fetchBytes(srv, b.stream_url)));
    for (const p of [pt, pp, pp2]) assert.equal(p.status, 200);
    const rms = (a, b) => {
      const n = Math.min(a.length, b.length);
      let s = 0;
      for (let i = 0; i < n; i += 1) s += (a[i] - b[i]) ** 2;
      return Math.sqrt(s / n);
    };
    const [st, sp, sp2] = [pt, pp, pp2].map((p) => decodePcm(p.body));
    const control = rms(sp, sp2);
    const diff = rms(st, sp);
    assert.ok(diff > 100 && diff > 10 * (control + 1),
      `the tagged preview should differ audibly from the untagged one: rms difference ${diff.toFixed(1)} `
      + `(two untagged previews of the same audio differ by ${control.toFixed(1)}); sha256 ${sha256(pt.body)} vs ${sha256(pp.body)}`);

    const d = await fetchBytes(srv, bt.file_url, { token: tagged.token });
    assert.equal(d.status, 200);
    assert.ok(d.body.equals(original), 'the owner\'s download is the original, without the tag');

    assert.deepEqual(assertStatus(await srv.api('DELETE', '/api/users/profile/voice-tag', { token: tagged.token }), 200),
      { voice_tag: false });
    assert.deepEqual(assertStatus(await srv.api('GET', '/api/users/profile/voice-tag', { token: tagged.token }), 200),
      { voice_tag: false }, 'removed');
  });

  test('a voice tag that is not audio is 415; longer than 15 s is refused', async () => {
    const u = await srv.signup();
    assertError(await upload(srv, u.token, { data: Buffer.from('not audio at all\n'.repeat(50)), filename: 'tag.mp3', type: 'audio/mpeg' },
      {}, { path: '/api/users/profile/voice-tag', method: 'PUT' }), 415, 'unsupported_media');
    const long = makeAudio({ seconds: 20 });
    const r = await upload(srv, u.token, long, {}, { path: '/api/users/profile/voice-tag', method: 'PUT' });
    assert.ok(r.status === 422 || r.status === 413 || r.status === 415, `a 20 s voice tag is refused: ${r.status} ${r.text}`);
    assertError(r, r.status);
  });
});

describe('crash during processing', () => {
  test('a beat being processed when the server is killed -9 becomes ready after a restart', { timeout: 120000 }, async () => {
    const s = await startServer();
    try {
      const u = await s.signup();
      const wav = makeAudio({ kind: 'noise', seconds: 30, channels: 2 });
      const b = await uploadOk(s, u.token, wav, { title: 'Survivor', price: '2' });
      await s.kill9();
      await s.restart();
      const ready = await waitReady(s, b.beat_id, 60000);
      assert.ok(Math.abs(ready.duration_ms - 30000) <= 100, `duration ${ready.duration_ms}`);
      const prev = await fetchBytes(s, ready.stream_url);
      assert.equal(prev.status, 200);
      const p = probe(prev.body);
      assert.ok(Math.abs(p.duration - 30) <= 0.15, `the preview is complete after the crash: ${p.duration} s`);
      const w = assertStatus(await s.api('GET', `/api/beats/${b.beat_id}/waveform`), 200);
      assert.ok(w.peaks.length >= 700, `${w.peaks.length} peaks`);
    } finally {
      await s.close();
    }
  });
});
