// The demo catalogue: `backbeat demo --data-dir D` adds producers and synthesized beats; a server
// started on D processes them, and the store fills with ready, distinctly titled beats.
// Slow by nature (it synthesizes and encodes ~30 beats on whatever cores there are), hence the
// generous timeouts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assertStatus, runCliAsync, sleep, startServer, tempDir } from './harness.mjs';
import { fetchBytes, probe } from './audio.mjs';

describe('the demo catalogue', { timeout: 360000 }, () => {
  let srv; let beats = []; let readyAfterMs = null;

  before(async () => {
    const dataDir = path.join(tempDir('backbeat-demo-'), 'data');
    const r = await runCliAsync(['demo', '--data-dir', dataDir, '--log-format', 'json'], { timeoutMs: 200000 });
    assert.equal(r.code, 0, `backbeat demo exited ${r.code} (timed out: ${r.timedOut})\n${r.stderr.slice(-2000)}`);
    srv = await startServer({ dataDir });
    const started = Date.now();
    const deadline = started + 120000;
    while (Date.now() < deadline) {
      beats = assertStatus(await srv.api('GET', '/api/beats?limit=100'), 200).beats;
      if (beats.length >= 25) {
        readyAfterMs = Date.now() - started;
        break;
      }
      await sleep(1000);
    }
    // Let the rest finish too (bounded by the same deadline), so the checks below see all of them.
    while (beats.length < 30 && Date.now() < deadline && Date.now() - started < (readyAfterMs ?? 0) + 15000) {
      await sleep(1000);
      beats = assertStatus(await srv.api('GET', '/api/beats?limit=100'), 200).beats;
    }
  }, { timeout: 360000 });
  after(async () => { await srv?.close(); });

  test('>= 25 ready beats within 120 s of the server starting', () => {
    assert.ok(readyAfterMs !== null, `>= 25 ready beats within 120 s, got ${beats.length}`);
    for (const b of beats) assert.equal(b.status, 'ready');
    const producers = new Set(beats.map((b) => b.producer_id));
    assert.ok(producers.size >= 2, `several producers: ${producers.size}`);
  });

  test('the titles are distinct', () => {
    const titles = beats.map((b) => b.title);
    const dup = titles.filter((t, i) => titles.indexOf(t) !== i);
    assert.deepEqual(dup, [], `repeated titles among ${titles.length}: ${dup.join(', ')}`);
  });

  test('no beat repeats a tag', () => {
    const bad = beats.filter((b) => new Set(b.tags).size !== b.tags.length).map((b) => `${b.title}: ${JSON.stringify(b.tags)}`);
    assert.deepEqual(bad, [], `beats with repeated tags:\n${bad.join('\n')}`);
  });

  test('a demo beat plays: its preview is an MP3 as long as the beat', async () => {
    assert.ok(beats.length > 0);
    const b = beats[0];
    assert.ok(b.duration_ms > 1000, `duration ${b.duration_ms}`);
    const prev = await fetchBytes(srv, b.stream_url);
    assert.equal(prev.status, 200);
    const p = probe(prev.body);
    assert.equal(p.codec, 'mp3');
    assert.ok(Math.abs(p.duration * 1000 - b.duration_ms) <= 150, `preview ${p.duration} s vs duration_ms ${b.duration_ms}`);
  });
});
