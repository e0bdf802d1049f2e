// Live rooms: the open ones with how many people are in them, and opening a genre room.
import { api, id, q } from '../api.js';
import { infiniteList } from '../beat_card.js';
import { busy, field, formError, h, showErrors, when } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';

function createForm() {
  const genre = h('input', { name: 'genre', required: true, maxlength: 50, placeholder: 'e.g. drill' });
  const name = h('input', { name: 'name', maxlength: 100, placeholder: 'optional' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Open room');
  const form = h('form', { class: 'inline-form', novalidate: true }, field('Genre', genre), field('Room name', name), submit, formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        const room = await api('/api/forums/rooms', { method: 'POST', body: { room_type: 'genre', genre: genre.value.trim(), name: name.value.trim() || undefined } });
        navigate(`/rooms/${id(room.room_id)}`);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return h('section', { class: 'panel' }, h('h2', {}, 'Open a genre room'), form);
}

export function render(view) {
  document.title = 'Rooms · Backbeat';
  const list = infiniteList(async (cursor) => {
    const page = await api(`/api/forums/rooms${q({ cursor, limit: 50 })}`);
    return { items: page.rooms, next_cursor: page.next_cursor };
  }, (room) => h('div', { class: 'list-item room' },
    h('a', { href: `/rooms/${id(room.room_id)}` }, room.name),
    h('span', { class: 'muted' }, ` · ${room.room_type === 'beat' ? 'beat room' : room.genre} · ${room.members_online} online · opened ${when(room.created_at)}`)),
  { className: 'plain-list', empty: 'No open rooms. Open one, or join a beat’s room from its page.' });
  view.append(h('h1', {}, 'Rooms'), list.el, session.token ? createForm() : h('p', {}, h('a', { href: '/login?next=/rooms' }, 'Log in'), ' to open a room.'));
  return list.dispose;
}
