// A beat's waveform, drawn from the server's peaks, showing how far the player is. Clicking it
// seeks there (starting the beat if another one plays); as a slider it also takes arrow keys.
import { api, id } from './api.js';
import { clock, h } from './dom.js';
import { current, onPlayer, play, position, seekTo } from './player.js';

export function waveform(beat) {
  const canvas = h('canvas', { class: 'wave-canvas', 'aria-hidden': 'true' });
  const el = h('div', {
    class: 'waveform', role: 'slider', tabindex: '0', 'aria-label': `Seek in ${beat.title}`,
    'aria-valuemin': '0', 'aria-valuemax': String(Math.round((beat.duration_ms ?? 0) / 1000)), 'aria-valuenow': '0',
  }, canvas);
  let peaks = [];
  let fraction = 0;

  function draw() {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth * ratio;
    const height = canvas.clientHeight * ratio;
    if (!width || !height) return;
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext('2d');
    const styles = getComputedStyle(el);
    const bars = Math.max(1, Math.floor(width / (3 * ratio)));
    const barWidth = width / bars;
    for (let i = 0; i < bars; i++) {
      const peak = peaks.length ? peaks[Math.floor((i / bars) * peaks.length)] : 0.05;
      const barHeight = Math.max(2 * ratio, peak * height * 0.95);
      g.fillStyle = i / bars < fraction ? styles.getPropertyValue('--wave-played') : styles.getPropertyValue('--wave');
      g.fillRect(i * barWidth, (height - barHeight) / 2, Math.max(1, barWidth - ratio), barHeight);
    }
  }

  function show(beatNow, pos) {
    const mine = beatNow?.beat_id === beat.beat_id;
    if (!mine && fraction === 0 && el.hasAttribute('aria-valuetext')) return;  // another beat plays: nothing moves here
    fraction = mine ? pos.fraction : 0;
    el.setAttribute('aria-valuenow', String(Math.round(mine ? pos.ms / 1000 : 0)));
    el.setAttribute('aria-valuetext', mine ? `${clock(pos.ms)} of ${clock(pos.total)}` : 'not playing');
    draw();
  }

  el.addEventListener('click', (e) => {
    const box = canvas.getBoundingClientRect();
    seekTo(beat, (e.clientX - box.left) / box.width);
  });
  el.addEventListener('keydown', (e) => {
    const total = beat.duration_ms || position().total || 1;
    const now = current()?.beat_id === beat.beat_id ? position().ms : 0;
    const moves = { ArrowRight: now + 5000, ArrowLeft: now - 5000, Home: 0, End: total - 1000 };
    if (e.key in moves) {
      e.preventDefault();
      seekTo(beat, moves[e.key] / total);
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      play(beat);
    }
  });

  const stop = onPlayer(show);
  const resize = new ResizeObserver(draw);
  resize.observe(canvas);
  api(`/api/beats/${id(beat.beat_id)}/waveform`).then((w) => { peaks = w.peaks ?? []; draw(); }).catch(() => {});
  show(current(), position());
  return { el, dispose() { stop(); resize.disconnect(); } };
}
