// A full disk never crashes the server: with its data dir on a small tmpfs filled to the last
// byte, writes answer 507 insufficient_storage (never 500, never a dropped connection), /readyz
// says not ready, and beats whose processing met the full disk wait ('processing', not 'failed')
// and are processed once space returns. The tmpfs is mounted by this test (root) and always
// unmounted, even when the test fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  assertError, assertStatus, sleep, startServer, tempDir,
} from './harness.mjs';
import {
  makeAudio, upload, uploadOk, waitReady,
} from './audio.mjs';

let mnt;
let mounted = false;
let srv;

function unmount() {
  if (!mounted) return;
  // Lazy as a last resort: a server that did not stop must not keep the mount alive.
  let r = spawnSync('umount', [mnt]);
  if (r.status !== 0) r = spawnSync('umount', ['-l', mnt]);
  mounted = r.status !== 0;
}
process.on('exit', unmount);

before(() => {
  mnt = tempDir('backbeat-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', mnt]);
  assert.equal(r.status, 0, `mounting a tmpfs needs root: ${r.stderr}`);
  mounted = true;
});
after(async () => {
  try {
    await srv?.close();
  } finally {
    unmount();
  }
});

// Fills the file system to the last byte, topping up the filler if it is there already (the
// server frees space of its own as work meets the full disk); returns the filler's path.
function fill(dir) {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'a');
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (e) {
          if (e.code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

test('a full disk: 507 on writes, /readyz not ready, processing waits and resumes once space returns', { timeout: 300000 }, async (t) => {
  srv = await startServer({
    dataDir: path.join(mnt, 'data'),
    args: ['--min-free-mb', '2', '--job-workers', '1', '--media-workers', '1', '--ws-rate', '0'],
  });
  assertStatus(await srv.api('GET', '/readyz'), 200, 'ready with room');
  const producer = await srv.signup();
  const fan = await srv.signup();
  const first = await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'Before Full', price: '5' });
  await waitReady(srv, first.beat_id);

  // A long preview runs on the only job worker, a short beat waits behind it; then the disk fills.
  const long = await uploadOk(srv, producer.token, makeAudio({ seconds: 240, rate: 16000 }), { title: 'Long Before Full', price: '5' });
  const short = await uploadOk(srv, producer.token, makeAudio({ seconds: 2 }), { title: 'Short Before Full', price: '5' });
  const filler = fill(mnt);

  const ready = await srv.api('GET', '/readyz');
  const e = assertError(ready, 503, 'low_disk_space');
  assert.ok(e.details.free_bytes < e.details.min_free_bytes, JSON.stringify(e));
  assertStatus(await srv.api('GET', '/healthz'), 200);

  // An upload: 507, and nothing left behind.
  const refused = await upload(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'No Room', price: '5' });
  assertError(refused, 507, 'insufficient_storage');
  assert.deepEqual(fs.readdirSync(path.join(srv.dataDir, 'tmp')), []);

  // Database writes (each also writes an outbox event) until the WAL finds no room: every answer
  // is 201 or 507, never a 500 or a dropped connection.
  const statuses = new Map();
  let full = null;
  for (let i = 0; i < 1500 && !full; i += 1) {
    const r = await srv.api('POST', '/api/chat/send', { token: producer.token, body: { receiver: fan.id, message: `${i} ${'x'.repeat(3900)}` } })
      .catch((err) => ({ status: 0, text: String(err?.cause ?? err) }));
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    assert.ok(r.status === 201 || r.status === 507, `write ${i}: ${r.status} ${r.text?.slice(0, 300)}`);
    if (r.status === 507) full = r;
  }
  assert.ok(full, `a write met the full disk: ${JSON.stringify([...statuses])}`);
  const fullError = assertError(full, 507, 'insufficient_storage');
  assert.ok(Number(full.headers.get('retry-after')) >= 1, JSON.stringify(fullError));
  // Another write path. A processing job that met the full disk may have freed its scratch files
  // meanwhile, and the WAL may have room of its own: top the disk up and write until one is refused.
  let refusedPlaylist = null;
  for (let i = 0; i < 200 && !refusedPlaylist; i += 1) {
    fill(mnt);
    const r = await srv.api('POST', '/api/playlists', { token: fan.token, body: { name: `No room ${i}`, description: 'y'.repeat(2000) } });
    assert.ok(r.status === 201 || r.status === 507, `playlist ${i}: ${r.status} ${r.text?.slice(0, 300)}`);
    if (r.status === 507) refusedPlaylist = r;
  }
  assert.ok(refusedPlaylist, 'a playlist write met the full disk');
  assertError(refusedPlaylist, 507, 'insufficient_storage', 'another write path');

  // Processing met the full disk: the beats wait, they are not failed.
  await sleep(4000);
  for (const b of [long, short]) {
    const now = assertStatus(await srv.api('GET', `/api/beats/${b.beat_id}`), 200);
    assert.equal(now.status, 'processing', `${b.title} waits for room: ${JSON.stringify(now)}`);
  }
  assertStatus(await srv.api('GET', '/healthz'), 200, 'still alive');
  const waited = srv.logs().filter((l) => l.msg === 'job waits for disk space');
  t.diagnostic(`writes before the disk was full: ${JSON.stringify([...statuses])}; processing waits logged: ${waited.length}`);
  assert.ok(waited.length >= 1, 'the processing job met the full disk and was told to wait');

  // Room again: ready, writes succeed, and the waiting beats are processed.
  fs.rmSync(filler);
  assertStatus(await srv.api('GET', '/readyz'), 200, 'ready again');
  assertStatus(await srv.api('POST', '/api/chat/send', { token: producer.token, body: { receiver: fan.id, message: 'room again' } }), 201);
  await waitReady(srv, short.beat_id, 120000);
  await waitReady(srv, long.beat_id, 120000);
  const after = await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'After Full', price: '5' });
  await waitReady(srv, after.beat_id);
  assert.ok(srv.running, 'the server never went down');
});
