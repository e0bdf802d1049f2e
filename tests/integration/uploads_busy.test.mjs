// Uploads always get an answer: with the media workers busy on a long preview, a burst of uploads
// is answered 201 (processing) or 503 media_busy with Retry-After, never cut off at the read
// timeout, and what was answered 201 is exactly what was created; other users are not held up.
// Audio past --max-duration-s is 422 too_long; a preview stops at --preview-max-s. A slow handler
// is not cut off by the read timeout either.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  assertError, assertStatus, sleep, startServer, tempDir,
} from './harness.mjs';
import {
  fetchBytes, makeAudio, probe, upload, uploadOk, waitReady,
} from './audio.mjs';
import { startStripeStandin } from './stripe_standin.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.close(); });

async function server(args) {
  const s = await startServer({ args });
  servers.push(s);
  return s;
}

describe('with every media worker busy', () => {
  test('a burst of uploads is answered 201 or 503 + Retry-After, none dropped; other users are served meanwhile', { timeout: 240000 }, async (t) => {
    // One worker for processing (plus the one kept for uploads), one job at a time, and a read
    // timeout shorter than an upload may wait for a worker.
    const srv = await server(['--media-workers', '1', '--job-workers', '1', '--read-timeout-s', '1', '--preview-max-s', '1200']);
    const producer = await srv.signup();
    const long = await uploadOk(srv, producer.token, makeAudio({ kind: 'noise', seconds: 600, rate: 22050 }), { title: 'Long Mix', price: '10' });
    await sleep(1500);
    assert.equal(assertStatus(await srv.api('GET', `/api/beats/${long.beat_id}`), 200).status, 'processing',
      'the long preview holds the processing worker');

    // More than the upload intake holds (2 being checked + 16 waiting): the rest are refused at once.
    const small = Array.from({ length: 24 }, (_, i) => makeAudio({ seconds: 1, freq: 300 + 25 * i }));
    const started = Date.now();
    const other = await srv.signup();
    const inFlight = Promise.all(small.map((file, i) => upload(srv, producer.token, file, { title: `Burst ${i}`, price: '3' })
      .then((r) => ({ ...r, ms: Date.now() - started }), (e) => ({ status: 0, error: String(e?.cause ?? e), ms: Date.now() - started }))));
    // Meanwhile, while the uploads wait for a worker, another user browses and makes a playlist
    // (a write on the shared request threads).
    await sleep(300);
    const t1 = Date.now();
    assertStatus(await srv.api('GET', '/api/beats?limit=5'), 200);
    assertStatus(await srv.api('POST', '/api/playlists', { token: other.token, body: { name: 'While busy' } }), 201);
    const otherMs = Date.now() - t1;
    const answers = await inFlight;
    assert.ok(t1 - started < Math.max(...answers.map((r) => r.ms)), 'the other user was served while uploads were still being answered');

    const report = answers.map((r) => `${r.status} ${r.ms} ms ${r.error ?? r.text.slice(0, 120)}`).join('\n');
    t.diagnostic(`burst answers:\n${report}\nanother user's two requests: ${otherMs} ms`);
    const created = [];
    const refusedMs = [];
    for (const r of answers) {
      assert.ok(r.status === 201 || r.status === 503, `every upload is answered 201 or 503, none dropped:\n${report}`);
      if (r.status === 503) {
        assertError(r, 503, 'media_busy');
        assert.ok(Number(r.headers.get('retry-after')) >= 1, 'with Retry-After');
        refusedMs.push(r.ms);
      } else {
        assert.equal(r.json.status, 'processing');
        created.push(r.json.beat_id);
      }
    }
    assert.ok(created.length >= 18, `the worker kept for uploads checks every upload the intake holds:\n${report}`);
    assert.ok(refusedMs.length >= 1, `past the intake's queue, uploads are refused:\n${report}`);
    assert.ok(Math.max(...answers.map((r) => r.ms)) < 30000, `answered promptly:\n${report}`);
    assert.ok(otherMs < 5000, `other users were served while uploads waited (${otherMs} ms)`);

    const mine = assertStatus(await srv.api('GET', '/api/beats/mine?limit=100', { token: producer.token }), 200).beats;
    const burst = mine.filter((b) => b.title.startsWith('Burst ')).map((b) => b.beat_id).sort();
    assert.deepEqual(burst, created.sort(), 'a beat exists exactly for each 201');
    const tmp = fs.readdirSync(path.join(srv.dataDir, 'tmp'));
    assert.deepEqual(tmp, [], 'refused uploads leave nothing behind');
    for (const id of created) await waitReady(srv, id, 180000);
  });
});

describe('long audio', () => {
  let srv;
  test('past --max-duration-s is 422 too_long, even silent audio that compresses to nothing; nothing is kept', async () => {
    srv = await server(['--max-duration-s', '30', '--preview-max-s', '5']);
    const producer = await srv.signup();
    const r = await upload(srv, producer.token, makeAudio({ seconds: 40 }), { title: 'Too Long', price: '5' });
    const e = assertError(r, 422, 'too_long');
    assert.equal(e.details.max_duration_ms, 30000);
    assert.ok(e.details.duration_ms >= 39000, JSON.stringify(e));
    // Four hours of silence as FLAC: a few hundred KiB that would decode to hours.
    const dir = tempDir('backbeat-silence-');
    const flac = path.join(dir, 'silence.flac');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '14400', '-c:a', 'flac', flac]);
    assert.equal(made.status, 0, String(made.stderr));
    assert.ok(fs.statSync(flac).size < 5 * 1024 * 1024);
    assertError(await upload(srv, producer.token, flac, { title: 'Silence', price: '5' }), 422, 'too_long');
    const mine = assertStatus(await srv.api('GET', '/api/beats/mine', { token: producer.token }), 200).beats;
    assert.deepEqual(mine, []);
    assert.deepEqual(fs.readdirSync(path.join(srv.dataDir, 'tmp')), []);
  });

  test('a preview stops at --preview-max-s; the beat keeps its real length', async () => {
    const producer = await srv.signup();
    const b = await uploadOk(srv, producer.token, makeAudio({ seconds: 12 }), { title: 'Capped Preview', price: '5' });
    const ready = await waitReady(srv, b.beat_id);
    assert.ok(Math.abs(ready.duration_ms - 12000) < 300, `duration ${ready.duration_ms}`);
    const mp3 = await fetchBytes(srv, `/api/beats/${b.beat_id}/preview.mp3`);
    assert.equal(mp3.status, 200);
    const seconds = probe(mp3.body).duration;
    assert.ok(seconds >= 4.5 && seconds <= 5.5, `the preview is ~5 s, got ${seconds}`);
  });
});

describe('the read timeout', () => {
  test('covers the request arriving, not the handler: a 10 s call to Stripe is answered, not cut off at 1 s', { timeout: 60000 }, async () => {
    const stripe = await startStripeStandin({ secretKey: 'sk_test_slow', mode: 'hang' });
    try {
      const srv = await server(['--read-timeout-s', '1', '--stripe-secret-key', 'sk_test_slow', '--stripe-webhook-secret', 'whsec_x',
        '--stripe-api-base', stripe.base]);
      const producer = await srv.signup();
      const b = await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'Slow Pay', price: '5' });
      await waitReady(srv, b.beat_id);
      const buyer = await srv.signup();
      const t0 = Date.now();
      const r = await srv.api('POST', '/api/purchases', { token: buyer.token, body: { beat_id: b.beat_id, license: 'basic', payment: { provider: 'stripe' } } });
      assertError(r, 503, 'payment_provider_unavailable');
      assert.ok(Date.now() - t0 >= 5000, 'it waited for Stripe\'s timeout');
    } finally {
      await stripe.close();
    }
  });
});
