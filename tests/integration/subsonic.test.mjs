// The Subsonic API (/rest/) driven by a real Subsonic client library from npm (subsonic-api), not
// our own: app passwords and the three ways players sign in, browsing by tags and folders,
// search, genres, album lists, streaming with Range, bit rates, offsets and the preview/purchase
// rule, downloads, cover art, scrobbles into the playback log, stars, now playing and playlists.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SubsonicAPI } from 'subsonic-api';
import { assertStatus, startServer } from './harness.mjs';
import { fetchBytes, makeAudio, probe, upload, uploadOk, waitReady } from './audio.mjs';

let srv; let producer; let buyer; let stranger;
let night; let dawn; let noon;  // beats: night (trap, bought by buyer), dawn (lofi), noon (trap)
let buyerKey; let strangerKey; let producerKey;

const VISA = { provider: 'test', token: 'tok_visa' };
const md5 = (s) => createHash('md5').update(s).digest('hex');

async function appPassword(user, name = 'player') {
  const r = await srv.api('POST', '/api/users/profile/app-passwords', { token: user.token, body: { name } });
  return assertStatus(r, 201, 'create app password');
}

function client(user, password, extra = {}) {
  return new SubsonicAPI({ url: srv.base, auth: { username: user.username, password }, ...extra });
}

// A call through plain fetch, for what the client library will not send (wrong mixes of
// credentials, raw bytes). Returns the parsed subsonic-response for JSON answers.
async function rest(method, params, { headers = {}, post = false } = {}) {
  const q = new URLSearchParams({ v: '1.16.1', c: 'test', f: 'json', ...params });
  const res = post
    ? await fetch(`${srv.base}/rest/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: q.toString() })
    : await fetch(`${srv.base}/rest/${method}?${q}`, { headers });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text)['subsonic-response']; } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

function ok(r, what) {
  assert.equal(r.status, 'ok', `${what}: ${JSON.stringify(r)}`);
  return r;
}

function failed(r, code, what) {
  assert.equal(r.status, 'failed', `${what}: ${JSON.stringify(r)}`);
  assert.equal(r.error.code, code, `${what}: ${JSON.stringify(r)}`);
}

before(async () => {
  srv = await startServer();
  producer = await srv.signup();
  buyer = await srv.signup();
  stranger = await srv.signup();
  // The producer's voice tag goes into every preview: what a non-buyer must hear.
  const tag = makeAudio({ seconds: 1, freq: 1200 });
  assertStatus(await upload(srv, producer.token, tag, {}, { path: '/api/users/profile/voice-tag', method: 'PUT' }), 200, 'voice tag');
  const audio = makeAudio({ seconds: 6, freq: 330, channels: 2 });
  night = await uploadOk(srv, producer.token, audio, { title: 'Night Drive', price: '5', genre: 'trap', bpm: '140' });
  dawn = await uploadOk(srv, producer.token, makeAudio({ seconds: 5, freq: 440 }), { title: 'Dawn Patrol', price: '5', genre: 'lofi' });
  noon = await uploadOk(srv, producer.token, makeAudio({ seconds: 4, freq: 550 }), { title: 'Noon Heat', price: '5', genre: 'Trap' });
  for (const b of [night, dawn, noon]) await waitReady(srv, b.beat_id);
  assertStatus(await srv.api('POST', '/api/purchases', {
    token: buyer.token, headers: { 'Idempotency-Key': `sub-${Date.now()}` },
    body: { beat_id: night.beat_id, license: 'basic', payment: VISA },
  }), 201, 'buy night');
  buyerKey = (await appPassword(buyer, 'Symfonium')).password;
  strangerKey = (await appPassword(stranger, 'DSub')).password;
  producerKey = (await appPassword(producer, 'Feishin')).password;
});
after(async () => { await srv?.close(); });

describe('subsonic: app passwords and signing in', () => {
  test('an app password signs a player in by token (t, s), plain p, enc: hex, apiKey and formPost', async () => {
    ok(await client(buyer, buyerKey).ping(), 'token auth (the library salts every call)');
    ok(await client(buyer, buyerKey, { post: true }).ping(), 'formPost');
    ok(await new SubsonicAPI({ url: srv.base, auth: { apiKey: buyerKey } }).ping(), 'apiKey');
    ok((await rest('ping', { u: buyer.username, p: buyerKey })).json, 'plain p');
    ok((await rest('ping', { u: buyer.username, p: `enc:${Buffer.from(buyerKey).toString('hex')}` })).json, 'enc: hex');
    const ext = ok(await client(buyer, buyerKey).getOpenSubsonicExtensions(), 'extensions');
    assert.deepEqual(ext.openSubsonicExtensions.map((e) => e.name).sort(), ['apiKeyAuthentication', 'formPost', 'transcodeOffset']);
    assert.deepEqual(ext.openSubsonicExtensions[0].versions, [1]);
  });

  test('the account password never works on /rest/, and wrong or mixed credentials get the right codes', async () => {
    failed(await client(buyer, buyer.password).ping(), 40, 'main password as a token');
    failed((await rest('ping', { u: buyer.username, p: buyer.password })).json, 40, 'main password as p');
    failed((await rest('ping', { u: stranger.username, p: buyerKey })).json, 40, "someone else's app password");
    failed((await rest('ping', {})).json, 10, 'no credentials');
    failed((await rest('ping', { u: buyer.username })).json, 10, 'u alone');
    failed((await rest('ping', { u: buyer.username, t: md5(buyerKey + 'x') })).json, 10, 't without s');
    failed((await rest('ping', { apiKey: buyerKey, u: buyer.username })).json, 43, 'apiKey with u');
    failed((await rest('ping', { apiKey: 'not-a-key' })).json, 44, 'unknown apiKey');
    failed((await rest('ping', {}, { headers: { Authorization: `Bearer ${buyer.token}` } })).json, 42, 'a bearer token');
    const fresh = await srv.signup();
    failed((await rest('ping', { u: fresh.username, t: md5('anything' + 'salt'), s: 'salt' })).json, 41, 'token auth with no app password');
    const noVersion = await fetch(`${srv.base}/rest/ping?f=json&c=x&u=${buyer.username}&p=${buyerKey}`).then((r) => r.json());
    failed(noVersion['subsonic-response'], 10, 'no v');
  });

  test('app passwords are listed without their secret, and revoking one signs its players out', async () => {
    const made = await appPassword(buyer, 'Car stereo');
    assert.equal(made.username, buyer.username);
    assert.match(made.password, /^[a-z2-9]{4}(-[a-z2-9]{4}){4}$/);
    ok(await client(buyer, made.password).ping(), 'before revoking');
    const list = assertStatus(await srv.api('GET', '/api/users/profile/app-passwords', { token: buyer.token }), 200);
    const mine = list.app_passwords.find((p) => p.app_password_id === made.app_password_id);
    assert.ok(mine, JSON.stringify(list));
    assert.equal(mine.name, 'Car stereo');
    assert.ok(!JSON.stringify(list).includes(made.password), 'the list never shows a password');
    assertStatus(await srv.api('DELETE', `/api/users/profile/app-passwords/${made.app_password_id}`, { token: buyer.token }), 200);
    failed(await client(buyer, made.password).ping(), 40, 'after revoking');
    failed(await new SubsonicAPI({ url: srv.base, auth: { apiKey: made.password } }).ping(), 44, 'as an API key after revoking');
    const other = assertStatus(await srv.api('DELETE', `/api/users/profile/app-passwords/${made.app_password_id}`, { token: stranger.token }), 404);
    assert.ok(other.error);
    ok(await client(buyer, buyerKey).ping(), 'the other app password still works');
  });

  test('failed sign-ins are rate limited per account like logins (429 with Retry-After), the right one included', async () => {
    const victim = await srv.signup();
    const key = (await appPassword(victim)).password;
    for (let i = 0; i < 5; i += 1) failed((await rest('ping', { u: victim.username, p: `wrong-${i}` })).json, 40, `failure ${i}`);
    const limited = await rest('ping', { u: victim.username, p: key });
    assert.equal(limited.status, 429, limited.text);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal(limited.json.status, 'failed');
    ok((await rest('ping', { u: buyer.username, p: buyerKey })).json, 'another account is not affected');
  });
});

describe('subsonic: browsing and search', () => {
  test('producers are artists, a year of their beats an album, beats its songs', async () => {
    const api = client(buyer, buyerKey);
    const { artists } = ok(await api.getArtists(), 'getArtists');
    const all = artists.index.flatMap((i) => i.artist);
    const artist = all.find((a) => a.name === producer.username);
    assert.ok(artist, JSON.stringify(artists));
    assert.equal(artist.id, `ar-${producer.id}`);
    assert.equal(artist.albumCount, 1);
    const year = new Date().getUTCFullYear();

    const got = ok(await api.getArtist({ id: artist.id }), 'getArtist').artist;
    assert.equal(got.album.length, 1);
    const album = got.album[0];
    assert.equal(album.id, `al-${producer.id}-${year}`);
    assert.equal(album.name, `${producer.username} ${year}`);
    assert.equal(album.songCount, 3);
    assert.equal(album.year, year);

    const full = ok(await api.getAlbum({ id: album.id }), 'getAlbum').album;
    assert.deepEqual(full.song.map((s) => s.title), ['Night Drive', 'Dawn Patrol', 'Noon Heat'], 'upload order');
    const song = full.song[0];
    assert.equal(song.id, night.beat_id);
    assert.equal(song.albumId, album.id);
    assert.equal(song.artistId, artist.id);
    assert.equal(song.duration, 6);
    assert.equal(song.bitRate, 320, 'the buyer hears the full track');
    assert.equal(full.song[1].bitRate, 128, 'a beat not bought is its 128 kbit/s preview');

    const one = ok(await api.getSong({ id: dawn.beat_id }), 'getSong').song;
    assert.equal(one.title, 'Dawn Patrol');
    assert.equal(one.genre, 'lofi');
    failed(await api.getSong({ id: '01a1ffe8-dffc-7126-9f52-b32307b54ab0' }), 70, 'unknown song');
    failed(await api.getAlbum({ id: 'al-nobody-2020' }), 70, 'unknown album');
  });

  test('folders: indexes, then the artist directory, then the album directory', async () => {
    const api = client(stranger, strangerKey);
    const { indexes } = ok(await api.getIndexes(), 'getIndexes');
    assert.equal(typeof indexes.lastModified, 'number');
    const artist = indexes.index.flatMap((i) => i.artist).find((a) => a.name === producer.username);
    assert.ok(artist);
    const { directory } = ok(await api.getMusicDirectory({ id: artist.id }), 'artist directory');
    assert.equal(directory.child.length, 1);
    assert.equal(directory.child[0].isDir, true);
    const songs = ok(await api.getMusicDirectory({ id: directory.child[0].id }), 'album directory').directory;
    assert.equal(songs.parent, artist.id);
    assert.deepEqual(songs.child.map((c) => c.id), [night.beat_id, dawn.beat_id, noon.beat_id]);
    assert.ok(songs.child.every((c) => c.isDir === false && c.bitRate === 128), 'the stranger hears previews');
    const { musicFolders } = ok(await api.getMusicFolders(), 'getMusicFolders');
    assert.deepEqual(musicFolders.musicFolder, [{ id: 1, name: 'Backbeat store' }]);
    assert.equal(ok(await api.getLicense(), 'getLicense').license.valid, true);
  });

  test('search3 finds songs, artists and albums; an empty query lists everything in pages', async () => {
    const api = client(buyer, buyerKey);
    const r = ok(await api.search3({ query: 'night' }), 'search3').searchResult3;
    assert.deepEqual(r.song.map((s) => s.id), [night.beat_id]);
    const byArtist = ok(await api.search3({ query: producer.username.slice(0, 6) }), 'search by name').searchResult3;
    assert.ok(byArtist.artist.some((a) => a.id === `ar-${producer.id}`));
    assert.ok(byArtist.album.some((a) => a.artistId === `ar-${producer.id}`));
    const page1 = ok(await api.search3({ query: '', songCount: 2, songOffset: 0, artistCount: 0, albumCount: 0 }), 'page 1').searchResult3;
    const page2 = ok(await api.search3({ query: '', songCount: 2, songOffset: 2, artistCount: 0, albumCount: 0 }), 'page 2').searchResult3;
    assert.equal(page1.song.length, 2);
    assert.equal(page1.artist.length, 0);
    const ids = [...page1.song, ...page2.song].map((s) => s.id);
    assert.deepEqual(ids.slice().sort(), [night.beat_id, dawn.beat_id, noon.beat_id].sort());
  });

  test('genres, songs by genre, random songs and album lists', async () => {
    const api = client(buyer, buyerKey);
    const { genres } = ok(await api.getGenres(), 'getGenres');
    const trap = genres.genre.find((g) => g.value.toLowerCase() === 'trap');
    assert.equal(trap.songCount, 2, 'trap and Trap are one genre');
    assert.equal(genres.genre.find((g) => g.value === 'lofi').songCount, 1);
    const byGenre = ok(await api.getSongsByGenre({ genre: 'TRAP' }), 'getSongsByGenre').songsByGenre;
    assert.deepEqual(byGenre.song.map((s) => s.id).sort(), [night.beat_id, noon.beat_id].sort());
    const random = ok(await api.getRandomSongs({ size: 2 }), 'getRandomSongs').randomSongs;
    assert.equal(random.song.length, 2);
    const year = new Date().getUTCFullYear();
    for (const type of ['newest', 'random', 'alphabeticalByName', 'alphabeticalByArtist', 'frequent']) {
      const list = ok(await api.getAlbumList2({ type }), type).albumList2;
      assert.ok(list.album.some((a) => a.id === `al-${producer.id}-${year}`), `${type}: ${JSON.stringify(list)}`);
    }
    const byYear = ok(await api.getAlbumList2({ type: 'byYear', fromYear: year - 1, toYear: year }), 'byYear').albumList2;
    assert.equal(byYear.album.length, 1);
    assert.equal(ok(await api.getAlbumList2({ type: 'byYear', fromYear: 1990, toYear: 1991 }), 'old').albumList2.album.length, 0);
    failed(await api.getAlbumList2({ type: 'byYear' }), 10, 'byYear without years');
    failed(await api.getAlbumList2({ type: 'bogus' }), 0, 'unknown type');
    failed(await api.customJSON('getAlbumList2.view', {}), 10, 'no type');
  });
});

describe('subsonic: streaming, downloads and cover art', () => {
  // A client's fetch that adds headers (the library passes none of its own).
  const withHeaders = (headers) => (url, init = {}) => fetch(url, { ...init, headers: { ...(init.headers ?? {}), ...headers } });

  test('a beat not bought streams as its tagged preview, with Range, whatever the player asks for', async () => {
    const preview = await fetchBytes(srv, `/api/beats/${dawn.beat_id}/preview.mp3`);
    assert.equal(preview.status, 200);
    const api = client(stranger, strangerKey);
    for (const args of [{}, { format: 'raw' }, { format: 'flac' }, { maxBitRate: 320 }]) {
      const res = await api.stream({ id: dawn.beat_id, ...args });
      assert.equal(res.status, 200, JSON.stringify(args));
      assert.equal(res.headers.get('content-type'), 'audio/mpeg');
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(preview.body), `the preview itself for ${JSON.stringify(args)}`);
    }
    const ranged = await client(stranger, strangerKey, { fetch: withHeaders({ Range: 'bytes=100-4195' }) }).stream({ id: dawn.beat_id });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 100-4195/${preview.body.length}`);
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(preview.body.subarray(100, 4196)), 'the range is those bytes');
    const download = await api.download({ id: dawn.beat_id });
    const body = await download.json();
    failed(body['subsonic-response'], 50, 'download of a beat not bought');
  });

  test('a bought beat streams as the untagged full track, the same bytes the web download gives', async () => {
    const web = await fetchBytes(srv, `/api/beats/${night.beat_id}/download?format=mp3`, { token: buyer.token });
    assert.equal(web.status, 200);
    const preview = await fetchBytes(srv, `/api/beats/${night.beat_id}/preview.mp3`);
    const api = client(buyer, buyerKey);
    const streamed = Buffer.from(await (await api.stream({ id: night.beat_id })).arrayBuffer());
    assert.ok(streamed.equals(web.body), 'stream = the web download (320 kbit/s, untagged)');
    assert.ok(!streamed.equals(preview.body), 'not the preview');
    // A basic license covers the MP3 only: raw is that MP3, not the producer's WAV.
    const raw = await api.stream({ id: night.beat_id, format: 'raw' });
    assert.equal(raw.headers.get('content-type'), 'audio/mpeg');
    assert.ok(Buffer.from(await raw.arrayBuffer()).equals(web.body));
    const dl = await api.download({ id: night.beat_id });
    assert.equal(dl.status, 200);
    assert.ok(Buffer.from(await dl.arrayBuffer()).equals(web.body), 'download = the web download');
    // The producer's raw stream is the original upload.
    const original = await client(producer, producerKey).stream({ id: night.beat_id, format: 'raw' });
    assert.equal(original.headers.get('content-type'), 'audio/wav');
  });

  test('maxBitRate transcodes through the media worker, and timeOffset starts later', async () => {
    const api = client(buyer, buyerKey);
    const low = Buffer.from(await (await api.stream({ id: night.beat_id, maxBitRate: 64 })).arrayBuffer());
    const p = probe(low);
    assert.equal(p.codec, 'mp3');
    assert.ok(p.bit_rate > 56000 && p.bit_rate < 72000, `about 64 kbit/s: ${p.bit_rate}`);
    assert.ok(Math.abs(p.duration - 6) < 0.2, `whole track: ${p.duration}`);
    const later = Buffer.from(await (await api.stream({ id: night.beat_id, maxBitRate: 96, timeOffset: 2 })).arrayBuffer());
    const q = probe(later);
    assert.ok(Math.abs(q.duration - 4) < 0.2, `from 2 s: ${q.duration}`);
    const previewLow = Buffer.from(await (await client(stranger, strangerKey).stream({ id: dawn.beat_id, maxBitRate: 48 })).arrayBuffer());
    const r = probe(previewLow);
    assert.ok(r.bit_rate < 56000, `the preview at 48 kbit/s: ${r.bit_rate}`);
    failed(await (await api.stream({ id: '01a1ffe8-dffc-7126-9f52-b32307b54ab0' })).json()
      .then((j) => j['subsonic-response']), 70, 'unknown id');
  });

  test('getCoverArt draws a PNG of the asked size for songs, albums and artists', async () => {
    const api = client(buyer, buyerKey);
    const year = new Date().getUTCFullYear();
    for (const id of [night.beat_id, `al-${producer.id}-${year}`, `ar-${producer.id}`]) {
      const res = await api.getCoverArt({ id, size: 120 });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      const png = Buffer.from(await res.arrayBuffer());
      assert.equal(png.subarray(1, 4).toString(), 'PNG');
      assert.equal(png.readUInt32BE(16), 120, 'width');
      assert.equal(png.readUInt32BE(20), 120, 'height');
    }
    const unknown = await (await api.getCoverArt({ id: 'ar-nobody' })).json();
    failed(unknown['subsonic-response'], 70, 'unknown cover');
  });
});

describe('subsonic: scrobbles, stars, now playing', () => {
  test('a scrobble is a play in the playback log and counts on the beat', async () => {
    const before = assertStatus(await srv.api('GET', `/api/beats/${noon.beat_id}`), 200).plays;
    const api = client(stranger, strangerKey);
    ok(await api.scrobble({ id: noon.beat_id }), 'scrobble');
    const history = assertStatus(await srv.api('GET', '/api/playback/history', { token: stranger.token }), 200).history;
    assert.equal(history[0].beat_id, noon.beat_id);
    assert.equal(history[0].action, 'play');
    const afterPlays = assertStatus(await srv.api('GET', `/api/beats/${noon.beat_id}`), 200).plays;
    assert.equal(afterPlays, before + 1);
    failed(await api.scrobble({ id: 'no-such-beat' }), 70, 'unknown id');
  });

  test('submission=false is now playing, seen by its own user only', async () => {
    ok(await client(stranger, strangerKey).scrobble({ id: dawn.beat_id, submission: false }), 'now playing');
    const mine = ok(await client(stranger, strangerKey).getNowPlaying(), 'mine').nowPlaying;
    assert.equal(mine.entry.length, 1);
    assert.equal(mine.entry[0].id, dawn.beat_id);
    assert.equal(mine.entry[0].username, stranger.username);
    assert.equal(mine.entry[0].playerName, 'subsonic-api');
    const theirs = ok(await client(buyer, buyerKey).getNowPlaying(), 'another user').nowPlaying;
    assert.ok(!(theirs.entry ?? []).some((e) => e.username === stranger.username));
  });

  test('star and unstar songs, albums and artists; getStarred2 lists them', async () => {
    const api = client(buyer, buyerKey);
    const year = new Date().getUTCFullYear();
    ok(await api.star({ id: dawn.beat_id, albumId: `al-${producer.id}-${year}`, artistId: `ar-${producer.id}` }), 'star');
    let s = ok(await api.getStarred2(), 'getStarred2').starred2;
    assert.deepEqual(s.song.map((x) => x.id), [dawn.beat_id]);
    assert.ok(s.song[0].starred instanceof Date, 'starred is a date');
    assert.deepEqual(s.album.map((x) => x.id), [`al-${producer.id}-${year}`]);
    assert.deepEqual(s.artist.map((x) => x.id), [`ar-${producer.id}`]);
    ok(await api.unstar({ id: dawn.beat_id }), 'unstar');
    s = ok(await api.getStarred2(), 'after unstar').starred2;
    assert.equal(s.song.length, 0);
    failed(await api.star({ id: 'no-such-thing' }), 70, 'unknown id');
    assert.equal(ok(await client(stranger, strangerKey).getStarred2(), 'stars are per user').starred2.album.length, 0);
  });
});

describe('subsonic: playlists', () => {
  test('create, list, read, update and delete round trip, the same playlist the web shows', async () => {
    const api = client(buyer, buyerKey);
    const made = ok(await api.createPlaylist({ name: 'Drive', songId: [night.beat_id, dawn.beat_id] }), 'create').playlist;
    assert.equal(made.songCount, 2);
    assert.deepEqual(made.entry.map((e) => e.id), [night.beat_id, dawn.beat_id]);
    const { playlists } = ok(await api.getPlaylists(), 'getPlaylists');
    assert.ok(playlists.playlist.some((p) => p.id === made.id && p.name === 'Drive'));
    ok(await api.updatePlaylist({ playlistId: made.id, name: 'Night drive', comment: 'for the road', public: true,
      songIdToAdd: [noon.beat_id], songIndexToRemove: [0] }), 'update');
    const got = ok(await api.getPlaylist({ id: made.id }), 'getPlaylist').playlist;
    assert.equal(got.name, 'Night drive');
    assert.equal(got.comment, 'for the road');
    assert.equal(got.public, true);
    assert.equal(got.owner, buyer.username);
    assert.deepEqual(got.entry.map((e) => e.id), [dawn.beat_id, noon.beat_id]);
    const web = assertStatus(await srv.api('GET', `/api/playlists/${made.id}`, { token: buyer.token }), 200);
    assert.deepEqual(web.tracks.map((t) => t.beat_id), [dawn.beat_id, noon.beat_id], 'the web sees the same playlist');
    assert.equal(web.name, 'Night drive');
    // createPlaylist with an id replaces the songs.
    const replaced = ok(await api.createPlaylist({ playlistId: made.id, songId: [noon.beat_id] }), 'replace').playlist;
    assert.deepEqual(replaced.entry.map((e) => e.id), [noon.beat_id]);
    failed(await client(stranger, strangerKey).updatePlaylist({ playlistId: made.id, name: 'mine now' }), 50, "someone else's public playlist");
    failed(await client(stranger, strangerKey).deletePlaylist({ id: made.id }), 50, "deleting someone else's");
    ok(await api.deletePlaylist({ id: made.id }), 'delete');
    failed(await api.getPlaylist({ id: made.id }), 70, 'gone');
    assertStatus(await srv.api('GET', `/api/playlists/${made.id}`, { token: buyer.token }), 404);
  });

  test('a private playlist is not there for others; purchases is a playlist of what the buyer bought', async () => {
    const api = client(buyer, buyerKey);
    const mine = ok(await api.createPlaylist({ name: 'Secret', songId: [dawn.beat_id] }), 'create').playlist;
    failed(await client(stranger, strangerKey).getPlaylist({ id: mine.id }), 70, 'private to others');
    const bought = ok(await api.getPlaylist({ id: 'purchases' }), 'purchases').playlist;
    assert.deepEqual(bought.entry.map((e) => e.id), [night.beat_id]);
    failed(await api.updatePlaylist({ playlistId: 'purchases', name: 'x' }), 50, 'purchases is read-only');
    failed(await api.createPlaylist({ name: 'Bad', songId: ['no-such-beat'] }), 0, 'unknown song');
  });
});

describe('subsonic: formats', () => {
  test('XML by default, JSON with f=json, JSONP with a callback', async () => {
    const xml = await fetch(`${srv.base}/rest/ping.view?u=${buyer.username}&p=${buyerKey}&v=1.16.1&c=t`);
    assert.match(xml.headers.get('content-type'), /text\/xml/);
    assert.match(await xml.text(), /<subsonic-response xmlns="http:\/\/subsonic.org\/restapi" status="ok" version="1.16.1"/);
    const jsonp = await fetch(`${srv.base}/rest/ping?u=${buyer.username}&p=${buyerKey}&v=1.16.1&c=t&f=jsonp&callback=cb`);
    assert.match(jsonp.headers.get('content-type'), /javascript/);
    assert.match(await jsonp.text(), /^cb\(\{"subsonic-response":\{"status":"ok"/);
    const bad = await rest('ping', { u: buyer.username, p: buyerKey, f: 'jsonp', callback: 'alert(1)//' });
    failed(bad.json, 0, 'a callback that is not a name');
    failed((await rest('noSuchMethod', { u: buyer.username, p: buyerKey })).json, 0, 'unknown method');
  });
});
