// Client-side routes over the History API. Screens load on first visit (import()), so the store
// page carries only what it shows. A screen's render(view, params, query) may return a cleanup
// function (close a socket, stop a timer) that runs when the user leaves it.
import { h, mount } from './dom.js';
import { session } from './session.js';

const routes = [
  ['/', 'store'],
  ['/beats/:id', 'beat'],
  ['/upload', 'upload', { auth: true }],
  ['/library', 'library', { auth: true }],
  ['/playlists/:id', 'playlist'],
  ['/studio', 'studio', { auth: true }],
  ['/chat', 'chat', { auth: true }],
  ['/chat/:chatId', 'chat', { auth: true }],
  ['/notifications', 'notifications', { auth: true }],
  ['/rooms', 'rooms'],
  ['/rooms/:id', 'room', { auth: true }],
  ['/users/:id', 'user'],
  ['/profile', 'profile', { auth: true }],
  ['/admin', 'admin', { auth: true }],
  ['/cart', 'cart', { auth: true }],
  ['/offers', 'offers', { auth: true }],
  ['/offers/:id', 'offers', { auth: true }],
  ['/shares', 'shares', { auth: true }],
  ['/s/:id', 'share'],
  ['/login', 'auth'],
  ['/signup', 'auth'],
  ['/forgot-password', 'recover'],
  ['/reset-password', 'recover'],
  ['/verify-email', 'recover'],
].map(([pattern, screen, options = {}]) => {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => { names.push(name); return '([^/]+)'; });
  return { regex: new RegExp(`^${source}/?$`), names, screen, ...options };
});

let cleanup = null;
let renderCount = 0;

function match(pathname) {
  for (const route of routes) {
    const m = route.regex.exec(pathname);
    if (m) {
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      return { route, params };
    }
  }
  return null;
}

export async function render() {
  const view = document.getElementById('view');
  const count = ++renderCount;
  if (cleanup) {
    try { cleanup(); } catch { /* a failing cleanup must not block navigation */ }
    cleanup = null;
  }
  const found = match(location.pathname);
  document.body.dataset.screen = found?.route.screen ?? 'none';
  markCurrent();
  if (!found) {
    document.title = 'Not found · Backbeat';
    mount(view, h('h1', {}, 'Nothing here'), h('p', {}, h('a', { href: '/' }, 'Back to the store')));
    return;
  }
  if (found.route.auth && !session.token) {
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    return;
  }
  try {
    const screen = await import(`./screens/${found.route.screen}.js`);
    if (count !== renderCount) return;  // the user moved on while it loaded
    mount(view);
    const query = new URLSearchParams(location.search);
    const done = await screen.render(view, found.params, query);
    if (count !== renderCount) {
      if (typeof done === 'function') done();
      return;
    }
    cleanup = typeof done === 'function' ? done : null;
  } catch (error) {
    if (count !== renderCount) return;
    mount(view, h('h1', {}, 'Something went wrong'), h('p', { class: 'form-error', role: 'alert' }, error.message));
  }
}

function markCurrent() {
  for (const a of document.querySelectorAll('.nav a')) {
    const path = a.getAttribute('href');
    const current = path === '/' ? location.pathname === '/' : location.pathname.startsWith(path);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render().then(() => {
    if (!replace) {
      window.scrollTo(0, 0);
      document.getElementById('view').focus({ preventScroll: true });
    }
  });
}

export function start() {
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', () => render());
  return render();
}
