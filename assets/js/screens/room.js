// A live room: its history, then every member's messages as they are sent. The socket opens
// first and the history second, so nothing falls between them; ids shown twice are skipped.
import { api, id, q } from '../api.js';
import { busy, formError, h, showErrors, toast, when } from '../dom.js';
import { session } from '../session.js';
import { liveSocket, wsUrl } from '../socket.js';

export async function render(view, params) {
  const room = await api(`/api/forums/rooms/${id(params.id)}`);
  document.title = `${room.name} · Backbeat`;
  const shown = new Set();
  const list = h('ol', { class: 'messages plain-list', 'aria-live': 'polite', 'aria-label': 'Messages' });
  const state = h('p', { class: 'muted', role: 'status' });
  const text = h('input', { name: 'message', maxlength: 2000, autocomplete: 'off', 'aria-label': 'Message to the room', required: true });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Send');
  const form = h('form', { class: 'send' }, text, submit, formError());
  const closeButton = (room.owner_id ?? room.created_by) === session.user?.user_id || session.user?.role === 'admin'
    ? h('button', {
      type: 'button', class: 'button danger', onclick: (e) => busy(e.currentTarget, async () => {
        if (!confirm('Close this room for everyone?')) return;
        await api(`/api/forums/rooms/${id(room.room_id)}`, { method: 'DELETE' });
      }),
    }, 'Close room') : null;
  const host = h('span', {});
  api(`/api/users/${id(room.owner_id ?? room.created_by)}`).then((owner) => {
    host.replaceChildren(' · hosted by ', h('a', { href: `/users/${id(owner.user_id)}` }, owner.username));
  }).catch(() => {});
  view.append(
    h('div', { class: 'row spread' }, h('h1', {}, room.name), closeButton),
    h('p', { class: 'muted' }, room.beat_id ? h('a', { href: `/beats/${id(room.beat_id)}` }, 'About this beat') : `Genre: ${room.genre}`, host),
    state, list, form);

  function add(m) {
    if (shown.has(m.message_id)) return;
    shown.add(m.message_id);
    const mine = m.user_id === session.user?.user_id;
    list.append(h('li', { class: mine ? 'mine' : 'theirs', 'data-message-id': m.message_id },
      h('a', { class: 'who', href: `/users/${id(m.user_id)}` }, m.username), h('p', {}, m.message),
      h('time', { class: 'muted', datetime: m.created_at }, when(m.created_at))));
    list.lastElementChild.scrollIntoView({ block: 'nearest' });
  }

  if (room.closed_at) {
    state.textContent = 'This room is closed.';
    form.hidden = true;
  }
  const socket = room.closed_at ? null : liveSocket(() => wsUrl(`/api/forums/connect?roomId=${id(room.room_id)}&token=${id(session.token)}`), {
    onOpen: () => { state.textContent = 'Connected: messages appear live.'; },
    onClose: () => { if (!form.hidden) state.textContent = 'Reconnecting…'; },
    onFrame: (frame) => {
      if (frame.type === 'forum.message') add(frame);
      if (frame.type === 'forum.closed') {
        state.textContent = 'The room was closed.';
        form.hidden = true;
        toast('The room was closed.');
      }
    },
  });

  const history = await api(`/api/forums/rooms/${id(room.room_id)}/messages${q({ limit: 100 })}`);
  const live = [...list.children];
  list.replaceChildren();
  shown.clear();
  for (const m of history.messages) add(m);
  for (const li of live) if (!shown.has(li.dataset.messageId)) { shown.add(li.dataset.messageId); list.append(li); }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const message = text.value.trim();
    if (!message) return;
    showErrors(form, null);
    if (socket?.send({ message })) text.value = '';
    else showErrors(form, { message: 'Not connected yet; try again in a moment.' });
  });
  text.focus();
  return () => socket?.close();
}
