// A beat's free download: on its page, the claim (an email address, or a follow); in the studio,
// the producer's offer per beat and the list of who claimed.
import { api, id, q } from './api.js';
import { busy, field, formError, h, showErrors, toast, when } from './dom.js';
import { session } from './session.js';

function fetchLink(url) {
  const a = h('a', { href: url, download: '' });
  document.body.append(a);
  a.click();
  a.remove();
}

export function freeDownloadPanel(beat) {
  const panel = h('section', { class: 'panel free-download', hidden: true, 'aria-labelledby': 'free-title' });
  const mine = session.user?.user_id === beat.producer_id;
  api(`/api/beats/${id(beat.beat_id)}/free-download`).then((offer) => {
    if (!offer.offered) return;
    const outcome = h('p', { class: 'success', role: 'status', hidden: true });
    const done = (answer) => {
      outcome.hidden = false;
      if (answer.download_url) {
        outcome.replaceChildren('Your download is starting. ', h('a', { href: answer.download_url, download: '' }, 'Download again'));
        fetchLink(answer.download_url);
      } else {
        outcome.textContent = answer.message;
      }
    };
    let form;
    if (mine) {
      form = h('p', { class: 'muted' }, `You give this beat away for ${offer.gate === 'email' ? 'an email address' : 'a follow'}.`);
    } else if (offer.gate === 'email') {
      const email = h('input', { name: 'email', type: 'email', id: 'free-email', autocomplete: 'email', required: true,
        value: session.user?.email ?? '' });
      const submit = h('button', { type: 'submit', class: 'button primary' }, 'Get the free MP3');
      form = h('form', { class: 'inline-form', novalidate: true }, field('Your email address', email), submit, formError());
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        busy(submit, async () => {
          showErrors(form, null);
          try {
            done(await api(`/api/beats/${id(beat.beat_id)}/free-download/claim`, { method: 'POST', body: { email: email.value.trim() } }));
            form.hidden = true;
          } catch (error) {
            showErrors(form, error);
          }
        });
      });
    } else if (!session.token) {
      form = h('a', { class: 'button', href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in to follow and download');
    } else {
      const button = h('button', { type: 'button', class: 'button primary' }, `Follow ${beat.artist} and download`);
      button.addEventListener('click', () => busy(button, async () => {
        try {
          done(await api(`/api/beats/${id(beat.beat_id)}/free-download/claim`, { method: 'POST', body: {} }));
          button.hidden = true;
        } catch (error) {
          toast(error.message, 'error');
        }
      }));
      form = button;
    }
    panel.append(h('h2', { id: 'free-title' }, 'Free download'),
      h('p', { class: 'muted' }, `The tagged MP3, free ${offer.gate === 'email' ? 'for your email address' : 'for a follow'}` +
        `${offer.delivery === 'email' ? '; the link comes by mail.' : '.'}`), form, outcome);
    panel.hidden = false;
  }).catch(() => {});
  return panel;
}

// The studio's row form: give the beat away or stop.
export function freeDownloadForm(beat, done) {
  const gate = h('select', { name: 'gate', id: `free-gate-${beat.beat_id}` },
    h('option', { value: 'email' }, 'for an email address'), h('option', { value: 'follow' }, 'for a follow'));
  const delivery = h('select', { name: 'delivery', id: `free-delivery-${beat.beat_id}` },
    h('option', { value: 'instant' }, 'at once'), h('option', { value: 'email' }, 'by mail'));
  const save = h('button', { type: 'submit', class: 'button primary' }, 'Give it away');
  const stop = h('button', { type: 'button', class: 'button danger', hidden: true }, 'Stop giving it away');
  const form = h('form', { class: 'inline-form', novalidate: true },
    field(`Free tagged MP3 of ${beat.title}`, gate), field('Link delivered', delivery), save, stop,
    h('button', { type: 'button', class: 'button', onclick: () => done(false) }, 'Cancel'), formError());
  api(`/api/beats/${id(beat.beat_id)}/free-download`).then((offer) => {
    if (!offer.offered) return;
    gate.value = offer.gate;
    delivery.value = offer.delivery;
    stop.hidden = false;
  }).catch(() => {});
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(save, async () => {
      showErrors(form, null);
      try {
        await api(`/api/beats/${id(beat.beat_id)}/free-download`, { method: 'PUT', body: { gate: gate.value, delivery: delivery.value } });
        toast(`${beat.title} is now a free download.`);
        done(true);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  stop.addEventListener('click', () => busy(stop, async () => {
    await api(`/api/beats/${id(beat.beat_id)}/free-download`, { method: 'DELETE' });
    toast('No longer a free download.');
    done(true);
  }));
  return form;
}

export function leadsSection() {
  const body = h('tbody');
  api(`/api/free-downloads/leads${q({ limit: 100 })}`).then((page) => {
    body.replaceChildren(...page.leads.map((lead) => h('tr', {},
      h('td', {}, when(lead.created_at)), h('td', {}, lead.title ?? lead.beat_id),
      h('td', {}, lead.email ?? `follower ${lead.username ?? ''}`))));
    if (!page.leads.length) body.append(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'Nobody has claimed a free download yet.')));
  }).catch(() => {});
  return h('details', { class: 'panel fold' }, h('summary', {}, h('h2', {}, 'Free download leads')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'leads' },
      h('thead', {}, h('tr', {}, ['When', 'Beat', 'Who'].map((t) => h('th', { scope: 'col' }, t)))), body)));
}
