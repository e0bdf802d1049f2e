// Getting back into an account: "forgot password" mails a link (the answer is the same whether or
// not the address has an account), the link's page chooses a new password, and the verification
// link confirms an email address.
import { api } from '../api.js';
import { busy, field, formError, h, showErrors } from '../dom.js';

function forgot(view) {
  document.title = 'Forgot password · Backbeat';
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Mail me a link');
  const form = h('form', { class: 'narrow card-form', novalidate: true },
    field('Email', email, 'The address of your account'), submit, formError());
  const done = h('p', { class: 'success', role: 'status', hidden: true });
  view.append(h('h1', {}, 'Forgot your password?'),
    h('p', { class: 'muted' }, 'We mail you a link to choose a new one. It works once, for one hour.'), form, done,
    h('p', {}, h('a', { href: '/login' }, 'Back to log in')));
  email.focus();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        const answer = await api('/api/users/password/forgot', { method: 'POST', body: { email: email.value.trim() } });
        done.textContent = answer.message;
        done.hidden = false;
        form.hidden = true;
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
}

function reset(view, query) {
  document.title = 'Choose a new password · Backbeat';
  const token = query.get('token') ?? '';
  const password = h('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Set the new password');
  const form = h('form', { class: 'narrow card-form', novalidate: true },
    field('New password', password, 'At least 8 characters; every session of the account ends'), submit, formError());
  const done = h('div', { class: 'success', role: 'status', hidden: true },
    h('p', {}, 'Your password is changed. '), h('a', { class: 'button primary', href: '/login' }, 'Log in'));
  view.append(h('h1', {}, 'Choose a new password'), form, done);
  password.focus();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        await api('/api/users/password/reset', { method: 'POST', body: { token, new_password: password.value } });
        form.hidden = true;
        done.hidden = false;
      } catch (error) {
        if (error.fields?.token) {
          error.fields = { new_password: `The link ${error.fields.token}.` };
          if (!form.querySelector('.new-link')) form.append(h('p', { class: 'new-link' }, h('a', { href: '/forgot-password' }, 'Ask for a new link')));
        }
        showErrors(form, error);
      }
    });
  });
}

async function verify(view, query) {
  document.title = 'Confirm email · Backbeat';
  const status = h('p', { role: 'status' }, 'Confirming your address…');
  view.append(h('h1', {}, 'Confirm your email address'), status);
  try {
    await api('/api/users/email/verify', { method: 'POST', body: { token: query.get('token') ?? '' } });
    status.className = 'success';
    status.textContent = 'Thank you: your email address is confirmed.';
  } catch (error) {
    status.className = 'form-error';
    status.textContent = error.fields?.token ? `This link ${error.fields.token}.` : error.message;
  }
  view.append(h('p', {}, h('a', { href: '/' }, 'Go to the store')));
}

export function render(view, _params, query) {
  if (location.pathname.startsWith('/reset-password')) return reset(view, query);
  if (location.pathname.startsWith('/verify-email')) return verify(view, query);
  return forgot(view);
}
