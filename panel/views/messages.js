/* The open chat's messages: the first page, older pages, catching up after a reconnect,
 * and drawing them (days, groups, pending sends, "Seen", a Telegram/Messenger reply's
 * delivery: views/delivery.js). Frames: read (the visitor read up to here: "Seen").
 * Events: socket:open (catch up), project:reset; emits
 * pending:retry / pending:discard from a failed send's buttons (views/outbox.js). */
import { api, chatPath, reportError } from '../core/api.js';
import { emit, on } from '../core/bus.js';
import { $, cmpId, enc, h, isNearBottom } from '../core/dom.js';
import { onFrame } from '../core/socket.js';
import { S } from '../core/state.js';
import { clock, dayKey, dayLabel, fullTime, parseTime } from '../core/time.js';
import * as delivery from './delivery.js';

const MSG_LIMIT = 100;
const GROUP_GAP_MS = 5 * 60 * 1000;

export async function loadConversation(conv) {
  conv.error = null;
  conv.requestedAt = Date.now();
  renderMessages();
  try {
    const data = await api('GET', chatPath(conv.chatId, '/messages?limit=' + MSG_LIMIT));
    if (S.conv !== conv) return;
    const list = (data && Array.isArray(data.messages)) ? data.messages : [];
    conv.truncated = data && 'has_older' in data ? !!data.has_older : list.length >= MSG_LIMIT;
    addMessages(conv, list);
    conv.loaded = true;
    renderMessages({ forceBottom: true });
    if (conv.needsSync) {
      conv.needsSync = false;
      fetchNewer(conv);
    }
  } catch (e) {
    if (S.conv !== conv) return;
    conv.error = e.message || 'Could not load messages.';
    renderMessages();
  }
}

/** Scrolling back: the page of messages just before the oldest one shown. */
async function loadOlder(conv) {
  if (conv.loadingOlder) return;
  let first = null;
  for (const id of conv.messages.keys()) if (first === null || id < first) first = id;
  if (!first) return;
  conv.loadingOlder = true;
  renderMessages();
  const box = $('messages');
  const fromBottom = box.scrollHeight - box.scrollTop;
  try {
    const data = await api('GET', chatPath(conv.chatId, '/messages?before=' + enc(first) + '&limit=' + MSG_LIMIT));
    if (S.conv !== conv) return;
    const list = (data && Array.isArray(data.messages)) ? data.messages : [];
    conv.truncated = !!(data && data.has_older);
    addMessages(conv, list);
  } catch (e) {
    if (S.conv === conv) reportError(e, 'Could not load older messages');
  } finally {
    conv.loadingOlder = false;
  }
  if (S.conv !== conv) return;
  renderMessages();
  box.scrollTop = box.scrollHeight - fromBottom; // keep the reader where they were
}

function lastMessageId(conv) {
  let last = null;
  for (const id of conv.messages.keys()) if (last === null || id > last) last = id;
  return last;
}

/** After a reconnect: page through messages?after=<last id> until caught up. */
async function fetchNewer(conv) {
  if (S.conv !== conv) return;
  if (!conv.loaded) { conv.needsSync = true; return; }
  let after = lastMessageId(conv);
  if (!after) { conv.loaded = false; return loadConversation(conv); }
  try {
    for (let page = 0; page < 50; page++) {
      const data = await api('GET', chatPath(conv.chatId, '/messages?after=' + enc(after) + '&limit=' + MSG_LIMIT));
      if (S.conv !== conv) return;
      const list = (data && Array.isArray(data.messages)) ? data.messages : [];
      addMessages(conv, list);
      renderMessages();
      const next = (data && data.cursor) || (list.length ? list[list.length - 1].id : after);
      if (list.length < MSG_LIMIT || !next || next <= after) break;
      after = next;
    }
  } catch (e) {
    if (S.conv === conv) reportError(e, 'Could not refresh the conversation');
  }
}

/** Adds messages to the map (dedupe by id) and settles optimistic copies by client_id. */
export function addMessages(conv, list) {
  let changed = false;
  const pend = S.pending.get(conv.chatId);
  for (const m of list) {
    if (!m || !m.id) continue;
    if (!conv.messages.has(m.id)) changed = true;
    conv.messages.set(m.id, m);
    if (pend && m.client_id && pend.has(m.client_id)) {
      const p = pend.get(m.client_id);
      if (p.status !== 'sending') { pend.delete(m.client_id); changed = true; }
      else p.confirmedId = m.id; // the POST will settle it; hide the duplicate meanwhile
    }
  }
  return changed;
}

const msgNodes = new Map(); // key -> {el, sig}

function authorLabel(m) {
  if (m.author_type === 'visitor') {
    // The dialogue's current name, not the one stored with the message: a visitor who
    // logs in (identify) is renamed, and older messages keep their default name.
    const c = S.chats.get(m.chat_id || S.openId);
    return (c && c.visitor_name) || m.author_name || 'Visitor';
  }
  if (m.author_name) return m.author_name;
  if (m.author_type === 'operator') {
    const u = S.me && S.me.user;
    if (u && m.author_id && m.author_id === u.id) return u.name || 'You';
    return 'Operator';
  }
  return 'System';
}

export function renderMessages(opts) {
  const box = $('messages');
  const conv = S.conv;
  if (!conv) { box.replaceChildren(); return; }
  const stick = (opts && opts.forceBottom) || isNearBottom(box);
  const nodes = [];

  if (conv.error) {
    nodes.push(h('div', { class: 'conv-note conv-note-error' }, [
      h('span', { text: 'Could not load messages: ' + conv.error + ' ' }),
      h('button', { type: 'button', class: 'link-btn', text: 'Try again', onclick: () => loadConversation(conv) }),
    ]));
  } else if (!conv.loaded && conv.messages.size === 0) {
    nodes.push(h('div', { class: 'conv-note' }, [h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }), ' Loading messages…']));
  } else if (conv.truncated) {
    nodes.push(h('div', { class: 'conv-note' }, [
      h('button', {
        type: 'button', class: 'link-btn', text: conv.loadingOlder ? 'Loading…' : 'Load older messages',
        disabled: conv.loadingOlder ? 'disabled' : null, onclick: () => loadOlder(conv),
      }),
    ]));
  }

  const msgs = Array.from(conv.messages.values()).sort((a, b) => cmpId(a.id, b.id));
  const me = (S.me && S.me.user) || {};
  const pend = Array.from((S.pending.get(conv.chatId) || new Map()).values())
    .filter((p) => !p.confirmedId)
    .sort((a, b) => a.seq - b.seq);
  const items = msgs.map((m) => ({ key: 'm:' + m.id, m, p: null }))
    .concat(pend.map((p) => ({
      key: 'p:' + p.client_id,
      m: { author_type: 'operator', author_id: me.id, author_name: me.name || 'You', text: p.text, created_at: p.created_at, chat_id: p.chat_id, internal: p.internal },
      p,
    })));

  if (conv.loaded && !items.length) {
    nodes.push(h('div', { class: 'conv-note', text: 'No messages in this conversation yet.' }));
  }

  let seenId = null;
  if (conv.seenUpTo) {
    for (const m of msgs) if (m.author_type === 'operator' && !m.internal && m.id <= conv.seenUpTo) seenId = m.id;
    const lastOp = msgs.filter((m) => m.author_type === 'operator' && !m.internal).pop();
    if (!lastOp || lastOp.id !== seenId) seenId = null; // only mark the newest operator message
  }

  let prevDay = null;
  let prev = null;
  let prevT = 0;
  const used = new Set();
  for (const it of items) {
    const t = parseTime(it.m.created_at) || Date.now();
    const dk = dayKey(t);
    if (dk !== prevDay) {
      const key = 'd:' + dk;
      let node = msgNodes.get(key);
      const label = dayLabel(t);
      if (!node || node.sig !== label) {
        node = { el: h('div', { class: 'day-sep', role: 'separator' }, h('span', { text: label })), sig: label };
        msgNodes.set(key, node);
      }
      used.add(key);
      nodes.push(node.el);
      prevDay = dk;
      prev = null;
    }
    const type = it.m.author_type === 'visitor' || it.m.author_type === 'operator' ? it.m.author_type : 'system';
    const cont = !!prev && type !== 'system' && prev.type === type &&
      (prev.author_id || '') === (it.m.author_id || '') && t - prevT < GROUP_GAP_MS;
    const seen = !it.p && it.m.id === seenId;
    const sig = JSON.stringify([it.m.text, authorLabel(it.m), it.m.created_at, type, cont, seen, !!it.m.internal,
      it.p ? [it.p.status, it.p.error] : null, it.m.delivery, it.m.delivery_reason]);
    let node = msgNodes.get(it.key);
    if (!node || node.sig !== sig) {
      node = { el: buildMessage(it, type, cont, seen, t), sig };
      msgNodes.set(it.key, node);
    }
    used.add(it.key);
    nodes.push(node.el);
    prev = { type, author_id: it.m.author_id };
    prevT = t;
  }
  for (const k of Array.from(msgNodes.keys())) if (!used.has(k)) msgNodes.delete(k);
  box.replaceChildren(...nodes);
  if (stick) box.scrollTop = box.scrollHeight;
}

function buildMessage(it, type, cont, seen, t) {
  const m = it.m;
  const p = it.p;
  const el = h('div', {
    class: 'msg msg-' + type + (cont ? ' msg-cont' : '') + (p ? ' msg-pending msg-' + p.status : '')
      + (m.internal && type !== 'system' ? ' msg-note' : ''), // workflow lines are team-only too
    'data-author-type': type,
  });
  if (p) el.dataset.clientId = p.client_id;
  else {
    el.dataset.id = m.id;
    if (m.client_id) el.dataset.clientId = m.client_id;
  }
  const time = h('time', { class: 'msg-time', datetime: m.created_at || '', title: fullTime(m.created_at), text: clock(t) });
  if (type === 'system') {
    const sent = delivery.systemDeliveryText(m);
    el.append(h('div', { class: 'msg-system-line' }, [
      h('span', { class: 'msg-text', text: m.text }),
      ...(sent ? [h('span', { class: 'msg-delivery', 'data-delivery': m.delivery, text: sent })] : []),
      time,
    ]));
    return el;
  }
  // A dialogue begun by an auto message: say so, and show what the visitor saw.
  const auto = typeof m.author_id === 'string' && m.author_id.startsWith('auto.');
  el.append(h('div', { class: 'msg-author', text: authorLabel(m) + (m.internal ? ' · internal note' : '') + (auto ? ' · auto message' : '') }));
  const bubble = h('div', { class: 'msg-bubble msg-text', text: m.text });
  // https, or the panel's own origin (the local stack's CDN serves both over http): the CSP's img-src.
  const image = m.image_url && (/^https:\/\//i.test(m.image_url) || m.image_url.startsWith(location.origin + '/'));
  if (image) bubble.prepend(h('img', { class: 'msg-image', src: m.image_url, alt: '' }));
  for (const f of m.files || []) {
    if (/^https?:\/\//i.test(f.url)) bubble.append(h('a', { class: 'msg-file', href: f.url, target: '_blank', rel: 'noopener', text: f.name }));
  }
  el.append(h('div', { class: 'msg-row' }, [bubble, time]));
  if (p && p.status === 'sending') {
    el.append(h('div', { class: 'msg-status', text: 'Sending…' }));
  } else if (p && p.status === 'failed') {
    el.append(h('div', { class: 'msg-status msg-status-failed' }, [
      h('span', { text: 'Not sent' + (p.error ? ' — ' + p.error : '') + '. ' }),
      h('button', { type: 'button', class: 'link-btn', text: 'Retry', onclick: () => emit('pending:retry', p) }),
      h('button', { type: 'button', class: 'link-btn link-btn-muted', text: 'Discard', onclick: () => emit('pending:discard', p) }),
    ]));
  } else if (!p && m.delivery) {
    el.append(delivery.deliveryLine(m, () => renderMessages()));
  } else if (seen) {
    el.append(h('div', { class: 'msg-status msg-status-seen', text: 'Seen' }));
  }
  return el;
}

/** The chat shown changes: drop what the last one drew. */
export function clearMessages() {
  msgNodes.clear();
  $('messages').replaceChildren();
}

export function mount() {
  delivery.mount(() => renderMessages());
  onFrame('read', (f) => {
    if (f.reader !== 'visitor' || !f.chat_id || !S.conv || S.conv.chatId !== f.chat_id) return;
    const last = lastMessageId(S.conv);
    if (last) {
      S.conv.seenUpTo = last;
      renderMessages();
    }
  });
  on('socket:open', ({ openedAt }) => {
    const conv = S.conv;
    if (conv) {
      if (conv.loaded) fetchNewer(conv);
      else if (conv.requestedAt && conv.requestedAt < openedAt) conv.needsSync = true;
    }
  });
  on('project:reset', clearMessages);
}
