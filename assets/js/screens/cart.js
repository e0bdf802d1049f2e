// My cart: each beat with its license and what it costs after offers, deals and the coupon; a
// beat sold or deleted meanwhile shows why it cannot be bought; the coupon field; the totals; and
// one payment for everything.
import { api, id } from '../api.js';
import { removeFromCart, showCartCount } from '../cart.js';
import { busy, field, formError, h, money, mount, showErrors, toast } from '../dom.js';
import { licenseName } from '../licenses.js';
import { navigate } from '../router.js';

const PROBLEMS = {
  sold: 'Sold exclusively meanwhile', gone: 'No longer in the store', not_ready: 'Not for sale right now',
  license_not_offered: 'This license is no longer offered', own_beat: 'Your own beat',
};

function itemRow(item, reload) {
  const price = item.available ? [
    item.price_cents !== item.list_price_cents ? h('s', { class: 'muted' }, money(item.list_price_cents)) : null, ' ',
    h('strong', {}, money(item.price_cents)),
  ] : h('span', { class: 'badge deleted' }, PROBLEMS[item.problem] ?? item.problem);
  const notes = [];
  if (item.offer_id) notes.push('your accepted offer');
  if (item.deal_discount_cents) notes.push(item.price_cents === 0 ? 'free with the deal' : 'deal');
  if (item.coupon_discount_cents) notes.push(`coupon −${money(item.coupon_discount_cents)}`);
  return h('tr', { 'data-beat-id': item.beat_id, class: item.available ? null : 'unavailable' },
    h('td', {}, h('a', { href: `/beats/${id(item.beat_id)}` }, item.title || 'A beat'), h('div', { class: 'muted' }, item.artist)),
    h('td', {}, licenseName(item.license)),
    h('td', { class: 'num' }, price, notes.length ? h('div', { class: 'muted small' }, notes.join(' · ')) : null),
    h('td', {}, h('button', {
      type: 'button', class: 'button small', 'aria-label': `Remove ${item.title || 'the beat'}`,
      onclick: (e) => busy(e.currentTarget, async () => reload(await removeFromCart(item.beat_id))),
    }, 'Remove')));
}

function couponForm(cart, reload) {
  const code = h('input', { name: 'code', id: 'coupon-code', autocomplete: 'off', maxlength: 32, value: cart.coupon?.code ?? '' });
  const apply = h('button', { type: 'submit', class: 'button' }, 'Apply');
  const drop = h('button', {
    type: 'button', class: 'button', hidden: !cart.coupon,
    onclick: () => busy(drop, async () => reload(await api('/api/cart/coupon', { method: 'DELETE' }))),
  }, 'Remove coupon');
  const form = h('form', { class: 'inline-form coupon-form', novalidate: true }, field('Coupon code', code), apply, drop, formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(apply, async () => {
      showErrors(form, null);
      try {
        reload(await api('/api/cart/coupon', { method: 'PUT', body: { code: code.value.trim() } }));
        toast('Coupon applied.');
      } catch (error) {
        if (!error.fields) error.fields = { code: error.message };
        showErrors(form, error);
      }
    });
  });
  return form;
}

function checkoutForm(cart) {
  const token = h('input', { name: 'token', id: 'checkout-token', value: 'tok_visa', autocomplete: 'off' });
  const pay = h('button', { type: 'submit', class: 'button primary' }, `Pay ${money(cart.total_cents)}`);
  const form = h('form', { class: 'inline-form checkout-form', novalidate: true },
    field('Test card token', token, 'The test provider: tok_visa pays, tok_chargeDeclined is declined.'), pay, formError());
  let key = crypto.randomUUID();  // one per attempt: a retried click cannot pay twice
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(pay, async () => {
      showErrors(form, null);
      try {
        const purchase = await api('/api/cart/checkout', {
          method: 'POST', headers: { 'Idempotency-Key': key }, body: { payment: { provider: 'test', token: token.value.trim() } },
        });
        if (purchase.checkout_url) {
          location.assign(purchase.checkout_url);
          return;
        }
        showCartCount(0);
        toast(`Paid ${money(purchase.total_cents)}: your licenses are in your library.`);
        navigate('/library');
      } catch (error) {
        key = crypto.randomUUID();
        showErrors(form, error);
      }
    });
  });
  return form;
}

export async function render(view) {
  document.title = 'Cart · Backbeat';
  const body = h('div');
  view.append(h('h1', {}, 'Your cart'), body);

  function show(cart) {
    showCartCount(cart.items.length);
    if (cart.items.length === 0) {
      body.replaceChildren(h('p', {}, 'Your cart is empty. ', h('a', { href: '/' }, 'Find beats in the store'), '.'));
      return;
    }
    const rows = cart.items.map((item) => itemRow(item, show));
    const totals = h('dl', { class: 'totals' },
      h('dt', {}, 'Subtotal'), h('dd', {}, money(cart.subtotal_cents)),
      cart.deal_discount_cents ? [h('dt', {}, 'Deals'), h('dd', {}, `−${money(cart.deal_discount_cents)}`)] : null,
      cart.coupon_discount_cents ? [h('dt', {}, `Coupon ${cart.coupon.code}`), h('dd', {}, `−${money(cart.coupon_discount_cents)}`)] : null,
      h('dt', { class: 'total' }, 'Total'), h('dd', { class: 'total', id: 'cart-total' }, money(cart.total_cents)));
    const unavailable = cart.items.some((i) => !i.available);
    mount(body,
      h('div', { class: 'table-wrap' }, h('table', { class: 'cart' },
        h('thead', {}, h('tr', {}, ['Beat', 'License', 'Price', ''].map((t, i) => h('th', { scope: 'col', class: i === 2 ? 'num' : null }, t)))),
        h('tbody', {}, rows))),
      cart.coupon?.problem ? h('p', { class: 'form-error' }, `Coupon ${cart.coupon.code}: ${cart.coupon.problem}`) : null,
      h('div', { class: 'columns' },
        h('section', { class: 'panel' }, h('h2', {}, 'Coupon'), couponForm(cart, show)),
        h('section', { class: 'panel' }, h('h2', {}, 'Total'), totals,
          unavailable ? h('p', { class: 'form-error', role: 'alert' }, 'Remove what can no longer be bought before paying.')
            : checkoutForm(cart))));
  }
  show(await api('/api/cart'));
}
