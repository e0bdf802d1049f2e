// "Share by link": a producer's beat or an owner's playlist, with an expiry, an optional play
// limit and an optional download right. The link is shown once made, with a Copy button; every
// link is listed (and revoked) on /shares.
import { api } from './api.js';
import { busy, field, formError, h, showErrors } from './dom.js';

const LIFETIMES = [['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days'], ['2592000', '30 days']];

export function linkBox(url) {
  const full = new URL(url, location.origin).href;
  const input = h('input', { class: 'share-url', value: full, readonly: true, 'aria-label': 'Share link' });
  const copy = h('button', {
    type: 'button', class: 'button small', onclick: async () => {
      input.select();
      try { await navigator.clipboard.writeText(full); copy.textContent = 'Copied'; } catch { copy.textContent = 'Select and copy'; }
    },
  }, 'Copy');
  return h('div', { class: 'row share-link' }, input, copy);
}

// target: {beat_id} or {playlist_id}.
export function sharePanel(target, title) {
  const expires = h('select', { name: 'expires_in_s' }, LIFETIMES.map(([v, label]) => h('option', { value: v, selected: v === '604800' }, label)));
  const plays = h('input', { name: 'max_plays', type: 'number', min: 1, placeholder: 'No limit' });
  const download = h('input', { type: 'checkbox', name: 'allow_download', id: 'share-download' });
  const note = h('input', { name: 'note', maxlength: 500, placeholder: 'A word for the listener' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Create link');
  const result = h('div', { class: 'share-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card-form', novalidate: true },
    h('div', { class: 'three' }, field('Expires in', expires), field('Play limit', plays), field('Note', note)),
    h('label', { class: 'check' }, download, ' Allow downloading the untagged MP3'),
    h('div', { class: 'row' }, submit, h('a', { href: '/shares' }, 'All my links')), formError(), result);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        const body = { ...target, expires_in_s: Number(expires.value), allow_download: download.checked, note: note.value };
        if (plays.value) body.max_plays = Number(plays.value);
        const made = await api('/api/shares', { method: 'POST', body });
        result.replaceChildren(h('p', {}, `Anyone with this link can play “${title}” until ${new Date(made.expires_at).toLocaleString()}:`), linkBox(made.url));
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return h('section', { class: 'panel share-panel' }, h('h2', {}, 'Share by link'),
    h('p', { class: 'muted' }, 'Listeners need no account: they hear the tagged preview, and each play is counted.'), form);
}
