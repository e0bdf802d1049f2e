// The producer's studio: every beat I uploaded with its plays, sales and revenue; editing, stems,
// deleting, my sales with a refund each, and the voice tag mixed into my previews.
import { api, id, q, upload } from '../api.js';
import { busy, field, formError, h, money, plural, showErrors, toast, when } from '../dom.js';
import { freeDownloadForm, leadsSection } from '../free_download.js';
import { session } from '../session.js';
import { balanceSection, couponsSection, dealsSection, offerSettingsForm, splitForm, splitInvites } from '../studio_money.js';
import { termsSection } from '../terms.js';

async function everything(path, key, pages = 10) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < pages; i++) {
    const page = await api(`${path}${q({ limit: 100, cursor })}`);
    items.push(...page[key]);
    cursor = page.next_cursor;
    if (!cursor) return { items, first: page };
  }
  return { items };
}

function editForm(beat, done) {
  const input = (name, props = {}) => h('input', { name, value: beat[name] ?? '', ...props });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Save');
  const form = h('form', { class: 'card-form edit-form', novalidate: true },
    h('div', { class: 'two' }, field('Title', input('title', { required: true, maxlength: 200 })), field('Artist', input('artist', { maxlength: 100 }))),
    h('div', { class: 'three' },
      field('Price ($)', h('input', { name: 'price', type: 'number', min: 0, step: '0.01', value: (beat.price_cents / 100).toFixed(2) })),
      field('Genre', input('genre', { maxlength: 50 })), field('BPM', input('bpm', { type: 'number', min: 20, max: 400 }))),
    h('div', { class: 'three' }, field('Key', input('key', { maxlength: 20 })), field('Mood', input('mood', { maxlength: 50 })),
      field('Tags', h('input', { name: 'tags', value: (beat.tags ?? []).join(', ') }))),
    field('Description', h('textarea', { name: 'description', rows: 2, value: beat.description ?? '' })),
    h('div', { class: 'row' }, submit, h('button', { type: 'button', class: 'button', onclick: () => done(false) }, 'Cancel')), formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const body = { ...data, price: Number(data.price), bpm: data.bpm ? Number(data.bpm) : null };
    busy(submit, async () => {
      showErrors(form, null);
      try {
        await api(`/api/beats/${id(beat.beat_id)}`, { method: 'PATCH', body });
        toast('Saved.');
        done(true);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

// A beat's stems: one ZIP archive of its track-outs, for the licenses that include stems.
function stemsForm(beat, done) {
  const file = h('input', { type: 'file', name: 'file', accept: '.zip,application/zip', required: true });
  const submit = h('button', { type: 'submit', class: 'button primary' }, beat.has_stems ? 'Replace stems' : 'Upload stems');
  const remove = h('button', {
    type: 'button', class: 'button danger', hidden: !beat.has_stems,
    onclick: () => busy(remove, async () => {
      await api(`/api/beats/${id(beat.beat_id)}/stems`, { method: 'DELETE' });
      toast('Stems removed.');
      done(true);
    }),
  }, 'Remove stems');
  const form = h('form', { class: 'inline-form', novalidate: true },
    field(`Stems of ${beat.title} (one ZIP archive)`, file), submit, remove,
    h('button', { type: 'button', class: 'button', onclick: () => done(false) }, 'Cancel'), formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        await upload(`/api/beats/${id(beat.beat_id)}/stems`, new FormData(form), { method: 'PUT' });
        toast('Stems saved: licenses with stems can download them.');
        done(true);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

function voiceTagSection() {
  const state = h('p', { class: 'voice-state' });
  const file = h('input', { type: 'file', name: 'file', accept: 'audio/*' });
  const submit = h('button', { type: 'submit', class: 'button' }, 'Upload voice tag');
  const remove = h('button', {
    type: 'button', class: 'button danger',
    onclick: () => busy(remove, async () => show(await api('/api/users/profile/voice-tag', { method: 'DELETE' }))),
  }, 'Remove voice tag');
  function show(tag) {
    state.textContent = tag.voice_tag ? `Your voice tag is set (uploaded ${when(tag.updated_at)}).` : 'You have no voice tag.';
    remove.hidden = !tag.voice_tag;
  }
  const form = h('form', { class: 'inline-form', novalidate: true }, field('Voice tag (at most 15 s)', file), submit, remove, formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        await upload('/api/users/profile/voice-tag', new FormData(form), { method: 'PUT' });
        form.reset();
        show(await api('/api/users/profile/voice-tag'));
        toast('Voice tag saved: new previews carry it.');
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  api('/api/users/profile/voice-tag').then(show, () => {});
  return h('section', { class: 'panel', 'aria-labelledby': 'voice-title' }, h('h2', { id: 'voice-title' }, 'Voice tag'),
    h('p', { class: 'muted' }, 'Your spoken tag is mixed into the previews of beats you upload afterwards; buyers get files without it.'),
    state, form);
}

// Refunding pays the buyer back and revokes the license (an exclusive returns to the store).
function saleRow(sale, refunded) {
  return h('tr', { 'data-purchase-id': sale.purchase_id },
    h('td', {}, when(sale.completed_at)),
    h('td', {}, h('a', { href: `/beats/${id(sale.beat_id)}` }, sale.title)),
    h('td', {}, sale.license),
    h('td', { class: 'num' }, money(sale.price_cents)),
    h('td', {}, h('button', {
      type: 'button', class: 'button small danger', 'aria-label': `Refund ${sale.title} (${sale.license})`,
      onclick: async (e) => {
        if (!confirm(`Refund ${money(sale.price_cents)} for “${sale.title}”? The buyer's license is revoked.`)) return;
        await busy(e.currentTarget, () => api(`/api/purchases/${id(sale.purchase_id)}/refund`, { method: 'POST' }));
        toast('Refunded: the buyer is paid back and the license revoked.');
        refunded();
      },
    }, 'Refund')));
}

export async function render(view) {
  document.title = 'Studio · Backbeat';
  const summary = h('p', { class: 'summary' });
  const table = h('tbody');
  const salesTable = h('tbody');
  let timer = 0;

  // A form in a row under the beat's; it goes when done, and the list reloads if it saved.
  function openBelow(row, makeForm) {
    const editor = h('tr', { class: 'editor' }, h('td', { colspan: 6 }, makeForm((saved) => { editor.remove(); if (saved) load(); })));
    row.after(editor);
    editor.querySelector('input, select, textarea')?.focus();
  }

  async function load() {
    clearTimeout(timer);
    const [beats, sales] = await Promise.all([everything('/api/beats/mine', 'beats'), everything('/api/sales', 'sales')]);
    const perBeat = new Map();
    for (const sale of sales.items) {
      const s = perBeat.get(sale.beat_id) ?? { count: 0, cents: 0 };
      s.count += 1;
      s.cents += sale.price_cents;
      perBeat.set(sale.beat_id, s);
    }
    const totals = sales.first ?? { total_cents: sales.items.reduce((t, s) => t + s.price_cents, 0), count: sales.items.length };
    summary.textContent = `${plural(beats.items.length, 'beat')} · ${plural(totals.count, 'sale')} · ${money(totals.total_cents)} revenue`;
    table.replaceChildren(...beats.items.map((beat) => {
      const s = perBeat.get(beat.beat_id) ?? { count: 0, cents: 0 };
      const row = h('tr', { 'data-beat-id': beat.beat_id },
        h('td', {}, h('a', { href: `/beats/${id(beat.beat_id)}` }, beat.title)),
        h('td', {}, h('span', { class: `badge ${beat.status}` }, beat.status)),
        h('td', { class: 'num' }, String(beat.plays)),
        h('td', { class: 'num' }, String(s.count)),
        h('td', { class: 'num' }, money(s.cents)),
        h('td', {}, h('div', { class: 'row' },
          h('button', {
            type: 'button', class: 'button small', 'aria-label': `Edit ${beat.title}`,
            onclick: () => openBelow(row, (done) => editForm(beat, done)),
          }, 'Edit'),
          h('button', {
            type: 'button', class: 'button small', 'aria-label': `Stems of ${beat.title}`,
            onclick: () => openBelow(row, (done) => stemsForm(beat, done)),
          }, beat.has_stems ? 'Stems ✓' : 'Stems'),
          h('button', {
            type: 'button', class: 'button small', 'aria-label': `Free download of ${beat.title}`,
            onclick: () => openBelow(row, (done) => freeDownloadForm(beat, done)),
          }, 'Free'),
          h('button', {
            type: 'button', class: 'button small', 'aria-label': `Offers on ${beat.title}`,
            onclick: () => openBelow(row, (done) => offerSettingsForm(beat, done)),
          }, 'Offers'),
          h('button', {
            type: 'button', class: 'button small', 'aria-label': `Split of ${beat.title}`,
            onclick: () => openBelow(row, (done) => splitForm(beat, session.user, done)),
          }, 'Split'),
          h('button', {
            type: 'button', class: 'button small danger', 'aria-label': `Delete ${beat.title}`,
            onclick: async (e) => {
              if (!confirm(`Delete “${beat.title}”? Buyers keep their downloads.`)) return;
              await busy(e.currentTarget, () => api(`/api/beats/${id(beat.beat_id)}`, { method: 'DELETE' }));
              load();
            },
          }, 'Delete'))));
      return row;
    }));
    if (beats.items.length === 0) table.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No beats yet.')));
    salesTable.replaceChildren(...sales.items.map((sale) => saleRow(sale, load)));
    if (sales.items.length === 0) salesTable.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No sales yet.')));
    if (beats.items.some((b) => b.status === 'processing')) timer = setTimeout(() => load().catch(() => {}), 2000);
  }

  view.append(h('h1', {}, 'Studio'), summary, splitInvites(session.user), balanceSection(),
    h('div', { class: 'table-wrap' }, h('table', { class: 'studio' },
      h('thead', {}, h('tr', {}, ['Beat', 'Status', 'Plays', 'Sales', 'Revenue', ''].map((t, i) => h('th', { scope: 'col', class: i >= 2 && i <= 4 ? 'num' : null }, t)))), table)),
    h('p', {}, h('a', { class: 'button primary', href: '/upload' }, 'Upload a beat')),
    h('section', { class: 'panel', 'aria-labelledby': 'sales-title' }, h('h2', { id: 'sales-title' }, 'Sales'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'sales' },
        h('thead', {}, h('tr', {}, ['Date', 'Beat', 'License', 'Price', ''].map((t, i) => h('th', { scope: 'col', class: i === 3 ? 'num' : null }, t)))),
        salesTable))),
    dealsSection(session.user.user_id),
    couponsSection(),
    termsSection(),
    leadsSection(),
    voiceTagSection());
  await load();
  return () => clearTimeout(timer);
}
