// A Stripe checkout interrupted by kill -9 while the server waits on Stripe: after a restart, a
// retry with the same Idempotency-Key takes the purchase over once its owner's lease ran out
// (seconds, not the 48 h the key is kept) and gets its checkout; a purchase nobody retries is ended
// by the sweep and its exclusive hold released.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError, assertStatus, sleep, startServer,
} from './harness.mjs';
import { makeAudio, uploadOk, waitReady } from './audio.mjs';
import { startStripeStandin } from './stripe_standin.mjs';

const SECRET_KEY = 'sk_test_crash';
const STRIPE = { provider: 'stripe' };
const LEASE_BOUND_MS = 45000;  // the owner's lease (20 s) plus a sweep round, with room for a busy machine

let srv;
let stripe;
before(async () => {
  stripe = await startStripeStandin({ secretKey: SECRET_KEY });
  srv = await startServer({
    args: ['--stripe-secret-key', SECRET_KEY, '--stripe-webhook-secret', 'whsec_crash', '--stripe-api-base', stripe.base],
  });
});
after(async () => {
  await srv?.close();
  await stripe?.close();
});

async function exclusiveBeat(owner, title) {
  const b = await uploadOk(srv, owner.token, makeAudio({ seconds: 1, freq: 700 }), {
    title, price: '20', licenses: JSON.stringify([{ type: 'basic', price_cents: 2000 }, { type: 'exclusive', price_cents: 50000 }]),
  });
  await waitReady(srv, b.beat_id);
  return b.beat_id;
}

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last.done) return last;
    await sleep(500);
  }
  assert.fail(`${what} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

test('kill -9 mid-checkout: the retried key resumes its purchase; an abandoned one is swept and its hold released', { timeout: 180000 }, async () => {
  const producer = await srv.signup();
  const [beatA, beatB] = [await exclusiveBeat(producer, 'Crash A'), await exclusiveBeat(producer, 'Crash B')];
  const alice = await srv.signup();
  const bob = await srv.signup();
  const carol = await srv.signup();
  const key = `crash-${Date.now()}`;
  const bodyA = { beat_id: beatA, license: 'exclusive', payment: STRIPE };

  // Stripe takes the requests and never answers: both checkouts are mid-way when the server dies.
  stripe.setMode('hang');
  const seen = stripe.count;
  const inFlight = [
    srv.api('POST', '/api/purchases', { token: alice.token, body: bodyA, headers: { 'Idempotency-Key': key } }),
    srv.api('POST', '/api/purchases', { token: bob.token, body: { beat_id: beatB, license: 'exclusive', payment: STRIPE } }),
  ].map((p) => p.catch((e) => ({ status: 0, error: String(e) })));
  await until('both checkouts reach Stripe', async () => ({ done: stripe.count >= seen + 2, count: stripe.count }), 15000);
  const killedAt = Date.now();
  await srv.kill9();
  for (const r of await Promise.all(inFlight)) assert.equal(r.status, 0, 'the kill cut both requests off');
  stripe.setMode('ok');
  await srv.restart();

  // At once, the key is still its dead owner's: a clear 409 saying when to come back.
  const early = await srv.api('POST', '/api/purchases', { token: alice.token, body: bodyA, headers: { 'Idempotency-Key': key } });
  if (early.status === 409) {
    const e = assertError(early, 409, 'idempotency_in_progress');
    assert.ok(e.details.retry_after_s >= 1 && e.details.retry_after_s <= 20, JSON.stringify(e));
    assert.equal(early.headers.get('retry-after'), String(e.details.retry_after_s));
  }
  // Within the lease, the same key takes over and gets the checkout of the same purchase.
  const resumed = await until('the retried key gets its checkout', async () => {
    const r = await srv.api('POST', '/api/purchases', { token: alice.token, body: bodyA, headers: { 'Idempotency-Key': key } });
    if (r.status !== 201) assertError(r, 409, 'idempotency_in_progress');
    return { done: r.status === 201, status: r.status, json: r.json, text: r.text };
  }, LEASE_BOUND_MS);
  assert.ok(Date.now() - killedAt < LEASE_BOUND_MS + 5000, 'bounded by the lease, not the key\'s 48 h');
  const p = resumed.json;
  assert.equal(p.status, 'pending');
  const mine = assertStatus(await srv.api('GET', '/api/purchases', { token: alice.token }), 200).purchases;
  assert.deepEqual(mine.map((x) => x.purchase_id), [p.purchase_id], 'one purchase: the interrupted one, resumed');
  const sessions = stripe.sessionsFor(p.purchase_id);
  assert.equal(sessions.length, 1);
  assert.equal(p.checkout_url, sessions[0].url);
  assert.ok(sessions[0].expires_at * 1000 <= Date.parse(p.expires_at), 'the session still ends with the hold');
  const replay = await srv.api('POST', '/api/purchases', { token: alice.token, body: bodyA, headers: { 'Idempotency-Key': key } });
  assert.equal(replay.status, 201);
  assert.equal(replay.text, resumed.text, 'later retries replay the answer');
  assertError(await srv.api('POST', '/api/purchases', { token: carol.token, body: bodyA }), 409, 'exclusive_taken',
    'the resumed checkout still holds its exclusive');

  // Bob never retries: the sweep ends his purchase and Carol can buy the exclusive.
  await until('the abandoned hold is released', async () => {
    const r = await srv.api('POST', '/api/purchases', { token: carol.token, body: { beat_id: beatB, license: 'exclusive', payment: STRIPE } });
    if (r.status !== 201) assertError(r, 409, 'exclusive_taken');
    return { done: r.status === 201, status: r.status };
  }, LEASE_BOUND_MS);
  const [bobs] = assertStatus(await srv.api('GET', '/api/purchases', { token: bob.token }), 200).purchases;
  assert.equal(bobs.status, 'declined', 'no orphan pending purchase');
  assert.match(bobs.failure_reason, /interrupted/);
});
