/* The team: members (S.members) with their role, "all chats" and presence, inviting,
 * removing; the member's own status in the header. Frames: none. Events: view:show,
 * socket:open (opening a socket makes an offline member online: show the status it set). */
import { api, projectPath, reportError } from '../core/api.js';
import { emit, on } from '../core/bus.js';
import { $, avatar, enc, h } from '../core/dom.js';
import { isLead, myId } from '../core/session.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';

export async function loadMembers() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/members'));
    if (ep !== S.epoch) return;
    S.members = (data && Array.isArray(data.members)) ? data.members : [];
    const me = S.members.find((m) => m.user_id === myId());
    if (me && me.status) renderStatus(me.status);
    renderMembers();
    if (S.openId) emit('conv:render'); // the "Assign to" list shows who is online
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load the team');
  }
}

function renderStatus(status) {
  const sel = $('status-select');
  sel.value = status;
  sel.dataset.status = status;
}

async function setStatus(status) {
  const ep = S.epoch;
  const sel = $('status-select');
  const before = sel.dataset.status;
  renderStatus(status);
  try {
    const data = await api('PUT', projectPath('/status'), { status });
    if (ep !== S.epoch) return;
    const member = data && data.member;
    if (member && member.status) renderStatus(member.status);
  } catch (e) {
    if (ep !== S.epoch) return;
    renderStatus(before);
    reportError(e, 'Could not change your status');
  }
}

const ROLE_LABELS = { administrator: 'Administrator', manager: 'Manager', operator: 'Operator' };

export function renderMembers() {
  const body = $('members-body');
  const lead = isLead();
  $('invite-form').hidden = !lead;
  $('team-readonly').hidden = lead;
  body.replaceChildren(...S.members.map((m) => {
    const editable = lead && m.role !== 'administrator';
    const role = editable
      ? h('select', { 'aria-label': 'Role of ' + (m.name || m.email), onchange: (e) => changeMember(m, { role: e.target.value }) },
        ['manager', 'operator'].map((r) => h('option', { value: r, text: ROLE_LABELS[r], selected: m.role === r })))
      : h('span', { text: ROLE_LABELS[m.role] || m.role });
    const all = m.role === 'operator'
      ? h('input', { type: 'checkbox', 'aria-label': 'All dialogues for ' + (m.name || m.email), checked: !!m.chat_admin,
        disabled: !editable, onchange: (e) => changeMember(m, { chat_admin: e.target.checked }) })
      : h('span', { class: 'muted', text: 'yes' });
    const status = m.presence === 'online' ? (m.status || 'online') : 'offline';
    return h('tr', { 'data-user-id': m.user_id }, [
      h('td', {}, h('span', { class: 'member' }, [avatar(m.name || m.email, m.user_id, 'avatar-sm'),
        h('span', {}, [h('strong', { text: m.name || m.email }), h('span', { class: 'muted member-email', text: m.email })])])),
      h('td', {}, role),
      h('td', {}, all),
      h('td', {}, h('span', { class: 'presence presence-' + status, text: status })),
      h('td', { text: String(m.active_chats || 0) }),
      h('td', {}, editable ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Remove',
        'aria-label': 'Remove ' + (m.name || m.email), onclick: (e) => removeMember(m, e.currentTarget) }) : null),
    ]);
  }));
}

async function changeMember(m, changes) {
  try {
    await api('PATCH', projectPath('/members/' + enc(m.user_id)), changes);
    toast('Saved: ' + (m.name || m.email) + '.');
  } catch (e) {
    reportError(e, 'Could not change ' + (m.name || m.email));
  }
  loadMembers();
}

async function removeMember(m, button) {
  if (!window.confirm('Remove ' + (m.name || m.email) + ' from this project? Their open panels stop receiving its chats at once.')) return;
  button.disabled = true;
  try {
    await api('DELETE', projectPath('/members/' + enc(m.user_id)));
    toast((m.name || m.email) + ' was removed.');
  } catch (e) {
    reportError(e, 'Could not remove ' + (m.name || m.email));
  }
  loadMembers();
}

async function onInviteSubmit(ev) {
  ev.preventDefault();
  const email = $('invite-email').value.trim();
  const name = $('invite-name').value.trim();
  const result = $('invite-result');
  if (!email) { $('invite-email').focus(); return; }
  const btn = ev.target.querySelector('button[type="submit"]');
  btn.disabled = true;
  try {
    const data = await api('POST', projectPath('/members'), { email, name: name || email.split('@')[0], role: $('invite-role').value });
    result.replaceChildren(h('span', { text: 'Invitation sent to ' + email + '. ' }));
    if (data && data.temporary_password) {
      // Only the local stand-in returns it (no e-mail leaves the machine).
      result.append(h('span', { text: 'Temporary password (local stack only): ' }), h('code', { class: 'temp-password', text: data.temporary_password }));
    }
    result.hidden = false;
    $('invite-email').value = '';
    $('invite-name').value = '';
    loadMembers();
  } catch (e) {
    reportError(e, 'Could not invite ' + email);
  } finally {
    btn.disabled = false;
  }
}

// The section's markup (static: no server data).
function build() {
  $('view-team').append(
    h('header', { class: 'view-head' }, [
      h('h2', { id: 'team-title', text: 'Team' }),
      h('p', { class: 'view-sub', text: 'Who answers this website\'s visitors, and what each of them may do.' }),
    ]),
    h('div', { class: 'view-body' }, [
      h('form', { class: 'card form-grid', id: 'invite-form', novalidate: true }, [
        h('h3', { text: 'Invite a member' }),
        h('div', { class: 'field' }, [
          h('label', { for: 'invite-email', text: 'Their email' }),
          h('input', { id: 'invite-email', type: 'email', required: true, spellcheck: 'false' }),
        ]),
        h('div', { class: 'field' }, [
          h('label', { for: 'invite-name', text: 'Their name' }),
          h('input', { id: 'invite-name', type: 'text', maxlength: '100' }),
        ]),
        h('div', { class: 'field' }, [
          h('label', { for: 'invite-role', text: 'Role' }), ' ',
          h('select', { id: 'invite-role' }, [
            h('option', { value: 'operator', text: 'Operator' }), h('option', { value: 'manager', text: 'Manager' }),
          ]),
        ]),
        h('div', { class: 'form-actions' }, [
          h('button', { type: 'submit', class: 'btn btn-primary btn-sm', text: 'Send invitation' }),
        ]),
        h('p', { class: 'form-note', id: 'invite-result', role: 'status', hidden: true }),
      ]),
      h('p', { class: 'form-note', id: 'team-readonly', hidden: true, text: 'Only managers and the administrator can invite or change members.' }),
      h('div', { class: 'table-wrap' }, [
        h('table', { class: 'table', id: 'members-table' }, [
          h('thead', null, [
            h('tr', null, [
              h('th', { scope: 'col', text: 'Member' }), h('th', { scope: 'col', text: 'Role' }),
              h('th', { scope: 'col', text: 'All dialogues' }), h('th', { scope: 'col', text: 'Status' }),
              h('th', { scope: 'col', text: 'Open dialogues' }),
              h('th', { scope: 'col' }, [h('span', { class: 'sr-only', text: 'Actions' })]),
            ]),
          ]),
          h('tbody', { id: 'members-body' }),
        ]),
      ]),
      h('p', { class: 'form-note' }, [
        'Roles: ', h('strong', { text: 'Administrator' }), ' — the account owner: billing and everything. ',
        h('strong', { text: 'Manager' }), ' — team, settings, saved replies and all dialogues. ',
        h('strong', { text: 'Operator' }),
        ' — their own and unassigned dialogues. "All dialogues" gives any member every dialogue.',
      ]),
    ]),
  );
}

export function mount() {
  build();
  $('status-select').addEventListener('change', (ev) => setStatus(ev.target.value));
  $('invite-form').addEventListener('submit', onInviteSubmit);
  on('view:show', (view) => { if (view === 'team') loadMembers(); });
  on('socket:open', () => loadMembers());
}
