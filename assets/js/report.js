// "Report" on a beat's page or a user's page: a reason and a few words, sent to the admins.
import { api } from './api.js';
import { busy, field, formError, h, showErrors } from './dom.js';

const REASONS = [['copyright', 'It uses my work (copyright)'], ['offensive', 'Offensive or hateful'], ['spam', 'Spam'],
  ['scam', 'Scam or fraud'], ['other', 'Something else']];

export function reportBox(targetType, targetId, what) {
  const reason = h('select', { name: 'reason', id: `report-reason-${targetType}` },
    REASONS.map(([value, label]) => h('option', { value }, label)));
  const details = h('textarea', { name: 'details', id: `report-details-${targetType}`, rows: 2, maxlength: 2000 });
  const submit = h('button', { type: 'submit', class: 'button small danger' }, `Send report`);
  const form = h('form', { class: 'card-form report-form', novalidate: true },
    field('Reason', reason), field('What is wrong (optional)', details), submit, formError());
  const box = h('details', { class: 'report' }, h('summary', {}, `Report this ${what}`), form);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        await api('/api/reports', { method: 'POST', body: { target_type: targetType, target_id: targetId, reason: reason.value, details: details.value } });
        form.replaceChildren(h('p', { class: 'success', role: 'status' }, 'Thank you: an admin will look at it.'));
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return box;
}
