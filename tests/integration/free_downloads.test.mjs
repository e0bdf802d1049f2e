// Free downloads: a producer gives a beat's tagged MP3 away for an email address or a follow; the
// link comes by mail (a real SMTP server on loopback) or at once; links expire, stop when the
// offer is withdrawn, and the producer sees who claimed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertStatus, startServer, uniqueName } from './harness.mjs';
import { fetchBytes, makeAudio, probe, uploadOk, waitReady } from './audio.mjs';
import { smtpArgs, startSmtp } from './smtp.mjs';

let srv;
let smtp;
let producer;
let beat;
before(async () => {
  smtp = await startSmtp();
  srv = await startServer({ args: [...smtpArgs(smtp), '--public-url', 'http://downloads.example.test'] });
  producer = await srv.signup();
  const b = await uploadOk(srv, producer.token, makeAudio({ seconds: 3 }), { title: 'Free Lunch', price: '10.00' });
  beat = await waitReady(srv, b.beat_id);
});
after(async () => {
  await srv?.close();
  await smtp?.close();
});

const offer = (body, token = producer.token) => srv.api('PUT', `/api/beats/${beat.beat_id}/free-download`, { token, body });
const claim = (body, token) => srv.api('POST', `/api/beats/${beat.beat_id}/free-download/claim`, { token, body });

async function assertMp3(pathOrUrl) {
  const r = await fetchBytes(srv, pathOrUrl);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'audio/mpeg');
  assert.match(r.headers.get('content-disposition'), /attachment; filename="Free_Lunch__tagged_\.mp3"/);
  const info = probe(r.body);
  assert.match(info.format_name, /mp3/);
  assert.ok(info.duration > 2.5, `a whole preview: ${info.duration} s`);
}

describe('free downloads', () => {
  test('no offer: offered false, claims 404; only the producer sets one; bad values by field', async () => {
    assert.deepEqual(assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}/free-download`), 200),
      { beat_id: beat.beat_id, offered: false, gate: null, delivery: null });
    assertError(await claim({ email: 'x@example.test' }), 404);
    const stranger = await srv.signup();
    assertError(await offer({ gate: 'email', delivery: 'instant' }, stranger.token), 403);
    const bad = assertError(await offer({ gate: 'tweet', delivery: 'pigeon' }), 422, 'validation_failed');
    assert.deepEqual(Object.keys(bad.details.fields).sort(), ['delivery', 'gate']);
    assertError(await srv.api('PUT', `/api/beats/${uniqueName()}/free-download`,
      { token: producer.token, body: { gate: 'email', delivery: 'email' } }), 404);
  });

  test('for an email, at once: no account needed, the link answers the tagged MP3', async () => {
    assertStatus(await offer({ gate: 'email', delivery: 'instant' }), 200);
    assert.deepEqual(assertStatus(await srv.api('GET', `/api/beats/${beat.beat_id}/free-download`), 200),
      { beat_id: beat.beat_id, offered: true, gate: 'email', delivery: 'instant' });
    assertError(await claim({}), 422, 'validation_failed');
    assertError(await claim({ email: 'not-an-address' }), 422, 'validation_failed');
    const got = assertStatus(await claim({ email: 'fan@example.test' }), 200, 'claim');
    assert.equal(got.delivery, 'instant');
    await assertMp3(got.download_url);
  });

  test('for an email, by mail: 202, then the mailed link downloads', async () => {
    assertStatus(await offer({ gate: 'email', delivery: 'email' }), 200);
    const address = `${uniqueName('fan').toLowerCase()}@example.test`;
    const r = assertStatus(await claim({ email: address }), 202, 'claim');
    assert.equal(r.delivery, 'email');
    assert.ok(!('download_url' in r), 'the link goes only to the address');
    const mail = await smtp.waitForMessage((m) => m.rcpt_tos.includes(address));
    assert.match(mail.subject, /Your free download: Free Lunch/);
    const link = /(http:\/\/downloads\.example\.test\/api\/free-downloads\/[A-Za-z0-9_-]+)/.exec(mail.text)[1];
    await assertMp3(link.replace('http://downloads.example.test', ''));
  });

  test('for a follow: a token is needed, claiming follows the producer; the producer sees the leads', async () => {
    assertStatus(await offer({ gate: 'follow', delivery: 'instant' }), 200);
    assertError(await claim({}), 401);
    const fan = await srv.signup();
    const got = assertStatus(await claim({}, fan.token), 200, 'claim');
    await assertMp3(got.download_url);
    const follow = assertStatus(await srv.api('GET', `/api/users/${producer.id}/follow`, { token: fan.token }), 200);
    assert.equal(follow.following, true);
    assertError(await claim({}, producer.token), 422);

    const leads = assertStatus(await srv.api('GET', '/api/free-downloads/leads', { token: producer.token }), 200);
    assert.equal(leads.leads[0].username, fan.username);
    assert.equal(leads.leads[0].title, 'Free Lunch');
    assert.ok(leads.leads.some((l) => l.email === 'fan@example.test'), 'the address given earlier');
    const theirs = assertStatus(await srv.api('GET', '/api/free-downloads/leads', { token: fan.token }), 200);
    assert.deepEqual(theirs.leads, [], 'nobody else sees them');
  });

  test('withdrawn: links stop; unknown links 404', async () => {
    assertStatus(await offer({ gate: 'email', delivery: 'instant' }), 200);
    const got = assertStatus(await claim({ email: 'late@example.test' }), 200);
    assertStatus(await srv.api('DELETE', `/api/beats/${beat.beat_id}/free-download`, { token: producer.token }), 200);
    assertError(await srv.api('GET', got.download_url), 404);
    assertError(await srv.api('GET', '/api/free-downloads/not-a-real-token'), 404);
    assertError(await srv.api('DELETE', `/api/beats/${beat.beat_id}/free-download`, { token: producer.token }), 404);
  });

  test('once the beat is sold exclusively, it is no longer given away: claims and links 404', async () => {
    const b = await uploadOk(srv, producer.token, makeAudio({ seconds: 2 }), { title: 'Soon Sold', price: '10.00',
      licenses: JSON.stringify([{ type: 'exclusive', price_cents: 10000 }]) });
    const sold = await waitReady(srv, b.beat_id);
    assertStatus(await srv.api('PUT', `/api/beats/${sold.beat_id}/free-download`,
      { token: producer.token, body: { gate: 'email', delivery: 'instant' } }), 200);
    const got = assertStatus(await srv.api('POST', `/api/beats/${sold.beat_id}/free-download/claim`,
      { body: { email: 'early@example.test' } }), 200);
    const buyer = await srv.signup();
    assertStatus(await srv.api('POST', '/api/purchases', { token: buyer.token,
      body: { beat_id: sold.beat_id, license: 'exclusive', payment: { provider: 'test', token: 'tok_visa' } } }), 201);
    assertError(await srv.api('GET', got.download_url), 404);
    assertError(await srv.api('POST', `/api/beats/${sold.beat_id}/free-download/claim`, { body: { email: 'late@example.test' } }), 404);
  });

  test('mail to one address is limited to 3 an hour, whoever asks', async () => {
    assertStatus(await offer({ gate: 'email', delivery: 'email' }), 200);
    const address = `${uniqueName('victim').toLowerCase()}@example.test`;
    for (let i = 0; i < 3; i += 1) assertStatus(await claim({ email: address }), 202);
    const limited = await claim({ email: address });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });
});
