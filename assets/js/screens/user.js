// A producer's public page: who they are, follow or unfollow, message them, and their beats.
import { api, id, q } from '../api.js';
import { beatCard, infiniteList, syncPlayButtons } from '../beat_card.js';
import { busy, h, plural } from '../dom.js';
import { reportBox } from '../report.js';
import { session } from '../session.js';

export async function render(view, params) {
  const user = await api(`/api/users/${id(params.id)}`);
  document.title = `${user.username} · Backbeat`;
  const followers = h('span', {}, plural(user.followers_count ?? 0, 'follower'));
  const self = session.user?.user_id === user.user_id;
  const followButton = h('button', { type: 'button', class: 'button', hidden: true });
  let following = false;
  const show = (state) => {
    following = state.following;
    followButton.hidden = false;
    followButton.textContent = following ? 'Following ✓' : 'Follow';
    followButton.setAttribute('aria-pressed', String(following));
    followers.textContent = plural(state.followers_count, 'follower');
  };
  followButton.addEventListener('click', () => busy(followButton, async () => {
    show(await api(`/api/users/${id(user.user_id)}/follow`, { method: following ? 'DELETE' : 'POST' }));
  }));
  if (session.token && !self) api(`/api/users/${id(user.user_id)}/follow`).then(show).catch(() => {});

  const beats = infiniteList(async (cursor) => {
    const page = await api(`/api/beats${q({ producer: user.user_id, cursor, limit: 24 })}`);
    return { items: page.beats, next_cursor: page.next_cursor };
  }, beatCard, { empty: 'No beats in the store yet.' });
  view.append(
    h('header', { class: 'profile-head' },
      h('h1', {}, user.username),
      user.bio ? h('p', { class: 'bio' }, user.bio) : null,
      h('p', { class: 'muted' }, `${plural(user.beats_count ?? 0, 'beat')} · `, followers),
      h('div', { class: 'row' }, followButton,
        session.token && !self ? h('a', { class: 'button', href: `/chat?to=${id(user.user_id)}` }, 'Message') : null,
        self ? h('a', { class: 'button', href: '/profile' }, 'Edit profile') : null),
      session.token && !self ? reportBox('user', user.user_id, 'user') : null),
    h('h2', {}, 'Beats'), beats.el);
  const stopSync = syncPlayButtons(beats.el);
  return () => { beats.dispose(); stopSync(); };
}
