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

/** The status line for a reply with a delivery state, or null (website messages). */
export function deliveryLine(m, rerender) {
  if (!m || m.author_type !== 'operator' || !m.delivery) return null;
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
  if (!m) return false;
  conv.messages.set(messageId, { ...m, delivery: state, delivery_reason: reason || null });
  return true;
}

export function mount(rerender) {
  onFrame('delivery', (f) => {
    if (f && typeof f.message_id === 'string' && apply(f.chat_id, f.message_id, f.delivery, f.reason)) rerender();
  });
}
