// One playlist: play it as the player's queue; its owner renames it, makes it public or private,
// reorders and removes beats, shares it by link, or deletes it.
import { api, id } from '../api.js';
import { busy, field, formError, h, mount, plural, showErrors, toast } from '../dom.js';
import { playQueue } from '../player.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { sharePanel } from '../share_form.js';

function settingsForm(playlist, reload) {
  const name = h('input', { name: 'name', value: playlist.name, required: true, maxlength: 100 });
  const description = h('input', { name: 'description', value: playlist.description ?? '', maxlength: 1000 });
  const visible = h('input', { type: 'checkbox', name: 'public', id: 'playlist-public', checked: playlist.public });
  const submit = h('button', { type: 'submit', class: 'button' }, 'Save');
  const form = h('form', { class: 'inline-form', novalidate: true }, field('Name', name), field('Description', description),
    h('label', { class: 'check' }, visible, ' Public'), submit, formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        await api(`/api/playlists/${id(playlist.playlist_id)}`, { method: 'PUT', body: { name: name.value, description: description.value, public: visible.checked } });
        toast('Playlist saved.');
        reload();
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

export async function render(view, params) {
  async function load() {
    const playlist = await api(`/api/playlists/${id(params.id)}`);
    document.title = `${playlist.name} · Backbeat`;
    const mine = playlist.owner_id === session.user?.user_id;
    const tracks = [...playlist.tracks].sort((a, b) => a.position - b.position);
    const reorder = async (from, to) => {
      const ids = tracks.map((t) => t.beat_id);
      ids.splice(to, 0, ids.splice(from, 1)[0]);
      await api(`/api/playlists/${id(playlist.playlist_id)}/tracks`, { method: 'PUT', body: { beat_ids: ids } });
      load();
    };
    const playAll = h('button', {
      type: 'button', class: 'button primary', disabled: !tracks.some((t) => t.available !== false),
      onclick: (e) => busy(e.currentTarget, async () => {
        const beats = await Promise.all(tracks.filter((t) => t.available !== false).map((t) => api(`/api/beats/${id(t.beat_id)}`).catch(() => null)));
        playQueue(beats.filter(Boolean));
      }),
    }, 'Play all');
    const rows = tracks.map((t, i) => h('li', { class: 'track' },
      h('span', { class: 'muted' }, `${i + 1}.`), ' ',
      h('a', { href: `/beats/${id(t.beat_id)}` }, t.title), h('span', { class: 'muted' }, ` · ${t.artist}`),
      t.available === false ? h('span', { class: 'badge' }, 'unavailable') : null,
      mine ? h('span', { class: 'row end' },
        h('button', { type: 'button', class: 'button small', disabled: i === 0, 'aria-label': `Move ${t.title} up`, onclick: () => reorder(i, i - 1) }, '↑'),
        h('button', { type: 'button', class: 'button small', disabled: i === tracks.length - 1, 'aria-label': `Move ${t.title} down`, onclick: () => reorder(i, i + 1) }, '↓'),
        h('button', {
          type: 'button', class: 'button small danger', 'aria-label': `Remove ${t.title}`,
          onclick: async () => { await api(`/api/playlists/${id(playlist.playlist_id)}/tracks/${id(t.beat_id)}`, { method: 'DELETE' }); load(); },
        }, 'Remove')) : null));
    // mount(), not replaceChildren(): the DOM would write the absent parts (null) as the text "null".
    mount(view,
      h('h1', {}, playlist.name),
      playlist.description ? h('p', {}, playlist.description) : null,
      h('p', { class: 'muted' }, `${plural(tracks.length, 'beat')} · ${playlist.public ? 'public' : 'private'}`),
      h('div', { class: 'row' }, playAll),
      tracks.length ? h('ol', { class: 'tracks plain-list' }, rows) : h('p', { class: 'muted' }, 'Add beats from their pages with “Add to playlist”.'),
      mine ? h('section', { class: 'panel' }, h('h2', {}, 'Settings'), settingsForm(playlist, load),
        h('button', {
          type: 'button', class: 'button danger',
          onclick: async () => { if (confirm(`Delete “${playlist.name}”?`)) { await api(`/api/playlists/${id(playlist.playlist_id)}`, { method: 'DELETE' }); navigate('/library'); } },
        }, 'Delete playlist')) : null,
      mine ? sharePanel({ playlist_id: playlist.playlist_id }, playlist.name) : null);
  }
  await load();
}
