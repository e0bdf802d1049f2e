// "Music players": app passwords for Subsonic players (DSub, Symfonium, Feishin...). A new one is
// shown once, with the server address and username to type into the player; revoking one signs
// that player out. The account password never goes into a player.
import { api, id } from './api.js';
import { busy, field, formError, h, showErrors, toast, when } from './dom.js';

export function playersPanel(username) {
  const list = h('ul', { class: 'plain-list app-passwords' });
  const shown = h('div', { class: 'app-password-new', 'aria-live': 'polite' });
  async function load() {
    const page = await api('/api/users/profile/app-passwords');
    list.replaceChildren(...page.app_passwords.map((p) => h('li', { class: 'list-item row spread' },
      h('span', {}, p.name, h('span', { class: 'muted' }, ` · made ${when(p.created_at)}${p.last_used_at ? ` · used ${when(p.last_used_at)}` : ' · never used'}`)),
      h('button', {
        type: 'button', class: 'button small danger', 'aria-label': `Revoke ${p.name}`,
        onclick: (e) => busy(e.currentTarget, async () => {
          await api(`/api/users/profile/app-passwords/${id(p.app_password_id)}`, { method: 'DELETE' });
          toast(`${p.name} is signed out.`);
          load();
        }),
      }, 'Revoke'))));
  }
  const name = h('input', { name: 'name', maxlength: 100, placeholder: 'e.g. Symfonium on my phone' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Create app password');
  const form = h('form', { class: 'inline-form', novalidate: true }, field('Player', name), submit, formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        const made = await api('/api/users/profile/app-passwords', { method: 'POST', body: { name: name.value } });
        form.reset();
        shown.replaceChildren(h('p', {}, 'Type these into the player. The password is shown only now:'),
          h('dl', { class: 'credentials' },
            h('dt', {}, 'Server'), h('dd', {}, h('code', {}, location.origin)),
            h('dt', {}, 'Username'), h('dd', {}, h('code', {}, made.username)),
            h('dt', {}, 'Password'), h('dd', {}, h('code', { class: 'app-password' }, made.password))));
        load();
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  load().catch(() => {});
  return h('section', { class: 'panel players' }, h('h2', {}, 'Music players'),
    h('p', { class: 'muted' }, `Listen in any Subsonic player (DSub, Symfonium, Feishin, Substreamer…): server ${location.origin}, username ${username}, and an app password made here. You hear previews, and what you bought in full.`),
    form, shown, list);
}
