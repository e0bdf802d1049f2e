// License agreements: one per beat sold, fixed at the sale, downloaded as a PDF (read back with
// poppler's pdftotext), mailed with the receipt (a real SMTP server on loopback), revoked by a
// refund; producers edit each tier's terms.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertError, assertStatus, sleep, startServer, tempDir, uniqueName } from './harness.mjs';
import { fetchBytes, makeAudio, sha256, uploadOk, waitReady } from './audio.mjs';
import { smtpArgs, startSmtp } from './smtp.mjs';

let srv;
let smtp;
before(async () => {
  smtp = await startSmtp();
  srv = await startServer({ args: smtpArgs(smtp) });
});
after(async () => {
  await srv?.close();
  await smtp?.close();
});

const VISA = { provider: 'test', token: 'tok_visa' };

function pdfText(bytes) {
  const file = path.join(tempDir(), 'agreement.pdf');
  fs.writeFileSync(file, bytes);
  const r = spawnSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/[ \t]+/g, ' ');
}

async function agreements(user, purchaseId) {
  for (let i = 0; i < 100; i += 1) {
    const r = await srv.api('GET', `/api/agreements/${purchaseId}`, { token: user.token });
    if (r.status === 200) return r.json;
    await sleep(100);
  }
  throw new Error(`no agreements for ${purchaseId}`);
}

async function beatBy(producer, fields) {
  const wav = makeAudio({ seconds: 2 });
  const b = await uploadOk(srv, producer.token, wav, fields);
  return { ...(await waitReady(srv, b.beat_id)), wavPath: wav };
}

describe('license agreements', () => {
  let producer;
  let buyer;
  let beat;
  let purchase;
  const title = 'Ночной драйв';            // Cyrillic
  const artist = 'Zoë Ñandú';              // Latin with diacritics

  test('producers see default terms per tier and change them; bad values are refused by field', async () => {
    producer = await srv.signup();
    const mine = assertStatus(await srv.api('GET', '/api/agreements/terms', { token: producer.token }), 200);
    assert.deepEqual(mine.terms.map((t) => t.tier), ['basic', 'premium', 'unlimited', 'exclusive']);
    const basic = mine.terms[0];
    assert.equal(basic.distribution_copies, 2000);
    assert.equal(basic.custom, false);
    assert.equal(mine.terms[3].audio_streams, null, 'exclusive: unlimited');

    const bad = assertError(await srv.api('PUT', '/api/agreements/terms/premium', {
      token: producer.token, body: { distribution_copies: -1, audio_streams: 'lots', credit_line: '', colour: 'red' },
    }), 422, 'validation_failed');
    assert.deepEqual(Object.keys(bad.details.fields).sort(), ['audio_streams', 'colour', 'credit_line', 'distribution_copies']);
    assertError(await srv.api('PUT', '/api/agreements/terms/platinum', { token: producer.token, body: {} }), 404);

    const set = assertStatus(await srv.api('PUT', '/api/agreements/terms/premium', {
      token: producer.token,
      body: { distribution_copies: 5000, audio_streams: 250000, music_videos: 3, paid_performances: null,
        credit_line: 'Prod. by {producer} & Θεόδωρος', extra_terms: 'No use in political advertising.' },
    }), 200, 'set premium terms');
    assert.equal(set.custom, true);
    assert.equal(set.paid_performances, null);
  });

  test('a sale makes an agreement: the PDF names parties, beat, tier, terms, date and the audio hash (Unicode intact)', async () => {
    beat = await beatBy(producer, {
      title, artist, price: '20.00',
      licenses: JSON.stringify([{ type: 'basic', price_cents: 2000 },
        { type: 'premium', price_cents: 4999, files: ['mp3', 'wav'], terms: 'Keep the tag on free uploads.' }]),
    });
    buyer = await srv.signup();
    purchase = assertStatus(await srv.api('POST', '/api/purchases', {
      token: buyer.token, body: { beat_id: beat.beat_id, license: 'premium', payment: VISA },
    }), 201, 'buy');
    const list = await agreements(buyer, purchase.purchase_id);
    assert.equal(list.agreements.length, 1);
    const a = list.agreements[0];
    assert.equal(a.licensor, artist);
    assert.equal(a.licensee, buyer.username);
    assert.equal(a.title, title);
    assert.equal(a.license, 'premium');
    assert.equal(a.price_cents, 4999);
    assert.equal(a.content_sha256, sha256(fs.readFileSync(beat.wavPath)), 'the hash of the audio uploaded');
    assert.match(a.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(a.revoked, false);

    const pdf = await fetchBytes(srv, a.pdf_url, { token: buyer.token });
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.match(pdf.headers.get('content-disposition'), /attachment; filename="agreement-.*-premium\.pdf"/);
    assert.equal(pdf.body.subarray(0, 5).toString(), '%PDF-');
    const text = pdfText(pdf.body);
    for (const want of ['Beat License Agreement', 'Premium lease (non-exclusive)', `Licensor (producer): ${artist}`,
      `Licensee (artist): ${buyer.username}`, `“${title}”`, 'Distribution copies: 5,000', 'Audio streams: 250,000',
      'Music videos: 3', 'Paid performances: Unlimited', `Credit line: Prod. by ${artist} & Θεόδωρος`,
      'No use in political advertising.', 'Keep the tag on free uploads.', 'Files delivered: MP3, WAV',
      'Price paid: $49.99 USD', a.content_sha256, a.fingerprint, purchase.purchase_id]) {
      assert.ok(text.includes(want), `the PDF text has "${want}":\n${text}`);
    }
    const date = new Date(purchase.completed_at);
    const month = date.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
    assert.ok(text.includes(`Date: ${date.getUTCDate()} ${month} ${date.getUTCFullYear()}`), `the date:\n${text}`);
  });

  test('the receipt mail carries the agreement PDF; the producer gets a sale notice', async () => {
    const receipt = await smtp.waitForMessage((m) => m.rcpt_tos.includes(buyer.email) && /receipt/.test(m.subject));
    assert.match(receipt.subject, /\$49\.99/);
    assert.match(receipt.text, new RegExp(`${title} by ${artist}, Premium lease license: \\$49\\.99 USD`));
    assert.equal(receipt.attachments.length, 1);
    assert.equal(receipt.attachments[0].content_type, 'application/pdf');
    const attached = pdfText(fs.readFileSync(receipt.attachments[0].path));
    assert.ok(attached.includes(`Licensee (artist): ${buyer.username}`), attached);
    const sale = await smtp.waitForMessage((m) => m.rcpt_tos.includes(producer.email) && /You sold/.test(m.subject));
    assert.match(sale.text, new RegExp(`${buyer.username} bought a Premium lease license for "${title}"`));
  });

  test('terms changed after the sale leave the agreement as it was', async () => {
    assertStatus(await srv.api('PUT', '/api/agreements/terms/premium', {
      token: producer.token, body: { distribution_copies: 1 },
    }), 200);
    const a = (await agreements(buyer, purchase.purchase_id)).agreements[0];
    assert.equal(a.terms.distribution_copies, 5000);
    const text = pdfText((await fetchBytes(srv, a.pdf_url, { token: buyer.token })).body);
    assert.ok(text.includes('Distribution copies: 5,000'));
    assertStatus(await srv.api('DELETE', '/api/agreements/terms/premium', { token: producer.token }), 200);
    const back = assertStatus(await srv.api('GET', '/api/agreements/terms', { token: producer.token }), 200);
    assert.equal(back.terms[1].distribution_copies, 10000);
  });

  test('who may read it: buyer and seller yes, anyone else 404, no token 401', async () => {
    const a = (await agreements(buyer, purchase.purchase_id)).agreements[0];
    assertStatus(await srv.api('GET', `/api/agreements/${purchase.purchase_id}`, { token: producer.token }), 200);
    const stranger = await srv.signup();
    assertError(await srv.api('GET', `/api/agreements/${purchase.purchase_id}`, { token: stranger.token }), 404);
    assertError(await srv.api('GET', a.pdf_url, { token: stranger.token }), 404);
    assertError(await srv.api('GET', a.pdf_url), 401);
    assertError(await srv.api('GET', `/api/agreements/${purchase.purchase_id}/${uniqueName()}`, { token: buyer.token }), 404);
  });

  test('a refund revokes the agreement; the PDF says so', async () => {
    assertStatus(await srv.api('POST', `/api/purchases/${purchase.purchase_id}/refund`, { token: producer.token }), 200);
    let a;
    for (let i = 0; i < 100; i += 1) {
      a = (await agreements(buyer, purchase.purchase_id)).agreements[0];
      if (a.revoked) break;
      await sleep(100);
    }
    assert.equal(a.revoked, true);
    const text = pdfText((await fetchBytes(srv, a.pdf_url, { token: buyer.token })).body);
    assert.ok(text.includes('REVOKED: the purchase was refunded'), text);
  });

  test('a cart of two producers makes two agreements and one receipt with both attached', async () => {
    const other = await srv.signup();
    const b1 = await beatBy(producer, { title: uniqueName('Cart one '), price: '10.00' });
    const b2 = await beatBy(other, { title: uniqueName('Cart two '), price: '12.00' });
    const cartBuyer = await srv.signup();
    const p = assertStatus(await srv.api('POST', '/api/purchases', {
      token: cartBuyer.token,
      body: { items: [{ beat_id: b1.beat_id, license: 'basic' }, { beat_id: b2.beat_id, license: 'basic' }], payment: VISA },
    }), 201);
    const list = await agreements(cartBuyer, p.purchase_id);
    assert.equal(list.agreements.length, 2);
    const seen = assertStatus(await srv.api('GET', `/api/agreements/${p.purchase_id}`, { token: other.token }), 200);
    assert.deepEqual(seen.agreements.map((x) => x.beat_id), [b2.beat_id], 'a seller sees only their own');
    const receipt = await smtp.waitForMessage((m) => m.rcpt_tos.includes(cartBuyer.email) && /receipt/.test(m.subject));
    assert.equal(receipt.attachments.length, 2);
    assert.match(receipt.subject, /\$22\.00/);
  });
});
