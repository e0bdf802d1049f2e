// A share link's page, for anyone who has the link (no account): what was shared, who shared
// it, and its beats to play (each play counted by the link) or, when allowed, download.
import { api, download, id } from '../api.js';
import { busy, clock, h, icon, plural, toast } from '../dom.js';

const GONE = {
  share_expired: 'This link has expired.',
  share_revoked: 'This link was revoked by the person who shared it.',
  share_used_up: 'This link has no plays left.',
  share_unavailable: 'What was shared is no longer available.',
};

export async function render(view, params) {
  document.title = 'Shared with you · Backbeat';
  let shared;
  try {
    shared = await api(`/api/s/${id(params.id)}`);
  } catch (error) {
    view.replaceChildren(h('h1', {}, GONE[error.code] ?? 'This link does not work.'),
      h('p', { class: 'muted' }, error.status === 410 ? 'Ask for a new link.' : error.message),
      h('p', {}, h('a', { href: '/' }, 'Browse the store')));
    return undefined;
  }
  const audio = h('audio', { controls: true, preload: 'none', class: 'share-audio', 'aria-label': 'Shared beat' });
  const left = h('span', {}, shared.plays_left === null ? '' : ` · ${plural(shared.plays_left, 'play')} left`);
  const track = (t) => h('li', { class: 'track share-track' },
    h('button', {
      type: 'button', class: 'play', 'aria-label': `Play ${t.title}`,
      onclick: (e) => busy(e.currentTarget, async () => {
        try {
          const play = await api(`/api/s/${id(shared.share_id)}/tracks/${id(t.beat_id)}/plays`, { method: 'POST' });
          if (play.plays_left !== null) left.textContent = ` · ${plural(play.plays_left, 'play')} left`;
          audio.src = play.stream_url;
          audio.play().catch(() => {});
        } catch (error) {
          toast(GONE[error.code] ?? error.message, 'error');
        }
      }),
    }, icon('play')),
    h('span', {}, t.title), h('span', { class: 'muted' }, ` · ${t.artist}${t.duration_ms ? ` · ${clock(t.duration_ms)}` : ''}`),
    shared.allow_download ? h('button', {
      type: 'button', class: 'button small', onclick: (e) => busy(e.currentTarget, async () => {
        try { await download(`/api/s/${id(shared.share_id)}/download/${id(t.beat_id)}`); } catch (error) { toast(error.message, 'error'); }
      }),
    }, 'Download') : null);
  view.replaceChildren(
    h('h1', {}, shared.title),
    h('p', {}, `Shared with you by ${shared.shared_by}`),
    shared.note ? h('blockquote', { class: 'description' }, shared.note) : null,
    h('p', { class: 'muted' }, `Link works until ${new Date(shared.expires_at).toLocaleString()}`, left),
    h('ol', { class: 'tracks plain-list' }, shared.tracks.map(track)),
    audio);
  return () => audio.pause();
}
