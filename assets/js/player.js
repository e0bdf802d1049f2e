// The player bar: one <audio> element that lives outside the screens, so music keeps playing while
// the user moves around. It plays a queue (one beat, or a playlist) and logs plays and pauses.
import { api } from './api.js';
import { clock, cover, icon, setPlaying } from './dom.js';
import { session } from './session.js';

const audio = document.getElementById('audio');
const bar = document.getElementById('player');
const toggle = document.getElementById('player-toggle');
const seek = document.getElementById('player-seek');
const volume = document.getElementById('player-volume');
const SEEK_STEP_S = 5;  // an arrow key moves this far; PageUp/PageDown six times as far
const VOLUME_KEY = 'backbeat.volume';
const listeners = new Set();
let queue = [];
let index = -1;
let seeking = false;

export const current = () => queue[index] ?? null;
export const element = audio;

export function onPlayer(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function durationMs() {
  if (Number.isFinite(audio.duration) && audio.duration > 0) return audio.duration * 1000;
  return current()?.duration_ms ?? 0;
}

export function position() {
  const total = durationMs();
  return { ms: audio.currentTime * 1000, total, fraction: total ? (audio.currentTime * 1000) / total : 0 };
}

function log(action) {
  const beat = current();
  if (!beat || !session.token) return;
  api('/api/playback', { method: 'POST', body: { beat_id: beat.beat_id, action, position_ms: Math.round(audio.currentTime * 1000) } })
    .catch(() => {});  // the play count is best effort; the music is what matters
}

function start() {
  audio.play().catch(() => update());  // autoplay refused: the play button is there
}

function load(startFraction = 0) {
  const beat = current();
  if (!beat) return;
  bar.hidden = false;
  document.body.classList.add('with-player');
  audio.src = beat.stream_url;
  if (startFraction > 0) {
    audio.addEventListener('loadedmetadata', () => { audio.currentTime = startFraction * durationMs() / 1000; }, { once: true });
  }
  start();
  update();
}

export function playQueue(beats, startAt = 0) {
  queue = beats.filter((b) => b?.stream_url);
  index = Math.min(startAt, queue.length - 1);
  load();
}

// Plays a beat, or pauses/resumes it when it is the one already loaded.
export function play(beat) {
  if (current()?.beat_id === beat.beat_id) {
    if (audio.paused) start(); else audio.pause();
    return;
  }
  playQueue([beat]);
}

export function enqueue(beat) {
  if (!current()) return playQueue([beat]);
  queue.push(beat);
  update();
}

// Seeks to a fraction of a beat, loading it first when another one is playing.
export function seekTo(beat, fraction) {
  const f = Math.min(1, Math.max(0, fraction));
  if (current()?.beat_id !== beat.beat_id) {
    queue = [beat];
    index = 0;
    load(f);
    return;
  }
  audio.currentTime = (f * durationMs()) / 1000;
  if (audio.paused) start();
}

function step(delta) {
  const next = index + delta;
  if (next < 0 || next >= queue.length) return false;
  index = next;
  load();
  return true;
}

let shownCover = null;

function update() {
  const beat = current();
  const pos = position();
  setPlaying(toggle, !audio.paused);
  if (beat && shownCover !== beat.beat_id) {
    shownCover = beat.beat_id;
    document.getElementById('player-cover').replaceChildren(cover(beat));
  }
  if (beat) {
    const title = document.getElementById('player-title');
    title.textContent = beat.title;
    title.href = `/beats/${encodeURIComponent(beat.beat_id)}`;
    document.getElementById('player-artist').textContent = beat.artist;
  }
  if (!seeking) seek.value = String(Math.round(pos.fraction * 1000));
  document.getElementById('player-time').textContent = `${clock(pos.ms)} / ${clock(pos.total)}`;
  document.getElementById('player-queue').textContent = queue.length > 1 ? `${index + 1} of ${queue.length}` : '';
  for (const fn of listeners) fn(beat, pos, !audio.paused);
}

audio.addEventListener('play', () => { log('play'); update(); });
audio.addEventListener('pause', () => { if (!audio.ended) log('pause'); update(); });
audio.addEventListener('ended', () => { log('stop'); if (!step(1)) update(); });
for (const event of ['timeupdate', 'loadedmetadata', 'seeked']) audio.addEventListener(event, update);

toggle.addEventListener('click', () => { if (audio.paused) start(); else audio.pause(); });
document.getElementById('player-prev').append(icon('prev'));
document.getElementById('player-next').append(icon('next'));
document.getElementById('player-prev').addEventListener('click', () => step(-1));
document.getElementById('player-next').addEventListener('click', () => step(1));
setPlaying(toggle, false);
seek.addEventListener('input', () => { seeking = true; });
seek.addEventListener('change', () => {
  seeking = false;
  audio.currentTime = (Number(seek.value) / 1000) * durationMs() / 1000;
});
// The slider's own step is a thousandth of the beat: keys move by seconds instead.
seek.addEventListener('keydown', (e) => {
  const moves = { ArrowRight: SEEK_STEP_S, ArrowUp: SEEK_STEP_S, ArrowLeft: -SEEK_STEP_S, ArrowDown: -SEEK_STEP_S,
    PageUp: 6 * SEEK_STEP_S, PageDown: -6 * SEEK_STEP_S };
  if (!(e.key in moves) || !current()) return;
  e.preventDefault();
  const total = durationMs() / 1000;
  audio.currentTime = Math.min(Math.max(0, audio.currentTime + moves[e.key]), total || audio.currentTime + moves[e.key]);
  update();
});

// Volume: kept across visits.
const saved = Number(localStorage.getItem(VOLUME_KEY));
if (localStorage.getItem(VOLUME_KEY) !== null && saved >= 0 && saved <= 1) audio.volume = saved;
volume.value = String(audio.volume);
volume.addEventListener('input', () => {
  audio.volume = Number(volume.value);
  localStorage.setItem(VOLUME_KEY, volume.value);
});
