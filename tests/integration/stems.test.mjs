// Stems: the producer uploads a beat's track-outs as one ZIP archive; licenses whose files
// include "stems" (unlimited, exclusive) download it, others are refused; the archive goes when
// it is replaced or removed, and stays while a buyer holds a license to a deleted beat.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertError, assertStatus, startServer } from './harness.mjs';
import { fetchBytes, makeAudio, upload, uploadOk, waitReady } from './audio.mjs';
import { makeZip } from './zip.mjs';

const VISA = { provider: 'test', token: 'tok_visa' };
const LICENSES = [{ type: 'basic', price_cents: 1000 }, { type: 'unlimited', price_cents: 9000 }];

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.close(); });

const stemsDir = () => path.join(srv.dataDir, 'media', 'stems');
const storedStems = () => (fs.existsSync(stemsDir()) ? fs.readdirSync(stemsDir()).sort() : []);

function putStems(user, beatId, data, filename = 'stems.zip') {
  return upload(srv, user.token, { data, filename, type: 'application/zip' }, {}, { path: `/api/beats/${beatId}/stems`, method: 'PUT' });
}

function zipOf(label) {
  return makeZip([
    { name: 'drums.wav', data: fs.readFileSync(makeAudio({ seconds: 1, freq: 100 })) },
    { name: `${label}.txt`, data: Buffer.from(label) },
  ]);
}

describe('stems', () => {
  let producer; let beat;
  before(async () => {
    producer = await srv.signup();
    beat = await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'Stems Beat', price: '10', licenses: JSON.stringify(LICENSES) });
    await waitReady(srv, beat.beat_id);
  });

  test('a beat starts without stems; a license with stems then gets a clear 422', async () => {
    assert.equal(assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200).has_stems, false);
    const buyer = await srv.signup();
    assertStatus(await srv.api('POST', '/api/purchases', { token: buyer.token, body: { beat_id: beat.beat_id, license: 'unlimited', payment: VISA } }), 201);
    assertError(await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=stems`, { token: buyer.token }), 422, 'validation_failed');
  });

  test('only the producer may set stems, and only a ZIP archive', async () => {
    const other = await srv.signup();
    assertError(await putStems(other, beat.beat_id, zipOf('x')), 403, 'forbidden');
    assertError(await putStems(producer, beat.beat_id, Buffer.from('not a zip at all')), 415, 'unsupported_media');
    assertError(await upload(srv, producer.token, null, {}, { path: `/api/beats/${beat.beat_id}/stems`, method: 'PUT' }), 422, 'validation_failed');
    assert.deepEqual(storedStems(), [], 'nothing refused was kept');
  });

  test('unlimited buyers download the archive byte for byte; basic buyers are refused', async () => {
    const archive = zipOf('first');
    const set = assertStatus(await putStems(producer, beat.beat_id, archive), 200, 'PUT stems');
    assert.equal(set.has_stems, true);
    assert.equal(assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}`), 200).has_stems, true, 'the cached beat shows it');

    const [unlimited, basic] = [await srv.signup(), await srv.signup()];
    assertStatus(await srv.api('POST', '/api/purchases', { token: unlimited.token, body: { beat_id: beat.beat_id, license: 'unlimited', payment: VISA } }), 201);
    assertStatus(await srv.api('POST', '/api/purchases', { token: basic.token, body: { beat_id: beat.beat_id, license: 'basic', payment: VISA } }), 201);
    const d = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=stems`, { token: unlimited.token });
    assert.equal(d.status, 200, d.text);
    assert.ok(d.body.equals(archive), 'the same bytes');
    assert.equal(d.headers.get('content-type'), 'application/zip');
    assert.match(d.headers.get('content-disposition') ?? '', /attachment/);
    assertError(await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=stems`, { token: basic.token }), 403, 'forbidden');
    const own = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=stems`, { token: producer.token });
    assert.ok(own.body.equals(archive), 'the producer gets them too');
  });

  test('replacing the stems removes the old archive; removing them leaves none', async () => {
    const before = storedStems();
    assert.equal(before.length, 1);
    const second = zipOf('second');
    assertStatus(await putStems(producer, beat.beat_id, second), 200);
    const after = storedStems();
    assert.equal(after.length, 1);
    assert.notDeepEqual(after, before, 'the first archive is gone');
    const d = await fetchBytes(srv, `/api/beats/${beat.beat_id}/download?format=stems`, { token: producer.token });
    assert.ok(d.body.equals(second));

    assertError(await srv.api('DELETE', `/api/beats/${beat.beat_id}/stems`, { token: (await srv.signup()).token }), 403, 'forbidden');
    const removed = assertStatus(await srv.api('DELETE', `/api/beats/${beat.beat_id}/stems`, { token: producer.token }), 200);
    assert.equal(removed.has_stems, false);
    assert.deepEqual(storedStems(), []);
  });

  test('a deleted beat keeps its stems while a buyer holds a license; an unlicensed one loses them', async () => {
    const kept = await uploadOk(srv, producer.token, makeAudio({ seconds: 1, freq: 500 }), { title: 'Kept Stems', price: '10', licenses: JSON.stringify(LICENSES) });
    const dropped = await uploadOk(srv, producer.token, makeAudio({ seconds: 1, freq: 700 }), { title: 'Dropped Stems', price: '10' });
    await Promise.all([waitReady(srv, kept.beat_id), waitReady(srv, dropped.beat_id)]);
    const keptZip = zipOf('kept');
    assertStatus(await putStems(producer, kept.beat_id, keptZip), 200);
    assertStatus(await putStems(producer, dropped.beat_id, zipOf('dropped')), 200);
    assert.equal(storedStems().length, 2);
    const buyer = await srv.signup();
    assertStatus(await srv.api('POST', '/api/purchases', { token: buyer.token, body: { beat_id: kept.beat_id, license: 'unlimited', payment: VISA } }), 201);

    assertStatus(await srv.api('DELETE', `/api/beats/${kept.beat_id}`, { token: producer.token }), 200);
    assertStatus(await srv.api('DELETE', `/api/beats/${dropped.beat_id}`, { token: producer.token }), 200);
    assert.equal(storedStems().length, 1, 'only the licensed beat\'s stems stay');
    const d = await fetchBytes(srv, `/api/beats/${kept.beat_id}/download?format=stems`, { token: buyer.token });
    assert.equal(d.status, 200, d.text);
    assert.ok(d.body.equals(keptZip));
  });
});
