// Chat: conversations with unread counts, one open conversation with live messages, sending.
// While this screen is open a chat socket runs; after a drop it reconnects with ?since=<newest
// message id seen>, and messages already shown are skipped.
import { api, id, q } from '../api.js';
import { busy, formError, h, showErrors, when } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { focusChat } from '../live.js';
import { liveSocket, wsUrl } from '../socket.js';

export async function render(view, params, query) {
  const me = session.user;
  document.title = 'Chat · Backbeat';
  const conversations = h('ul', { class: 'conversations plain-list', 'aria-label': 'Conversations' });
  const thread = h('section', { class: 'thread', 'aria-label': 'Conversation' });
  view.append(h('h1', {}, 'Chat'), h('div', { class: 'chat' }, h('nav', { class: 'chat-list' }, newChatForm(), conversations), thread));

  const shown = new Set();
  let newest = null;
  let open = null;  // {chat_id, receiver (user id or username), list element}
  let unfocus = () => {};
  const seen = (messageId) => { if (!newest || messageId > newest) newest = messageId; };

  async function loadConversations() {
    const history = await api(`/api/chat/history/${id(me.user_id)}${q({ limit: 100 })}`);
    conversations.replaceChildren(...history.chats.map((c) => {
      if (c.last_message) seen(c.last_message.message_id);
      const other = c.participants.find((p) => p !== me.username) ?? c.participants[0];
      const current = open?.chat_id === c.chat_id;
      return h('li', {}, h('a', { href: `/chat/${id(c.chat_id)}`, class: current ? 'current' : '', 'aria-current': current ? 'page' : null },
        h('strong', {}, other),
        c.unread && !current ? h('span', { class: 'count', 'aria-label': `${c.unread} unread` }, String(c.unread)) : null,
        h('span', { class: 'muted preview' }, c.last_message ? `${c.last_message.sender}: ${c.last_message.content}` : '')));
    }));
    if (history.chats.length === 0) conversations.append(h('li', { class: 'muted' }, 'No conversations yet.'));
    return history.chats;
  }

  function messageItem(m) {
    shown.add(m.message_id);
    seen(m.message_id);
    return h('li', { class: m.sender_id === me.user_id || m.sender === me.username ? 'mine' : 'theirs', 'data-message-id': m.message_id },
      h('span', { class: 'who' }, m.sender), h('p', {}, m.content), h('time', { datetime: m.created_at, class: 'muted' }, when(m.created_at)));
  }

  function openThread(title, receiver, chatId) {
    const list = h('ol', { class: 'messages plain-list', 'aria-live': 'polite' });
    const text = h('textarea', { name: 'message', rows: 2, maxlength: 5000, 'aria-label': `Message to ${title}`, required: true });
    const submit = h('button', { type: 'submit', class: 'button primary' }, 'Send');
    const form = h('form', { class: 'send' }, text, submit, formError());
    text.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const message = text.value.trim();
      if (!message) return;
      busy(submit, async () => {
        showErrors(form, null);
        try {
          const sent = await api('/api/chat/send', { method: 'POST', body: { receiver, message } });
          text.value = '';
          if (!shown.has(sent.message_id)) list.append(messageItem({ ...sent, sender_id: me.user_id }));
          list.lastElementChild?.scrollIntoView({ block: 'nearest' });
          if (!open.chat_id) {
            open.chat_id = sent.chat_id;
            unfocus();
            unfocus = focusChat(sent.chat_id);
            history.replaceState(null, '', `/chat/${id(sent.chat_id)}`);
          }
          loadConversations();
        } catch (error) {
          showErrors(form, error);
        }
      });
    });
    open = { chat_id: chatId, receiver, list };
    unfocus();
    unfocus = chatId ? focusChat(chatId) : () => {};
    thread.replaceChildren(h('h2', {}, title), list, form);
    text.focus();
    return list;
  }

  async function showChat(chatId, chats) {
    const summary = chats.find((c) => c.chat_id === chatId);
    const otherIndex = summary ? Math.max(0, summary.participants.findIndex((p) => p !== me.username)) : -1;
    const receiver = summary ? (summary.participant_ids?.[otherIndex] ?? summary.participants[otherIndex]) : null;
    const list = openThread(summary ? summary.participants[otherIndex] : 'Conversation', receiver, chatId);
    const page = await api(`/api/chat/messages/${id(chatId)}${q({ limit: 50 })}`);
    list.replaceChildren(...page.messages.map(messageItem));
    if (page.next_cursor) list.before(olderButton(chatId, list, page.next_cursor));
    list.lastElementChild?.scrollIntoView({ block: 'nearest' });
    await api(`/api/chat/${id(chatId)}/read`, { method: 'POST' }).catch(() => {});
  }

  function olderButton(chatId, list, firstCursor) {
    let cursor = firstCursor;
    const button = h('button', {
      type: 'button', class: 'button small', onclick: () => busy(button, async () => {
        const page = await api(`/api/chat/messages/${id(chatId)}${q({ limit: 50, cursor })}`);
        list.prepend(...page.messages.filter((m) => !shown.has(m.message_id)).map(messageItem));
        cursor = page.next_cursor;
        if (!cursor) button.remove();
      }),
    }, 'Older messages');
    return button;
  }

  function newChatForm() {
    const name = h('input', { name: 'receiver', placeholder: 'username', 'aria-label': 'Start a conversation with (username)', required: true });
    const form = h('form', { class: 'inline-form' }, name, h('button', { type: 'submit', class: 'button small' }, 'New chat'), formError());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const who = name.value.trim();
      if (!who) return;
      openThread(who, who, null);
      name.value = '';
    });
    return form;
  }

  function onFrame(frame) {
    if (frame.type !== 'real-time message' || shown.has(frame.message_id)) return;
    seen(frame.message_id);
    if (open?.chat_id === frame.chat_id) {
      open.list.append(messageItem(frame));
      open.list.lastElementChild.scrollIntoView({ block: 'nearest' });
      api(`/api/chat/${id(frame.chat_id)}/read`, { method: 'POST' }).catch(() => {});
    }
    loadConversations().catch(() => {});
  }

  const chats = await loadConversations();
  if (params.chatId) {
    await showChat(params.chatId, chats);
    loadConversations();
  } else if (query.get('to')) {
    const other = await api(`/api/users/${id(query.get('to'))}`);
    const existing = chats.find((c) => c.participant_ids?.includes(other.user_id));
    if (existing) navigate(`/chat/${id(existing.chat_id)}`, { replace: true });
    else openThread(other.username, other.user_id, null);
  } else {
    thread.replaceChildren(h('p', { class: 'muted' }, 'Pick a conversation, or start one by username.'));
  }

  const token = session.token;
  const socket = liveSocket(() => wsUrl(`/ws/chat/${id(me.user_id)}?token=${id(token)}${newest ? `&since=${id(newest)}` : ''}`), { onFrame });
  return () => { socket.close(); unfocus(); };
}
