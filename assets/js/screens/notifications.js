// Notifications: newest first, new ones arrive live at the top; open one to mark it read, or mark
// them all read.
import { api, id, q } from '../api.js';
import { busy, h, when } from '../dom.js';
import { onNotification, setUnread, unreadCount } from '../live.js';

function target(n) {
  const d = n.data ?? {};
  if (d.chat_id) return `/chat/${id(d.chat_id)}`;
  if (n.kind === 'purchase') return '/library';
  if (n.kind === 'sale') return '/studio';
  if (d.beat_id) return `/beats/${id(d.beat_id)}`;
  if (d.follower_id) return `/users/${id(d.follower_id)}`;
  return null;
}

export async function render(view) {
  document.title = 'Notifications · Backbeat';
  const list = h('ul', { class: 'notifications plain-list' });
  const more = h('div', {});
  const markAll = h('button', {
    type: 'button', class: 'button', onclick: () => busy(markAll, async () => {
      await api('/api/notifications/mark-as-read', { method: 'POST', body: { all: true } });
      for (const li of list.querySelectorAll('.unread')) li.classList.remove('unread');
      setUnread(0);
    }),
  }, 'Mark all as read');
  view.append(h('div', { class: 'row spread' }, h('h1', {}, 'Notifications'), markAll), list, more);

  function item(n) {
    const li = h('li', { class: n.status === 'unread' ? 'notification unread' : 'notification', 'data-notification-id': n.notification_id });
    const href = target(n);
    const open = async () => {
      if (!li.classList.contains('unread')) return;
      li.classList.remove('unread');
      setUnread(unreadCount() - 1);
      await api('/api/notifications/mark-as-read', { method: 'POST', body: { notification_id: n.notification_id } }).catch(() => {});
    };
    li.append(
      h('span', { class: 'kind' }, n.kind),
      href ? h('a', { href, onclick: open }, n.message) : h('span', {}, n.message),
      h('time', { class: 'muted', datetime: n.created_at }, when(n.created_at)),
      h('button', { type: 'button', class: 'button small', 'aria-label': 'Mark as read', onclick: open }, 'Read'));
    return li;
  }

  async function page(cursor) {
    const answer = await api(`/api/notifications${q({ limit: 30, cursor })}`);
    list.append(...answer.notifications.map(item));
    setUnread(answer.unread_count);
    more.replaceChildren(answer.next_cursor
      ? h('button', { type: 'button', class: 'button', onclick: (e) => busy(e.currentTarget, () => page(answer.next_cursor)) }, 'Older')
      : '');
    if (!list.childElementCount) list.append(h('li', { class: 'muted empty' }, 'Nothing yet.'));
  }
  await page(null);
  return onNotification((n) => {
    if (list.querySelector(`[data-notification-id="${CSS.escape(n.notification_id)}"]`)) return;
    list.querySelector('.empty')?.remove();
    list.prepend(item(n));
  });
}
