/* How far a team reply to a Telegram/Messenger chat got: "Sending…", "Sent", "Held" (the
 * channel needs reconnecting) or "Failed: <the platform's reason>" with a Retry button
 * (POST …/messages/{id}/retry). Placed under each such reply by views/messages.js.
 * Frames: delivery (live changes; the history answers carry the same fields, so a
 * reload shows them too). Texts reach the DOM as text only. */
import { api, chatPath, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { enc, h } from '../core/dom.js';
import { onFrame } from '../core/socket.js';
import { S } from '../core/state.js';

const retrying = new Set(); // message ids whose retry is on its way (no double click)
// The newest state each delivery frame said, by message id. A frame can beat the reply's
// own POST answer, or a Retry's (the sender is quick, the answer slow under load): the
// answer's "sending" is then older than the frame, and showing it would say "Sending…"
// for good. So the frame's state wins over any answer; a Retry click forgets it (what
// comes after the click is newer than what came before).
const framed = new Map();
const FRAMED_KEPT = 500;

function newest(m) {
  const said = framed.get(m.id);
  return said ? { ...m, ...said } : m;
}

/** The status line for a reply with a delivery state, or null (website messages). */
export function deliveryLine(m, rerender) {
  if (!m || m.author_type !== 'operator' || !m.delivery) return null;
  m = newest(m);
  const line = h('div', { class: 'msg-status msg-delivery msg-delivery-' + m.delivery, 'data-delivery': m.delivery });
  if (m.delivery === 'sending') line.append(h('span', { text: 'Sending…' }));
  else if (m.delivery === 'sent') line.append(h('span', { text: 'Sent' }));
  else if (m.delivery === 'held') {
    line.append(h('span', { text: 'Held: reconnect the channel in Settings → Channels and it goes out.' }));
  } else if (m.delivery === 'failed') {
    line.classList.add('msg-status-failed');
    line.append(
      h('span', { text: 'Failed: ' + (m.delivery_reason || 'the platform refused it') + '. ' }),
      h('button', {
        type: 'button', class: 'link-btn', text: retrying.has(m.id) ? 'Retrying…' : 'Retry',
        disabled: retrying.has(m.id) ? 'disabled' : null, onclick: () => retry(m, rerender),
      }),
    );
  }
  return line;
}

/** An automatic line sent to the customer (auto-close's closing message, the privacy
 * notice): how far it got, as a few words after the line (no Retry: nobody wrote it). */
export function systemDeliveryText(m) {
  if (!m || !m.delivery) return '';
  m = newest(m);
  if (m.delivery === 'sent') return ' · sent to the customer';
  if (m.delivery === 'failed') return ' · not sent: ' + (m.delivery_reason || 'the platform refused it');
  if (m.delivery === 'held') return ' · held until the channel is reconnected';
  return ' · sending…';
}

async function retry(m, rerender) {
  if (retrying.has(m.id)) return;
  retrying.add(m.id);
  framed.delete(m.id);
  rerender();
  try {
    const answer = await api('POST', chatPath(m.chat_id, '/messages/' + enc(m.id) + '/retry'), {});
    // A frame since the click is newer than this answer: it stays what is shown.
    if (!framed.has(m.id)) stored(m.chat_id, m.id, (answer && answer.delivery) || 'sending', null);
  } catch (e) {
    reportError(e, 'Could not retry');
  } finally {
    retrying.delete(m.id);
    rerender();
  }
}

/** Into the open chat's messages, when it holds this one; whether it is the open chat. */
function stored(chatId, messageId, state, reason) {
  const conv = S.conv;
  if (!conv || conv.chatId !== chatId) return false;
  const m = conv.messages.get(messageId);
  if (m) conv.messages.set(messageId, { ...m, delivery: state, delivery_reason: reason || null });
  return true;
}

export function mount(rerender) {
  // Frames missed while the socket was down: the history read on resync is newer.
  on('socket:closed', () => framed.clear());
  onFrame('delivery', (f) => {
    if (!f || typeof f.message_id !== 'string') return;
    framed.delete(f.message_id); // re-set below: the newest stays last to be dropped
    if (framed.size >= FRAMED_KEPT) framed.delete(framed.keys().next().value);
    framed.set(f.message_id, { delivery: f.delivery, delivery_reason: f.reason || null });
    if (stored(f.chat_id, f.message_id, f.delivery, f.reason)) rerender();
  });
}
