// My library: what I bought (downloads per format, the license agreement) and my playlists.
import { api, download, id, q } from '../api.js';
import { infiniteList } from '../beat_card.js';
import { busy, field, formError, h, money, plural, showErrors, toast, when } from '../dom.js';
import { downloadButtons, licenseName } from '../licenses.js';
import { navigate } from '../router.js';

function agreementButton(purchase) {
  const box = h('pre', { class: 'agreement', hidden: true, tabindex: '0' });
  const button = h('button', {
    type: 'button', class: 'button small', 'aria-expanded': 'false',
    onclick: () => busy(button, async () => {
      if (!box.textContent) box.textContent = await api(`/api/purchases/${id(purchase.purchase_id)}/license`, { as: 'text' });
      box.hidden = !box.hidden;
      button.setAttribute('aria-expanded', String(!box.hidden));
    }),
  }, 'License agreement');
  return [button, box];
}

// The signed agreement for one beat of a purchase, as the PDF it is mailed as.
function agreementPdf(purchase, item) {
  return h('button', {
    type: 'button', class: 'button small', 'aria-label': `Agreement PDF for ${item.title}`,
    onclick: (e) => busy(e.currentTarget, () => download(`/api/agreements/${id(purchase.purchase_id)}/${id(item.beat_id)}`)
      .catch((err) => toast(err.status === 404 ? 'The agreement is being prepared; try again in a moment.' : err.message, 'error'))),
  }, 'Agreement PDF');
}

function purchaseRow(purchase) {
  const completed = purchase.status === 'completed';
  return h('article', { class: 'purchase', 'data-purchase-id': purchase.purchase_id },
    h('div', { class: 'purchase-head' },
      h('strong', {}, money(purchase.total_cents, purchase.currency)), ' ',
      h('span', { class: `badge ${purchase.status}` }, purchase.status), ' ',
      h('span', { class: 'muted' }, when(purchase.created_at))),
    h('ul', { class: 'items' }, purchase.items.map((item) => h('li', {},
      h('a', { href: `/beats/${id(item.beat_id)}` }, item.title ?? 'Beat'), ` · ${licenseName(item.license)} · `,
      money(item.price_cents, purchase.currency),
      completed ? h('div', { class: 'row' }, downloadButtons(item.beat_id, item.files ?? ['mp3']),
        agreementPdf(purchase, item)) : null))),
    completed ? h('div', { class: 'row' }, agreementButton(purchase)) : null);
}

function playlistsSection() {
  const name = h('input', { name: 'name', required: true, maxlength: 100 });
  const submit = h('button', { type: 'submit', class: 'button' }, 'Create playlist');
  const form = h('form', { class: 'inline-form', novalidate: true }, field('New playlist', name), submit, formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        const playlist = await api('/api/playlists', { method: 'POST', body: { name: name.value } });
        navigate(`/playlists/${id(playlist.playlist_id)}`);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  const list = infiniteList(async (cursor) => {
    const page = await api(`/api/playlists${q({ cursor, limit: 50 })}`);
    return { items: page.playlists, next_cursor: page.next_cursor };
  }, (p) => h('div', { class: 'list-item' }, h('a', { href: `/playlists/${id(p.playlist_id)}` }, p.name),
    h('span', { class: 'muted' }, ` · ${plural(p.tracks.length, 'beat')}${p.public ? ' · public' : ''}`)),
  { className: 'plain-list', empty: 'No playlists yet.' });
  return { el: h('section', { class: 'panel', 'aria-labelledby': 'playlists-title' }, h('h2', { id: 'playlists-title' }, 'Playlists'), form, list.el), dispose: list.dispose };
}

export function render(view) {
  document.title = 'Library · Backbeat';
  const purchases = infiniteList(async (cursor) => {
    const page = await api(`/api/purchases${q({ cursor, limit: 20 })}`);
    return { items: page.purchases, next_cursor: page.next_cursor };
  }, purchaseRow, { className: 'stack', empty: 'Nothing bought yet. The store is one click away.' });
  const playlists = playlistsSection();
  view.append(h('h1', {}, 'My library'), h('div', { class: 'columns' },
    h('section', { class: 'panel', 'aria-labelledby': 'purchases-title' }, h('h2', { id: 'purchases-title' }, 'Purchases'), purchases.el),
    playlists.el));
  return () => { purchases.dispose(); playlists.dispose(); };
}
