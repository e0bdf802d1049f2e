// Reviews: one per user per beat, the beat's rating_avg / rating_count following create, update
// and delete, who may change what, and review text returned exactly as written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD, RFC3339, assertError, assertFields, assertStatus, runCliAsync, startServer, uniqueName,
} from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';

let srv; let producer; let beat; let other;
const UNKNOWN = '01a1ffe8-dffc-7126-9f52-b32307b54ab0';
const REVIEW_KEYS = ['review_id', 'beat_id', 'user_id', 'username', 'rating', 'review_text', 'created_at', 'updated_at'];

before(async () => {
  srv = await startServer();
  producer = await srv.signup();
  const file = makeAudio({ seconds: 1 });
  beat = await uploadOk(srv, producer.token, file, { title: 'Reviewed Beat', price: '5' });
  other = await uploadOk(srv, producer.token, file, { title: 'Other Beat', price: '5' });
  await waitReady(srv, beat.beat_id);
  await waitReady(srv, other.beat_id);
});
after(async () => { await srv?.close(); });

function assertReview(r, what = 'review') {
  for (const k of REVIEW_KEYS) assert.ok(k in r, `${what} lacks ${k}: ${JSON.stringify(r)}`);
  assert.match(r.created_at, RFC3339);
  assert.match(r.updated_at, RFC3339);
  assert.ok(Number.isInteger(r.rating));
  return r;
}

async function beatRating(id) {
  const b = assertStatus(await srv.api('GET', `/api/beats/${id}`), 200, 'beat');
  return { rating_avg: b.rating_avg, rating_count: b.rating_count };
}

async function review(user, body) {
  return srv.api('POST', '/api/reviews', { token: user.token, body });
}

async function makeAdmin() {
  const name = uniqueName('admin');
  const cli = await runCliAsync(['user', 'create', '--username', name, '--email', `${name}@example.test`,
    '--password', PASSWORD, '--admin', '--data-dir', srv.dataDir]);
  assert.equal(cli.code, 0, `user create: ${cli.stderr}`);
  return assertStatus(await srv.login(name), 200, 'admin login');
}

describe('reviews', () => {
  test('a beat with no reviews has rating_avg null and rating_count 0', async () => {
    assert.deepEqual(await beatRating(other.beat_id), { rating_avg: null, rating_count: 0 });
    const list = assertStatus(await srv.api('GET', `/api/reviews/beat/${other.beat_id}`), 200, 'empty list');
    assertFields(list, { reviews: [], next_cursor: null, rating_avg: null, rating_count: 0 });
  });

  test('create, one per user per beat, and the rating follows create/update/delete', async () => {
    const a = await srv.signup();
    const b = await srv.signup();
    const ra = assertReview(assertStatus(await review(a, { beat_id: beat.beat_id, rating: 5, review_text: 'Fire' }), 201, 'a'));
    assertFields(ra, { beat_id: beat.beat_id, user_id: a.id, username: a.username, rating: 5, review_text: 'Fire' });
    assert.deepEqual(await beatRating(beat.beat_id), { rating_avg: 5, rating_count: 1 });

    assertError(await review(a, { beat_id: beat.beat_id, rating: 3, review_text: 'again' }), 409, 'already_reviewed');

    const rb = assertStatus(await review(b, { beat_id: beat.beat_id, rating: 2, review_text: 'meh' }), 201, 'b');
    assert.deepEqual(await beatRating(beat.beat_id), { rating_avg: 3.5, rating_count: 2 });

    // The list: newest first, public, with the same rating.
    const list = assertStatus(await srv.api('GET', `/api/reviews/beat/${beat.beat_id}`), 200, 'list');
    assert.deepEqual(list.reviews.map((r) => r.review_id), [rb.review_id, ra.review_id]);
    assertFields(list, { rating_avg: 3.5, rating_count: 2, next_cursor: null });
    list.reviews.forEach((r) => assertReview(r));

    // Paging.
    const p1 = assertStatus(await srv.api('GET', `/api/reviews/beat/${beat.beat_id}?limit=1`), 200, 'page 1');
    assert.equal(p1.reviews.length, 1);
    assert.equal(typeof p1.next_cursor, 'string');
    const p2 = assertStatus(await srv.api('GET',
      `/api/reviews/beat/${beat.beat_id}?limit=1&cursor=${encodeURIComponent(p1.next_cursor)}`), 200, 'page 2');
    assert.deepEqual(p2.reviews.map((r) => r.review_id), [ra.review_id]);
    assert.equal(p2.next_cursor, null);
    assertError(await srv.api('GET', `/api/reviews/beat/${beat.beat_id}?cursor=forged`), 400, 'invalid_cursor');

    // Update: 2 -> 4 moves the average to 4.5; the count stays.
    const up = assertStatus(await srv.api('PUT', `/api/reviews/${rb.review_id}`,
      { token: b.token, body: { rating: 4 } }), 200, 'update');
    assertFields(up, { review_id: rb.review_id, rating: 4, review_text: 'meh' });
    assert.deepEqual(await beatRating(beat.beat_id), { rating_avg: 4.5, rating_count: 2 });
    const up2 = assertStatus(await srv.api('PUT', `/api/reviews/${rb.review_id}`,
      { token: b.token, body: { review_text: 'grew on me' } }), 200, 'update text');
    assertFields(up2, { rating: 4, review_text: 'grew on me' });

    // Author-only update.
    assertError(await srv.api('PUT', `/api/reviews/${rb.review_id}`, { token: a.token, body: { rating: 1 } }), 403, 'forbidden');
    assertError(await srv.api('PUT', `/api/reviews/${rb.review_id}`, { body: { rating: 1 } }), 401);
    assertError(await srv.api('PUT', `/api/reviews/${UNKNOWN}`, { token: a.token, body: { rating: 1 } }), 404, 'not_found');
    // Someone else may not delete it either.
    assertError(await srv.api('DELETE', `/api/reviews/${rb.review_id}`, { token: a.token }), 403, 'forbidden');

    // Delete by the author: the average is a's 5 again.
    assertFields(assertStatus(await srv.api('DELETE', `/api/reviews/${rb.review_id}`, { token: b.token }), 200, 'delete'),
      { review_id: rb.review_id, deleted: true });
    assert.deepEqual(await beatRating(beat.beat_id), { rating_avg: 5, rating_count: 1 });
    assertError(await srv.api('DELETE', `/api/reviews/${rb.review_id}`, { token: b.token }), 404, 'not_found');

    // After deleting, b may review again.
    assertStatus(await review(b, { beat_id: beat.beat_id, rating: 1, review_text: '' }), 201, 'b again');
    assert.deepEqual(await beatRating(beat.beat_id), { rating_avg: 3, rating_count: 2 });
  });

  test('an admin deletes anyone\'s review', async () => {
    const c = await srv.signup();
    const before = await beatRating(other.beat_id);
    const r = assertStatus(await review(c, { beat_id: other.beat_id, rating: 1, review_text: 'spam' }), 201, 'c');
    assert.equal((await beatRating(other.beat_id)).rating_count, before.rating_count + 1);
    const admin = await makeAdmin();
    // An admin may delete but not edit.
    assertError(await srv.api('PUT', `/api/reviews/${r.review_id}`, { token: admin.token, body: { rating: 5 } }), 403);
    assertFields(assertStatus(await srv.api('DELETE', `/api/reviews/${r.review_id}`, { token: admin.token }), 200, 'admin delete'),
      { review_id: r.review_id, deleted: true });
    assert.deepEqual(await beatRating(other.beat_id), before);
  });

  test('bad input, unknown beats and your own beat', async () => {
    const d = await srv.signup();
    assertError(await srv.api('POST', '/api/reviews', { body: { beat_id: beat.beat_id, rating: 3 } }), 401);
    for (const rating of [0, 6, 3.5, '4', null]) {
      const e = assertError(await review(d, { beat_id: beat.beat_id, rating, review_text: 'x' }), 422, 'validation_failed',
        `rating ${rating}`);
      assert.ok(e.details?.fields?.rating, `details.fields.rating for ${rating}: ${JSON.stringify(e)}`);
    }
    const long = assertError(await review(d, { beat_id: beat.beat_id, rating: 3, review_text: 'x'.repeat(5001) }), 422);
    assert.ok(long.details.fields.review_text);
    assertError(await review(d, { beat_id: UNKNOWN, rating: 3, review_text: 'x' }), 404, 'not_found');
    assertError(await review(producer, { beat_id: beat.beat_id, rating: 5, review_text: 'mine' }), 422);
    assertError(await srv.api('GET', `/api/reviews/beat/${UNKNOWN}`), 404, 'not_found');
    assertError(await srv.api('POST', '/api/reviews', { token: d.token, raw: '{"beat_id":', headers: { 'Content-Type': 'application/json' } }), 400);
    // Exactly 5000 characters is fine.
    const ok = assertStatus(await review(d, { beat_id: beat.beat_id, rating: 3, review_text: 'é'.repeat(5000) }), 201, '5000');
    assert.equal(ok.review_text.length, 5000);
  });

  test('review text comes back exactly as written (no HTML escaping in JSON)', async () => {
    const e = await srv.signup();
    const text = '<script>alert(1)</script> & "quotes" \'single\' \u00e9\u{1F525}\nnew line';
    const r = assertStatus(await review(e, { beat_id: other.beat_id, rating: 4, review_text: text }), 201, 'xss');
    assert.equal(r.review_text, text);
    const list = assertStatus(await srv.api('GET', `/api/reviews/beat/${other.beat_id}`), 200, 'list');
    assert.equal(list.reviews.find((x) => x.review_id === r.review_id).review_text, text);
  });

  test('a deleted beat takes its reviews out of view', async () => {
    const f = await srv.signup();
    const doomed = await uploadOk(srv, producer.token, makeAudio({ seconds: 1, freq: 330 }), { title: 'Doomed', price: '1' });
    await waitReady(srv, doomed.beat_id);
    const r = assertStatus(await review(f, { beat_id: doomed.beat_id, rating: 4, review_text: 'ok' }), 201, 'review');
    assertStatus(await srv.api('DELETE', `/api/beats/${doomed.beat_id}`, { token: producer.token }), 200, 'delete beat');
    assertError(await srv.api('GET', `/api/reviews/beat/${doomed.beat_id}`), 404, 'not_found');
    assertError(await review(await srv.signup(), { beat_id: doomed.beat_id, rating: 3 }), 404, 'not_found');
    // The author can still remove their review.
    assertStatus(await srv.api('DELETE', `/api/reviews/${r.review_id}`, { token: f.token }), 200, 'delete review');
  });

  test('the OpenAPI spec documents the reviews routes', async () => {
    const spec = assertStatus(await srv.api('GET', '/api/openapi.json'), 200, 'spec');
    for (const p of ['/api/reviews', '/api/reviews/beat/{beat_id}', '/api/reviews/{review_id}']) {
      assert.ok(spec.paths[p], `spec has ${p}`);
    }
    assert.ok(spec.components.schemas.Review);
    assert.equal(spec.paths['/api/reviews'].post.tags[0], 'reviews');
  });
});
