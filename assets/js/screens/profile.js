// My profile: edit name, email and bio; change the password; app passwords for music players; log out.
import { api, id } from '../api.js';
import { busy, field, formError, h, plural, showErrors, toast } from '../dom.js';
import { playersPanel } from '../players_panel.js';
import { navigate } from '../router.js';
import { signOut, updateUser } from '../session.js';

function form(fields, label, submitAction) {
  const submit = h('button', { type: 'submit', class: 'button primary' }, label);
  const el = h('form', { class: 'card-form', novalidate: true }, fields, submit, formError());
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(el, null);
      try {
        await submitAction(Object.fromEntries(new FormData(el)), el);
      } catch (error) {
        showErrors(el, error);
      }
    });
  });
  return el;
}

export async function render(view) {
  document.title = 'Profile · Backbeat';
  const me = await api('/api/users/profile');
  const details = form([
    field('Username', h('input', { name: 'username', value: me.username, autocomplete: 'username' })),
    field('Email', h('input', { name: 'email', type: 'email', value: me.email, autocomplete: 'email' })),
    field('Bio', h('textarea', { name: 'bio', rows: 3, maxlength: 1000, value: me.bio ?? '' })),
  ], 'Save profile', async (data) => {
    const updated = await api('/api/users/profile/update', { method: 'PUT', body: data });
    updateUser({ username: updated.username, email: updated.email });
    toast('Profile saved.');
  });
  const password = form([
    field('Current password', h('input', { name: 'current_password', type: 'password', autocomplete: 'current-password' })),
    field('New password', h('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', minlength: 8 }), 'At least 8 characters; your other sessions end'),
  ], 'Change password', async (data, el) => {
    await api('/api/users/password', { method: 'PUT', body: data });
    el.reset();
    toast('Password changed. Other sessions were logged out.');
  });
  const resend = h('button', {
    type: 'button', class: 'button small', onclick: () => busy(resend, async () => {
      try {
        await api('/api/users/email/verification', { method: 'POST' });
        toast(`A new link is on its way to ${me.email}.`);
      } catch (error) {
        toast(error.message, 'error');
      }
    }),
  }, 'Send the link again');
  const verified = me.email_verified
    ? h('p', { class: 'muted', id: 'email-state' }, 'Your email address is confirmed.')
    : h('p', { class: 'warn-note', id: 'email-state' }, 'Your email address is not confirmed yet: open the link we mailed you. ', resend);
  const logout = h('button', {
    type: 'button', class: 'button', onclick: () => busy(logout, async () => {
      await api('/api/users/logout', { method: 'POST', body: {} }).catch(() => {});
      signOut();
      navigate('/');
    }),
  }, 'Log out');
  view.append(
    h('div', { class: 'row spread' }, h('h1', {}, 'Your profile'), h('div', { class: 'row' },
      h('a', { class: 'button', href: `/users/${id(me.user_id)}` }, 'Public page'),
      h('a', { class: 'button', href: '/shares' }, 'Share links'), logout)),
    h('p', { class: 'muted' }, `${me.role === 'admin' ? 'Administrator · ' : ''}${plural(me.beats_count ?? 0, 'beat')} · ${plural(me.followers_count ?? 0, 'follower')} · ${plural(me.purchased_beats.length, 'beat')} bought`),
    h('div', { class: 'columns' },
      h('section', { class: 'panel' }, h('h2', {}, 'Details'), verified, details),
      h('section', { class: 'panel' }, h('h2', {}, 'Password'), password)),
    playersPanel(me.username));
}
