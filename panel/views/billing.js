/* Billing: the plan, usage against each limit, choosing and paying (Stripe Checkout; the
 * portal for cards, invoices and cancelling). Everyone sees it; only the administrator
 * acts. S.billing is shared (views/banner.js reads it); emits billing:changed. Frames:
 * none. Events: view:show. */
import { api, projectPath, reportError } from '../core/api.js';
import { emit, on } from '../core/bus.js';
import { $, enc, h } from '../core/dom.js';
import { S } from '../core/state.js';
import { parseTime } from '../core/time.js';
import { toast } from '../core/toast.js';

let interval = 'monthly'; // the price shown: monthly | six_months | annual

const USAGE_LABELS = {
  unique_visitors: 'Unique visitors',
  team_members: 'Team members',
  scenarios: 'Auto messages and pop-ups',
  messenger_messages: 'Incoming messenger messages',
};

const INTERVAL_LABELS = { monthly: 'month', six_months: '6 months', annual: 'year' };

export async function loadBilling() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/billing'));
    if (ep !== S.epoch || !data || !data.billing) return;
    S.billing = data.billing;
    emit('billing:changed');
    if (S.view === 'billing') renderBilling();
  } catch (e) {
    if (ep === S.epoch && S.view === 'billing') reportError(e, 'Could not load billing');
  }
}

function money(cents, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: (currency || 'usd').toUpperCase() }).format(cents / 100);
  } catch (e) {
    return (cents / 100).toFixed(2) + ' ' + String(currency || '').toUpperCase();
  }
}

function dateOnly(s) {
  const t = parseTime(s);
  return t === null ? '' : new Date(t).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

function renderBilling() {
  const b = S.billing;
  if (!b) return;
  $('billing-test-mode').hidden = !b.test_mode;
  $('billing-sub').textContent = b.can_manage ? 'Choose, pay or change this project\u2019s plan.'
    : 'Only the account administrator can change the plan.';
  // Current plan
  const states = { ok: 'Active', past_due: 'Payment failed, retrying', unpaid: 'Not paid' };
  const current = [h('h3', { text: 'Current plan' }),
    h('p', { class: 'plan-now' }, [
      h('strong', { text: b.plan.name }),
      b.interval ? h('span', { class: 'muted', text: ' · billed every ' + INTERVAL_LABELS[b.interval] }) : null,
      h('span', { class: 'tag state-' + b.state, text: states[b.state] || b.state }),
    ])];
  if (b.period) current.push(h('p', { class: 'muted', text: 'This period: ' + dateOnly(b.period.start) + ' – ' + dateOnly(b.period.end) }));
  if (b.pending) current.push(renderPending(b));
  if (b.cancel_at_period_end) current.push(h('p', { class: 'form-note', text: 'Cancelled: the project moves back to Free on ' + dateOnly(b.period && b.period.end) + '.' }));
  for (const blocked of b.blocked || []) {
    current.push(h('p', { class: 'form-error billing-blocked' }, [h('strong', { text: blocked.message + ' ' }), h('span', { text: blocked.resume })]));
  }
  for (const warning of b.warnings || []) {
    current.push(h('p', { class: 'form-note billing-warning' }, [h('strong', { text: warning.message + ' ' }), h('span', { text: warning.resume })]));
  }
  if (b.can_manage && b.has_payment_details) {
    current.push(h('div', { class: 'form-actions' }, h('button', {
      type: 'button', class: 'btn btn-secondary btn-sm', text: 'Manage payment and invoices', onclick: (e) => openPortal(e.currentTarget),
    })));
  }
  $('billing-current').replaceChildren(...current);
  // Usage bars
  $('usage-list').replaceChildren(...Object.keys(USAGE_LABELS).filter((k) => b.usage && b.usage[k]).map((k) => {
    const u = b.usage[k];
    const unlimited = u.limit === null || u.limit === undefined;
    const share = unlimited ? 0 : Math.min(1, u.limit ? u.used / u.limit : 1);
    const level = share >= 1 ? 'full' : share >= 0.8 ? 'high' : 'ok';
    return h('div', { class: 'usage', 'data-usage': k }, [
      h('div', { class: 'usage-top' }, [h('span', { text: USAGE_LABELS[k] }),
        h('span', { class: 'usage-num', text: u.used + ' / ' + (unlimited ? 'unlimited' : u.limit) })]),
      h('div', { class: 'bar', role: 'progressbar', 'aria-label': USAGE_LABELS[k], 'aria-valuemin': '0',
        'aria-valuemax': unlimited ? null : String(u.limit), 'aria-valuenow': String(u.used) },
      barFill(level, share)),
    ]);
  }));
  if (b.usage && b.usage.online_visitors) {
    const lim = b.usage.online_visitors.limit;
    $('usage-list').append(h('p', { class: 'muted', text: 'Online visitors tracked: ' + (lim === null || lim === undefined ? 'unlimited' : lim) }));
  }
  renderPlans();
  $('billing-refunds').textContent = b.refunds || '';
}

/** A plan chosen at Checkout and not paid: nothing has changed yet, so no alarm. */
function renderPending(b) {
  const plans = (b.catalogue && b.catalogue.plans) || [];
  const chosen = plans.find((p) => p.id === b.pending.plan) || { id: b.pending.plan, name: b.pending.plan };
  const every = INTERVAL_LABELS[b.pending.interval] || b.pending.interval;
  const note = h('div', { class: 'billing-pending', 'data-pending': chosen.id }, [
    h('p', { class: 'form-note' }, [h('strong', { text: chosen.name + ' is waiting for payment' }),
      h('span', { text: ' (billed every ' + every + '). Until it is paid the project stays on ' + b.plan.name + ' and the chat works as before.' })]),
  ]);
  if (b.can_manage) {
    note.append(h('div', { class: 'form-actions' }, [
      h('button', { type: 'button', class: 'btn btn-primary btn-sm', text: 'Complete payment',
        onclick: (e) => choosePlan(chosen, e.currentTarget, b.pending.interval) }),
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Cancel',
        onclick: (e) => cancelCheckout(e.currentTarget) }),
    ]));
  }
  return note;
}

async function cancelCheckout(button) {
  const ep = S.epoch;
  button.disabled = true;
  try {
    const data = await api('DELETE', projectPath('/billing/checkout'));
    if (ep !== S.epoch) return;
    if (data && data.billing) S.billing = data.billing;
    renderBilling();
    emit('billing:changed');
    toast('The checkout was cancelled; nothing was charged.');
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not cancel the checkout');
    button.disabled = false;
  }
}

function barFill(level, share) {
  const fill = h('span', { class: 'bar-fill bar-' + level });
  fill.style.width = Math.round(share * 100) + '%'; // CSSOM: the CSP forbids style attributes
  return fill;
}

function renderPlans() {
  const b = S.billing;
  const catalogue = b.catalogue || { plans: [] };
  document.querySelectorAll('#interval-switch button').forEach((btn) => {
    btn.setAttribute('aria-checked', btn.dataset.interval === interval ? 'true' : 'false');
  });
  $('plan-grid').replaceChildren(...catalogue.plans.map((plan) => {
    const price = (plan.prices || []).find((p) => p.interval === interval);
    const isCurrent = plan.id === b.plan.id && (plan.id === 'free' || b.interval === interval);
    const limits = plan.limits || {};
    const limitText = (v, unit) => (v === null || v === undefined ? 'Unlimited ' : v.toLocaleString() + ' ') + unit;
    let action = null;
    if (b.can_manage && !isCurrent && (plan.id === 'free' || price)) {
      action = h('button', {
        type: 'button', class: 'btn btn-primary btn-sm',
        text: plan.id === 'free' ? 'Move to Free' : 'Choose ' + plan.name,
        onclick: (e) => choosePlan(plan, e.currentTarget),
      });
    }
    return h('div', { class: 'plan' + (isCurrent ? ' plan-current' : ''), 'data-plan': plan.id }, [
      h('h4', { text: plan.name }),
      h('p', { class: 'plan-price' }, plan.id === 'free' || !price ? [h('strong', { text: money(0, catalogue.currency) }), h('span', { class: 'muted', text: ' forever' })] : [
        h('strong', { text: money(price.amount / (price.months || 1), catalogue.currency) }), h('span', { class: 'muted', text: ' / month' }),
        price.months > 1 ? h('span', { class: 'muted plan-billed', text: money(price.amount, catalogue.currency) + ' every ' + INTERVAL_LABELS[price.interval] + (price.discount_percent ? ' (' + price.discount_percent + '% off)' : '') }) : null,
      ]),
      h('ul', { class: 'plan-limits' }, [
        h('li', { text: limitText(limits.unique_visitors, 'unique visitors / period') }),
        h('li', { text: limitText(limits.online_visitors, 'online visitors tracked') }),
        h('li', { text: limitText(limits.team_members, 'team members') }),
        h('li', { text: limitText(limits.scenarios, 'auto messages and pop-ups') }),
        h('li', { text: limitText(limits.messenger_messages, 'messenger messages') }),
        h('li', { text: plan.powered_by ? '"Powered by" label in the widget' : 'No "Powered by" label' }),
      ]),
      isCurrent ? h('span', { class: 'tag', text: 'Current plan' }) : action,
    ]);
  }));
}

async function choosePlan(plan, button, pendingInterval) {
  if (plan.id === 'free' && !window.confirm('Move this project to Free? A paid plan stays until the end of the period you paid for.')) return;
  const ep = S.epoch;
  button.disabled = true;
  try {
    const body = plan.id === 'free' ? { plan: 'free' } : { plan: plan.id, interval: pendingInterval || interval };
    const data = await api('POST', projectPath('/billing/plan'), body);
    if (ep !== S.epoch) return;
    if (data && data.checkout_url) { location.assign(data.checkout_url); return; } // Stripe Checkout
    if (data && data.billing) S.billing = data.billing;
    renderBilling();
    emit('billing:changed');
    toast('Plan updated.');
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not change the plan');
  } finally {
    button.disabled = false;
  }
}

async function openPortal(button) {
  button.disabled = true;
  try {
    const data = await api('POST', projectPath('/billing/portal'), {});
    if (data && data.portal_url) location.assign(data.portal_url);
  } catch (e) {
    reportError(e, 'Could not open the payment portal');
    button.disabled = false;
  }
}

/** Back from Stripe Checkout: ?project=<id>&checkout=success|cancelled. */
export function readCheckoutReturn() {
  const q = new URLSearchParams(location.search);
  const outcome = q.get('checkout');
  if (!outcome) return null;
  const project = q.get('project');
  history.replaceState(null, '', location.pathname + (project ? '#/' + enc(project) + '/billing' : ''));
  return outcome;
}

// The section's markup (static: no server data).
function build() {
  $('view-billing').append(
    h('header', { class: 'view-head' }, [
      h('h2', { id: 'billing-title' }, [
        'Billing ',
        h('span', { class: 'tag tag-test', id: 'billing-test-mode', hidden: true, text: 'TEST MODE: nobody is charged' }),
      ]),
      h('p', { class: 'view-sub', id: 'billing-sub' }),
    ]),
    h('div', { class: 'view-body' }, [
      h('div', { class: 'card', id: 'billing-current', 'aria-label': 'Current plan' }),
      h('div', { class: 'card', id: 'billing-usage' }, [
        h('h3', { text: 'Usage this period' }), h('div', { class: 'usage-list', id: 'usage-list' }),
      ]),
      h('div', { class: 'card', id: 'billing-plans' }, [
        h('div', { class: 'plans-head' }, [
          h('h3', { text: 'Plans' }),
          h('div', { class: 'interval-switch', role: 'radiogroup', 'aria-label': 'Billing period', id: 'interval-switch' }, [
            h('button', { type: 'button', role: 'radio', 'data-interval': 'monthly', 'aria-checked': 'true', text: 'Monthly' }),
            ' ',
            h('button', { type: 'button', role: 'radio', 'data-interval': 'six_months', 'aria-checked': 'false' }, [
              '6 months ', h('span', { class: 'save', text: '−10%' }),
            ]),
            ' ',
            h('button', { type: 'button', role: 'radio', 'data-interval': 'annual', 'aria-checked': 'false' }, [
              'Annual ', h('span', { class: 'save', text: '−20%' }),
            ]),
          ]),
        ]),
        h('div', { class: 'plan-grid', id: 'plan-grid' }), h('p', { class: 'form-note', id: 'billing-refunds' }),
      ]),
    ]),
  );
}

export function mount() {
  build();
  $('interval-switch').addEventListener('click', (ev) => {
    const btn = ev.target.closest('button[data-interval]');
    if (!btn || !S.billing) return;
    interval = btn.dataset.interval;
    renderPlans();
  });
  on('view:show', (view) => { if (view === 'billing') { renderBilling(); loadBilling(); } });
}
