/* How far a team reply to a Telegram/Messenger chat got: "Sending…", "Sent", "Held" (the
 * channel needs reconnecting) or "Failed: <the platform's reason>" with a Retry button
 * (POST …/messages/{id}/retry). Placed under each such reply by views/messages.js.
 * Frames: delivery (live changes; the history answers carry the same fields, so a
 * reload shows them too). Texts reach the DOM as text only. */
import { api, chatPath, reportError } from '../core/api.js';
import { enc, h } from '../core/dom.js';
import { onFrame } from '../core/socket.js';
import { S } from '../core/state.js';

const retrying = new Set(); // message ids whose retry is on its way (no double click)
// A delivery frame can beat the reply's own POST answer (the sender is quick, the answer
// slow under load): its state is kept here until the reply is shown, not dropped, or the
// reply would say "Sending…" for good.
const early = new Map();
const EARLY_KEPT = 200;

/** The status line for a reply with a delivery state, or null (website messages). */
export function deliveryLine(m, rerender) {
  if (!m || m.author_type !== 'operator' || !m.delivery) return null;
  if (m.delivery === 'sending' && early.has(m.id)) m = { ...m, ...early.get(m.id) };
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
  if (m.delivery === 'sending' && early.has(m.id)) m = { ...m, ...early.get(m.id) };
  if (m.delivery === 'sent') return ' · sent to the customer';
  if (m.delivery === 'failed') return ' · not sent: ' + (m.delivery_reason || 'the platform refused it');
  if (m.delivery === 'held') return ' · held until the channel is reconnected';
  return ' · sending…';
}

async function retry(m, rerender) {
  if (retrying.has(m.id)) return;
  retrying.add(m.id);
  rerender();
  try {
    const answer = await api('POST', chatPath(m.chat_id, '/messages/' + enc(m.id) + '/retry'), {});
    apply(m.chat_id, m.id, (answer && answer.delivery) || 'sending', null);
  } catch (e) {
    reportError(e, 'Could not retry');
  } finally {
    retrying.delete(m.id);
    rerender();
  }
}

function apply(chatId, messageId, state, reason) {
  const conv = S.conv;
  if (!conv || conv.chatId !== chatId) return false;
  const m = conv.messages.get(messageId);
  if (!m) {
    if (early.size >= EARLY_KEPT) early.delete(early.keys().next().value);
    early.set(messageId, { delivery: state, delivery_reason: reason || null });
    return true; // rerender: the reply may be on screen as a pending message meanwhile
  }
  early.delete(messageId);
  conv.messages.set(messageId, { ...m, delivery: state, delivery_reason: reason || null });
  return true;
}

export function mount(rerender) {
  onFrame('delivery', (f) => {
    if (f && typeof f.message_id === 'string' && apply(f.chat_id, f.message_id, f.delivery, f.reason)) rerender();
  });
}
