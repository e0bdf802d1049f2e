// A beat's page: the waveform player, its licenses and buying, reviews, its discussion room,
// adding it to a playlist, a way to message the producer, and for its producer a share link.
import { api, id, q } from '../api.js';
import { busy, clock, cover, h, icon, plural, setPlaying, stars, toast } from '../dom.js';
import { freeDownloadPanel } from '../free_download.js';
import { licensesPanel } from '../licenses.js';
import { offerPanel } from '../offer_panel.js';
import { enqueue, onPlayer, play } from '../player.js';
import { reportBox } from '../report.js';
import { reviewsPanel } from '../reviews.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { sharePanel } from '../share_form.js';
import { waveform } from '../waveform.js';

async function joinRoom(beat) {
  const open = await api(`/api/forums/rooms${q({ beat_id: beat.beat_id, limit: 1 })}`);
  const room = open.rooms[0] ?? await api('/api/forums/rooms', {
    method: 'POST', body: { room_type: 'beat', beat_id: beat.beat_id, name: `${beat.title} by ${beat.artist}` },
  });
  navigate(`/rooms/${id(room.room_id)}`);
}

function playlistPicker(beat) {
  const select = h('select', { id: 'playlist-pick', 'aria-label': 'Playlist' }, h('option', { value: '' }, 'Add to playlist…'));
  select.addEventListener('change', async () => {
    const target = select.value;
    select.value = '';
    if (!target) return;
    try {
      let playlistId = target;
      if (target === 'new') {
        const name = prompt('Name of the new playlist');
        if (!name) return;
        playlistId = (await api('/api/playlists', { method: 'POST', body: { name } })).playlist_id;
      }
      await api(`/api/playlists/${id(playlistId)}/tracks`, { method: 'POST', body: { beat_id: beat.beat_id } });
      toast(`Added “${beat.title}” to the playlist.`);
    } catch (error) {
      toast(error.message, 'error');
    }
  });
  api('/api/playlists?limit=100').then((page) => {
    select.append(...page.playlists.map((p) => h('option', { value: p.playlist_id }, p.name)), h('option', { value: 'new' }, 'New playlist…'));
  }).catch(() => {});
  return select;
}

export async function render(view, params) {
  const beat = await api(`/api/beats/${id(params.id)}`);
  document.title = `${beat.title} · Backbeat`;
  const ready = beat.status === 'ready' || beat.status === 'sold';
  const mine = session.user?.user_id === beat.producer_id;
  const wave = ready ? waveform(beat) : null;
  const playButton = h('button', { type: 'button', class: 'play big', 'aria-label': `Play ${beat.title}`, onclick: () => play(beat) }, icon('play'));
  const stopPlayer = onPlayer((now, _pos, playing) => {
    setPlaying(playButton, playing && now?.beat_id === beat.beat_id, beat.title);
  });
  const rating = h('span', {}, stars(beat.rating_avg, beat.rating_count));
  const facts = [beat.genre, beat.bpm ? `${beat.bpm} BPM` : null, beat.key, beat.mood, beat.duration_ms ? clock(beat.duration_ms) : null]
    .filter(Boolean).join(' · ');

  const actions = h('div', { class: 'row' },
    ready ? h('button', { type: 'button', class: 'button', onclick: () => { enqueue(beat); toast('Added to the queue.'); } }, 'Add to queue') : null,
    ready && session.token ? playlistPicker(beat) : null,
    session.token && !mine ? h('a', { class: 'button', href: `/chat?to=${id(beat.producer_id)}` }, 'Message the producer') : null,
    session.token ? h('button', {
      type: 'button', class: 'button', onclick: (e) => busy(e.currentTarget, () => joinRoom(beat).catch((err) => toast(err.message, 'error'))),
    }, 'Join the beat’s room') : null,
    mine ? h('a', { class: 'button', href: '/studio' }, 'Edit in studio') : null);

  view.append(
    h('article', { class: 'beat-page' },
      h('header', { class: 'beat-head' },
        h('div', { class: 'cover-art' }, cover(beat, 'large'), ready ? playButton : null),
        h('div', {},
          h('h1', {}, beat.title),
          h('p', {}, 'by ', h('a', { href: `/users/${id(beat.producer_id)}` }, beat.artist), ' · ', rating),
          h('p', { class: 'muted' }, facts),
          ready ? null : h('p', { class: `status ${beat.status}`, role: 'status' }, `Status: ${beat.status}`))),
      wave?.el,
      beat.tags?.length ? h('ul', { class: 'tags', 'aria-label': 'Tags' }, beat.tags.map((t) => h('li', {}, h('a', { href: `/?q=${id(t)}` }, t)))) : null,
      beat.description ? h('p', { class: 'description' }, beat.description) : null,
      h('p', { class: 'muted' }, plural(beat.plays, 'play')),
      actions,
      ready ? freeDownloadPanel(beat) : null,
      offerPanel(beat),
      h('div', { class: 'columns' },
        licensesPanel(beat),
        reviewsPanel(beat, (avg, count) => rating.replaceChildren(stars(avg, count)))),
      mine && ready ? sharePanel({ beat_id: beat.beat_id }, beat.title) : null,
      session.token && !mine ? reportBox('beat', beat.beat_id, 'beat') : null));
  return () => { stopPlayer(); wave?.dispose(); };
}
