// For admins: open reports with the actions they call for (take a beat down, suspend a user, or
// dismiss), and the audit log of every admin action.
import { api, id, q } from '../api.js';
import { busy, h, money, toast, when } from '../dom.js';
import { infiniteList } from '../beat_card.js';

function targetLink(report) {
  const t = report.target ?? {};
  if (report.target_type === 'beat') {
    return h('span', {}, 'Beat ', h('a', { href: `/beats/${id(report.target_id)}` }, t.title ?? report.target_id),
      t.status === 'deleted' ? h('span', { class: 'badge deleted' }, 'taken down') : null);
  }
  return h('span', {}, 'User ', h('a', { href: `/users/${id(report.target_id)}` }, t.username ?? report.target_id));
}

// Asks for the reason (kept in the audit log), then acts; false when the admin cancelled.
async function act(button, question, path, body, done) {
  const reason = prompt(question);
  if (reason === null) return;
  await busy(button, async () => {
    try {
      await api(path, { method: 'POST', body: { ...body, ...(body.note === undefined ? { reason } : { note: reason }) } });
      done();
    } catch (error) {
      toast(error.message, 'error');
    }
  });
}

function reportRow(report, reload) {
  const open = report.status === 'open';
  const actions = [];
  if (open && report.target_type === 'beat' && report.target?.status !== 'deleted') {
    actions.push(h('button', {
      type: 'button', class: 'button small danger', 'aria-label': `Take down ${report.target?.title ?? 'the beat'}`,
      onclick: (e) => act(e.currentTarget, 'Why is the beat taken down?', `/api/admin/beats/${id(report.target_id)}/takedown`, {},
        () => { toast('Taken down: the beat left the store; buyers keep their licenses.'); reload(); }),
    }, 'Take down'));
  }
  if (open && report.target_type === 'user') {
    actions.push(h('button', {
      type: 'button', class: 'button small danger', 'aria-label': `Suspend ${report.target?.username ?? 'the user'}`,
      onclick: (e) => act(e.currentTarget, 'Why is the account suspended?', `/api/admin/users/${id(report.target_id)}/suspend`, {},
        () => { toast('Suspended: the account is logged out and cannot log in.'); reload(); }),
    }, 'Suspend'));
  }
  if (open) {
    actions.push(h('button', {
      type: 'button', class: 'button small', 'aria-label': `Dismiss report ${report.report_id}`,
      onclick: (e) => act(e.currentTarget, 'A note for the record (optional)', `/api/admin/reports/${id(report.report_id)}/dismiss`,
        { note: '' }, () => { toast('Dismissed.'); reload(); }),
    }, 'Dismiss'));
  }
  return h('article', { class: 'report-item', 'data-report-id': report.report_id },
    h('div', { class: 'purchase-head' }, targetLink(report), ' ', h('span', { class: `badge ${report.status}` }, report.status),
      ' ', h('span', { class: 'muted' }, `${report.reason} · by ${report.reporter ?? 'someone'} · ${when(report.created_at)}`),
      report.open_reports_on_target > 1 ? h('strong', {}, ` · ${report.open_reports_on_target} open reports`) : null),
    report.details ? h('p', {}, report.details) : null,
    report.resolution ? h('p', { class: 'muted' }, `Outcome: ${report.resolution}`) : null,
    h('div', { class: 'row' }, actions));
}

function auditRow(entry) {
  return h('tr', {},
    h('td', {}, when(entry.created_at)), h('td', {}, entry.action),
    h('td', {}, `${entry.target_type} ${entry.target_id}`), h('td', {}, entry.reason || '—'),
    h('td', { class: 'muted' }, entry.actor_id));
}

function payoutsSection() {
  const body = h('tbody');
  async function load() {
    const page = await api('/api/admin/payouts/runs?limit=20');
    body.replaceChildren(...page.runs.map((run) => h('tr', {},
      h('td', {}, when(run.created_at)), h('td', { class: 'num' }, String(run.payouts.length)),
      h('td', { class: 'num' }, money(run.total_cents)),
      h('td', {}, run.payouts.map((p) => p.status).join(', ') || '—'))));
    if (!page.runs.length) body.append(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No payout runs yet.')));
  }
  const run = h('button', { type: 'button', class: 'button primary', onclick: () => busy(run, async () => {
    try {
      const made = await api('/api/admin/payouts/runs', { method: 'POST', headers: { 'Idempotency-Key': crypto.randomUUID() } });
      toast(`Payout run: ${made.payouts.length} payouts, ${money(made.total_cents)}; ${made.skipped.length} balances wait for a payout account.`);
      load();
    } catch (error) {
      toast(error.message, 'error');
    }
  }) }, 'Run payouts');
  load().catch((error) => body.replaceChildren(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, error.message))));
  return h('section', { class: 'panel', 'aria-labelledby': 'payouts-title' },
    h('div', { class: 'row spread' }, h('h2', { id: 'payouts-title' }, 'Payouts'), run),
    h('p', { class: 'muted' }, 'Pays every balance of $1 or more to its owner’s Stripe account; nothing is paid twice.'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'runs' },
      h('thead', {}, h('tr', {}, ['When', 'Payouts', 'Total', 'Status'].map((t) => h('th', { scope: 'col' }, t)))), body)));
}

export async function render(view) {
  document.title = 'Admin · Backbeat';
  const me = await api('/api/users/profile');
  if (me.role !== 'admin') {
    view.append(h('h1', {}, 'Admins only'), h('p', {}, 'This page is for the people who run this Backbeat.'));
    return undefined;
  }
  const status = h('select', { id: 'report-status', 'aria-label': 'Which reports' },
    h('option', { value: 'open' }, 'Open reports'), h('option', { value: 'actioned' }, 'Acted on'),
    h('option', { value: 'dismissed' }, 'Dismissed'), h('option', { value: '' }, 'All reports'));
  const reportsSlot = h('div');
  const auditBody = h('tbody');
  let reports = null;
  function loadReports() {
    reports?.dispose();
    reports = infiniteList(async (cursor) => {
      const page = await api(`/api/admin/reports${q({ status: status.value, cursor, limit: 20 })}`);
      return { items: page.reports, next_cursor: page.next_cursor };
    }, (r) => reportRow(r, () => { loadReports(); loadAudit(); }), { className: 'stack', empty: 'No reports here.' });
    reportsSlot.replaceChildren(reports.el);
  }
  async function loadAudit() {
    const page = await api('/api/admin/audit?limit=50');
    auditBody.replaceChildren(...page.entries.map(auditRow));
    if (!page.entries.length) auditBody.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No admin actions yet.')));
  }
  status.addEventListener('change', loadReports);
  view.append(h('h1', {}, 'Admin'),
    h('section', { class: 'panel', 'aria-labelledby': 'reports-title' },
      h('div', { class: 'row spread' }, h('h2', { id: 'reports-title' }, 'Reports'), status), reportsSlot),
    payoutsSection(),
    h('section', { class: 'panel', 'aria-labelledby': 'audit-title' }, h('h2', { id: 'audit-title' }, 'Audit log'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'audit' },
        h('thead', {}, h('tr', {}, ['When', 'Action', 'Target', 'Reason', 'Admin'].map((t) => h('th', { scope: 'col' }, t)))),
        auditBody))));
  loadReports();
  await loadAudit();
  return () => reports?.dispose();
}
