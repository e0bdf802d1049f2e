// A beat as a card in a list (store, producer pages), and the infinite list that pages through
// the API's cursors as the user scrolls.
import { cover, h, icon, money, setPlaying, stars } from './dom.js';
import { onPlayer, play } from './player.js';

export function beatCard(beat) {
  const link = `/beats/${encodeURIComponent(beat.beat_id)}`;
  const button = h('button', { type: 'button', class: 'play', 'aria-label': `Play ${beat.title}`, onclick: () => play(beat) }, icon('play'));
  const facts = [beat.genre, beat.bpm ? `${beat.bpm} BPM` : null, beat.key, beat.mood].filter(Boolean).join(' · ');
  return h('article', { class: 'card', 'data-beat-id': beat.beat_id },
    h('div', { class: 'card-art' }, cover(beat), button),
    h('div', { class: 'card-body' },
      h('h3', {}, h('a', { href: link }, beat.title)),
      h('p', { class: 'muted' }, 'by ', h('a', { href: `/users/${encodeURIComponent(beat.producer_id)}` }, beat.artist)),
      h('p', { class: 'facts' }, facts),
      h('p', { class: 'card-foot' }, h('strong', {}, money(beat.price_cents, beat.currency)), ' ',
        stars(beat.rating_avg, beat.rating_count))));
}

// Keeps every card's play button in step with the player.
export function syncPlayButtons(root) {
  return onPlayer((beat, _pos, playing) => {
    for (const card of root.querySelectorAll('.card[data-beat-id]')) {
      const on = playing && beat?.beat_id === card.dataset.beatId;
      setPlaying(card.querySelector('button.play'), on, card.querySelector('h3').textContent);
    }
  });
}

// fetchPage(cursor) -> {items, next_cursor}; render(item) -> element. Loads the next page when the
// end of the list comes into view. Returns {el, dispose}.
export function infiniteList(fetchPage, render, { empty = 'Nothing here yet.', className = 'grid' } = {}) {
  const list = h('div', { class: className });
  const status = h('p', { class: 'muted list-status', 'aria-live': 'polite' });
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const el = h('div', {}, list, status, sentinel);
  let cursor = null;
  let done = false;
  let loading = false;
  let disposed = false;

  async function more() {
    if (loading || done || disposed) return;
    loading = true;
    status.textContent = 'Loading…';
    try {
      const page = await fetchPage(cursor);
      if (disposed) return;
      for (const item of page.items) list.append(render(item));
      cursor = page.next_cursor;
      done = !cursor;
      status.textContent = done && list.childElementCount === 0 ? empty : '';
    } catch (error) {
      status.textContent = error.message;
      done = true;
    } finally {
      loading = false;
    }
    // A short first page may leave the sentinel in view: keep going.
    if (!done && !disposed && sentinel.getBoundingClientRect().top < window.innerHeight + 400) more();
  }

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) more();
  }, { rootMargin: '400px' });
  observer.observe(sentinel);
  more();
  return { el, list, dispose() { disposed = true; observer.disconnect(); } };
}
