/* A messenger customer who cannot be reached (the chat's unreachable_reason: they blocked
 * the bot, left the platform): a line in the chat header ("This customer blocked the bot:
 * replies cannot reach them") and the reply box in note mode with Reply disabled, saying
 * why; notes still work. Cleared when the customer writes again (the message's summary
 * carries unreachable_reason: null). views/composer.js calls renderUnreachable() after
 * drawing its own state. Frames: none (the chat and message frames update the summary). */
import { $, h } from '../core/dom.js';

let forced = false; // this module put the box in note mode (given back when cleared)

export function unreachableText(reason) {
  return /blocked/.test(reason || '') ? 'This customer blocked the bot: replies cannot reach them.'
    : 'This customer can\u2019t be reached on this channel (' + reason + '): replies cannot reach them.';
}

function headerLine() {
  let line = $('conv-unreachable');
  if (!line) {
    line = h('div', { class: 'conv-unreachable', id: 'conv-unreachable', role: 'status', hidden: true });
    $('conv-sub').after(line);
  }
  return line;
}

/** ``setMode(mode)``: the composer's own switch between reply and note. */
export function renderUnreachable(c, setMode) {
  const line = headerLine();
  const reason = c && c.state !== 'closed' ? c.unreachable_reason : null;
  line.hidden = !reason;
  line.textContent = reason ? unreachableText(reason) : '';
  const reply = $('mode-reply');
  if (reason) {
    if (reply.getAttribute('aria-checked') === 'true') { setMode('note'); forced = true; }
    reply.disabled = true;
    $('composer-hint').textContent = unreachableText(reason) + ' Internal notes still work.';
  } else if (forced) {
    forced = false;
    if (!reply.disabled) setMode('reply'); // unless the composer keeps it off (closed…)
  }
}
