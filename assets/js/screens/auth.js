// Sign up and log in. After either, the user goes back to where they were sent from (?next=).
import { api } from '../api.js';
import { busy, field, formError, h, showErrors } from '../dom.js';
import { navigate } from '../router.js';
import { signIn } from '../session.js';

function nextPath(query) {
  const next = query.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function render(view, _params, query) {
  const signup = location.pathname.startsWith('/signup');
  document.title = `${signup ? 'Sign up' : 'Log in'} · Backbeat`;
  const inputs = signup
    ? [field('Username', h('input', { name: 'username', autocomplete: 'username', required: true, minlength: 3, maxlength: 32 }), '3 to 32 letters, digits, _ . -'),
      field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true })),
      field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }), 'At least 8 characters')]
    : [field('Email or username', h('input', { name: 'login', autocomplete: 'username', required: true })),
      field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }))];
  const submit = h('button', { type: 'submit', class: 'button primary' }, signup ? 'Create account' : 'Log in');
  const form = h('form', { class: 'narrow card-form', novalidate: true }, inputs, submit, formError());
  const other = new URLSearchParams({ next: nextPath(query) });
  view.append(h('h1', {}, signup ? 'Create your account' : 'Log in'), form,
    signup ? null : h('p', {}, h('a', { href: '/forgot-password' }, 'Forgot your password?')),
    h('p', {}, signup ? 'Already have an account? ' : 'New here? ',
      h('a', { href: `${signup ? '/login' : '/signup'}?${other}` }, signup ? 'Log in' : 'Sign up')));
  form.elements[0].focus();

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    busy(submit, async () => {
      showErrors(form, null);
      try {
        let body = data;
        if (!signup) {
          body = data.login.includes('@') ? { email: data.login, password: data.password } : { username: data.login, password: data.password };
        }
        const answer = await api(signup ? '/api/users/signup' : '/api/users/login', { method: 'POST', body });
        signIn(answer.token, answer.user);
        navigate(nextPath(query), { replace: true });
      } catch (error) {
        if (!signup && error.fields) error.fields = { login: Object.values(error.fields).join('; ') };
        showErrors(form, error);
      }
    });
  });
}
