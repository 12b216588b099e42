/* Team chat: the project's members talking among themselves; a dot on the nav button
 * (and a toast) for a teammate's message while another section is shown. Frames:
 * team_message. Events: view:show, project:reset. */
import { api, newClientId, projectPath, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { $, cmpId, h, isNearBottom, windowFocused } from '../core/dom.js';
import { myId } from '../core/session.js';
import { onFrame } from '../core/socket.js';
import { S } from '../core/state.js';
import { clock, fullTime, parseTime } from '../core/time.js';
import { toast } from '../core/toast.js';

let team = { messages: new Map(), loaded: false, loading: false };

async function openTeamChat() {
  $('team-chat-dot').hidden = true;
  const ep = S.epoch;
  if (team.loaded || team.loading) { renderTeamChat(true); return; }
  team.loading = true;
  try {
    const data = await api('GET', projectPath('/team/messages?limit=100'));
    if (ep !== S.epoch) return;
    for (const m of (data && data.messages) || []) team.messages.set(m.id, m);
    team.loaded = true;
    renderTeamChat(true);
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load the team chat');
  } finally {
    team.loading = false;
  }
}

function renderTeamChat(forceBottom) {
  const box = $('team-messages');
  const stick = forceBottom || isNearBottom(box);
  const msgs = Array.from(team.messages.values()).sort((a, b) => cmpId(a.id, b.id));
  if (!msgs.length) {
    box.replaceChildren(h('div', { class: 'conv-note', text: team.loaded ? 'No team messages yet. Say hello to your team.' : 'Loading…' }));
    return;
  }
  box.replaceChildren(...msgs.map((m) => {
    const mine = m.author_id === myId();
    const t = parseTime(m.created_at) || Date.now();
    return h('div', { class: 'msg ' + (mine ? 'msg-operator' : 'msg-visitor') + ' msg-team', 'data-id': m.id }, [
      h('div', { class: 'msg-author', text: m.author_name || 'Teammate' }),
      h('div', { class: 'msg-row' }, [h('div', { class: 'msg-bubble msg-text', text: m.text }),
        h('time', { class: 'msg-time', datetime: m.created_at || '', title: fullTime(m.created_at), text: clock(t) })]),
    ]);
  }));
  if (stick) box.scrollTop = box.scrollHeight;
}

function onTeamMessage(m) {
  if (!m || !m.id) return;
  team.messages.set(m.id, m);
  if (S.view === 'team-chat') renderTeamChat(false);
  else if (m.author_id !== myId()) {
    $('team-chat-dot').hidden = false;
    if (!windowFocused() || S.view !== 'team-chat') toast((m.author_name || 'Teammate') + ' (team chat): ' + String(m.text).slice(0, 80));
  }
}

async function onTeamSubmit(ev) {
  if (ev) ev.preventDefault();
  const ta = $('team-text');
  const text = ta.value.trim();
  if (!text) return;
  const ep = S.epoch;
  const body = { client_id: newClientId(), text };
  ta.value = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const data = await api('POST', projectPath('/team/messages'), body);
      if (ep === S.epoch && data && data.message) onTeamMessage(data.message);
      renderTeamChat(true);
      return;
    } catch (e) {
      if (ep !== S.epoch) return;
      if (e.status !== 0 && e.status < 500) { ta.value = text; reportError(e, 'Could not send'); return; }
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1))); // same client_id: no duplicate
    }
  }
  ta.value = text;
  toast('Could not send to the team chat: no connection.', 'error');
}

// The section's markup (static: no server data).
function build() {
  $('view-team-chat').append(
    h('header', { class: 'view-head' }, [
      h('h2', { id: 'team-chat-title', text: 'Team chat' }),
      h('p', { class: 'view-sub', text: 'Only members of this project see these messages.' }),
    ]),
    h('div', { class: 'messages', id: 'team-messages', role: 'log', 'aria-label': 'Team chat history', tabindex: '0' }),
    h('form', { class: 'composer', id: 'team-composer', novalidate: true }, [
      h('label', { for: 'team-text', class: 'sr-only', text: 'Message to the team' }), ' ',
      h('textarea', { id: 'team-text', rows: '1', maxlength: '4000', placeholder: 'Write to your team…', autocomplete: 'off' }),
      h('div', { class: 'composer-bar' }, [
        h('span', { class: 'composer-hint' }, [h('kbd', { text: 'Enter' }), ' to send']), ' ',
        h('button', { type: 'submit', class: 'btn btn-primary btn-sm', text: 'Send' }),
      ]),
    ]),
  );
}

export function mount() {
  build();
  $('team-composer').addEventListener('submit', onTeamSubmit);
  $('team-text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); onTeamSubmit(); }
  });
  onFrame('team_message', (f) => onTeamMessage(f.message));
  on('view:show', (view) => { if (view === 'team-chat') openTeamChat(); });
  on('project:reset', () => {
    team = { messages: new Map(), loaded: false, loading: false };
    $('team-chat-dot').hidden = true;
    $('team-messages').replaceChildren();
  });
}
