/* The inbox: the chat list (pages, "Load more", unread badges), marking a chat read.
 * Frames: read (an operator read a chat: its badge goes). Events: socket:open (the list is
 * read again if it may have missed frames), project:reset. */
import { api, chatPath, projectPath, reportError } from '../core/api.js';
import { emit, on } from '../core/bus.js';
import { channelText, matchesChannel, mergeSummary, moveToTop, stateBadge, stateText } from '../core/chats.js';
import { $, avatar, enc, h, windowFocused } from '../core/dom.js';
import { openChat } from '../core/nav.js';
import { onFrame, sendFrame } from '../core/socket.js';
import { S } from '../core/state.js';
import { fullTime, relTime } from '../core/time.js';
import { notify, renderTitle } from './notifications.js';

const LIST_LIMIT = 30;
let channelFilter = ''; // '' | website | telegram | messenger (#inbox-channel)

export async function loadChats(more) {
  if (!S.project) return;
  const ep = S.epoch;
  S.listLoading = true;
  S.listError = null;
  renderList();
  const requestedAt = Date.now();
  let qs = '?limit=' + LIST_LIMIT;
  if (more && S.nextCursor) qs += '&cursor=' + enc(S.nextCursor);
  if (channelFilter) qs += '&channel=' + enc(channelFilter);
  if (!more) S.listRequestedAt = requestedAt;
  try {
    const data = await api('GET', projectPath('/chats' + qs));
    if (ep !== S.epoch) return;
    const chats = (data && Array.isArray(data.chats)) ? data.chats : [];
    if (more) {
      for (const c of chats) {
        if (!c || !c.id) continue;
        const known = S.chats.has(c.id);
        S.chats.set(c.id, mergeSummary(S.chats.get(c.id), c));
        if (!known) S.order.push(c.id);
      }
      S.nextCursor = data.next_cursor || null;
      S.pagesLoaded++;
    } else {
      mergeFirstPage(chats, data.next_cursor || null);
    }
  } catch (e) {
    if (ep !== S.epoch) return;
    S.listError = e.message;
    reportError(e, 'Could not load conversations');
  } finally {
    if (ep === S.epoch) {
      S.listLoading = false;
      renderList();
      renderTitle();
    }
  }
}

function mergeFirstPage(chats, nextCursor) {
  const ids = [];
  for (const c of chats) {
    if (!c || !c.id) continue;
    let merged = mergeSummary(S.chats.get(c.id), c);
    if (c.id === S.openId && windowFocused() && merged.unread > 0) {
      merged = Object.assign(merged, { unread: 0 });
      markRead(c.id, true);
    }
    S.chats.set(c.id, merged);
    ids.push(c.id);
  }
  const inPage = new Set(ids);
  S.order = ids.concat(S.order.filter((id) => !inPage.has(id)));
  if (S.pagesLoaded <= 1) S.nextCursor = nextCursor;
  S.pagesLoaded = Math.max(1, S.pagesLoaded);
}

const listNodes = new Map(); // chat id -> {li, btn, sig}

export function renderList() {
  const ul = $('chat-list');
  const active = document.activeElement;
  const selectedId = S.openId;
  const seen = new Set();
  let i = 0;
  for (const id of S.order) {
    const c = S.chats.get(id);
    if (!c || !matchesChannel(c, channelFilter)) continue;
    seen.add(id);
    let node = listNodes.get(id);
    if (!node) {
      const btn = h('button', { type: 'button', class: 'chat-item' });
      btn.dataset.chatId = id;
      node = { li: h('li', { class: 'chat-li' }, btn), btn, sig: '' };
      listNodes.set(id, node);
    }
    const sig = JSON.stringify([c.visitor_name, c.visitor_id, c.status, c.state, c.assignee, c.rating, c.unread, c.last_activity_at,
      c.last_message && [c.last_message.id, c.last_message.text, c.last_message.author_type], channelText(c),
      id === selectedId]);
    if (sig !== node.sig) {
      fillChatButton(node.btn, c, id === selectedId);
      node.sig = sig;
    }
    if (ul.children[i] !== node.li) ul.insertBefore(node.li, ul.children[i] || null);
    i++;
  }
  for (const [id, node] of listNodes) {
    if (!seen.has(id)) {
      node.li.remove();
      listNodes.delete(id);
    }
  }
  if (active && active !== document.activeElement && active.isConnected) active.focus({ preventScroll: true });

  const count = i; // the chats shown (the channel filter may hide some held)
  $('inbox-count').textContent = count ? String(count) + (S.nextCursor ? '+' : '') : '';
  const state = $('list-state');
  if (S.listLoading && !count) {
    state.hidden = false;
    state.className = 'list-state';
    state.replaceChildren(h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }), ' Loading conversations…');
  } else if (S.listError && !count) {
    state.hidden = false;
    state.className = 'list-state list-state-error';
    state.replaceChildren(h('span', { text: 'Could not load conversations. ' }),
      h('button', { type: 'button', class: 'link-btn', text: 'Try again', onclick: () => loadChats(false) }));
  } else if (!count && S.project) {
    state.hidden = false;
    state.className = 'list-state';
    state.replaceChildren(h('strong', { text: 'No conversations yet' }),
      h('span', { text: 'New chats from your website will show up here.' }));
  } else {
    state.hidden = true;
  }
  const more = $('load-more');
  more.hidden = !S.nextCursor;
  more.disabled = S.listLoading;
  more.textContent = S.listLoading && S.nextCursor ? 'Loading…' : 'Load more';
}

function fillChatButton(btn, c, selected) {
  btn.className = 'chat-item' + (selected ? ' selected' : '') + (c.unread > 0 ? ' unread' : '');
  if (selected) btn.setAttribute('aria-current', 'true');
  else btn.removeAttribute('aria-current');
  const name = c.visitor_name || 'Visitor';
  const lm = c.last_message;
  const when = c.last_activity_at || (lm && lm.created_at) || c.created_at;
  const preview = h('span', { class: 'chat-preview' + (lm && lm.author_type === 'operator' ? ' from-team' : '') + (lm && lm.author_type === 'system' ? ' from-system' : '') });
  if (lm && typeof lm.text === 'string') {
    // The prefix is for screen readers, and it keeps the preview from being an element whose
    // whole text equals the message (so "find the bubble by exact text" stays unambiguous).
    preview.append(h('span', { class: 'sr-only', text: lm.author_type === 'operator' ? 'Team replied: '
      : lm.author_type === 'system' ? 'Event: ' : 'Last message: ' }), lm.text);
  } else {
    preview.append(h('em', { text: 'No messages yet' }));
  }
  const bottom = h('span', { class: 'chat-bottom' }, [
    c.channel ? h('span', { class: 'chat-channel channel-' + c.channel.kind, title: channelText(c), text: c.channel.kind === 'telegram' ? 'Telegram' : 'Messenger' }) : null,
    preview,
  ]);
  if (c.unread > 0) {
    bottom.append(h('span', { class: 'badge' }, [
      h('span', { 'aria-hidden': 'true', text: c.unread > 99 ? '99+' : String(c.unread) }),
      h('span', { class: 'sr-only', text: ' ' + c.unread + ' unread' }),
    ]));
  }
  btn.replaceChildren(
    avatar(name, c.visitor_id || c.id, null, c.visitor_picture_url),
    h('span', { class: 'chat-main' }, [
      h('span', { class: 'chat-top' }, [
        h('span', { class: 'chat-name', text: name }),
        h('span', { class: 'chat-state state-' + (c.state || 'open'), title: stateText(c), text: stateBadge(c) }),
        when ? h('time', { class: 'chat-time', datetime: when, title: fullTime(when), 'data-rel': when, text: relTime(when) }) : null,
      ]),
      bottom,
    ]),
  );
}

export function markRead(chatId, preferSocket) {
  const c = S.chats.get(chatId);
  if (c && c.unread) {
    S.chats.set(chatId, Object.assign({}, c, { unread: 0 }));
    renderList();
    renderTitle();
  }
  if (preferSocket && sendFrame({ action: 'read', chat_id: chatId })) return;
  const ep = S.epoch;
  api('POST', chatPath(chatId, '/read'), {}).then((data) => {
    if (ep !== S.epoch || !data || !data.chat || !S.chats.has(chatId)) return;
    const merged = mergeSummary(S.chats.get(chatId), data.chat);
    if (chatId === S.openId) merged.unread = 0;
    S.chats.set(chatId, merged);
    renderList();
    renderTitle();
    if (chatId === S.openId) emit('conv:render');
  }).catch((e) => { if (e.status !== 0) reportError(e, 'Could not mark as read'); });
}

export async function fetchChatSummary(chatId, msg) {
  const ep = S.epoch;
  try {
    const data = await api('GET', chatPath(chatId, ''));
    if (ep !== S.epoch || !data || !data.chat) return;
    const known = S.chats.has(chatId);
    S.chats.set(chatId, mergeSummary(S.chats.get(chatId), data.chat));
    moveToTop(chatId);
    renderList();
    renderTitle();
    if (msg.author_type === 'visitor' && (!known || !windowFocused())) notify(S.chats.get(chatId), msg, !known);
  } catch (e) {
    /* the next list refresh will pick it up */
  }
}

function onWindowFocus() {
  if (!S.tokens || !S.project) return;
  if (S.openId && windowFocused()) {
    const c = S.chats.get(S.openId);
    if (c && c.unread > 0) markRead(S.openId, true);
  }
}

/** Another tab or teammate read a chat (reader operator); the visitor's reads are views/messages.js's. */
function onReadFrame(f) {
  const chatId = f.chat_id;
  if (!chatId || f.reader !== 'operator') return;
  const c = S.chats.get(chatId);
  if (c && c.unread) {
    S.chats.set(chatId, Object.assign({}, c, { unread: 0 }));
    renderList();
    renderTitle();
  }
}

// The chat list's column (static markup: no server data).
function build() {
  document.querySelector('#app .sidebar').append(
    h('div', { class: 'sidebar-head' }, [
      h('h2', { id: 'inbox-title', text: 'Inbox' }), h('span', { class: 'sidebar-count', id: 'inbox-count' }),
      h('label', { for: 'inbox-channel', class: 'sr-only', text: 'Show chats from' }),
      h('select', { id: 'inbox-channel', class: 'inbox-channel' }, [
        h('option', { value: '', text: 'All channels' }), h('option', { value: 'website', text: 'Website' }),
        h('option', { value: 'telegram', text: 'Telegram' }), h('option', { value: 'messenger', text: 'Messenger' }),
      ]),
    ]),
    h('div', { class: 'chat-scroll', id: 'chat-scroll' }, [
      h('ul', { class: 'chat-list', id: 'chat-list' }),
      h('div', { class: 'list-state', id: 'list-state', hidden: true }),
      h('div', { class: 'load-more-wrap' }, [
        h('button', { type: 'button', id: 'load-more', class: 'btn btn-secondary btn-sm', hidden: true, text: 'Load more' }),
      ]),
    ]),
  );
}

export function mount() {
  build();
  $('load-more').addEventListener('click', () => { if (!S.listLoading) loadChats(true); });
  $('inbox-channel').addEventListener('change', (ev) => {
    // The server filters the pages; chats already held that do not match are hidden.
    channelFilter = ev.target.value;
    S.nextCursor = null;
    S.pagesLoaded = 0;
    loadChats(false);
  });
  $('chat-list').addEventListener('click', (ev) => {
    const btn = ev.target.closest('button[data-chat-id]');
    if (btn) openChat(btn.dataset.chatId);
  });
  window.addEventListener('focus', onWindowFocus);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') onWindowFocus(); });
  onFrame('read', onReadFrame);
  // Chat list: refetch unless the current read was issued after the socket opened.
  on('socket:open', ({ openedAt }) => {
    if (S.listRequestedAt !== null && S.listRequestedAt < openedAt) loadChats(false);
  });
  on('project:reset', () => {
    listNodes.clear();
    $('chat-list').replaceChildren();
  });
}
