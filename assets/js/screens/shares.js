// My share links: what each one shares, whether it still works, its plays; copy or revoke.
import { api, id, q } from '../api.js';
import { busy, h, plural, toast, when } from '../dom.js';
import { linkBox } from '../share_form.js';

const STATUS = { active: 'Active', expired: 'Expired', revoked: 'Revoked', used_up: 'No plays left' };

function row(s, reload) {
  const target = s.kind === 'beat' ? `/beats/${id(s.beat_id)}` : `/playlists/${id(s.playlist_id)}`;
  const plays = s.max_plays === null ? plural(s.plays, 'play') : `${s.plays} of ${plural(s.max_plays, 'play')}`;
  const revoke = s.status === 'active' ? h('button', {
    type: 'button', class: 'button small danger', 'aria-label': `Revoke the link to ${s.title}`,
    onclick: (e) => busy(e.currentTarget, async () => {
      await api(`/api/shares/${id(s.share_id)}`, { method: 'DELETE' });
      toast('Link revoked: it answers “gone” from now on.');
      reload();
    }),
  }, 'Revoke') : null;
  return h('li', { class: `list-item share-item ${s.status}`, 'data-share': s.share_id },
    h('div', { class: 'row spread' },
      h('div', {}, h('a', { href: target }, s.title || '(gone)'), h('span', { class: 'muted' }, ` · ${s.kind}`),
        h('span', { class: `badge ${s.status}` }, STATUS[s.status] ?? s.status)),
      revoke),
    h('p', { class: 'muted' }, [plays, s.allow_download ? 'downloads allowed' : null,
      s.status === 'active' ? `expires ${new Date(s.expires_at).toLocaleString()}` : null,
      s.last_played_at ? `last played ${when(s.last_played_at)}` : null, `made ${when(s.created_at)}`].filter(Boolean).join(' · ')),
    s.note ? h('p', {}, s.note) : null,
    s.status === 'active' ? linkBox(s.url) : null);
}

export async function render(view) {
  document.title = 'Share links · Backbeat';
  async function load() {
    const page = await api(`/api/shares${q({ limit: 100 })}`);
    view.replaceChildren(
      h('h1', {}, 'Share links'),
      h('p', { class: 'muted' }, 'Make a link from one of your beats or playlists (“Share by link” on its page).'),
      page.shares.length ? h('ul', { class: 'plain-list shares' }, page.shares.map((s) => row(s, load)))
        : h('p', { class: 'muted' }, 'No links yet.'));
  }
  await load();
}
