// The cart count in the header, and putting a beat in the cart from anywhere.
import { api, id } from './api.js';
import { toast } from './dom.js';
import { onSessionChange, session } from './session.js';

export function showCartCount(count) {
  const badge = document.getElementById('cart-count');
  if (!badge) return;
  badge.textContent = String(count);
  badge.hidden = count === 0;
  document.getElementById('cart-link')?.setAttribute('aria-label', count ? `Cart, ${count} items` : 'Cart, empty');
}

export async function refreshCart() {
  if (!session.token) return showCartCount(0);
  try {
    const cart = await api('/api/cart');
    showCartCount(cart.items.length);
    return cart;
  } catch {
    return null;
  }
}

export async function addToCart(beat, license) {
  const cart = await api('/api/cart/items', { method: 'POST', body: { beat_id: beat.beat_id, license } });
  showCartCount(cart.items.length);
  toast(`Added “${beat.title}” to your cart.`);
  return cart;
}

export const removeFromCart = async (beatId) => {
  const cart = await api(`/api/cart/items/${id(beatId)}`, { method: 'DELETE' });
  showCartCount(cart.items.length);
  return cart;
};

onSessionChange(() => { refreshCart(); });
refreshCart();
