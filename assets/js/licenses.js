// A beat's licenses with what each includes, and buying one with the test payment provider.
// The price shown and charged always comes from the server; the request names only the license.
import { api, download, id } from './api.js';
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
        key = crypto.randomUUID();
        showErrors(form, error);
      }
    });
  });
  return form;
}

export function licensesPanel(beat) {
  const mine = session.user?.user_id === beat.producer_id;
  const buyable = beat.status === 'ready';
  const items = beat.licenses.map((license) => {
    const slot = h('div', { class: 'buy-slot' });
    let action;
    if (mine) action = h('span', { class: 'muted' }, 'Your beat');
    else if (!buyable) action = h('span', { class: 'muted' }, beat.status === 'sold' ? 'Sold exclusively' : 'Not for sale right now');
    else if (!session.token) action = h('a', { class: 'button', href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in to buy');
    else {
      action = h('button', {
        type: 'button', class: 'button primary', 'aria-expanded': 'false',
        onclick: (e) => {
          const open = slot.childElementCount === 0;
          e.currentTarget.setAttribute('aria-expanded', String(open));
          slot.replaceChildren(...(open ? [buyForm(beat, license, (purchase) => {
            slot.replaceChildren(h('div', { class: 'success', role: 'status' },
              h('p', {}, `Purchased: ${licenseName(license.type)}. `, h('a', { href: '/library' }, 'See it in your library'), '.'),
              h('div', { class: 'row' }, downloadButtons(beat.beat_id, license.files.filter(delivered(beat))))));
            e.target.hidden = true;
            slot.dataset.purchaseId = purchase.purchase_id;
          })] : []));
          slot.querySelector('input')?.focus();
        },
      }, `Buy ${licenseName(license.type)}`);
    }
    const cart = !mine && buyable && session.token ? h('button', {
      type: 'button', class: 'button', 'aria-label': `Add ${licenseName(license.type)} to cart`,
      onclick: (e) => busy(e.currentTarget, () => addToCart(beat, license.type).catch((err) => toast(err.message, 'error'))),
    }, 'Add to cart') : null;
    return h('li', { class: 'license' },
      h('div', { class: 'license-head' }, h('h3', {}, licenseName(license.type)), h('strong', {}, money(license.price_cents, license.currency))),
      h('p', { class: 'muted' }, `Files: ${license.files.filter(delivered(beat)).map((f) => FILES[f] ?? f).join(', ')}`),
      license.terms ? h('p', {}, license.terms) : null,
      h('div', { class: 'row' }, action, cart), slot);
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'licenses-title' },
    h('h2', { id: 'licenses-title' }, 'Licenses'), h('ul', { class: 'licenses' }, items));
}
