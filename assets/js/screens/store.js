// The store: search as you type, filters and sorts kept in the address (so a search can be shared
// and survives a reload), results paged in as the user scrolls.
import { api, q } from '../api.js';
import { beatCard, infiniteList, syncPlayButtons } from '../beat_card.js';
import { h } from '../dom.js';

const GENRES = ['trap', 'boom bap', 'lofi', 'drill', 'rnb', 'afrobeat', 'house', 'pop'];
const MOODS = ['dark', 'chill', 'energetic', 'happy', 'sad', 'aggressive', 'classic', 'dreamy'];
const FILTERS = ['q', 'genre', 'mood', 'key', 'bpm_min', 'bpm_max', 'price_max', 'sort'];

function input(name, props) {
  return h('input', { name, id: `store-${name}`, ...props });
}

function labelled(text, control) {
  return h('label', { class: 'filter', for: control.id }, h('span', {}, text), control);
}

export function render(view, _params, query) {
  const search = input('q', { type: 'search', placeholder: 'Title, artist, tag, genre, mood', autocomplete: 'off', 'aria-label': 'Search beats' });
  const sort = h('select', { name: 'sort', id: 'store-sort' },
    h('option', { value: '' }, 'Best match / newest'), h('option', { value: 'new' }, 'Newest'),
    h('option', { value: 'popular' }, 'Most played'), h('option', { value: 'price_asc' }, 'Price: low to high'),
    h('option', { value: 'price_desc' }, 'Price: high to low'));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter beats' },
    h('div', { class: 'search-row' }, search),
    h('div', { class: 'filter-row' },
      labelled('Genre', input('genre', { list: 'genres', placeholder: 'any' })),
      labelled('Mood', input('mood', { list: 'moods', placeholder: 'any' })),
      labelled('Key', input('key', { placeholder: 'e.g. A minor' })),
      labelled('BPM from', input('bpm_min', { type: 'number', min: 0, max: 1000, inputmode: 'numeric' })),
      labelled('to', input('bpm_max', { type: 'number', min: 0, max: 1000, inputmode: 'numeric' })),
      labelled('Max price ($)', input('price_max', { type: 'number', min: 0, step: '0.01' })),
      labelled('Sort', sort)),
    h('datalist', { id: 'genres' }, GENRES.map((g) => h('option', { value: g }))),
    h('datalist', { id: 'moods' }, MOODS.map((m) => h('option', { value: m }))));
  for (const name of FILTERS) {
    if (query.has(name)) form.elements.namedItem(name).value = query.get(name);
  }
  const results = h('section', { 'aria-label': 'Beats' });
  view.append(h('h1', { class: 'visually-hidden' }, 'Store'),
    h('p', { class: 'tagline' }, 'Backbeat is a store for beats: producers sell their instrumentals, artists preview them, ',
      'buy a license and download the files.'),
    form, results);
  document.title = 'Backbeat · Store';

  let list = null;
  function reload() {
    const values = Object.fromEntries(FILTERS.map((n) => [n, form.elements.namedItem(n).value.trim()]));
    history.replaceState(null, '', `/${q(values)}`);
    const params = { ...values, price_max: undefined, limit: 24 };
    if (values.price_max) params.price_max_cents = Math.round(Number(values.price_max) * 100);
    list?.dispose();
    list = infiniteList(async (cursor) => {
      const page = await api(`/api/beats${q({ ...params, cursor })}`);
      return { items: page.beats, next_cursor: page.next_cursor };
    }, beatCard, { empty: values.q ? `No beats match “${values.q}”.` : 'No beats in the store yet.' });
    results.replaceChildren(list.el);
  }

  let timer = 0;
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(reload, 200); });
  form.addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(timer); reload(); });
  reload();
  if (!query.has('q')) search.focus({ preventScroll: true });
  const stopSync = syncPlayButtons(results);
  return () => { clearTimeout(timer); list?.dispose(); stopSync(); };
}
