// A beat's reviews: the list, and for a signed-in listener a form to rate it (or edit or delete
// the review they wrote). Review text is shown as text, whatever it contains.
import { api, id, q } from './api.js';
import { busy, field, formError, h, showErrors, stars, when } from './dom.js';
import { session } from './session.js';

function starPicker(value = 0) {
  const options = [1, 2, 3, 4, 5].map((n) => h('label', { class: 'star' },
    h('input', { type: 'radio', name: 'rating', value: String(n), checked: n === value, 'aria-label': `${n} star${n > 1 ? 's' : ''}` }),
    h('span', { 'aria-hidden': 'true' }, '★')));
  return h('fieldset', { class: 'star-picker' }, h('legend', {}, 'Your rating'), options,
    h('span', { class: 'field-error', id: 'rating-error' }));
}

function reviewForm(beatId, existing, done) {
  const text = h('textarea', { name: 'review_text', rows: 3, maxlength: 5000, value: existing?.review_text ?? '' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, existing ? 'Save review' : 'Post review');
  const form = h('form', { class: 'review-form', novalidate: true }, starPicker(existing?.rating), field('Review', text), submit, formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const rating = Number(new FormData(form).get('rating'));
    busy(submit, async () => {
      showErrors(form, null);
      try {
        if (existing) await api(`/api/reviews/${id(existing.review_id)}`, { method: 'PUT', body: { rating, review_text: text.value } });
        else await api('/api/reviews', { method: 'POST', body: { beat_id: beatId, rating, review_text: text.value } });
        done();
      } catch (error) {
        if (!rating && !error.fields) error.fields = { rating: 'pick 1 to 5 stars' };
        showErrors(form, error);
      }
    });
  });
  return form;
}

export function reviewsPanel(beat, onRated) {
  const summary = h('p', {});
  const list = h('ul', { class: 'reviews' });
  const formSlot = h('div', {});
  const section = h('section', { class: 'panel', 'aria-labelledby': 'reviews-title' },
    h('h2', { id: 'reviews-title' }, 'Reviews'), summary, formSlot, list);

  async function load() {
    const page = await api(`/api/reviews/beat/${id(beat.beat_id)}${q({ limit: 50 })}`);
    summary.replaceChildren(stars(page.rating_avg, page.rating_count));
    onRated?.(page.rating_avg, page.rating_count);
    const own = page.reviews.find((r) => r.user_id === session.user?.user_id);
    list.replaceChildren(...page.reviews.map((r) => h('li', { class: 'review' },
      h('div', { class: 'review-head' },
        h('a', { href: `/users/${id(r.user_id)}` }, r.username), ' ',
        h('span', { class: 'stars', 'aria-label': `${r.rating} of 5` }, '★'.repeat(r.rating) + '☆'.repeat(5 - r.rating)), ' ',
        h('span', { class: 'muted' }, when(r.created_at))),
      h('p', { class: 'review-text' }, r.review_text),
      r === own ? h('div', { class: 'row' },
        h('button', { type: 'button', class: 'button small', onclick: () => formSlot.replaceChildren(reviewForm(beat.beat_id, own, load)) }, 'Edit'),
        h('button', {
          type: 'button', class: 'button small danger',
          onclick: async () => { if (confirm('Delete your review?')) { await api(`/api/reviews/${id(own.review_id)}`, { method: 'DELETE' }); load(); } },
        }, 'Delete')) : null)));
    if (page.reviews.length === 0) list.append(h('li', { class: 'muted' }, 'No reviews yet.'));
    const canReview = session.token && !own && session.user.user_id !== beat.producer_id;
    formSlot.replaceChildren(canReview ? reviewForm(beat.beat_id, null, load) : '');
  }
  load().catch((error) => summary.replaceChildren(error.message));
  return section;
}
