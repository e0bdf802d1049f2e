// Offers I made (as a buyer) and offers on my beats (as a producer): each with its history and
// the moves open to me (accept, decline or counter when it is my turn; withdraw my own).
import { api, id } from '../api.js';
import { busy, h, money, mount, toast, when } from '../dom.js';
import { licenseName } from '../licenses.js';
import { navigate } from '../router.js';
import { session } from '../session.js';

const STATUS = { open: 'waiting for the producer', countered: 'waiting for the buyer', accepted: 'accepted: in the buyer’s cart',
  declined: 'declined', withdrawn: 'withdrawn', expired: 'expired', purchased: 'paid' };

function moves(offer, reload) {
  const mine = session.user?.user_id === (offer.waiting_for === 'producer' ? offer.producer_id : offer.buyer_id);
  const act = (action, body = {}) => async (e) => {
    await busy(e.currentTarget, async () => {
      try {
        reload(await api(`/api/offers/${id(offer.offer_id)}/${action}`, { method: 'POST', body }));
      } catch (error) {
        toast(error.message, 'error');
      }
    });
  };
  const out = [];
  if (mine && (offer.status === 'open' || offer.status === 'countered')) {
    out.push(h('button', { type: 'button', class: 'button small primary', onclick: act('accept') }, 'Accept'));
    out.push(h('button', {
      type: 'button', class: 'button small', onclick: async (e) => {
        const price = prompt('Your counter-offer in dollars');
        if (price === null) return;
        await act('counter', { amount: Number(price) })(e);
      },
    }, 'Counter'));
    out.push(h('button', { type: 'button', class: 'button small danger', onclick: act('decline') }, 'Decline'));
  }
  if (session.user?.user_id === offer.buyer_id && ['open', 'countered', 'accepted'].includes(offer.status)) {
    out.push(h('button', { type: 'button', class: 'button small', onclick: act('withdraw') }, 'Withdraw'));
  }
  if (session.user?.user_id === offer.buyer_id && offer.status === 'accepted') {
    out.push(h('a', { class: 'button small primary', href: '/cart' }, 'Check out'));
  }
  return out;
}

function offerCard(offer, reload) {
  const card = h('article', { class: 'offer-card panel', 'data-offer-id': offer.offer_id });
  const show = (o) => {
    mount(card, 
      h('div', { class: 'purchase-head' }, h('a', { href: `/beats/${id(o.beat_id)}` }, o.title || 'A beat'), ' · ',
        licenseName(o.license), ' · ', h('strong', {}, money(o.amount_cents, o.currency)), ' ',
        h('span', { class: `badge ${o.status}` }, STATUS[o.status] ?? o.status)),
      ['open', 'countered', 'accepted'].includes(o.status) ? h('p', { class: 'muted' }, `${o.status === 'accepted' ? 'Check out' : 'Answer'} by ${new Date(o.expires_at).toLocaleString()}`) : null,
      o.history ? h('ol', { class: 'history' }, o.history.map((step) => h('li', {},
        `${step.by} ${step.action}${step.amount_cents ? ` ${money(step.amount_cents)}` : ''} · ${when(step.created_at)}`,
        step.message ? h('q', {}, step.message) : null))) : null,
      h('div', { class: 'row' }, moves(o, (next) => { show(next); reload?.(); })));
  };
  show(offer);
  return card;
}

export async function render(view, params) {
  document.title = 'Offers · Backbeat';
  if (params.id) {
    const offer = await api(`/api/offers/${id(params.id)}`);
    view.append(h('h1', {}, 'Offer'), offerCard(offer, async () => {
      const fresh = await api(`/api/offers/${id(params.id)}`);
      view.querySelector('.offer-card').replaceWith(offerCard(fresh));
    }), h('p', {}, h('a', { href: '/offers' }, 'All my offers')));
    return;
  }
  const role = new URLSearchParams(location.search).get('role') === 'producer' ? 'producer' : 'buyer';
  const list = h('div', { class: 'stack' });
  const tabs = h('div', { class: 'row', role: 'tablist' },
    ['buyer', 'producer'].map((r) => h('a', {
      class: `button small${r === role ? ' primary' : ''}`, href: `/offers?role=${r}`, role: 'tab', 'aria-selected': String(r === role),
      onclick: (e) => { e.preventDefault(); navigate(`/offers?role=${r}`); },
    }, r === 'buyer' ? 'Offers I made' : 'Offers on my beats')));
  view.append(h('h1', {}, 'Offers'), tabs, list);
  const page = await api(`/api/offers?role=${role}&limit=50`);
  list.replaceChildren(...page.offers.map((o) => offerCard(o)));
  if (!page.offers.length) list.append(h('p', { class: 'muted' }, role === 'buyer' ? 'You have made no offers yet.' : 'No offers on your beats yet.'));
}
