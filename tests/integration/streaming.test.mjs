// Streaming the MP3 preview: byte ranges (206/416), conditional requests (ETag, If-None-Match,
// If-Range), HEAD, the media security headers, and 409 not_ready while a beat is processing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertStatus, startServer } from './harness.mjs';
import { fetchBytes, makeAudio, uploadOk, waitReady } from './audio.mjs';

let srv; let producer; let beat; let full; let etag; let size;
before(async () => {
  srv = await startServer();
  producer = await srv.signup();
  beat = await uploadOk(srv, producer.token, makeAudio({ kind: 'noise', seconds: 6 }), { title: 'Range Rover', price: '4' });
  beat = await waitReady(srv, beat.beat_id);
  const r = await fetchBytes(srv, beat.stream_url);
  assert.equal(r.status, 200, `full preview: ${r.status} ${r.text.slice(0, 200)}`);
  full = r.body;
  size = full.length;
  etag = r.headers.get('etag');
  assert.ok(size > 2000, `the preview of 6 s is more than 2000 bytes: ${size}`);
});
after(async () => { await srv?.close(); });

const get = (headers = {}, method = 'GET') => fetchBytes(srv, beat.stream_url, { headers, method });

describe('the preview answer', () => {
  test('a plain GET: 200 with the media headers', async () => {
    const r = await get();
    assert.equal(r.status, 200);
    const h = r.headers;
    assert.match(h.get('content-type') ?? '', /^audio\/mpeg/);
    assert.equal(h.get('accept-ranges'), 'bytes');
    assert.equal(Number(h.get('content-length')), size);
    assert.match(h.get('etag') ?? '', /^(W\/)?"[^"]+"$/, `ETag: ${h.get('etag')}`);
    assert.ok(!Number.isNaN(Date.parse(h.get('last-modified') ?? '')), `Last-Modified: ${h.get('last-modified')}`);
    assert.equal(h.get('x-content-type-options'), 'nosniff');
    assert.match(h.get('content-security-policy') ?? '', /\bsandbox\b/, `CSP: ${h.get('content-security-policy')}`);
    assert.ok(r.body.equals(full), 'the same bytes every time');
    assert.equal(h.get('etag'), etag, 'a stable ETag');
  });

  test('HEAD: headers with Content-Length and no body', async () => {
    const r = await get({}, 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers.get('content-length')), size);
    assert.equal(r.headers.get('etag'), etag);
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.match(r.headers.get('content-type') ?? '', /^audio\/mpeg/);
    assert.equal(r.body.length, 0, 'HEAD has no body');
  });

  test('stream info points at the preview', async () => {
    const info = assertStatus(await srv.api('GET', `/api/beats/stream/${beat.beat_id}`), 200);
    assert.deepEqual(info, { beat_id: beat.beat_id, stream_url: beat.stream_url, mime: 'audio/mpeg', duration_ms: beat.duration_ms });
    assertError(await srv.api('GET', '/api/beats/stream/01a1ffe8-dffc-7126-9f52-b32307b54ab0'), 404, 'not_found');
  });
});

describe('byte ranges', () => {
  const cases = () => {
    const mid = Math.floor(size / 2);
    return [
      ['first 100 bytes', 'bytes=0-99', 0, 99],
      ['a middle slice', `bytes=${mid}-${mid + 1233}`, mid, mid + 1233],
      ['a suffix of 500 bytes', 'bytes=-500', size - 500, size - 1],
      ['open-ended', `bytes=${mid + 7}-`, mid + 7, size - 1],
      ['the last byte', `bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
      ['an end past the size is clamped', `bytes=${size - 10}-${size + 5000}`, size - 10, size - 1],
      ['a suffix longer than the file is the whole file', `bytes=-${size + 100}`, 0, size - 1],
    ];
  };

  test('single ranges answer 206 with Content-Range and the same bytes as the full file', async () => {
    for (const [what, range, a, b] of cases()) {
      const r = await get({ Range: range });
      assert.equal(r.status, 206, `${what} (${range}): status ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.headers.get('content-range'), `bytes ${a}-${b}/${size}`, `${what} (${range})`);
      assert.equal(Number(r.headers.get('content-length')), b - a + 1, `${what} Content-Length`);
      assert.equal(r.body.length, b - a + 1, `${what} body length`);
      assert.ok(r.body.equals(full.subarray(a, b + 1)), `${what}: the bytes equal the same slice of the full file`);
      assert.match(r.headers.get('content-type') ?? '', /^audio\/mpeg/, `${what} Content-Type`);
      assert.equal(r.headers.get('etag'), etag, `${what} ETag`);
    }
  });

  test('several ranges in one header answer 200 with the whole file', async () => {
    const r = await get({ Range: 'bytes=0-9,100-199' });
    assert.equal(r.status, 200, `multi-range: ${r.status}`);
    assert.equal(r.headers.get('content-range'), null);
    assert.ok(r.body.equals(full), 'the whole file');
  });

  test('an unsatisfiable range is 416 with Content-Range bytes */size', async () => {
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`]) {
      const r = await get({ Range: range });
      assert.equal(r.status, 416, `${range}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.headers.get('content-range'), `bytes */${size}`, range);
    }
  });

  test('a Range that is not bytes=... is ignored (200 whole file)', async () => {
    for (const range of ['items=0-5', 'bytes=abc', 'bytes=5-2']) {
      const r = await get({ Range: range });
      assert.ok(r.status === 200 || r.status === 416, `${range}: ${r.status}`);
      if (r.status === 200) assert.ok(r.body.equals(full), `${range}: whole file`);
    }
  });
});

describe('conditional requests', () => {
  test('If-None-Match with the ETag is 304 without a body', async () => {
    const r = await get({ 'If-None-Match': etag });
    assert.equal(r.status, 304);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers.get('etag'), etag);
    const other = await get({ 'If-None-Match': '"something-else"' });
    assert.equal(other.status, 200);
    assert.ok(other.body.equals(full));
    const list = await get({ 'If-None-Match': `"zzz", ${etag}` });
    assert.equal(list.status, 304, 'a list holding the ETag matches');
    const star = await get({ 'If-None-Match': '*' });
    assert.equal(star.status, 304, 'If-None-Match: * matches any current representation');
  });

  test('If-Range: a different ETag gives 200 and the full file; the right one gives 206', async () => {
    const wrong = await get({ Range: 'bytes=0-99', 'If-Range': '"not-the-etag"' });
    assert.equal(wrong.status, 200, `If-Range with a wrong etag: ${wrong.status}`);
    assert.ok(wrong.body.equals(full), 'the full file');
    const right = await get({ Range: 'bytes=0-99', 'If-Range': etag });
    assert.equal(right.status, 206, `If-Range with the current etag: ${right.status}`);
    assert.equal(right.headers.get('content-range'), `bytes 0-99/${size}`);
    assert.ok(right.body.equals(full.subarray(0, 100)));
  });
});

describe('not ready yet', () => {
  test('stream info and waveform are 409 not_ready while processing; search does not list it', async () => {
    const u = await srv.signup();
    const long = makeAudio({ kind: 'noise', seconds: 60, channels: 2 });
    const b = await uploadOk(srv, u.token, long, { title: 'Slowpoke Marathon', price: '1' });
    const [info, wave, list] = await Promise.all([
      srv.api('GET', `/api/beats/stream/${b.beat_id}`),
      srv.api('GET', `/api/beats/${b.beat_id}/waveform`),
      srv.api('GET', `/api/beats?producer=${u.id}`),
    ]);
    assertError(info, 409, 'not_ready', 'stream info while processing');
    assertError(wave, 409, 'not_ready', 'waveform while processing');
    assert.deepEqual(assertStatus(list, 200).beats, [], 'search lists only ready beats');
    const prev = await fetchBytes(srv, b.stream_url);
    assert.ok(prev.status === 404 || prev.status === 409, `the preview bytes are not served while processing: ${prev.status}`);

    await waitReady(srv, b.beat_id);
    assertStatus(await srv.api('GET', `/api/beats/stream/${b.beat_id}`), 200, 'stream info once ready');
    const found = assertStatus(await srv.api('GET', `/api/beats?producer=${u.id}`), 200);
    assert.deepEqual(found.beats.map((x) => x.beat_id), [b.beat_id]);
  });
});
