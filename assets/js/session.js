// Who is signed in. Kept in localStorage so a reload or a new tab stays signed in; every tab hears
// when another one signs in or out.
const KEY = 'backbeat.session';
const listeners = new Set();

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (saved?.token && saved?.user?.user_id) return saved;
  } catch { /* a broken entry is the same as none */ }
  return { token: null, user: null };
}

export const session = load();

function changed() {
  for (const fn of listeners) fn(session);
}

export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function signIn(token, user) {
  session.token = token;
  session.user = user;
  localStorage.setItem(KEY, JSON.stringify({ token, user }));
  changed();
}

export function updateUser(user) {
  session.user = { ...session.user, ...user };
  localStorage.setItem(KEY, JSON.stringify({ token: session.token, user: session.user }));
  changed();
}

export function signOut() {
  if (!session.token) return;
  session.token = null;
  session.user = null;
  localStorage.removeItem(KEY);
  changed();
}

window.addEventListener('storage', (e) => {
  if (e.key !== KEY) return;
  const next = load();
  session.token = next.token;
  session.user = next.user;
  changed();
});
