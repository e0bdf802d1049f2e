// The Subsonic answers against the specification: the XML of every method is validated with
// xmllint against the published subsonic-rest-api.xsd 1.16.1 (tests/integration/subsonic/, with
// the OpenSubsonic additions this server sends added at test time, below), the JSON holds the
// same data as the XML entry by entry, and a few answers are compared with golden files
// (ids, times and the year replaced by placeholders). UPDATE_GOLDEN=1 rewrites the golden files.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertStatus, startServer, tempDir } from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';

const here = path.join(path.dirname(fileURLToPath(import.meta.url)), 'subsonic');
const goldenDir = path.join(here, 'golden');

// OpenSubsonic's additions to the envelope (its "subsonic-response" and
// "getOpenSubsonicExtensions" pages): type, serverVersion and openSubsonic on the response, and
// the openSubsonicExtensions list. Nothing else is added; every other element is 1.16.1's.
function openSubsonicSchema() {
  let xsd = fs.readFileSync(path.join(here, 'subsonic-rest-api-1.16.1.xsd'), 'utf8');
  const responseAttrs = '<xs:attribute name="version" type="sub:Version" use="required"/>';
  assert.ok(xsd.includes(responseAttrs));
  xsd = xsd.replace(responseAttrs, `${responseAttrs}
<xs:attribute name="type" type="xs:string" use="optional"/>
<xs:attribute name="serverVersion" type="xs:string" use="optional"/>
<xs:attribute name="openSubsonic" type="xs:boolean" use="optional"/>`);
  const errorChoice = '<xs:element name="error" type="sub:Error" minOccurs="1" maxOccurs="1"/>';
  assert.ok(xsd.includes(errorChoice));
  xsd = xsd.replace(errorChoice, `${errorChoice}
<xs:element name="openSubsonicExtensions" type="sub:OpenSubsonicExtension" minOccurs="1" maxOccurs="unbounded"/>`);
  xsd = xsd.replace('</xs:schema>', `<xs:complexType name="OpenSubsonicExtension">
<xs:sequence><xs:element name="versions" type="xs:int" minOccurs="1" maxOccurs="unbounded"/></xs:sequence>
<xs:attribute name="name" type="xs:string" use="required"/>
</xs:complexType>
</xs:schema>`);
  const file = path.join(tempDir('backbeat-xsd-'), 'subsonic-rest-api-1.16.1-os.xsd');
  fs.writeFileSync(file, xsd);
  return file;
}

// A small parser for the XML this server writes: elements, double-quoted attributes, text.
function parseXml(text) {
  let i = text.indexOf('?>') + 2;
  const entity = (s) => s.replace(/&(#\d+|amp|lt|gt|quot|apos);/g, (_, e) => (
    e[0] === '#' ? String.fromCharCode(Number(e.slice(1))) : { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e]));
  function element() {
    while (/\s/.test(text[i])) i += 1;
    assert.equal(text[i], '<');
    const name = /^<([\w-]+)/.exec(text.slice(i))[1];
    i += name.length + 1;
    const attrs = {};
    for (;;) {
      while (/\s/.test(text[i])) i += 1;
      if (text.startsWith('/>', i)) { i += 2; return { name, attrs, children: [], text: null }; }
      if (text[i] === '>') { i += 1; break; }
      const m = /^([\w:]+)="([^"]*)"/.exec(text.slice(i));
      attrs[m[1]] = entity(m[2]);
      i += m[0].length;
    }
    const children = [];
    let body = '';
    while (!text.startsWith('</', i)) {
      if (text[i] === '<') children.push(element());
      else { body += text[i]; i += 1; }
    }
    i += `</${name}>`.length;
    return { name, attrs, children, text: body ? entity(body) : null };
  }
  return element();
}

// The JSON holds what the XML holds: every attribute as a member (typed), text as "value" (or
// the bare value in a list), each repeated element as an array in document order.
function sameData(xml, json, where) {
  if (typeof json !== 'object') {
    assert.equal(String(json), xml.text, `${where}: bare value`);
    assert.equal(xml.children.length + Object.keys(xml.attrs).length, 0, `${where}: a bare value has no more`);
    return;
  }
  const members = new Set(Object.keys(json));
  for (const [k, v] of Object.entries(xml.attrs)) {
    if (k === 'xmlns') continue;
    assert.ok(members.has(k), `${where}: attribute ${k} is missing in JSON`);
    assert.notEqual(typeof json[k], 'object', `${where}.${k} is a scalar`);
    assert.equal(String(json[k]), v, `${where}.${k}`);
    members.delete(k);
  }
  if (xml.text !== null) {
    assert.equal(String(json.value), xml.text, `${where}: text`);
    members.delete('value');
  }
  for (const name of members) {
    const kids = xml.children.filter((c) => c.name === name);
    if (Array.isArray(json[name])) {
      assert.equal(kids.length, json[name].length, `${where}.${name}: as many in XML as in JSON`);
      kids.forEach((kid, n) => sameData(kid, json[name][n], `${where}.${name}[${n}]`));
    } else {
      assert.equal(kids.length, 1, `${where}.${name}: one element`);
      sameData(kids[0], json[name], `${where}.${name}`);
    }
  }
  const inJson = new Set(Object.keys(json));
  for (const kid of xml.children) assert.ok(inJson.has(kid.name), `${where}: element ${kid.name} is missing in JSON`);
}

const normalize = (text, year) => text
  .replace(/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
  .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<time>')
  .replace(new RegExp(`\\b${year}\\b`, 'g'), '<year>')
  .replace(/serverVersion="[^"]*"|"serverVersion":"[^"]*"/g, '<serverVersion>')
  .replace(/"lastModified":\d+|lastModified="\d+"/g, '<lastModified>');

let srv; let key; let beat; let playlist; let schema;
const year = new Date().getUTCFullYear();

before(async () => {
  srv = await startServer();
  schema = openSubsonicSchema();
  const producer = await srv.signup('goldenproducer');
  beat = await uploadOk(srv, producer.token, makeAudio({ seconds: 3 }), { title: 'Golden Hour & "Dusk"', price: '5', genre: 'soul', bpm: '90' });
  await waitReady(srv, beat.beat_id);
  const listener = await srv.signup('goldenlistener');
  key = assertStatus(await srv.api('POST', '/api/users/profile/app-passwords', { token: listener.token, body: { name: 'golden' } }), 201).password;
  playlist = assertStatus(await srv.api('POST', '/api/playlists', { token: listener.token, body: { name: 'Evening <mix>', description: 'for the golden test' } }), 201);
  assertStatus(await srv.api('POST', `/api/playlists/${playlist.playlist_id}/tracks`, { token: listener.token, body: { beat_id: beat.beat_id } }), 201);
});
after(async () => { await srv?.close(); });

async function call(method, params, f) {
  const q = new URLSearchParams({ u: 'goldenlistener', p: key, v: '1.16.1', c: 'golden', ...params });
  if (f) q.set('f', f);
  const res = await fetch(`${srv.base}/rest/${method}.view?${q}`);
  assert.equal(res.status, 200, `${method}: ${res.status}`);
  return res.text();
}

const calls = () => [
  ['ping', {}], ['getLicense', {}], ['getMusicFolders', {}], ['getOpenSubsonicExtensions', {}],
  ['getUser', { username: 'goldenlistener' }], ['getIndexes', {}], ['getArtists', {}],
  ['getMusicDirectory', { id: `al-${beat.producer_id}-${year}` }], ['getArtist', { id: `ar-${beat.producer_id}` }],
  ['getAlbum', { id: `al-${beat.producer_id}-${year}` }], ['getSong', { id: beat.beat_id }], ['getGenres', {}],
  ['getSongsByGenre', { genre: 'soul' }], ['getAlbumList2', { type: 'newest' }], ['getRandomSongs', {}],
  ['search3', { query: 'golden' }], ['getPlaylists', {}], ['getPlaylist', { id: playlist.playlist_id }],
  ['getStarred2', {}], ['getNowPlaying', {}], ['ping', { p: 'wrong-password' }], ['getSong', { id: 'missing' }],
];

test('every answer validates against subsonic-rest-api.xsd 1.16.1, and JSON holds the same data as XML', async () => {
  const dir = tempDir('backbeat-subsonic-xml-');
  await (await fetch(`${srv.base}/rest/star?${new URLSearchParams({ u: 'goldenlistener', p: key, v: '1.16.1', c: 'g', id: beat.beat_id })}`)).text();
  await (await fetch(`${srv.base}/rest/scrobble?${new URLSearchParams({ u: 'goldenlistener', p: key, v: '1.16.1', c: 'g', id: beat.beat_id, submission: 'false' })}`)).text();
  const files = [];
  for (const [n, [method, params]] of calls().entries()) {
    const xml = await call(method, params);
    const json = JSON.parse(await call(method, params, 'json'))['subsonic-response'];
    const root = parseXml(xml);
    assert.equal(root.name, 'subsonic-response');
    sameData(root, json, `${method}(${JSON.stringify(params)})`);
    const file = path.join(dir, `${String(n).padStart(2, '0')}-${method}.xml`);
    fs.writeFileSync(file, xml);
    files.push(file);
  }
  const lint = spawnSync('xmllint', ['--noout', '--schema', schema, ...files], { encoding: 'utf8' });
  assert.equal(lint.error, undefined, `xmllint could not run: ${lint.error}`);
  assert.equal(lint.status, 0, `xmllint says:\n${lint.stderr}`);
  assert.equal((lint.stderr.match(/ validates$/gm) ?? []).length, files.length, lint.stderr);
});

test('the schema check can fail: an answer with an attribute the XSD does not have is refused', () => {
  const dir = tempDir('backbeat-subsonic-bad-');
  const bad = path.join(dir, 'bad.xml');
  fs.writeFileSync(bad, '<?xml version="1.0"?><subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1"><license valid="true" bpm="90"/></subsonic-response>');
  const lint = spawnSync('xmllint', ['--noout', '--schema', schema, bad], { encoding: 'utf8' });
  assert.notEqual(lint.status, 0, lint.stderr);
});

test('golden answers for ping, getLicense, getMusicFolders, getOpenSubsonicExtensions, getUser, getAlbum, getSong and a wrong password', async () => {
  const golden = [
    ['ping', {}], ['getLicense', {}], ['getMusicFolders', {}], ['getOpenSubsonicExtensions', {}],
    ['getUser', { username: 'goldenlistener' }], ['getAlbum', { id: `al-${beat.producer_id}-${year}` }],
    ['getSong', { id: beat.beat_id }], ['ping', { p: 'wrong-password' }, 'error-40'],
  ];
  for (const [method, params, label] of golden) {
    for (const f of ['xml', 'json']) {
      const got = normalize(await call(method, params, f === 'json' ? 'json' : undefined), year);
      const file = path.join(goldenDir, `${label ?? method}.${f}`);
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, got);
      assert.equal(got, fs.readFileSync(file, 'utf8'), `${method} ${f} differs from ${file}`);
    }
  }
});
