// Small holes, closed: data files readable by the server's user alone, prices that are plain
// decimals, a cap on one user's open WebSockets, a rate limit on chat sends over HTTP, a socket
// closed for flooding still acknowledges what it stored, following again is not news every time,
// and API-looking paths in any spelling answer JSON, never the web page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { assertError, assertStatus, sleep, startServer } from './harness.mjs';
import { makeAudio, upload, uploadOk, waitReady } from './audio.mjs';

const WS_RATE = 8;
const WS_PER_USER = 3;

let srv;
before(async () => { srv = await startServer({ args: ['--ws-rate', String(WS_RATE), '--ws-per-user', String(WS_PER_USER)] }); });
after(async () => { await srv?.close(); });

const wsBase = () => srv.base.replace(/^http/, 'ws');

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    ws.closed = new Promise((r) => ws.on('close', (code) => r(code)));
    ws.frames = frames;
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode, body, headers: res.headers })));
    });
    ws.once('error', () => {});
  });
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? [p, ...walk(p)] : [p];
  });
}

describe('the data dir', () => {
  test('backbeat.db, its WAL, the secret, media and previews are created 0600 (folders 0700)', async () => {
    const producer = await srv.signup();
    const beat = await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'Private Files', price: '5' });
    await waitReady(srv, beat.beat_id);
    const entries = walk(srv.dataDir);
    const names = entries.map((p) => path.relative(srv.dataDir, p));
    for (const must of ['backbeat.db', 'backbeat.db-wal', 'secret.key']) assert.ok(names.includes(must), `${must} in ${names}`);
    assert.ok(names.some((n) => n.startsWith('media/') && n.endsWith('.mp3')), `a preview among ${names}`);
    const open = entries.filter((p) => (fs.statSync(p).mode & 0o077) !== 0).map((p) => `${path.relative(srv.dataDir, p)} ${(fs.statSync(p).mode & 0o777).toString(8)}`);
    assert.deepEqual(open, [], 'nothing in the data dir is readable by others');
    assert.equal(fs.statSync(srv.dataDir).mode & 0o777, 0o700);
  });
});

describe('prices', () => {
  test('only plain decimals: 0x10, 1e3, inf and " 12" are refused with 422', async () => {
    const producer = await srv.signup();
    for (const price of ['0x10', '1e3', 'inf', 'nan', '+5', '12abc']) {
      const r = await upload(srv, producer.token, makeAudio({ seconds: 1 }), { title: `Price ${price}`, price });
      const e = assertError(r, 422, 'validation_failed', `price ${price}`);
      assert.ok(e.details.fields.price, JSON.stringify(e));
    }
    const ok = await uploadOk(srv, producer.token, makeAudio({ seconds: 1 }), { title: 'Fair Price', price: '16.50' });
    assert.equal(ok.price_cents, 1650);
  });
});

describe('WebSockets and chat sends', () => {
  test(`a user may hold ${WS_PER_USER} sockets; one more is 429 too_many_sockets until one closes`, async () => {
    const user = await srv.signup();
    const url = `${wsBase()}/ws/notifications/${user.id}?token=${user.token}`;
    const socks = [];
    for (let i = 0; i < WS_PER_USER; i += 1) socks.push(await open(url));
    const refused = await open(`${wsBase()}/ws/chat/${user.id}?token=${user.token}`).then(() => null, (e) => e);
    assert.ok(refused, 'the extra socket was refused');
    assert.equal(refused.status, 429);
    assert.equal(JSON.parse(refused.body).error.code, 'too_many_sockets');
    assert.ok(refused.headers['retry-after']);
    const other = await srv.signup();
    const theirs = await open(`${wsBase()}/ws/notifications/${other.id}?token=${other.token}`);
    theirs.close();
    socks[0].close();
    await socks[0].closed;
    let again = null;
    for (let i = 0; i < 20 && !again; i += 1) {
      again = await open(url).catch(() => null);
      if (!again) await sleep(100);
    }
    assert.ok(again, 'a closed socket frees its place');
    for (const s of [...socks.slice(1), again]) s.close();
  });

  test(`HTTP chat sends are limited per user (${WS_RATE} per 10 s): then 429 with Retry-After`, async () => {
    const alice = await srv.signup();
    const bob = await srv.signup();
    const answers = [];
    for (let i = 0; i < WS_RATE + 2; i += 1) {
      answers.push(await srv.api('POST', '/api/chat/send', { token: alice.token, body: { receiver: bob.id, message: `m${i}` } }));
    }
    assert.deepEqual(answers.slice(0, WS_RATE).map((r) => r.status), Array(WS_RATE).fill(201));
    const e = assertError(answers[WS_RATE], 429, 'rate_limited');
    assert.ok(Number(answers[WS_RATE].headers.get('retry-after')) >= 1, JSON.stringify(e));
    // Another user is not held back by alice's flood.
    assertStatus(await srv.api('POST', '/api/chat/send', { token: bob.token, body: { receiver: alice.id, message: 'fine' } }), 201);
  });

  test('a socket closed for sending too much has every message it stored acknowledged first', async () => {
    const alice = await srv.signup();
    const bob = await srv.signup();
    const ws = await open(`${wsBase()}/ws/chat/${alice.id}?token=${alice.token}`);
    await sleep(100);
    for (let i = 0; i < WS_RATE * 3; i += 1) ws.send(JSON.stringify({ action: 'send', receiver: bob.id, message: `flood ${i}`, ref: i }));
    assert.equal(await ws.closed, 1008, 'closed by the rate limit');
    const acks = ws.frames.filter((f) => f.type === 'ack');
    const chats = assertStatus(await srv.api('GET', `/api/chat/history/${bob.id}`, { token: bob.token }), 200).chats;
    const stored = chats.length === 0 ? [] : assertStatus(await srv.api('GET', `/api/chat/messages/${chats[0].chat_id}`, { token: bob.token }), 200).messages;
    assert.ok(stored.length >= 1 && stored.length <= WS_RATE, `stored ${stored.length}`);
    assert.deepEqual(acks.map((a) => a.message_id).sort(), stored.map((m) => m.message_id).sort(),
      'each stored message was acknowledged before the close');
  });
});

describe('follows', () => {
  test('following, unfollowing and following again tells the followed user once', async () => {
    const star = await srv.signup();
    const fan = await srv.signup();
    for (let i = 0; i < 4; i += 1) {
      assertStatus(await srv.api('POST', `/api/users/${star.id}/follow`, { token: fan.token }), 200);
      assertStatus(await srv.api('DELETE', `/api/users/${star.id}/follow`, { token: fan.token }), 200);
    }
    assertStatus(await srv.api('POST', `/api/users/${star.id}/follow`, { token: fan.token }), 200);
    await sleep(500);  // notifications follow the commit through the outbox
    const list = assertStatus(await srv.api('GET', '/api/notifications', { token: star.token }), 200);
    assert.equal(list.notifications.filter((n) => n.kind === 'follow').length, 1, JSON.stringify(list.notifications));
    assert.equal(list.unread_count, 1);
  });
});

describe('API paths in any spelling', () => {
  for (const p of ['//api/beats', '/API/beats', '/Api/nothing-here', '///api', '/api/NO-SUCH-THING', '/API']) {
    test(`GET ${p} is a JSON 404, not the web page`, async () => {
      const r = await srv.api('GET', p);
      assertError(r, 404, 'not_found', p);
      assert.doesNotMatch(r.text, /<html/i);
    });
  }
  test('the web page still answers its own paths', async () => {
    const r = await srv.api('GET', '/beats/whatever');
    assert.equal(r.status, 200);
    assert.match(r.text, /<html/i);
  });
});
