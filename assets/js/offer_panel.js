// "Make an offer" on a beat's page, where its producer takes offers.
import { api, id } from './api.js';
import { busy, field, formError, h, money, showErrors } from './dom.js';
import { licenseName } from './licenses.js';
import { session } from './session.js';

export function offerPanel(beat) {
  const panel = h('section', { class: 'panel offer-panel', hidden: true, 'aria-labelledby': 'offer-title' });
  if (!session.token || session.user?.user_id === beat.producer_id || beat.status !== 'ready') return panel;
  api(`/api/beats/${id(beat.beat_id)}/offer-settings`).then((settings) => {
    if (!settings.accept_offers) return;
    const license = h('select', { name: 'license', id: 'offer-license' },
      beat.licenses.map((l) => h('option', { value: l.type, selected: l.type === 'exclusive' }, `${licenseName(l.type)} (list ${money(l.price_cents)})`)));
    const amount = h('input', { name: 'amount', id: 'offer-amount', type: 'number', min: (settings.minimum_cents / 100).toFixed(2), step: '0.01', required: true });
    const message = h('textarea', { name: 'message', id: 'offer-message', rows: 2, maxlength: 1000 });
    const submit = h('button', { type: 'submit', class: 'button primary' }, 'Send offer');
    const form = h('form', { class: 'card-form', novalidate: true },
      h('div', { class: 'two' }, field('License', license), field('Your price ($)', amount,
        settings.minimum_cents ? `At least ${money(settings.minimum_cents)}` : null)),
      field('Message to the producer (optional)', message), submit, formError());
    const done = h('p', { class: 'success', role: 'status', hidden: true });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(submit, async () => {
        showErrors(form, null);
        try {
          const offer = await api('/api/offers', { method: 'POST', body: {
            beat_id: beat.beat_id, license: license.value, amount: Number(amount.value), message: message.value } });
          form.hidden = true;
          done.hidden = false;
          done.replaceChildren(`Offer sent: ${money(offer.amount_cents)}. `, h('a', { href: `/offers/${id(offer.offer_id)}` }, 'Follow it'), '.');
        } catch (error) {
          if (error.fields?.amount_cents) error.fields.amount = error.fields.amount_cents;
          showErrors(form, error);
        }
      });
    });
    panel.append(h('h2', { id: 'offer-title' }, 'Make an offer'),
      h('p', { class: 'muted' }, 'Name your price; the producer accepts, declines or counters.'), form, done);
    panel.hidden = false;
  }).catch(() => {});
  return panel;
}
