/* Replies and notes on their way: each has a client_id, is shown at once (S.pending),
 * retried by itself on network trouble, kept in sessionStorage so a reload resends it.
 * Frames: error (a send the server refused over the socket; "unauthorized": refresh the
 * token). Events: pending:retry, pending:discard (the buttons views/messages.js draws). */
import { api, chatPath, newClientId } from '../core/api.js';
import { on } from '../core/bus.js';
import { moveToTop } from '../core/chats.js';
import { cmpId } from '../core/dom.js';
import { refreshTokens } from '../core/session.js';
import { onFrame } from '../core/socket.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';
import { renderList } from './inbox.js';
import { addMessages, renderMessages } from './messages.js';
import { VIEWING_CLIENT_ID } from './viewing.js';

let pendSeq = 0;

async function postMessage(p) {
  const ep = S.epoch;
  p.status = 'sending';
  p.error = null;
  if (S.openId === p.chat_id) renderMessages();
  try {
    const data = await api('POST', chatPath(p.chat_id, p.internal ? '/notes' : '/messages'), { client_id: p.client_id, text: p.text });
    if (ep !== S.epoch) return;
    const m = data && data.message;
    const pend = S.pending.get(p.chat_id);
    if (pend) pend.delete(p.client_id);
    savePending();
    if (m && m.id) {
      if (S.conv && S.conv.chatId === p.chat_id) addMessages(S.conv, [m]);
      const c = S.chats.get(p.chat_id);
      if (c && !m.internal && (!c.last_message || cmpId(m.id, c.last_message.id) > 0)) {
        S.chats.set(p.chat_id, Object.assign({}, c, {
          last_message: { id: m.id, text: m.text, author_type: m.author_type, created_at: m.created_at },
          last_activity_at: m.created_at || c.last_activity_at,
        }));
        moveToTop(p.chat_id);
        renderList();
      }
    }
    if (S.openId === p.chat_id) renderMessages({ forceBottom: true });
  } catch (e) {
    if (ep !== S.epoch) return;
    if (p.confirmedId) {
      // The server did store it (we saw it live); the failure was only the response.
      const pend = S.pending.get(p.chat_id);
      if (pend) pend.delete(p.client_id);
      savePending();
      if (S.openId === p.chat_id) renderMessages();
      return;
    }
    // Network trouble or a server error: try again by itself a few times (same client_id).
    p.attempts = (p.attempts || 0) + 1;
    if ((e.status === 0 || e.status >= 500 || e.status === 429) && p.attempts < 4) {
      setTimeout(() => {
        const still = S.pending.get(p.chat_id);
        if (ep === S.epoch && still && still.get(p.client_id) === p) postMessage(p); // not discarded meanwhile
      }, 1500 * p.attempts);
      return;
    }
    p.status = 'failed';
    p.error = e.status === 0 ? 'no connection' : (e.message || 'error');
    p.confirmedId = null;
    if (S.openId === p.chat_id) renderMessages();
  }
}

// Unsent replies survive a reload (sessionStorage, per project): the server de-duplicates
// by client_id, so sending one again after the page closed mid-request is always safe.
function pendingKey() { return 'lc-panel:pending:' + (S.project ? S.project.id : ''); }

function savePending() {
  if (!S.project) return;
  const all = [];
  for (const pend of S.pending.values()) {
    for (const p of pend.values()) all.push({ client_id: p.client_id, chat_id: p.chat_id, text: p.text, internal: !!p.internal, created_at: p.created_at });
  }
  try {
    if (all.length) sessionStorage.setItem(pendingKey(), JSON.stringify(all));
    else sessionStorage.removeItem(pendingKey());
  } catch (e) { /* private mode */ }
}

export function restorePending() {
  let saved = [];
  try { saved = JSON.parse(sessionStorage.getItem(pendingKey()) || '[]'); } catch (e) { saved = []; }
  for (const x of Array.isArray(saved) ? saved : []) {
    if (!x || !x.client_id || !x.chat_id || typeof x.text !== 'string') continue;
    let pend = S.pending.get(x.chat_id);
    if (!pend) { pend = new Map(); S.pending.set(x.chat_id, pend); }
    const p = Object.assign({ status: 'sending', error: null, seq: ++pendSeq }, x);
    pend.set(p.client_id, p);
    postMessage(p);
  }
}

function retrySend(p) {
  p.attempts = 0;
  postMessage(p); // same client_id: the server de-duplicates
}

function discardPending(p) {
  const pend = S.pending.get(p.chat_id);
  if (pend) pend.delete(p.client_id);
  savePending();
  if (S.openId === p.chat_id) renderMessages();
}

function onErrorFrame(f) {
  if (f.code === 'unauthorized') {
    refreshTokens().catch(() => {});
    return;
  }
  if (f.client_id === VIEWING_CLIENT_ID) return; // views/viewing.js's own frame
  if (f.client_id) {
    for (const pend of S.pending.values()) {
      const p = pend.get(f.client_id);
      if (p) {
        p.status = 'failed';
        p.error = f.message || f.code;
        if (S.openId === p.chat_id) renderMessages();
        return;
      }
    }
  }
  if (f.message) toast(f.message, 'error');
}

/** A reply or note typed in the composer: drawn at once as "Sending…", then posted. */
export function send(chatId, text, internal) {
  let pend = S.pending.get(chatId);
  if (!pend) { pend = new Map(); S.pending.set(chatId, pend); }
  const p = { client_id: newClientId(), chat_id: chatId, text, status: 'sending', error: null, created_at: new Date().toISOString(), seq: ++pendSeq,
    internal };
  pend.set(p.client_id, p);
  savePending();
  renderMessages({ forceBottom: true });
  postMessage(p);
}

export function mount() {
  onFrame('error', onErrorFrame);
  on('pending:retry', retrySend);
  on('pending:discard', discardPending);
}
