// Search and browse (GET /api/beats): full text with whole words and a prefix last word, the
// filters, the sorts, cursor paging, and the errors for bad cursors and numbers. Runs against its
// own server holding exactly the 8 beats below (plus one that is still processing).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertStatus, startServer } from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';

let srv; let alpha; let beta;
const byKey = {};
const suffix = String(process.pid % 100000);

// key, producer, fields
const CATALOGUE = [
  ['midnight', 'alpha', { title: 'Midnight Rain', genre: 'trap', tags: 'dark,storm', bpm: 140, price_cents: 2999, mood: 'moody', key: 'C minor' }],
  ['sunny', 'alpha', { title: 'Sunny Morning', genre: 'pop', tags: 'happy,bright', bpm: 100, price_cents: 1999, mood: 'happy', key: 'G major' }],
  ['golden', 'alpha', { title: 'Golden Hour', genre: 'lofi', tags: 'chill,warm', bpm: 85, price_cents: 999, mood: 'calm', key: 'D major' }],
  ['street', 'alpha', { title: 'Street Cipher', genre: 'boombap', tags: 'gritty,vinyl', bpm: 92, price_cents: 4999, mood: 'moody', key: 'A minor' }],
  ['neon', 'beta', { title: 'Neon Skyline', genre: 'synthwave', tags: 'retro,night', bpm: 118, price_cents: 3999, mood: 'epic', key: 'E minor' }],
  ['desert', 'beta', { title: 'Desert Mirage', genre: 'afrobeat', tags: 'dance,summer', bpm: 105, price_cents: 2499, mood: 'happy', key: 'F major' }],
  ['frozen', 'beta', { title: 'Frozen Lake', genre: 'ambient', tags: 'cold,calm', bpm: 70, price_cents: 1499, mood: 'calm', key: 'B minor' }],
  ['rainmaker', 'alpha', { title: 'Rainmaker Anthem', genre: 'drill', tags: 'hard,dark', bpm: 145, price_cents: 5999, mood: 'epic', key: 'C minor' }],
];
const UPLOAD_ORDER = CATALOGUE.map(([k]) => k);

before(async () => {
  srv = await startServer();
  alpha = await srv.signup(`alpha_${suffix}`);
  beta = await srv.signup(`beta_${suffix}`);
  const users = { alpha, beta };
  const file = makeAudio({ seconds: 2 });
  // Sequential uploads, so that "new" has a well-defined order.
  for (const [key, who, f] of CATALOGUE) {
    const b = await uploadOk(srv, users[who].token, file, { ...f, bpm: String(f.bpm), price_cents: String(f.price_cents) });
    byKey[key] = b.beat_id;
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const id of Object.values(byKey)) await waitReady(srv, id);
  // One more that stays out of search results while it is processing.
  const pending = await uploadOk(srv, alpha.token, makeAudio({ kind: 'noise', seconds: 40 }), { title: 'Midnight Pending', price: '1' });
  byKey.pending = pending.beat_id;
});
after(async () => { await srv?.close(); });

const keyOf = (id) => Object.keys(byKey).find((k) => byKey[k] === id) ?? id;

async function search(params) {
  const qs = new URLSearchParams(params).toString();
  const r = await srv.api('GET', `/api/beats?${qs}`);
  const body = assertStatus(r, 200, `GET /api/beats?${qs}`);
  assert.ok(Array.isArray(body.beats), `beats is an array: ${r.text.slice(0, 200)}`);
  assert.ok('next_cursor' in body, 'next_cursor is present');
  return body;
}
async function keys(params) {
  return (await search(params)).beats.map((b) => keyOf(b.beat_id));
}
const sorted = (a) => [...a].sort();

describe('full-text q', () => {
  test('whole words match title, tags, genre and mood', async () => {
    assert.deepEqual(await keys({ q: 'sunny' }), ['sunny']);
    assert.deepEqual(await keys({ q: 'Skyline' }), ['neon'], 'case-insensitive');
    assert.deepEqual(sorted(await keys({ q: 'dark' })), ['midnight', 'rainmaker'], 'tags');
    assert.deepEqual(await keys({ q: 'lofi' }), ['golden'], 'genre');
    assert.deepEqual(sorted(await keys({ q: `alpha_${suffix}` })), sorted(['midnight', 'sunny', 'golden', 'street', 'rainmaker']), 'artist');
  });

  test('the last word also matches as a prefix (type-ahead)', async () => {
    assert.deepEqual(sorted(await keys({ q: 'rain' })), ['midnight', 'rainmaker'], 'rain: the word and the prefix of Rainmaker');
    assert.deepEqual(sorted(await keys({ q: 'rai' })), ['midnight', 'rainmaker']);
    assert.deepEqual(await keys({ q: 'midnight ra' }), ['midnight'], 'both words must match');
    assert.deepEqual(await keys({ q: 'golden h' }), ['golden']);
    assert.deepEqual(await keys({ q: 'froz' }), ['frozen']);
  });

  test('words other than the last must be whole words; inner substrings do not match', async () => {
    assert.deepEqual(await keys({ q: 'rai anthem' }), [], '"rai" is not a whole word');
    assert.deepEqual(await keys({ q: 'ain' }), [], 'a substring in the middle of a word is not a match');
    assert.deepEqual(await keys({ q: 'ightmare' }), []);
    assert.deepEqual(await keys({ q: 'zzzunknownword' }), []);
  });

  test('punctuation and query syntax in q are text, not errors', async () => {
    for (const q of ['"', 'rain"', 'rain OR sunny', 'NEAR(a b)', '*', 'rain*', '-rain', 'a:b', "o'reilly", '(((']) {
      const r = await srv.api('GET', `/api/beats?q=${encodeURIComponent(q)}`);
      assert.equal(r.status, 200, `q=${q}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    assert.ok(!(await keys({ q: 'rain OR sunny' })).includes('sunny'), 'OR is a word, not an operator');
  });

  test('a processing beat is not listed', async () => {
    const all = await keys({ q: 'midnight' });
    assert.deepEqual(all, ['midnight'], 'only the ready Midnight');
    assert.ok(!(await keys({ limit: '100' })).includes('pending'));
  });
});

describe('filters', () => {
  test('genre, mood and key', async () => {
    assert.deepEqual(await keys({ genre: 'trap' }), ['midnight']);
    assert.deepEqual(sorted(await keys({ mood: 'calm' })), ['frozen', 'golden']);
    assert.deepEqual(sorted(await keys({ key: 'C minor' })), ['midnight', 'rainmaker']);
    assert.deepEqual(await keys({ genre: 'nonexistent' }), []);
  });

  test('bpm range (inclusive)', async () => {
    assert.deepEqual(sorted(await keys({ bpm_min: '100', bpm_max: '118' })), ['desert', 'neon', 'sunny']);
    assert.deepEqual(sorted(await keys({ bpm_min: '140' })), ['midnight', 'rainmaker']);
    assert.deepEqual(sorted(await keys({ bpm_max: '85' })), ['frozen', 'golden']);
  });

  test('price_max_cents (inclusive)', async () => {
    assert.deepEqual(sorted(await keys({ price_max_cents: '1999' })), ['frozen', 'golden', 'sunny']);
    assert.deepEqual(await keys({ price_max_cents: '998' }), []);
  });

  test('producer by id and by username', async () => {
    const alphaSet = sorted(['midnight', 'sunny', 'golden', 'street', 'rainmaker']);
    assert.deepEqual(sorted(await keys({ producer: alpha.id })), alphaSet);
    assert.deepEqual(sorted(await keys({ producer: alpha.username })), alphaSet);
    assert.deepEqual(sorted(await keys({ producer: beta.username })), ['desert', 'frozen', 'neon']);
    assert.deepEqual(sorted(await keys({ producer: beta.username.toUpperCase() })), ['desert', 'frozen', 'neon'],
      'usernames are case-insensitive');
    assert.deepEqual(await keys({ producer: 'nobody_like_this' }), []);
  });

  test('filters combine with q and with each other', async () => {
    assert.deepEqual(await keys({ q: 'dark', bpm_min: '142' }), ['rainmaker']);
    assert.deepEqual(await keys({ producer: beta.id, price_max_cents: '2000' }), ['frozen']);
    assert.deepEqual(await keys({ q: 'calm', genre: 'ambient' }), ['frozen']);
  });
});

describe('sorting', () => {
  const byPrice = () => [...CATALOGUE].sort((a, b) => a[2].price_cents - b[2].price_cents).map(([k]) => k);

  test('price_asc and price_desc', async () => {
    assert.deepEqual(await keys({ sort: 'price_asc' }), byPrice());
    assert.deepEqual(await keys({ sort: 'price_desc' }), byPrice().reverse());
  });

  test('new is newest first, and the default without q', async () => {
    const newest = [...UPLOAD_ORDER].reverse();
    assert.deepEqual(await keys({ sort: 'new' }), newest);
    assert.deepEqual(await keys({}), newest);
  });

  test('popular and relevance are accepted; an unknown sort is 422', async () => {
    assert.equal((await keys({ sort: 'popular' })).length, 8);
    assert.deepEqual(sorted(await keys({ q: 'rain', sort: 'relevance' })), ['midnight', 'rainmaker']);
    const e = assertError(await srv.api('GET', '/api/beats?sort=sideways'), 422, 'validation_failed');
    assert.ok('sort' in (e.details?.fields ?? {}), JSON.stringify(e));
  });
});

describe('paging', () => {
  async function walk(params, limit) {
    const seen = [];
    let cursor = null;
    const sizes = [];
    for (let i = 0; i < 20; i += 1) {
      const page = await search({ ...params, limit: String(limit), ...(cursor ? { cursor } : {}) });
      sizes.push(page.beats.length);
      assert.ok(page.beats.length <= limit, `page of at most ${limit}`);
      const ks = page.beats.map((b) => keyOf(b.beat_id));
      const again = ks.filter((k) => seen.includes(k));
      assert.deepEqual(again, [], `page ${i + 1} (limit ${limit}, ${JSON.stringify(params)}) repeats ${again.join(', ')} `
        + `already seen on earlier pages [${seen.join(', ')}]: the cursor did not move on`);
      seen.push(...ks);
      cursor = page.next_cursor;
      if (cursor === null) break;
      assert.equal(typeof cursor, 'string');
    }
    assert.equal(cursor, null, 'the walk ends with next_cursor null');
    return { seen, sizes };
  }

  for (const sort of ['new', 'price_asc', 'price_desc', 'popular']) {
    test(`cursor paging walks every result once (sort=${sort})`, async () => {
      const whole = await keys({ sort, limit: '100' });
      assert.equal(whole.length, 8);
      const { seen, sizes } = await walk({ sort }, 3);
      assert.deepEqual(seen, whole, `pages of 3 in order: ${sizes}`);
      assert.equal(new Set(seen).size, seen.length, 'no duplicates');
      assert.deepEqual(sizes.slice(0, 2), [3, 3]);
    });
  }

  test('cursor paging with q (relevance)', async () => {
    const { seen } = await walk({ q: 'alpha' }, 2);
    assert.deepEqual(sorted(seen), sorted(['midnight', 'sunny', 'golden', 'street', 'rainmaker']));
  });

  test('limit defaults to 20 and is clamped to 100', async () => {
    assert.equal((await search({ limit: '1000' })).beats.length, 8);
    assert.equal((await search({ limit: '1' })).beats.length, 1);
  });

  test('a garbage or forged cursor is 400 invalid_cursor', async () => {
    for (const c of ['zzz', 'eyJpZCI6IjEifQ', 'a'.repeat(300), '%00']) {
      assertError(await srv.api('GET', `/api/beats?cursor=${encodeURIComponent(c)}`), 400, 'invalid_cursor', `cursor ${c.slice(0, 20)}`);
    }
    // A real cursor tampered with.
    const page = await search({ limit: '2' });
    const tampered = page.next_cursor.slice(0, -2) + (page.next_cursor.endsWith('A') ? 'BB' : 'AA');
    assertError(await srv.api('GET', `/api/beats?limit=2&cursor=${encodeURIComponent(tampered)}`), 400, 'invalid_cursor', 'tampered');
  });

  test('bad numbers are 422 naming the parameter', async () => {
    for (const [p, v] of [['bpm_min', 'abc'], ['bpm_max', '12x'], ['price_max_cents', '-5'], ['price_max_cents', '1.5'], ['limit', 'ten']]) {
      const e = assertError(await srv.api('GET', `/api/beats?${p}=${encodeURIComponent(v)}`), 422, 'validation_failed', `${p}=${v}`);
      assert.ok(p in (e.details?.fields ?? {}), `details.fields names ${p}: ${JSON.stringify(e)}`);
    }
  });
});
