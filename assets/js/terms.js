// The producer's license terms per tier, printed in every agreement sold from then on: how many
// copies, streams, videos and paid performances each tier allows (empty = unlimited), the credit
// line and extra terms.
import { api, id } from './api.js';
import { busy, field, formError, h, showErrors, toast } from './dom.js';
import { licenseName } from './licenses.js';

const AMOUNTS = [
  ['distribution_copies', 'Distribution copies'],
  ['audio_streams', 'Audio streams'],
  ['music_videos', 'Music videos'],
  ['paid_performances', 'Paid performances'],
];

function tierForm(terms, reload) {
  const tier = terms.tier;
  const amount = ([name, label]) => field(label, h('input', {
    name, id: `${tier}-${name}`, type: 'number', min: 0, step: 1, placeholder: 'Unlimited',
    value: terms[name] === null ? '' : String(terms[name]),
  }));
  const submit = h('button', { type: 'submit', class: 'button small primary' }, `Save ${licenseName(tier)} terms`);
  const form = h('form', { class: 'card-form terms-form', novalidate: true, 'data-tier': tier },
    h('h3', {}, licenseName(tier), terms.custom ? '' : h('span', { class: 'muted' }, ' (defaults)')),
    h('div', { class: 'two' }, AMOUNTS.map(amount)),
    field('Credit line', h('input', { name: 'credit_line', id: `${tier}-credit_line`, value: terms.credit_line, maxlength: 200 }),
      '{producer} becomes your artist name'),
    field('Extra terms', h('textarea', { name: 'extra_terms', id: `${tier}-extra_terms`, rows: 2, maxlength: 4000, value: terms.extra_terms })),
    submit, formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const body = { credit_line: data.credit_line, extra_terms: data.extra_terms };
    for (const [name] of AMOUNTS) body[name] = data[name] === '' ? null : Number(data[name]);
    busy(submit, async () => {
      showErrors(form, null);
      try {
        await api(`/api/agreements/terms/${id(tier)}`, { method: 'PUT', body });
        toast(`${licenseName(tier)} terms saved: new sales use them.`);
        reload();
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

export function termsSection() {
  const forms = h('div', { class: 'terms-grid' });
  async function load() {
    const { terms } = await api('/api/agreements/terms');
    forms.replaceChildren(...terms.map((t) => tierForm(t, () => load().catch(() => {}))));
  }
  load().catch((error) => forms.replaceChildren(h('p', { class: 'form-error' }, error.message)));
  // Folded by default: producers set terms once and then mostly look at sales.
  return h('details', { class: 'panel fold' }, h('summary', {}, h('h2', {}, 'License terms')),
    h('p', { class: 'muted' }, 'What each license allows, as printed in the agreement a buyer gets. Leave a number empty for unlimited; agreements already made keep their terms.'),
    forms);
}
