// Bad uploads leave nothing behind: not-audio files, playlists/concat scripts that point at other
// files, empty files, JSON bodies, missing fields, cut-off multipart bodies and bodies over the
// upload limit. After each: no new file under <data>/media/originals, nothing in <data>/tmp, the
// producer's beat list and beats_count unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertError, assertStatus, sleep, startServer } from './harness.mjs';
import {
  makeAudio, multipartBody, producerBeatIds, rawRequest, storeSnapshot, upload, uploadOk, waitReady, writeTemp,
} from './audio.mjs';

const MAX_UPLOAD = 1000000;
let srv; let u; let wav; let wavBytes; let baseline;

before(async () => {
  srv = await startServer({ args: ['--max-upload', String(MAX_UPLOAD)] });
  u = await srv.signup();
  wav = makeAudio({ seconds: 2, freq: 330 }); // ~176 KB, under the limit
  wavBytes = fs.readFileSync(wav);
  const b = await uploadOk(srv, u.token, wav, { title: 'The Good One', price: '1' });
  await waitReady(srv, b.beat_id);
  baseline = {
    store: storeSnapshot(srv.dataDir),
    beats: await producerBeatIds(srv, u.id),
    byName: await producerBeatIds(srv, u.username),
  };
  assert.equal(baseline.store.originals.length, 1, `one original stored: ${JSON.stringify(baseline.store)}`);
  assert.deepEqual(baseline.beats, [b.beat_id]);
});
after(async () => { await srv?.close(); });

async function assertNothingLeft(what) {
  // Give an asynchronous clean-up a moment, then insist.
  let snap;
  for (let i = 0; i < 10; i += 1) {
    snap = storeSnapshot(srv.dataDir);
    if (snap.tmp.length === 0 && snap.originals.length === baseline.store.originals.length) break;
    await sleep(100);
  }
  assert.deepEqual(snap.originals, baseline.store.originals, `${what}: no new file under media/originals`);
  assert.deepEqual(snap.tmp, [], `${what}: nothing left in <data>/tmp`);
  assert.deepEqual(await producerBeatIds(srv, u.id), baseline.beats, `${what}: the producer's beat list is unchanged`);
  assert.deepEqual(await producerBeatIds(srv, u.username), baseline.byName, `${what}: the list by username is unchanged`);
  const p = assertStatus(await srv.api('GET', `/api/users/${u.id}`), 200);
  assert.equal(p.beats_count, 1, `${what}: beats_count unchanged`);
}

const fields = { title: 'Should Not Exist', price: '1' };

describe('not audio: 415 unsupported_media, nothing left', () => {
  test('a text file named .mp3 with Content-Type audio/mpeg', async () => {
    const r = await upload(srv, u.token, { data: Buffer.from('ID3 is not here, just text.\n'.repeat(200)), filename: 'song.mp3', type: 'audio/mpeg' }, fields);
    assertError(r, 415, 'unsupported_media');
    await assertNothingLeft('text as .mp3');
  });

  test('an HLS playlist (m3u8) that points at a real audio file', async () => {
    // If the probe followed the playlist it would find real audio on this machine.
    const bodies = [
      `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXTINF:2.0,\n${wav}\n#EXT-X-ENDLIST\n`,
      `#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:2.0,\nfile://${wav}\n#EXT-X-ENDLIST\n`,
      `#EXTM3U\n#EXTINF:2,\n${wav}\n`,
    ];
    for (const [i, text] of bodies.entries()) {
      for (const [filename, type] of [['list.m3u8', 'application/vnd.apple.mpegurl'], ['beat.mp3', 'audio/mpeg']]) {
        const r = await upload(srv, u.token, { data: Buffer.from(text), filename, type }, fields);
        assertError(r, 415, 'unsupported_media', `m3u8 #${i} as ${filename}`);
      }
    }
    await assertNothingLeft('m3u8');
  });

  test('an ffconcat script that points at a real audio file', async () => {
    const bodies = [
      `ffconcat version 1.0\nfile '${wav}'\n`,
      `ffconcat version 1.0\nfile 'file:${wav}'\nduration 2.0\n`,
    ];
    for (const [i, text] of bodies.entries()) {
      for (const [filename, type] of [['list.ffconcat', 'text/plain'], ['beat.wav', 'audio/wav']]) {
        const r = await upload(srv, u.token, { data: Buffer.from(text), filename, type }, fields);
        assertError(r, 415, 'unsupported_media', `ffconcat #${i} as ${filename}`);
      }
    }
    await assertNothingLeft('ffconcat');
  });

  test('an empty file', async () => {
    const r = await upload(srv, u.token, { data: Buffer.alloc(0), filename: 'empty.wav', type: 'audio/wav' }, fields);
    assertError(r, 415, 'unsupported_media');
    await assertNothingLeft('empty file');
  });

  test('an image is not audio', async () => {
    // A minimal PNG: real media to FFmpeg, but without an audio stream.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    const r = await upload(srv, u.token, { data: png, filename: 'cover.mp3', type: 'audio/mpeg' }, fields);
    assertError(r, 415, 'unsupported_media');
    await assertNothingLeft('png');
  });
});

describe('wrong requests', () => {
  test('a JSON body is 415 unsupported_media_type', async () => {
    const r = await srv.api('POST', '/api/beats/upload', { token: u.token, body: { title: 'json', price: 1 } });
    const e = assertError(r, 415, 'unsupported_media_type');
    assert.match(e.message, /multipart/i, `the message says to send multipart: ${e.message}`);
    assert.match(e.message, /file/, `the message names the field file: ${e.message}`);
    await assertNothingLeft('JSON body');
  });

  test('a missing title is 422 naming title, and the uploaded audio is not kept', async () => {
    const other = makeAudio({ seconds: 1, freq: 660 });
    const r = await upload(srv, u.token, other, { price: '1' });
    const e = assertError(r, 422, 'validation_failed');
    assert.ok('title' in (e.details?.fields ?? {}), `details.fields names title: ${JSON.stringify(e)}`);
    await assertNothingLeft('missing title');
  });

  test('a missing price is 422 and the audio is not kept', async () => {
    const other = makeAudio({ seconds: 1, freq: 770 });
    const r = await upload(srv, u.token, other, { title: 'No Price' });
    assertError(r, 422, 'validation_failed');
    await assertNothingLeft('missing price');
  });

  test('without a token the upload is 401 and nothing is stored', async () => {
    const other = makeAudio({ seconds: 1, freq: 880 });
    assertError(await upload(srv, null, other, fields), 401, 'unauthorized');
    await assertNothingLeft('no token');
  });
});

describe('cut-off and oversize bodies', () => {
  const head = (contentType, length, extra = []) => [
    'POST /api/beats/upload HTTP/1.1',
    `Host: ${srv.host}:${srv.port}`,
    `Authorization: Bearer ${u.token}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${length}`,
    ...extra,
  ].join('\r\n');

  test('a multipart body cut off half-way (Content-Length satisfied, no closing boundary) is 400 malformed_multipart', async () => {
    const other = fs.readFileSync(makeAudio({ seconds: 1, freq: 990 }));
    const whole = multipartBody([
      { name: 'title', value: 'Cut Off' }, { name: 'price', value: '1' },
      { name: 'file', filename: 'cut.wav', type: 'audio/wav', data: other },
    ]);
    const half = whole.body.subarray(0, Math.floor(whole.body.length / 2));
    const r = await rawRequest(srv, head(whole.contentType, half.length), half);
    assertError({ ...r, headers: new Headers(r.headers) }, 400, 'malformed_multipart', 'cut half-way through the file');
    await assertNothingLeft('cut off half-way');

    // The parts all complete, only the closing boundary missing.
    const open = multipartBody([
      { name: 'title', value: 'Cut Off' }, { name: 'price', value: '1' },
      { name: 'file', filename: 'cut.wav', type: 'audio/wav', data: other },
    ], { close: false });
    const r2 = await rawRequest(srv, head(open.contentType, open.body.length), open.body);
    assertError({ ...r2, headers: new Headers(r2.headers) }, 400, 'malformed_multipart', 'no closing boundary');
    await assertNothingLeft('no closing boundary');
  });

  test('multipart without a boundary parameter is 400', async () => {
    const body = Buffer.from('--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nA\r\n--x--\r\n');
    const r = await rawRequest(srv, head('multipart/form-data', body.length), body);
    assert.equal(r.status, 400, `got ${r.status} ${r.text}`);
    await assertNothingLeft('no boundary');
  });

  test('a Content-Length over --max-upload is 413 body_too_large, answered before the body is sent', async () => {
    const mp = multipartBody([{ name: 'title', value: 'Huge' }, { name: 'price', value: '1' }]);
    const r = await rawRequest(srv, head(mp.contentType, 5 * 1000 * 1000), Buffer.alloc(0), { sendBody: false, timeoutMs: 5000 });
    assertError({ ...r, headers: new Headers(r.headers) }, 413, 'body_too_large', 'headers only, 5 MB announced');
    await assertNothingLeft('oversize by Content-Length');
  });

  test('an honest upload over the limit is 413 too', async () => {
    const big = makeAudio({ seconds: 12, freq: 200 }); // ~1.06 MB > 1,000,000
    assert.ok(fs.statSync(big).size > MAX_UPLOAD);
    let r;
    try {
      r = await upload(srv, u.token, big, fields);
    } catch (e) {
      // The server may close the connection after answering; fetch then reports a reset.
      // (A server that closes at once, with the body still arriving, makes the kernel reset the
      // connection and the answer is lost: it must half-close and drain for a moment.)
      assert.fail(`the client should receive the 413 answer, not a broken connection: ${e.cause ?? e}`);
    }
    assertError(r, 413, 'body_too_large');
    await assertNothingLeft('oversize honest upload');
  });

  test('a chunked body that grows over the limit is refused and leaves nothing', async () => {
    const mp = multipartBody([
      { name: 'title', value: 'Chunked' }, { name: 'price', value: '1' },
      { name: 'file', filename: 'big.wav', type: 'audio/wav', data: Buffer.concat([wavBytes, Buffer.alloc(1200000, 1)]) },
    ]);
    const chunks = [];
    for (let i = 0; i < mp.body.length; i += 65536) {
      const c = mp.body.subarray(i, i + 65536);
      chunks.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from('0\r\n\r\n'));
    const h = [
      'POST /api/beats/upload HTTP/1.1', `Host: ${srv.host}:${srv.port}`, `Authorization: Bearer ${u.token}`,
      `Content-Type: ${mp.contentType}`, 'Transfer-Encoding: chunked',
    ].join('\r\n');
    const r = await rawRequest(srv, h, Buffer.concat(chunks), { timeoutMs: 10000 });
    assert.ok(r.status === 413 || r.status === 411, `chunked over the limit: expected 413 (or 411), got ${r.status} ${r.text}`);
    if (r.status === 413) assertError({ ...r, headers: new Headers(r.headers) }, 413, 'body_too_large');
    await assertNothingLeft('chunked oversize');
  });

  test('a hostile file name is only a name: nothing is written outside the store', async () => {
    const root = path.dirname(srv.dataDir);
    const before = fs.readdirSync(root).sort();
    const b = await uploadOk(srv, u.token, { data: wavBytes, filename: '../../../evil".wav', type: 'audio/wav' },
      { title: 'Hostile Name', price: '1' });
    await waitReady(srv, b.beat_id);
    assert.deepEqual(fs.readdirSync(root).sort(), before, 'nothing new next to the data dir');
    assert.ok(!fs.existsSync(path.join(root, '..', 'evil".wav')) && !fs.existsSync(path.join(srv.dataDir, 'evil".wav')));
    assertStatus(await srv.api('DELETE', `/api/beats/${b.beat_id}`, { token: u.token }), 200);
  });

  test('the server still works after all that', async () => {
    const b = await uploadOk(srv, u.token, writeTemp('again.wav', wavBytes), { title: 'Still Fine', price: '1' });
    await waitReady(srv, b.beat_id);
    const list = await producerBeatIds(srv, u.id);
    assert.equal(list.length, 2);
  });
});
