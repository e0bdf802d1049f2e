// Building the page without HTML strings: every text a user typed goes in through textContent
// (or an attribute), never through innerHTML, so a title like <script> stays a title.

// h('a', {href: '/x', class: 'y', onclick: fn}, 'text', child, [more, children])
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'value') el.value = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function money(cents, currency = 'USD') {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format((cents ?? 0) / 100);
}

export const plural = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export function clock(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '0:00';
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const seconds = (Date.now() - d.getTime()) / 1000;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return d.toLocaleDateString();
}

export function stars(avg, count) {
  if (!count) return h('span', { class: 'muted' }, 'No ratings yet');
  const full = Math.round(avg);
  return h('span', { class: 'stars', 'aria-label': `Rated ${avg.toFixed(1)} of 5 by ${count}` },
    '★'.repeat(full) + '☆'.repeat(5 - full), h('span', { class: 'muted' }, ` ${avg.toFixed(1)} (${count})`));
}

let toastTimer = 0;
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const item = h('div', { class: `toast ${kind}` }, message);
  box.append(item);
  clearTimeout(toastTimer);
  setTimeout(() => item.remove(), 5000);
}

// A labelled form field; `errors` later shows the API's details.fields next to the right input.
export function field(label, input, hint) {
  const id = input.id || `f-${input.name}`;
  input.id = id;
  const error = h('span', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', `${id}-error`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint ? h('span', { class: 'hint' }, hint) : null, error);
}

// Shows an ApiError on a form: field messages beside their inputs, the rest in the form's alert.
export function showErrors(form, error) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const alert = form.querySelector('.form-error');
  if (alert) alert.textContent = '';
  if (!error) return;
  const fields = error.fields ?? {};
  let placed = false;
  for (const [name, message] of Object.entries(fields)) {
    const input = form.elements.namedItem(name);
    const slot = input && form.querySelector(`#${CSS.escape(input.id)}-error`);
    if (slot) {
      slot.textContent = message;
      input.setAttribute('aria-invalid', 'true');
      placed = true;
    }
  }
  if (alert && (!placed || Object.keys(fields).length === 0)) {
    const extra = Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('; ');
    alert.textContent = extra ? `${error.message} (${extra})` : error.message;
  }
  // A long form's error may be far from the button that was pressed: bring it into view.
  const first = form.querySelector('[aria-invalid="true"]') ?? (alert?.textContent ? alert : null);
  first?.scrollIntoView({ block: 'center', behavior: 'smooth' });
}

// A beat's cover art, or a tile in one of a few colours (picked by its id) with its initial, so a
// beat without art still has a face. Decorative: the title is always next to it.
export function cover(beat, size = 'small') {
  if (beat.cover_url) return h('img', { class: `cover ${size}`, src: beat.cover_url, alt: '', loading: 'lazy', decoding: 'async' });
  let hash = 0;
  for (const c of beat.beat_id ?? '') hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return h('span', { class: `cover ${size} tile hue-${hash % 6}`, 'aria-hidden': 'true' }, (beat.title ?? '?').trim().charAt(0).toUpperCase());
}

export function formError() {
  return h('p', { class: 'form-error', role: 'alert' });
}

// Runs an async action from a button or form, disabling it meanwhile.
export async function busy(control, action) {
  control.disabled = true;
  try {
    return await action();
  } finally {
    control.disabled = false;
  }
}

// Icons as inline SVG paths: symbol fonts are not everywhere (a bare Linux box draws ▶ as a box).
const ICONS = {
  play: 'M8 5v14l11-7z',
  pause: 'M6 5h4v14H6zm8 0h4v14h-4z',
  prev: 'M6 6h2v12H6zm3.5 6 8.5 6V6z',
  next: 'M16 6h2v12h-2zM6 18l8.5-6L6 6z',
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '1.2em');
  svg.setAttribute('height', '1.2em');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

// A play/pause button's face and name. The player reports its position several times a second:
// a button already showing the right state is left alone.
export function setPlaying(button, playing, title) {
  const state = playing ? 'pause' : 'play';
  if (button.dataset.state === state) return;
  button.dataset.state = state;
  button.replaceChildren(icon(state));
  button.setAttribute('aria-label', `${playing ? 'Pause' : 'Play'}${title ? ` ${title}` : ''}`);
}
