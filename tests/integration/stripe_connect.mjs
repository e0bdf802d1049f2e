// Stripe Connect for the local Stripe stand-in (stripe_standin.mjs): connected Express accounts,
// onboarding links, reading an account, and transfers from the platform's balance. It checks what
// Stripe checks: the secret key, a form body, an Idempotency-Key replayed for the same parameters
// and refused for others, integer amounts and lower-case currencies, that a transfer's destination
// exists and has its transfers capability active, and that the platform's balance covers it.
// Onboarding happens on Stripe's pages; a test finishes it with completeOnboarding(account_id).
import { randomBytes } from 'node:crypto';

function send(res, rec, status, body, headers = {}) {
  rec.answered = status;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function refuse(res, rec, status, message, extra = {}) {
  rec.problems.push(message);
  send(res, rec, status, { error: { type: 'invalid_request_error', message, ...extra } });
}

const isUrl = (s) => /^https?:\/\/[^\s]+$/.test(s ?? '');

export function stripeConnect({ secretKey, balanceCents = 100_000_000 }) {
  const accounts = new Map();
  const transfers = [];
  const links = [];
  const idempotent = new Map();  // key -> {path, raw, status, body}
  let balance = balanceCents;

  function account(type, email, metadata) {
    const id = `acct_${randomBytes(8).toString('hex')}`;
    const a = {
      id, object: 'account', type, email: email || null, country: 'US', default_currency: 'usd',
      charges_enabled: false, payouts_enabled: false, details_submitted: false,
      capabilities: { transfers: 'inactive' },
      requirements: { currently_due: ['external_account', 'tos_acceptance.date', 'individual.first_name'] },
      metadata,
    };
    accounts.set(id, a);
    return a;
  }

  const routes = [
    ['POST', /^\/v1\/accounts$/, (form, res, rec) => {
      if (!['express', 'standard', 'custom'].includes(form.type)) return refuse(res, rec, 400, `Invalid type: must be one of express, standard or custom`, { param: 'type' });
      if (form.type === 'express' && form['capabilities[transfers][requested]'] !== 'true') {
        return refuse(res, rec, 400, 'Express accounts must request the transfers capability', { param: 'capabilities' });
      }
      if (form.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(form.email)) return refuse(res, rec, 400, 'Invalid email address', { param: 'email' });
      const metadata = Object.fromEntries(Object.entries(form).filter(([k]) => k.startsWith('metadata[')).map(([k, v]) => [k.slice(9, -1), v]));
      return send(res, rec, 200, account(form.type, form.email, metadata));
    }],
    ['POST', /^\/v1\/account_links$/, (form, res, rec) => {
      if (!accounts.has(form.account)) return refuse(res, rec, 400, `No such account: '${form.account}'`, { code: 'resource_missing', param: 'account' });
      if (!['account_onboarding', 'account_update'].includes(form.type)) return refuse(res, rec, 400, 'Invalid type', { param: 'type' });
      if (!isUrl(form.refresh_url) || !isUrl(form.return_url)) return refuse(res, rec, 400, 'refresh_url and return_url must be URLs', { param: 'return_url' });
      const link = {
        object: 'account_link', created: Math.floor(Date.now() / 1000), expires_at: Math.floor(Date.now() / 1000) + 300,
        url: `https://connect.stripe.test/setup/e/${form.account}/${randomBytes(6).toString('hex')}`,
      };
      links.push({ ...link, account: form.account, return_url: form.return_url, refresh_url: form.refresh_url });
      return send(res, rec, 200, link);
    }],
    ['GET', /^\/v1\/accounts\/(acct_[0-9a-z]+)$/, (form, res, rec, m) => {
      const a = accounts.get(m[1]);
      if (!a) return refuse(res, rec, 404, `No such account: '${m[1]}'`, { code: 'resource_missing' });
      return send(res, rec, 200, a);
    }],
    ['POST', /^\/v1\/transfers$/, (form, res, rec) => {
      if (!/^[1-9]\d*$/.test(form.amount ?? '')) return refuse(res, rec, 400, `Invalid integer: ${form.amount}`, { param: 'amount' });
      if (!/^[a-z]{3}$/.test(form.currency ?? '')) return refuse(res, rec, 400, `Invalid currency: ${form.currency}`, { param: 'currency' });
      const a = accounts.get(form.destination);
      if (!a) return refuse(res, rec, 400, `No such destination: '${form.destination}'`, { code: 'resource_missing', param: 'destination' });
      if (a.capabilities.transfers !== 'active') {
        return refuse(res, rec, 400, 'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments', { param: 'destination' });
      }
      const amount = Number(form.amount);
      if (amount > balance) return refuse(res, rec, 400, 'You have insufficient available funds in your Stripe account.', { code: 'balance_insufficient' });
      balance -= amount;
      const t = {
        id: `tr_${randomBytes(10).toString('hex')}`, object: 'transfer', amount, currency: form.currency,
        destination: a.id, transfer_group: form.transfer_group ?? null, reversed: false, created: Math.floor(Date.now() / 1000),
        metadata: Object.fromEntries(Object.entries(form).filter(([k]) => k.startsWith('metadata[')).map(([k, v]) => [k.slice(9, -1), v])),
      };
      transfers.push(t);
      return send(res, rec, 200, t);
    }],
  ];

  return {
    accounts,
    transfers,
    links,
    get balance() { return balance; },
    setBalance(cents) { balance = cents; },
    // Stripe's onboarding, done: the account can receive transfers. Returns the account (for an
    // account.updated event).
    completeOnboarding(id) {
      const a = accounts.get(id);
      if (!a) throw new Error(`no account ${id}`);
      Object.assign(a, { charges_enabled: true, payouts_enabled: true, details_submitted: true,
        capabilities: { transfers: 'active' }, requirements: { currently_due: [] } });
      return a;
    },
    handles(method, path) {
      return routes.some(([m, re]) => m === method && re.test(path));
    },
    // Called by the stand-in with the request read whole.
    handle({ req, url, rec, raw, res }) {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${secretKey}`) return refuse(res, rec, 401, 'Invalid API Key provided.');
      let form = {};
      if (req.method === 'POST') {
        if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
          return refuse(res, rec, 400, 'Invalid request: the body must be form-encoded.');
        }
        form = Object.fromEntries(new URLSearchParams(raw));
        rec.form = form;
        const key = req.headers['idempotency-key'];
        if (key !== undefined) {
          const earlier = idempotent.get(key);
          if (earlier && (earlier.raw !== raw || earlier.path !== url.pathname)) {
            return send(res, rec, 400, { error: { type: 'idempotency_error',
              message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } });
          }
          if (earlier) {
            rec.replayed = true;
            return send(res, rec, earlier.status, earlier.body, { 'Idempotent-Replayed': 'true' });
          }
          const original = res.end.bind(res);
          const status = () => res.statusCode;
          res.end = (text) => {
            idempotent.set(key, { path: url.pathname, raw, status: status(), body: JSON.parse(text) });
            return original(text);
          };
        }
      }
      for (const [m, re, fn] of routes) {
        const match = m === req.method ? re.exec(url.pathname) : null;
        if (match) return fn(form, res, rec, match);
      }
      return refuse(res, rec, 404, 'Unrecognized request URL');
    },
  };
}
