// A beat's licenses with what each includes, and buying one with the test payment provider.
// The price shown and charged always comes from the server; the request names only the license.
import { api, download, id, q } from './api.js';
import { busy, formError, h, money, showErrors, toast } from './dom.js';
import { addToCart } from './cart.js';
import { session } from './session.js';

const NAMES = { basic: 'Basic lease', premium: 'Premium lease', unlimited: 'Unlimited lease', exclusive: 'Exclusive rights' };
const FILES = { mp3: 'MP3', wav: 'WAV', stems: 'Stems' };

export function licenseName(type) {
  return NAMES[type] ?? type;
}

// Stems are a download only where the producer uploaded them; a license may promise them anyway.
const delivered = (beat) => (f) => f !== 'stems' || beat.has_stems;

export function downloadButtons(beatId, files) {
  return files.map((format) => h('button', {
    type: 'button', class: 'button small', onclick: (e) => busy(e.currentTarget, () =>
      download(`/api/beats/${id(beatId)}/download?format=${format}`).catch((err) => toast(err.message, 'error'))),
  }, `Download ${FILES[format] ?? format}`));
}

function buyForm(beat, license, done) {
  const token = h('input', { name: 'token', id: `token-${license.type}`, value: 'tok_visa', autocomplete: 'off' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, `Pay ${money(license.price_cents, license.currency)}`);
  const form = h('form', { class: 'buy-form' },
    h('label', { for: token.id }, 'Test card token'), token,
    h('span', { class: 'hint' }, 'The test provider: tok_visa pays, tok_chargeDeclined is declined.'),
    submit, formError());
  // One key per attempt: a retried click after a network error cannot buy twice.
  let key = crypto.randomUUID();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        const purchase = await api('/api/purchases', {
          method: 'POST', headers: { 'Idempotency-Key': key },
          body: { beat_id: beat.beat_id, license: license.type, payment: { provider: 'test', token: token.value.trim() } },
        });
        done(purchase);
      } catch (error) {
        if (error.code === 'payment_provider_disabled') {
          // A store with real payments: Stripe's checkout page takes the card.
          const checkout = await api('/api/purchases', {
            method: 'POST', headers: { 'Idempotency-Key': crypto.randomUUID() },
            body: { beat_id: beat.beat_id, license: license.type, payment: { provider: 'stripe' } },
          }).catch((e) => e);
          if (checkout.checkout_url) {
            location.assign(checkout.checkout_url);
            return;
          }
        }
        key = crypto.randomUUID();
        showErrors(form, error);
      }
    });
  });
  return form;
}

// What a license the viewer holds shows instead of "Buy": that they own it, and its downloads.
function ownedView(beat, license, justBought = false) {
  return h('div', { class: 'owned', role: 'status' },
    h('p', {}, h('span', { class: 'badge completed' }, 'Owned'), ' ',
      justBought ? `Purchased: ${licenseName(license.type)}. ` : 'You hold this license. ',
      h('a', { href: '/library' }, 'See it in your library'), '.'),
    h('div', { class: 'row' }, downloadButtons(beat.beat_id, license.files.filter(delivered(beat)))));
}

function buyButton(beat, license, place) {
  const slot = h('div', { class: 'buy-slot' });
  const button = h('button', {
    type: 'button', class: 'button primary', 'aria-expanded': 'false',
    onclick: () => {
      const open = slot.childElementCount === 0;
      button.setAttribute('aria-expanded', String(open));
      slot.replaceChildren(...(open ? [buyForm(beat, license, () => place(ownedView(beat, license, true)))] : []));
      slot.querySelector('input')?.focus();
    },
  }, `Buy ${licenseName(license.type)}`);
  const cart = h('button', {
    type: 'button', class: 'button', 'aria-label': `Add ${licenseName(license.type)} to cart`,
    onclick: (e) => busy(e.currentTarget, () => addToCart(beat, license.type).catch((err) => toast(err.message, 'error'))),
  }, 'Add to cart');
  return [h('div', { class: 'row' }, button, cart), slot];
}

export function licensesPanel(beat) {
  const mine = session.user?.user_id === beat.producer_id;
  const buyable = beat.status === 'ready';
  const actions = new Map();
  const items = beat.licenses.map((license) => {
    const action = h('div', { class: 'license-action' });
    const place = (...children) => action.replaceChildren(...children);
    if (mine) place(h('span', { class: 'muted' }, 'Your beat'));
    else if (!buyable) place(h('span', { class: 'muted' }, beat.status === 'sold' ? 'Sold exclusively' : 'Not for sale right now'));
    else if (!session.token) place(h('a', { class: 'button', href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in to buy'));
    else place(...buyButton(beat, license, place));
    actions.set(license.type, { license, place });
    return h('li', { class: 'license', 'data-license': license.type },
      h('div', { class: 'license-head' }, h('h3', {}, licenseName(license.type)), h('strong', {}, money(license.price_cents, license.currency))),
      h('p', { class: 'muted' }, `Files: ${license.files.filter(delivered(beat)).map((f) => FILES[f] ?? f).join(', ')}`),
      license.terms ? h('p', {}, license.terms) : null,
      action);
  });
  // The licenses this viewer bought already say so, instead of offering them again.
  if (session.token && !mine) {
    api(`/api/purchases${q({ beat_id: beat.beat_id, limit: 100 })}`).then((page) => {
      for (const purchase of page.purchases) {
        if (purchase.status !== 'completed') continue;
        for (const item of purchase.items) {
          const slot = item.beat_id === beat.beat_id ? actions.get(item.license) : null;
          if (slot) slot.place(ownedView(beat, slot.license));
        }
      }
    }).catch(() => {});
  }
  return h('section', { class: 'panel', 'aria-labelledby': 'licenses-title' },
    h('h2', { id: 'licenses-title' }, 'Licenses'), h('ul', { class: 'licenses' }, items));
}
