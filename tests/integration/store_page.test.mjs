// What the store page builds on: cover art (with the upload or later, served as its own image type
// under a URL that changes with it), a buyer's purchases of one beat (the beat page shows what they
// own), and reading a chat settling its message notifications.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertError, assertStatus, sleep, startServer, tempDir } from './harness.mjs';
import {
  fetchBytes, makeAudio, upload, uploadOk, waitReady, writeTemp,
} from './audio.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.close(); });

function image(ext, color = 'red') {
  const file = path.join(tempDir('backbeat-cover-'), `cover.${ext}`);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `color=c=${color}:s=96x96`, '-frames:v', '1', file]);
  assert.equal(r.status, 0, String(r.stderr));
  return file;
}

// FormData with the audio and the cover, as the upload form sends them.
async function uploadWithCover(token, cover, fields) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([fs.readFileSync(makeAudio({ seconds: 1 }))], { type: 'audio/wav' }), 'beat.wav');
  form.append('cover', new Blob([fs.readFileSync(cover)]), path.basename(cover));
  const res = await fetch(`${srv.base}/api/beats/upload`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
}

describe('cover art', () => {
  test('given with the upload: cover_url serves the image as image/png, cached for good; a new image is a new URL', async () => {
    const producer = await srv.signup();
    const png = image('png');
    const r = await uploadWithCover(producer.token, png, { title: 'Covered', price: '5' });
    const beat = assertStatus(r, 201, 'upload with a cover');
    assert.match(beat.cover_url, new RegExp(`^/api/beats/${beat.beat_id}/cover\\?v=[0-9a-f]{12}$`));
    const img = await fetchBytes(srv, beat.cover_url);
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/png');
    assert.match(img.headers.get('cache-control'), /max-age=31536000/);
    assert.deepEqual(img.body, fs.readFileSync(png));
    await waitReady(srv, beat.beat_id);
    const listed = assertStatus(await srv.api('GET', `/api/beats?producer=${producer.id}`), 200).beats[0];
    assert.equal(listed.cover_url, beat.cover_url, 'the store lists it with its cover');

    // Set later, by its producer only: a JPEG replaces it under a new URL.
    const jpg = image('jpg', 'blue');
    const form = new FormData();
    form.append('file', new Blob([fs.readFileSync(jpg)]), 'new.jpg');
    const other = await srv.signup();
    const put = (token) => fetch(`${srv.base}/api/beats/${beat.beat_id}/cover`, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: form });
    assert.equal((await put(other.token)).status, 403);
    const changed = await (await put(producer.token)).json();
    assert.notEqual(changed.cover_url, beat.cover_url);
    const again = await fetchBytes(srv, changed.cover_url);
    assert.equal(again.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(again.body, fs.readFileSync(jpg));
  });

  test('not an image: 415 and no beat; no cover: cover_url null and the cover 404', async () => {
    const producer = await srv.signup();
    const r = await uploadWithCover(producer.token, writeTemp('cover.png', '<svg onload=alert(1)></svg>'), { title: 'Bad Cover', price: '5' });
    assertError(r, 415, 'unsupported_media');
    assert.deepEqual(assertStatus(await srv.api('GET', '/api/beats/mine', { token: producer.token }), 200).beats, []);
    const plain = await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'No Cover', price: '5' });
    assert.equal(plain.cover_url, null);
    assertError(await srv.api('GET', `/api/beats/${plain.beat_id}/cover`), 404, 'not_found');
  });
});

describe('a buyer\'s purchases of one beat', () => {
  test('GET /api/purchases?beat_id= lists only the purchases with that beat', async () => {
    const producer = await srv.signup();
    const buyer = await srv.signup();
    const [a, b] = [await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'A', price: '5' }),
      await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'B', price: '5' })];
    await waitReady(srv, a.beat_id);
    await waitReady(srv, b.beat_id);
    const pay = { provider: 'test', token: 'tok_visa' };
    const pa = assertStatus(await srv.api('POST', '/api/purchases', { token: buyer.token, body: { beat_id: a.beat_id, license: 'basic', payment: pay } }), 201);
    assertStatus(await srv.api('POST', '/api/purchases', { token: buyer.token, body: { beat_id: b.beat_id, license: 'basic', payment: pay } }), 201);
    const only = assertStatus(await srv.api('GET', `/api/purchases?beat_id=${a.beat_id}`, { token: buyer.token }), 200);
    assert.deepEqual(only.purchases.map((p) => p.purchase_id), [pa.purchase_id]);
    assert.equal(assertStatus(await srv.api('GET', '/api/purchases', { token: buyer.token }), 200).purchases.length, 2);
    assert.deepEqual(assertStatus(await srv.api('GET', `/api/purchases?beat_id=${a.beat_id}`, { token: producer.token }), 200).purchases, [],
      'someone else\'s purchases are not mine');
  });
});

describe('chat and notifications', () => {
  test('reading a chat marks its message notifications read', async () => {
    const alice = await srv.signup();
    const bob = await srv.signup();
    const carol = await srv.signup();
    const sent = assertStatus(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.id, message: 'one' } }), 201);
    assertStatus(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.id, message: 'two' } }), 201);
    assertStatus(await srv.api('POST', '/api/chat/send', { token: carol.token, body: { receiver: bob.id, message: 'other chat' } }), 201);
    const unread = async () => assertStatus(await srv.api('GET', '/api/notifications', { token: bob.token }), 200).unread_count;
    for (let i = 0; i < 40 && await unread() < 3; i += 1) await sleep(100);
    assert.equal(await unread(), 3);
    assertStatus(await srv.api('POST', `/api/chat/${sent.chat_id}/read`, { token: bob.token }), 200);
    for (let i = 0; i < 40 && await unread() !== 1; i += 1) await sleep(100);
    const list = assertStatus(await srv.api('GET', '/api/notifications', { token: bob.token }), 200);
    assert.equal(list.unread_count, 1, 'only carol\'s message is still unread');
    assert.equal(list.notifications.find((n) => n.status === 'unread').data.sender, carol.username);
  });
});
