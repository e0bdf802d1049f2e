// One notifications socket per tab: the bell's live count and every screen that wants to hear
// about new notifications. On a drop it reconnects with ?since=<newest id seen>, and ids already
// shown are skipped, so nothing is missed and nothing is shown twice.
import { api, id } from './api.js';
import { onSessionChange, session } from './session.js';
import { liveSocket, wsUrl } from './socket.js';

const listeners = new Set();
const seen = new Set();
let socket = null;
let newest = null;
let unread = 0;
let startedFor = null;  // the token the socket was opened with
let focusedChat = null;  // the chat open on screen: its messages are read as they arrive

export function onNotification(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function setUnread(count) {
  unread = Math.max(0, count);
  const bell = document.getElementById('bell');
  const badge = document.getElementById('bell-count');
  badge.textContent = String(unread);
  badge.hidden = unread === 0;
  bell.setAttribute('aria-label', unread ? `Notifications, ${unread} unread` : 'Notifications, none unread');
}

export function unreadCount() {
  return unread;
}

// The chat screen says which conversation is open. A message in it is read as it arrives: its
// notification is marked read, not counted and not announced. Returns the way to let go.
export function focusChat(chatId) {
  focusedChat = chatId;
  return () => { if (focusedChat === chatId) focusedChat = null; };
}

function deliver(frame) {
  if (frame.type === 'notifications read') {
    setUnread(frame.unread_count);  // a chat was read (maybe in another tab): its messages are no news
    return;
  }
  if (frame.type === 'replay truncated') {
    // More were missed than a socket replays: the bell takes its count from the server instead.
    api('/api/notifications?limit=1').then((r) => setUnread(r.unread_count), () => {});
    return;
  }
  if (frame.type !== 'real-time notification' || seen.has(frame.notification_id)) return;
  seen.add(frame.notification_id);
  if (!newest || frame.notification_id > newest) newest = frame.notification_id;
  if (frame.kind === 'message' && focusedChat && frame.data?.chat_id === focusedChat) {
    api('/api/notifications/mark-as-read', { method: 'POST', body: { notification_id: frame.notification_id } }).catch(() => {});
    return;
  }
  setUnread(unread + 1);
  for (const fn of listeners) fn(frame);
}

async function start() {
  if (session.token === startedFor) return;  // a profile edit is not a new session
  startedFor = session.token;
  socket?.close();
  socket = null;
  seen.clear();
  newest = null;
  setUnread(0);
  const user = session.user;
  if (!session.token || !user) return;
  try {
    const latest = await api('/api/notifications?limit=1');
    if (session.token !== startedFor) return;
    newest = latest.notifications[0]?.notification_id ?? null;
    setUnread(latest.unread_count);
  } catch {
    startedFor = null;  // signed out meanwhile, or the server is away: the next sign-in starts again
    return;
  }
  const token = session.token;
  socket = liveSocket(() => wsUrl(`/ws/notifications/${id(user.user_id)}?token=${id(token)}` +
    (newest ? `&since=${id(newest)}` : '')), { onFrame: deliver });
}

export function startLive() {
  onSessionChange(() => start());
  return start();
}
