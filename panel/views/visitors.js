/* Visitors online: who is on the site now (read again every 10 s while shown), "Start
 * chat" (the operator's first message opens the visitor's chat), "Open chat". Frames:
 * none. Events: view:show (polls only while shown), project:reset. */
import { api, newClientId, projectPath, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { mergeSummary, moveToTop } from '../core/chats.js';
import { $, avatar, enc, h } from '../core/dom.js';
import { openChat, showView } from '../core/nav.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';
import { fetchChatSummary, renderList } from './inbox.js';

let visitors = null;   // GET /projects/{pid}/visitors/online
let pollTimer = null;

// The visitors list is read again this often while shown: one Query, no fan-out of
// every page view of every visitor to every open panel.
const VISITORS_POLL_MS = 10 * 1000;

async function loadVisitors() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/visitors/online'));
    if (ep !== S.epoch || !data) return;
    visitors = data;
    renderVisitors();
  } catch (e) {
    if (ep === S.epoch && S.view === 'visitors') $('visitors-note').textContent = 'Could not load visitors: ' + e.message;
  }
}

function openVisitorChat(chatId) {
  if (!chatId) return;
  if (S.chats.has(chatId)) { openChat(chatId); return; }
  fetchChatSummary(chatId, { author_type: 'operator', chat_id: chatId }).then(() => openChat(chatId));
}

/** A proactive chat: the operator's first message opens the visitor's dialogue. */
function startChatForm(v, button) {
  const cell = button.parentNode;
  clearInterval(pollTimer); // hold the list still while typing
  const input = h('input', { type: 'text', class: 'start-chat-input', maxlength: '4000', 'aria-label': 'First message to ' + (v.name || 'the visitor'), value: 'Hi! Can I help you with anything?' });
  const send = async (ev) => {
    if (ev) ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    form.querySelector('button').disabled = true;
    try {
      const data = await api('POST', projectPath('/visitors/' + enc(v.id) + '/chats'), { client_id: newClientId(), text });
      if (data && data.chat) {
        S.chats.set(data.chat.id, mergeSummary(S.chats.get(data.chat.id), data.chat));
        moveToTop(data.chat.id);
        renderList();
        // reaches_in: when their widget's next heartbeat is due (about 15 s while this list
        // is open, up to 90 s just after it opened); null: their page is not in view now.
        toast('Chat started: it pops up in ' + (v.name || 'the visitor') + '\u2019s widget at once if their chat is open, otherwise ' +
          (data.reaches_in ? 'within about ' + data.reaches_in + ' seconds.' : 'when their page is next in view.'));
        openChat(data.chat.id);
      }
    } catch (e) {
      reportError(e, 'Could not start the chat');
      form.querySelector('button').disabled = false;
    } finally {
      if (S.view === 'visitors') showView('visitors'); // the list polls again
    }
  };
  const cancel = () => { // the list again, polling, and focus back where it was
    renderVisitors(v.id);
    if (S.view === 'visitors') showView('visitors');
  };
  input.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') cancel(); });
  const form = h('form', { class: 'start-chat', onsubmit: send }, [input,
    h('button', { type: 'submit', class: 'btn btn-primary btn-sm', text: 'Send' }),
    h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: 'Cancel', onclick: cancel })]);
  cell.replaceChildren(form);
  input.focus();
  input.select();
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 60) return seconds + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
  return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
}

/** The list, redrawn every 10 s: the focused Start chat button (or ``focusId``'s) keeps focus. */
function renderVisitors(focusId) {
  const data = visitors || { visitors: [] };
  const list = data.visitors || [];
  const active = document.activeElement;
  const keep = focusId || (active && active.matches && active.matches('button[data-visitor-id]') ? active.dataset.visitorId : null);
  $('visitors-count').textContent = list.length ? ' ' + list.length + (data.more ? '+' : '') : '';
  $('visitors-body').replaceChildren(...(list.length ? list.map((v) => {
    let page = v.page_url || '';
    try { const u = new URL(page); page = u.pathname + u.search; } catch (e) { /* keep as is */ }
    const where = [v.city, v.country].filter(Boolean).join(', ');
    const device = [v.platform, v.os, v.browser].filter(Boolean).join(' · ');
    return h('tr', { 'data-visitor-id': v.id }, [
      h('td', {}, h('span', { class: 'member' }, [avatar(v.name || 'Visitor', v.id, 'avatar-sm'), h('strong', { text: v.name || 'Visitor' })])),
      h('td', { class: 'visitor-page', title: v.page_url || '', text: page }),
      h('td', { text: duration(v.seconds_on_site) }),
      h('td', { text: where || '—' }),
      h('td', { text: device || '—' }),
      h('td', { text: String(v.visits || 1) }),
      h('td', { class: 'visitor-chat' }, v.chatting || (v.chat_id && S.chats.has(v.chat_id))
        ? h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Open chat', onclick: () => openVisitorChat(v.chat_id) })
        : h('button', { type: 'button', class: 'btn btn-primary btn-sm', text: 'Start chat', 'aria-label': 'Start a chat with ' + (v.name || 'visitor'), 'data-visitor-id': v.id, onclick: (e) => startChatForm(v, e.currentTarget) })),
    ]);
  }) : [h('tr', {}, h('td', { colspan: '7', class: 'muted', text: 'Nobody is on the site right now.' }))]));
  const again = keep && Array.from($('visitors-body').querySelectorAll('button[data-visitor-id]')).find((b) => b.dataset.visitorId === keep);
  if (again) again.focus();
  $('visitors-note').textContent = data.limit === null || data.limit === undefined
    ? '' : 'Your plan tracks up to ' + data.limit + ' online visitors' + (data.more ? ': more are on the site now. Upgrade to see them all.' : '.');
}

// The section's markup (static: no server data).
function build() {
  $('view-visitors').append(
    h('header', { class: 'view-head' }, [
      h('h2', { id: 'visitors-title', text: 'Visitors online' }),
      h('p', { class: 'view-sub', id: 'visitors-sub', text: 'Who is on your website now. The list updates by itself.' }),
    ]),
    h('div', { class: 'view-body' }, [
      h('div', { class: 'table-wrap' }, [
        h('table', { class: 'table', id: 'visitors-table' }, [
          h('thead', null, [
            h('tr', null, [
              h('th', { scope: 'col', text: 'Visitor' }), h('th', { scope: 'col', text: 'Current page' }),
              h('th', { scope: 'col', text: 'On site' }), h('th', { scope: 'col', text: 'Location' }),
              h('th', { scope: 'col', text: 'Device' }), h('th', { scope: 'col', text: 'Visits' }),
              h('th', { scope: 'col', text: 'Chat' }),
            ]),
          ]),
          h('tbody', { id: 'visitors-body' }),
        ]),
      ]),
      h('p', { class: 'form-note', id: 'visitors-note' }),
    ]),
  );
}

export function mount() {
  build();
  on('view:show', (view) => {
    clearInterval(pollTimer);
    if (view === 'visitors') {
      loadVisitors();
      pollTimer = setInterval(() => { if (!document.hidden) loadVisitors(); }, VISITORS_POLL_MS);
    }
  });
  on('project:reset', () => {
    visitors = null;
    clearInterval(pollTimer);
    $('visitors-body').replaceChildren();
    $('visitors-count').textContent = '';
  });
}
