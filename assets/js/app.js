// Boots the UI: the header follows the session, the notifications socket starts, the router
// renders the screen for the current address.
import { toast } from './dom.js';
import { onNotification, startLive } from './live.js';
import { navigate, render, start } from './router.js';
import { onSessionChange, session } from './session.js';
import './player.js';
import './cart.js';

function showSession() {
  const signedIn = Boolean(session.token);
  for (const el of document.querySelectorAll('[data-signed-in]')) el.hidden = !signedIn;
  for (const el of document.querySelectorAll('[data-signed-out]')) el.hidden = signedIn;
  for (const el of document.querySelectorAll('[data-admin]')) el.hidden = !signedIn || session.user.role !== 'admin';
  const me = document.getElementById('me');
  me.textContent = signedIn ? session.user.username : 'Profile';
}

document.getElementById('top-search').addEventListener('submit', (e) => {
  e.preventDefault();
  const q = new FormData(e.target).get('q').trim();
  navigate(q ? `/?q=${encodeURIComponent(q)}` : '/');
});

onSessionChange(() => {
  showSession();
  // Signed out in another tab, or the session ended: leave screens that need an account.
  if (!session.token && location.pathname !== '/login') render();
});

onNotification((n) => toast(n.message));

showSession();
startLive();
start();
