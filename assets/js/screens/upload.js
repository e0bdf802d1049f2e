// Upload a beat: the audio file, its details and optionally its stems, a progress bar while the
// bytes go up, then the processing status until the preview is ready (or processing failed).
import { api, id, upload } from '../api.js';
import { busy, field, formError, h, showErrors } from '../dom.js';
import { licenseName } from '../licenses.js';
import { onNotification } from '../live.js';

const EXTRA_LICENSES = ['premium', 'unlimited', 'exclusive'];

function licenseRows() {
  return EXTRA_LICENSES.map((type) => {
    const price = h('input', { type: 'number', min: 0, step: '0.01', name: `license_${type}`, id: `license-${type}`, placeholder: 'price ($)', disabled: true, 'aria-label': `${licenseName(type)} price in dollars` });
    const box = h('input', { type: 'checkbox', id: `offer-${type}`, onchange: (e) => { price.disabled = !e.target.checked; if (e.target.checked) price.focus(); } });
    return h('div', { class: 'license-row' }, box, h('label', { for: box.id }, licenseName(type)), price);
  });
}

// The producer's notification ("… is ready", "… could not be processed") says when to look; a
// slow poll covers a moment without the socket.
function watchProcessing(beat, status) {
  let timer = 0;
  let stopped = false;
  const stopListening = onNotification((n) => { if (n.data?.beat_id === beat.beat_id) { clearTimeout(timer); check(); } });
  async function check() {
    if (stopped) return;
    try {
      const now = await api(`/api/beats/${id(beat.beat_id)}`);
      status.dataset.status = now.status;
      status.querySelector('.state').textContent = now.status;
      if (now.status === 'processing') {
        timer = setTimeout(check, 3000);
        return;
      }
      stopListening();
      status.querySelector('.detail').replaceChildren(now.status === 'ready'
        ? h('span', {}, 'The preview is ready. ', h('a', { href: `/beats/${id(now.beat_id)}` }, 'Open the beat page'), '.')
        : h('span', { class: 'form-error' }, now.failure_reason ?? 'Processing failed.'));
    } catch {
      timer = setTimeout(check, 3000);
    }
  }
  check();
  return () => { stopped = true; clearTimeout(timer); stopListening(); };
}

export function render(view) {
  document.title = 'Upload · Backbeat';
  const file = h('input', { type: 'file', name: 'file', accept: 'audio/*,.wav,.mp3,.flac,.ogg,.aiff,.m4a', required: true });
  const stems = h('input', { type: 'file', accept: '.zip,application/zip' });
  const art = h('input', { type: 'file', name: 'cover', accept: 'image/png,image/jpeg,image/webp' });
  const form = h('form', { class: 'card-form', novalidate: true },
    field('Audio file', file, 'WAV, MP3, FLAC, OGG, AIFF or M4A, up to 200 MiB'),
    field('Cover art (optional)', art, 'A square PNG, JPEG or WebP image, up to 5 MiB'),
    field('Stems (optional)', stems, 'One ZIP archive of the track-outs, for the unlimited and exclusive licenses'),
    h('div', { class: 'two' },
      field('Title', h('input', { name: 'title', required: true, maxlength: 200 })),
      field('Artist', h('input', { name: 'artist', maxlength: 100 }), 'Your username when empty')),
    h('div', { class: 'three' },
      field('Price ($, basic lease)', h('input', { name: 'price', type: 'number', min: 0, step: '0.01', required: true })),
      field('Genre', h('input', { name: 'genre', maxlength: 50, list: 'upload-genres' })),
      field('BPM', h('input', { name: 'bpm', type: 'number', min: 20, max: 400 }))),
    h('div', { class: 'three' },
      field('Key', h('input', { name: 'key', maxlength: 20, placeholder: 'e.g. A minor' })),
      field('Mood', h('input', { name: 'mood', maxlength: 50 })),
      field('Tags', h('input', { name: 'tags', placeholder: 'dark, 808, piano' }), 'Comma separated')),
    field('Description', h('textarea', { name: 'description', rows: 3, maxlength: 5000 })),
    h('fieldset', { class: 'licenses-input' }, h('legend', {}, 'More licenses (the basic lease is always offered at the price above)'),
      licenseRows(), h('span', { class: 'field-error', id: 'licenses-error' })),
    h('datalist', { id: 'upload-genres' }, ['trap', 'boom bap', 'lofi', 'drill', 'rnb', 'afrobeat', 'house'].map((g) => h('option', { value: g }))),
    h('button', { type: 'submit', class: 'button primary' }, 'Upload'),
    formError());
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const status = h('div', { class: 'processing', role: 'status', 'aria-live': 'polite' });
  view.append(h('h1', {}, 'Upload a beat'), form, progress, status);
  let stopWatching = () => {};

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const submit = form.querySelector('button[type=submit]');
    busy(submit, async () => {
      showErrors(form, null);
      const data = new FormData(form);
      const licenses = [];
      for (const type of EXTRA_LICENSES) {
        const price = form.elements.namedItem(`license_${type}`);
        data.delete(`license_${type}`);
        if (!price.disabled) licenses.push({ type, price: Number(price.value || 0) });
      }
      if (licenses.length) data.set('licenses', JSON.stringify([{ type: 'basic', price: Number(data.get('price') || 0) }, ...licenses]));
      for (const [key, value] of [...data.entries()]) if (value === '') data.delete(key);
      if (!art.files.length) data.delete('cover');  // an empty file input would send an empty part
      if (!file.files.length) {
        showErrors(form, { message: 'Choose an audio file.', fields: { file: 'choose an audio file' } });
        return;
      }
      progress.hidden = false;
      progress.value = 0;
      progress.scrollIntoView({ block: 'center', behavior: 'smooth' });  // below a long form
      try {
        const beat = await upload('/api/beats/upload', data, { onProgress: (f) => { progress.value = f; } });
        if (stems.files.length) {
          const archive = new FormData();
          archive.append('file', stems.files[0]);
          await upload(`/api/beats/${id(beat.beat_id)}/stems`, archive, { method: 'PUT' });
        }
        progress.value = 1;
        form.reset();
        status.replaceChildren(h('p', {}, `“${beat.title}” uploaded. Status: `, h('strong', { class: 'state' }, beat.status)), h('p', { class: 'detail muted' }, 'Making the preview and the waveform…'));
        status.scrollIntoView({ block: 'center', behavior: 'smooth' });
        stopWatching();
        stopWatching = watchProcessing(beat, status);
      } catch (error) {
        progress.hidden = true;
        showErrors(form, error);
      }
    });
  });
  return () => stopWatching();
}
