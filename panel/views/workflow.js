/* A chat's workflow in the conversation header: assign to me, unassign, assign to a
 * member (leads), close, reopen. Frames: chat (a summary changed: assignment, close,
 * rating; a chat given to someone else leaves an operator's list). */
import { api, chatPath, reportError } from '../core/api.js';
import { emit } from '../core/bus.js';
import { mergeSummary, stateText } from '../core/chats.js';
import { $, h } from '../core/dom.js';
import { isLead, myId, seesAll } from '../core/session.js';
import { onFrame } from '../core/socket.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';
import { renderList } from './inbox.js';
import { renderTitle } from './notifications.js';

export function renderActions(c) {
  const box = $('conv-actions');
  const mine = c.assignee && c.assignee.id === myId();
  const buttons = [];
  const act = (label, verb) => buttons.push(h('button', {
    type: 'button', text: label, onclick: (e) => chatAction(c.id, verb, e.currentTarget),
  }));
  if (c.state === 'closed') act('Reopen', 'reopen');
  else {
    if (!c.assignee) act('Assign to me', 'assign');
    if (mine || (c.assignee && isLead())) act('Unassign', 'unassign');
    if (isLead() && S.members.length) buttons.push(assignSelect(c));
    act('Close', 'close');
  }
  box.replaceChildren(h('span', { class: 'state ' + (c.state || 'open'), text: stateText(c) }), ...buttons);
}

/** Managers and the administrator give or reassign a dialogue to any member. */
function assignSelect(c) {
  const current = c.assignee ? c.assignee.id : '';
  const option = (m) => h('option', { value: m.user_id, selected: m.user_id === current, text: m.name || m.email });
  const online = S.members.filter((m) => m.presence === 'online');
  const others = S.members.filter((m) => m.presence !== 'online');
  const options = [h('option', { value: '', text: 'Assign to…', disabled: true, selected: !current })];
  if (online.length) options.push(h('optgroup', { label: 'Online' }, online.map(option)));
  if (others.length) options.push(h('optgroup', { label: 'Not online' }, others.map(option)));
  return h('select', {
    class: 'assign-select', 'aria-label': 'Assign to',
    onchange: async (e) => {
      const sel = e.currentTarget;
      sel.disabled = true;
      try {
        const data = await api('POST', chatPath(c.id, '/assign'), { user_id: sel.value });
        if (data && data.chat) applyChatUpdate(data.chat);
      } catch (err) {
        reportError(err, 'Could not assign the dialogue');
        sel.disabled = false;
        sel.value = current;
      }
    },
  }, options);
}

async function chatAction(chatId, verb, button) {
  if (button) button.disabled = true;
  try {
    const data = await api('POST', chatPath(chatId, '/' + verb), {});
    if (data && data.chat) applyChatUpdate(data.chat);
  } catch (e) {
    reportError(e, 'Could not ' + verb + ' the dialogue');
    if (button) button.disabled = false;
  }
}

function applyChatUpdate(chat) {
  if (!chat || !chat.id) return;
  if (chat.assignee && chat.assignee.id !== myId() && !seesAll()) {
    // Given to someone else: an operator no longer sees it (the server agrees).
    const wasOpen = S.openId === chat.id;
    S.chats.delete(chat.id);
    S.order = S.order.filter((id) => id !== chat.id);
    if (wasOpen) {
      S.openId = null;
      S.conv = null;
      emit('conv:render');
      toast('This dialogue is now ' + chat.assignee.name + '\u2019s.');
    }
    renderList();
    renderTitle();
    return;
  }
  S.chats.set(chat.id, mergeSummary(S.chats.get(chat.id), chat));
  renderList();
  if (S.openId === chat.id) emit('conv:render');
}

export function mount() {
  onFrame('chat', (f) => applyChatUpdate(f.chat));
}
