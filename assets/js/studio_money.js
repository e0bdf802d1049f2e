// The studio's money: bulk deals and coupons, taking offers on a beat, splitting a beat's sales
// with collaborators (and answering their proposals), my balance, payouts and ledger.
import { api, id, q } from './api.js';
import { busy, field, formError, h, money, mount, showErrors, toast, when } from './dom.js';
import { licenseName } from './licenses.js';

const TIERS = ['basic', 'premium', 'unlimited', 'exclusive'];

function fold(title, ...children) {
  return h('details', { class: 'panel fold' }, h('summary', {}, h('h2', {}, title)), ...children);
}

function formWith(fields, label, action, { cls = 'inline-form' } = {}) {
  const submit = h('button', { type: 'submit', class: 'button primary' }, label);
  const form = h('form', { class: cls, novalidate: true }, fields, submit, formError());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      showErrors(form, null);
      try {
        await action(Object.fromEntries(new FormData(form)), form);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

export function dealsSection(me) {
  const list = h('ul', { class: 'plain-list deals' });
  async function load() {
    const { deals } = await api(`/api/deals${q({ producer: me })}`);
    list.replaceChildren(...deals.map((d) => h('li', {}, `${d.label} on ${d.tier ? licenseName(d.tier) : 'every license'} `,
      h('button', { type: 'button', class: 'button small danger', onclick: (e) => busy(e.currentTarget, async () => {
        await api(`/api/deals/${id(d.deal_id)}`, { method: 'DELETE' });
        load();
      }) }, 'End'))));
    if (!deals.length) list.append(h('li', { class: 'muted' }, 'No deals yet.'));
  }
  const tier = h('select', { name: 'tier', id: 'deal-tier' }, h('option', { value: '' }, 'every license'),
    TIERS.map((t) => h('option', { value: t }, licenseName(t))));
  const form = formWith([
    field('Items', h('input', { name: 'quantity', id: 'deal-quantity', type: 'number', min: 2, max: 20, value: 3 })),
    field('for the price of', h('input', { name: 'pay_for', id: 'deal-pay-for', type: 'number', min: 1, max: 19, value: 2 })),
    field('On', tier)], 'Add deal', async (data) => {
    await api('/api/deals', { method: 'POST', body: { quantity: Number(data.quantity), pay_for: Number(data.pay_for), tier: data.tier || null } });
    toast('Deal added: carts with your beats show it.');
    load();
  });
  load().catch(() => {});
  return fold('Deals', h('p', { class: 'muted' }, 'Buy 2 get 1 free is 3 for the price of 2: in each group of 3 of your beats in a cart, the cheapest is free.'), list, form);
}

export function couponsSection() {
  const body = h('tbody');
  async function load() {
    const { coupons } = await api('/api/coupons');
    body.replaceChildren(...coupons.map((c) => h('tr', {},
      h('td', {}, h('code', {}, c.code)), h('td', {}, c.kind === 'percent' ? `${c.percent} %` : money(c.amount_cents)),
      h('td', { class: 'num' }, `${c.uses}${c.max_uses ? ` / ${c.max_uses}` : ''}`),
      h('td', {}, c.expires_at ? new Date(c.expires_at).toLocaleDateString() : '—'),
      h('td', {}, h('button', { type: 'button', class: 'button small danger', 'aria-label': `Retire ${c.code}`,
        onclick: (e) => busy(e.currentTarget, async () => { await api(`/api/coupons/${id(c.coupon_id)}`, { method: 'DELETE' }); load(); }) }, 'Retire')))));
    if (!coupons.length) body.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No coupons yet.')));
  }
  const kind = h('select', { name: 'kind', id: 'coupon-kind' }, h('option', { value: 'percent' }, 'percent off'), h('option', { value: 'fixed' }, 'dollars off'));
  const form = formWith([
    field('Code', h('input', { name: 'code', id: 'coupon-new-code', maxlength: 32, required: true })),
    field('Kind', kind),
    field('Amount', h('input', { name: 'amount', id: 'coupon-amount', type: 'number', min: 0.01, step: '0.01', required: true })),
    field('Uses at most', h('input', { name: 'max_uses', id: 'coupon-max-uses', type: 'number', min: 1 })),
    field('Per buyer', h('input', { name: 'max_uses_per_buyer', id: 'coupon-per-buyer', type: 'number', min: 1 })),
    field('Minimum ($)', h('input', { name: 'min_total', id: 'coupon-min', type: 'number', min: 0, step: '0.01' })),
    field('Expires', h('input', { name: 'expires', id: 'coupon-expires', type: 'date' }))], 'Create coupon', async (data, form) => {
    const body = { code: data.code.trim(), kind: data.kind };
    if (data.kind === 'percent') body.percent = Number(data.amount);
    else body.amount_cents = Math.round(Number(data.amount) * 100);
    if (data.max_uses) body.max_uses = Number(data.max_uses);
    if (data.max_uses_per_buyer) body.max_uses_per_buyer = Number(data.max_uses_per_buyer);
    if (data.min_total) body.min_total_cents = Math.round(Number(data.min_total) * 100);
    if (data.expires) body.expires_at = `${data.expires}T23:59:59Z`;
    try {
      await api('/api/coupons', { method: 'POST', body });
    } catch (error) {
      if (error.fields) {
        error.fields.amount = error.fields.percent ?? error.fields.amount_cents;
        error.fields.min_total = error.fields.min_total_cents;
        error.fields.expires = error.fields.expires_at;
        error.fields.code = error.fields.code ?? (error.code === 'coupon_code_taken' ? error.message : undefined);
      }
      throw error;
    }
    form.reset();
    toast('Coupon created.');
    load();
  });
  load().catch(() => {});
  return fold('Coupons', h('div', { class: 'table-wrap' }, h('table', { class: 'coupons' },
    h('thead', {}, h('tr', {}, ['Code', 'Off', 'Used', 'Expires', ''].map((t) => h('th', { scope: 'col' }, t)))), body)), form);
}

export function offerSettingsForm(beat, done) {
  const accept = h('input', { type: 'checkbox', name: 'accept_offers', id: `offers-on-${beat.beat_id}` });
  const minimum = h('input', { type: 'number', name: 'minimum', id: `offers-min-${beat.beat_id}`, min: 0, step: '0.01' });
  api(`/api/beats/${id(beat.beat_id)}/offer-settings`).then((s) => {
    accept.checked = s.accept_offers;
    minimum.value = s.minimum_cents ? (s.minimum_cents / 100).toFixed(2) : '';
  }).catch(() => {});
  const form = formWith([field(`Take offers on ${beat.title}`, accept), field('Lowest offer ($)', minimum),
    h('button', { type: 'button', class: 'button', onclick: () => done(false) }, 'Cancel')], 'Save', async () => {
    await api(`/api/beats/${id(beat.beat_id)}/offer-settings`, { method: 'PUT',
      body: { accept_offers: accept.checked, minimum_cents: Math.round(Number(minimum.value || 0) * 100) } });
    toast(accept.checked ? `${beat.title} takes offers.` : `${beat.title} takes no offers.`);
    done(true);
  });
  return form;
}

export function splitForm(beat, me, done) {
  const rows = h('div', { class: 'split-rows' });
  const total = h('p', { class: 'muted split-total', 'aria-live': 'polite' });
  const recount = () => {
    const sum = [...rows.querySelectorAll('input[name="percent"]')].reduce((s, i) => s + Number(i.value || 0), 0);
    total.textContent = `Together: ${Math.round(sum * 100) / 100} % (must be 100 %)`;
  };
  const addRow = (user = '', percent = '') => {
    const n = rows.childElementCount;
    const row = h('div', { class: 'row split-row' },
      field(`Collaborator ${n + 1}`, h('input', { name: 'user', id: `split-user-${beat.beat_id}-${n}`, value: user, placeholder: 'username' })),
      field('Percent', h('input', { name: 'percent', id: `split-percent-${beat.beat_id}-${n}`, type: 'number', min: 0.01, max: 100, step: '0.01', value: percent, oninput: recount })));
    rows.append(row);
    recount();
  };
  api(`/api/beats/${id(beat.beat_id)}/splits`).then((s) => {
    const current = s.proposed ?? s.active;
    if (current) {
      rows.replaceChildren();
      for (const share of current.shares) addRow(share.username, share.percent);
      if (s.proposed) rows.before(h('p', { class: 'muted' }, `Proposed, waiting for: ${s.proposed.shares.filter((x) => !x.accepted).map((x) => x.username).join(', ')}`));
    }
  }).catch(() => {});
  addRow(me.username, '100');
  const form = formWith([rows, total,
    h('button', { type: 'button', class: 'button small', onclick: () => addRow() }, 'Add a collaborator'),
    h('button', { type: 'button', class: 'button', onclick: () => done(false) }, 'Cancel')], 'Propose split', async () => {
    const shares = [...rows.querySelectorAll('.split-row')].map((r) => ({
      user: r.querySelector('input[name="user"]').value.trim(), percent: Number(r.querySelector('input[name="percent"]').value) }))
      .filter((s) => s.user);
    const split = await api(`/api/beats/${id(beat.beat_id)}/splits`, { method: 'PUT', body: { shares } });
    toast(split.status === 'active' ? 'Split saved.' : 'Split proposed: it applies once every collaborator accepts.');
    done(true);
  }, { cls: 'card-form split-form' });
  return form;
}

export function splitInvites(me) {
  const list = h('div', { class: 'stack' });
  async function load() {
    const { splits } = await api('/api/splits');
    const waiting = splits.filter((s) => s.status === 'proposed' && s.shares.some((x) => x.user_id === me.user_id && !x.accepted));
    list.replaceChildren(...waiting.map((s) => {
      const mine = s.shares.find((x) => x.user_id === me.user_id);
      return h('article', { class: 'split-invite', 'data-split-id': s.split_id },
        h('p', {}, `${s.title ?? 'A beat'}: ${mine.percent} % for you (`,
          s.shares.map((x) => `${x.username} ${x.percent} %`).join(', '), ')'),
        h('div', { class: 'row' },
          h('button', { type: 'button', class: 'button small primary', onclick: (e) => busy(e.currentTarget, async () => {
            await api(`/api/splits/${id(s.split_id)}/accept`, { method: 'POST' }); toast('Split accepted.'); load(); }) }, 'Accept'),
          h('button', { type: 'button', class: 'button small danger', onclick: (e) => busy(e.currentTarget, async () => {
            await api(`/api/splits/${id(s.split_id)}/decline`, { method: 'POST' }); load(); }) }, 'Decline')));
    }));
    section.hidden = waiting.length === 0;
  }
  const section = h('section', { class: 'panel', hidden: true, 'aria-labelledby': 'invites-title' },
    h('h2', { id: 'invites-title' }, 'Split proposals for you'), list);
  load().catch(() => {});
  return section;
}

export function balanceSection() {
  const summary = h('dl', { class: 'totals balance' });
  const account = h('div', { class: 'payout-account' });
  const ledger = h('tbody');
  async function load() {
    const b = await api('/api/payouts/balance');
    mount(summary,
      h('dt', {}, 'Earned'), h('dd', {}, money(b.earned_cents)),
      h('dt', {}, 'Refunded'), h('dd', {}, b.refunded_cents ? `−${money(b.refunded_cents)}` : money(0)),
      h('dt', {}, 'Pending (owed to you)'), h('dd', { id: 'balance-pending' }, money(b.pending_cents)),
      h('dt', {}, 'On its way'), h('dd', {}, money(b.in_transit_cents)),
      h('dt', { class: 'total' }, 'Paid out'), h('dd', { class: 'total', id: 'balance-paid' }, money(b.paid_cents)));
    const setUp = h('button', { type: 'button', class: 'button primary', onclick: () => busy(setUp, async () => {
      try {
        const a = await api('/api/payouts/account', { method: 'POST' });
        location.assign(a.onboarding_url);
      } catch (error) {
        toast(error.message, 'error');
      }
    }) }, b.account.status === 'none' ? 'Set up payouts with Stripe' : 'Continue Stripe setup');
    const states = { none: 'No payout account yet.', onboarding: 'Stripe is waiting for your details.',
      restricted: 'Stripe needs more from you before it can pay you.', active: 'Payouts go to your Stripe account.' };
    mount(account, h('p', { id: 'payout-state' }, states[b.account.status] ?? b.account.status),
      b.account.status === 'active' ? null : setUp,
      h('p', { class: 'muted' }, `The platform keeps ${b.platform_fee_percent} % of each sale; the rest is shared by each beat's split.`));
    const page = await api('/api/payouts/ledger?limit=50');
    ledger.replaceChildren(...page.entries.map((e) => h('tr', {},
      h('td', {}, when(e.created_at)), h('td', {}, e.kind.replace('_', ' ')),
      h('td', { class: 'num' }, money(e.amount_cents)), h('td', { class: 'muted' }, e.share_bp ? `${e.share_bp / 100} %` : ''))));
    if (!page.entries.length) ledger.append(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'Nothing yet.')));
  }
  load().catch(() => {});
  return h('section', { class: 'panel', 'aria-labelledby': 'balance-title' }, h('h2', { id: 'balance-title' }, 'Balance and payouts'),
    h('div', { class: 'columns' }, summary, account),
    h('details', { class: 'fold' }, h('summary', {}, 'Ledger'), h('div', { class: 'table-wrap' }, h('table', { class: 'ledger' },
      h('thead', {}, h('tr', {}, ['When', 'What', 'Amount', 'Share'].map((t) => h('th', { scope: 'col' }, t)))), ledger))));
}
