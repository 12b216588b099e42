/* Auto messages (leads only; the server refuses operators, and #nav-auto is hidden for
 * them): the list with each message's figures, enabling, deleting, "New auto message"
 * (said at once when the plan has none left). The editor is views/auto-editor.js.
 * Frames: none. Events: project:loaded (the role is known), view:show, auto:saved,
 * project:reset. */
import { api, projectPath, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { $, enc, h } from '../core/dom.js';
import { showView } from '../core/nav.js';
import { isLead } from '../core/session.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';
import { closeAutoEditor, editAuto, editingAutoId } from './auto-editor.js';
import { loadCatalogue } from './auto-rules.js';

let autoMessages = [];

const AUTO_TYPE_LABELS = { proactive: 'Proactive chat', targeted: 'Targeted chat', email: 'Email' };

function renderAutoNav() {
  const lead = isLead();
  $('nav-auto').hidden = !lead;
  if (S.view === 'auto' && S.projectInfo && !lead) showView('inbox');
}

async function loadAutoList() {
  const ep = S.epoch;
  if (!S.projectInfo || !isLead()) return; // called again once the role is known
  try {
    const [data] = await Promise.all([api('GET', projectPath('/auto-messages')), loadCatalogue()]);
    if (ep !== S.epoch) return;
    autoMessages = (data && Array.isArray(data.auto_messages)) ? data.auto_messages : [];
    renderAutoList();
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load auto messages');
  }
}

function rate(part, whole) {
  return whole > 0 ? Math.round((100 * part) / whole) + '%' : '—';
}

function renderAutoList() {
  const body = $('auto-body');
  if (!autoMessages.length) {
    body.replaceChildren(h('tr', {}, h('td', { colspan: '7', class: 'muted', text: 'No auto messages yet.' })));
    return;
  }
  body.replaceChildren(...autoMessages.map((m) => {
    const st = m.stats || { sent: 0, opened: 0, replied: 0 };
    return h('tr', { 'data-auto-id': m.id }, [
      h('td', {}, h('strong', { class: 'auto-name', text: m.name })),
      h('td', {}, h('span', { class: 'tag auto-type', text: AUTO_TYPE_LABELS[m.type] || m.type })),
      h('td', {}, h('label', { class: 'auto-enabled-box' }, h('input', { // the label: a phone's 44 px target
        type: 'checkbox', class: 'auto-enabled', checked: !!m.enabled, 'aria-label': 'Enabled: ' + m.name,
        onchange: (e) => toggleAuto(m, e.currentTarget),
      }))),
      h('td', { class: 'auto-sent', text: String(st.sent) }),
      h('td', {}, [h('span', { class: 'auto-opened', text: String(st.opened) }), ' ',
        h('span', { class: 'muted auto-open-rate', text: '(' + rate(st.opened, st.sent) + ')' })]),
      h('td', {}, [h('span', { class: 'auto-replied', text: String(st.replied) }), ' ',
        h('span', { class: 'muted auto-reply-rate', text: '(' + rate(st.replied, st.sent) + ')' })]),
      h('td', { class: 'auto-actions' }, [
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: 'Edit', 'aria-label': 'Edit ' + m.name, onclick: () => editAuto(m) }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Delete', 'aria-label': 'Delete ' + m.name, onclick: (e) => deleteAuto(m, e.currentTarget) }),
      ]),
    ]);
  }));
}

async function toggleAuto(m, box) {
  box.disabled = true;
  try {
    const data = await api('PATCH', projectPath('/auto-messages/' + enc(m.id)), { enabled: box.checked });
    Object.assign(m, data.auto_message);
    toast('“' + m.name + '” ' + (m.enabled ? 'enabled' : 'disabled') + '. Visitors\u2019 widgets follow within a minute.');
  } catch (e) {
    box.checked = !!m.enabled;
    reportError(e, 'Could not change the auto message');
  } finally {
    box.disabled = false;
  }
}

async function deleteAuto(m, button) {
  if (!window.confirm('Delete the auto message "' + m.name + '"? Its figures are lost.')) return;
  button.disabled = true;
  try {
    await api('DELETE', projectPath('/auto-messages/' + enc(m.id)));
    if (editingAutoId() === m.id) closeAutoEditor();
    await loadAutoList();
  } catch (e) {
    button.disabled = false;
    reportError(e, 'Could not delete the auto message');
  }
}

/** Say at once when the plan has no auto message left, not after the form is filled. */
async function newAutoMessage() {
  try {
    const data = await api('GET', projectPath('/billing'));
    const used = data.billing.usage.scenarios;
    if (used.limit !== null && used.limit !== undefined && used.used >= used.limit) {
      const note = $('auto-plan-limit');
      note.replaceChildren(
        h('span', { text: 'Your plan allows ' + used.limit + ' auto message' + (used.limit === 1 ? '' : 's') + ' (disabled ones count), and all are in use. Delete one, or ' }),
        h('button', { type: 'button', class: 'link-btn', text: 'choose a larger plan', onclick: () => showView('billing') }),
        h('span', { text: '.' }),
      );
      note.hidden = false;
      return;
    }
  } catch (e) { /* the server still says so on save */ }
  $('auto-plan-limit').hidden = true;
  editAuto(null);
}

// The section's markup: head, list and the editor's box (views/auto-editor.js fills it); static, no server data.
function build() {
  $('view-auto').append(
    h('header', { class: 'view-head' }, [
      h('h2', { id: 'auto-title', text: 'Auto messages' }),
      h('p', { class: 'view-sub', text: 'Messages that reach visitors and users by themselves when they match the rules you set.' }),
    ]),
    h('div', { class: 'view-body' }, [
      h('div', { class: 'auto-toolbar' }, [
        h('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'auto-new', text: 'New auto message' }),
      ]),
      h('p', { class: 'form-errors', id: 'auto-plan-limit', role: 'status', hidden: true }),
      h('div', { class: 'table-wrap' }, [
        h('table', { class: 'table', id: 'auto-table' }, [
          h('thead', null, [
            h('tr', null, [
              h('th', { scope: 'col', text: 'Name' }), h('th', { scope: 'col', text: 'Type' }),
              h('th', { scope: 'col', text: 'Enabled' }), h('th', { scope: 'col', text: 'Sent' }),
              h('th', { scope: 'col', text: 'Opened' }), h('th', { scope: 'col', text: 'Replied' }),
              h('th', { scope: 'col' }, [h('span', { class: 'sr-only', text: 'Actions' })]),
            ]),
          ]),
          h('tbody', { id: 'auto-body' }),
        ]),
      ]),
      h('div', { class: 'auto-editor', id: 'auto-editor', hidden: true }),
    ]),
  );
}

export function mount() {
  build();
  $('auto-new').addEventListener('click', newAutoMessage);
  on('project:loaded', () => {
    renderAutoNav();
    if (S.view === 'auto') loadAutoList(); // it waited for the role
  });
  on('view:show', (view) => { if (view === 'auto') loadAutoList(); });
  on('auto:saved', () => loadAutoList());
  on('project:reset', () => {
    autoMessages = [];
    $('nav-auto').hidden = true;
    closeAutoEditor();
  });
}
