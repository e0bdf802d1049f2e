// A local stand-in for the part of Stripe's API that backbeat calls, plus Stripe's webhook signing.
// It listens on 127.0.0.1:0 (node:http), checks what Stripe would check on
// POST /v1/checkout/sessions (the secret key as a Bearer token, a form-encoded body with a mode,
// client_reference_id, line_items with integer unit_amounts, and an expires_at, when given, 30 min
// to 24 h ahead), replays the first answer for a repeated Idempotency-Key (and refuses the key with
// other parameters), records every request, and answers like Stripe: 200 {id: "cs_test_...",
// object: "checkout.session", url, expires_at, ...}; and POST /v1/refunds
// (one full refund per payment_intent, replayed for the same Idempotency-Key).
// Its mode can be switched at runtime:
//   'ok'       answer as above
//   'error500' answer 500 with Stripe's error envelope (fails fast)
//   'hang'     read the request and never answer (the connection stays open until close())
// Nothing here knows the server's internals, only Stripe's public API and the documented contract.
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { stripeConnect } from './stripe_connect.mjs';

// Stripe's error envelope.
function stripeError(res, status, type, message, param) {
  const body = JSON.stringify({ error: { type, message, ...(param ? { param } : {}) } });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// Stripe lets a Checkout Session expire between 30 minutes and 24 hours after it is created.
const MIN_EXPIRY_S = 30 * 60;
const MAX_EXPIRY_S = 24 * 60 * 60;

// Checks a decoded checkout-session form; returns a list of problems (empty when it is valid).
function checkoutProblems(form, nowS) {
  const problems = [];
  if (!['payment', 'subscription', 'setup'].includes(form.mode)) problems.push(`mode '${form.mode}' is not payment, subscription or setup`);
  if (!form.client_reference_id) problems.push('client_reference_id is missing');
  if (form.expires_at !== undefined) {
    if (!/^\d+$/.test(form.expires_at)) {
      problems.push(`expires_at '${form.expires_at}' is not a Unix timestamp in seconds`);
    } else {
      const ahead = Number(form.expires_at) - nowS;
      if (ahead < MIN_EXPIRY_S || ahead > MAX_EXPIRY_S) {
        problems.push(`expires_at must be 30 minutes to 24 hours after the session is created; it is ${ahead} s ahead`);
      }
    }
  }
  const lines = new Set();
  for (const k of Object.keys(form)) {
    const m = /^line_items\[(\d+)\]/.exec(k);
    if (m) lines.add(Number(m[1]));
  }
  if (lines.size === 0) problems.push('line_items is missing');
  for (const i of [...lines].sort((a, b) => a - b)) {
    const amount = form[`line_items[${i}][price_data][unit_amount]`];
    if (amount === undefined) problems.push(`line_items[${i}][price_data][unit_amount] is missing`);
    // Stripe takes any non-negative integer (a line given free by a deal is 0).
    else if (!/^\d+$/.test(amount)) problems.push(`line_items[${i}][price_data][unit_amount] '${amount}' is not a non-negative integer`);
    const currency = form[`line_items[${i}][price_data][currency]`];
    if (!currency || !/^[a-z]{3}$/.test(currency)) problems.push(`line_items[${i}][price_data][currency] '${currency}' is not a lower-case ISO code`);
    const qty = form[`line_items[${i}][quantity]`];
    if (qty !== undefined && !/^[1-9]\d*$/.test(qty)) problems.push(`line_items[${i}][quantity] '${qty}' is not a positive integer`);
  }
  return problems;
}

// Starts the stand-in. Returns {base, port, secretKey, requests, sessions, refunds, mode, setMode(m),
// count (requests received), sessionsFor(purchaseId), close()}.
//   requests: [{method, path, headers, raw, form, problems, mode, answered, at}]
//   sessions: [{id, url, client_reference_id, amounts: [unit_amount...], form}] (answered 200)
export async function startStripeStandin({ secretKey = 'sk_test_123', mode = 'ok' } = {}) {
  const state = {
    mode,
    requests: [],
    sessions: [],
    refunds: [],  // [{payment_intent, key, refund}]
    hanging: new Set(),
    idempotent: new Map(),  // Idempotency-Key of a checkout -> {raw, session}: Stripe replays it
  };
  // Connect (accounts, account links, transfers) at the same address, as on api.stripe.com.
  const connect = stripeConnect({ secretKey });
  const sockets = new Set();

  // POST /v1/refunds {payment_intent}: one refund per payment intent, as Stripe allows for a full
  // refund; the same Idempotency-Key replays the first answer, another key is
  // 400 charge_already_refunded.
  function refund(rec, form, key, res) {
    const send = (status, body) => {
      rec.answered = status;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (!/^pi_/.test(form.payment_intent ?? '')) {
      rec.problems.push(`payment_intent '${form.payment_intent}' is not a payment intent id`);
      send(400, { error: { type: 'invalid_request_error', message: 'No such payment_intent', param: 'payment_intent' } });
      return;
    }
    const earlier = state.refunds.find((r) => r.payment_intent === form.payment_intent);
    if (earlier && earlier.key === key) {
      send(200, earlier.refund);
      return;
    }
    if (earlier) {
      send(400, { error: { type: 'invalid_request_error', code: 'charge_already_refunded', message: `Charge for ${form.payment_intent} has already been refunded.` } });
      return;
    }
    const made = {
      id: `re_test_${randomBytes(12).toString('hex')}`,
      object: 'refund',
      payment_intent: form.payment_intent,
      status: 'succeeded',
      metadata: Object.fromEntries(Object.entries(form)
        .filter(([k]) => k.startsWith('metadata['))
        .map(([k, v]) => [k.slice('metadata['.length, -1), v])),
    };
    state.refunds.push({ payment_intent: form.payment_intent, key, refund: made });
    send(200, made);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const rec = {
        method: req.method,
        path: req.url,
        headers: req.headers,
        raw,
        form: null,
        problems: [],
        mode: state.mode,
        answered: null,
        at: Date.now(),
      };
      state.requests.push(rec);

      if (state.mode === 'hang') {
        // Never answer; close() destroys the socket.
        state.hanging.add(res);
        return;
      }
      if (state.mode === 'error500') {
        rec.answered = 500;
        stripeError(res, 500, 'api_error', 'An unexpected error occurred (stand-in error500 mode).');
        return;
      }

      const url = new URL(req.url, 'http://stand-in');
      if (connect.handles(req.method, url.pathname)) {
        connect.handle({ req, url, rec, raw, res });
        return;
      }
      if (req.method !== 'POST' || !['/v1/checkout/sessions', '/v1/refunds'].includes(url.pathname)) {
        rec.answered = 404;
        stripeError(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname}).`);
        return;
      }
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${secretKey}`) {
        rec.answered = 401;
        rec.problems.push(`Authorization '${auth}' is not 'Bearer ${secretKey}'`);
        stripeError(res, 401, 'invalid_request_error', 'Invalid API Key provided.');
        return;
      }
      const ct = req.headers['content-type'] ?? '';
      if (!/^application\/x-www-form-urlencoded/i.test(ct)) {
        rec.answered = 400;
        rec.problems.push(`Content-Type '${ct}' is not application/x-www-form-urlencoded`);
        stripeError(res, 400, 'invalid_request_error', 'Invalid request: the body must be form-encoded.');
        return;
      }
      const form = Object.fromEntries(new URLSearchParams(raw));
      rec.form = form;
      if (url.pathname === '/v1/refunds') {
        refund(rec, form, req.headers['idempotency-key'], res);
        return;
      }
      // The same Idempotency-Key replays the first answer; with other parameters it is refused.
      const key = req.headers['idempotency-key'];
      const earlier = key === undefined ? undefined : state.idempotent.get(key);
      if (earlier && earlier.raw !== raw) {
        rec.answered = 400;
        rec.problems.push(`Idempotency-Key '${key}' was first used with other parameters`);
        stripeError(res, 400, 'idempotency_error', 'Keys for idempotent requests can only be used with the same parameters they were first used with.');
        return;
      }
      if (earlier) {
        rec.answered = 200;
        rec.replayed = true;
        const body = JSON.stringify(earlier.session);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Idempotent-Replayed': 'true' });
        res.end(body);
        return;
      }
      const nowS = Math.floor(Date.now() / 1000);
      rec.problems.push(...checkoutProblems(form, nowS));
      if (rec.problems.length > 0) {
        rec.answered = 400;
        stripeError(res, 400, 'invalid_request_error', rec.problems.join('; '), form.expires_at !== undefined && rec.problems.some((p) => p.startsWith('expires_at')) ? 'expires_at' : undefined);
        return;
      }
      const id = `cs_test_${randomBytes(12).toString('hex')}`;
      const amounts = [];
      for (let i = 0; form[`line_items[${i}][price_data][unit_amount]`] !== undefined; i += 1) {
        amounts.push(Number(form[`line_items[${i}][price_data][unit_amount]`]));
      }
      const session = {
        id,
        object: 'checkout.session',
        url: `https://checkout.stripe.test/c/${id}`,
        client_reference_id: form.client_reference_id,
        mode: form.mode ?? 'payment',
        status: 'open',
        payment_status: 'unpaid',
        amount_total: amounts.reduce((a, b) => a + b, 0),
        currency: form['line_items[0][price_data][currency]'],
        metadata: Object.fromEntries(Object.entries(form)
          .filter(([k]) => k.startsWith('metadata['))
          .map(([k, v]) => [k.slice('metadata['.length, -1), v])),
        success_url: form.success_url ?? null,
        cancel_url: form.cancel_url ?? null,
        payment_intent: null,
        created: nowS,
        expires_at: form.expires_at === undefined ? nowS + MAX_EXPIRY_S : Number(form.expires_at),
      };
      if (key !== undefined) state.idempotent.set(key, { raw, session });
      state.sessions.push({ ...session, amounts, form });
      rec.answered = 200;
      const body = JSON.stringify(session);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    port,
    base: `http://127.0.0.1:${port}`,
    secretKey,
    requests: state.requests,
    sessions: state.sessions,
    refunds: state.refunds,
    connect,
    get mode() { return state.mode; },
    setMode(m) {
      if (!['ok', 'error500', 'hang'].includes(m)) throw new Error(`unknown stand-in mode ${m}`);
      state.mode = m;
    },
    get count() { return state.requests.length; },
    // Checkout-session requests that named this purchase as client_reference_id.
    requestsFor(purchaseId) {
      return state.requests.filter((r) => r.form?.client_reference_id === purchaseId
        || new URLSearchParams(r.raw).get('client_reference_id') === purchaseId);
    },
    sessionsFor(purchaseId) {
      return state.sessions.filter((s) => s.client_reference_id === purchaseId);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Webhooks, signed exactly as Stripe signs them.

// The Stripe-Signature header for `payload` (the exact raw body string): t=<ts>,v1=<hex HMAC-SHA256
// of "<ts>.<payload>" keyed with the webhook secret>.
export function signStripe(payload, secret, ts = Math.floor(Date.now() / 1000)) {
  const v1 = createHmac('sha256', secret).update(`${ts}.${payload}`, 'utf8').digest('hex');
  return `t=${ts},v1=${v1}`;
}

let eventCounter = 0;

// A Stripe event object (as JSON text) of this type around data.object.
export function stripeEvent(type, object, { id } = {}) {
  eventCounter += 1;
  return JSON.stringify({
    id: id ?? `evt_test_${Date.now().toString(36)}${eventCounter}${randomBytes(4).toString('hex')}`,
    object: 'event',
    api_version: '2024-06-20',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  });
}

// The data.object of a checkout.session.completed / .expired event for this session.
export function checkoutSessionObject(session, { purchaseId, paymentIntent = null, status = 'complete', paymentStatus = 'paid' } = {}) {
  return {
    id: session.id,
    object: 'checkout.session',
    client_reference_id: purchaseId ?? session.client_reference_id,
    metadata: session.metadata ?? {},
    amount_total: session.amount_total,
    currency: session.currency,
    mode: 'payment',
    status,
    payment_status: paymentStatus,
    payment_intent: paymentIntent,
    expires_at: session.expires_at,
    url: status === 'open' ? session.url : null,
  };
}

export function paymentIntentId() {
  return `pi_test_${randomBytes(10).toString('hex')}`;
}
