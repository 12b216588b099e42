/* Settings -> Business hours: the team's own "typical first reply" line, from the
 * business-hours answer's `reply_times` ({minutes, chats, days} or null). The widget
 * shows the same figure as "Typically replies in N min" (the session's
 * `availability.reply_minutes`), so the team sees what visitors are told. Kept apart from
 * hours.js, which only calls showReplyTimes() in its render. Frames: none. Events: none. */
import { h } from '../core/dom.js';

export const REPLY_TIMES_ID = 'hours-reply';

// The line's element, placed by hours.js's build.
export function replyTimesLine() {
  return h('p', { class: 'form-note field-wide', id: REPLY_TIMES_ID, role: 'status' });
}

export function showReplyTimes(line, figure) {
  if (!line) return;
  line.textContent = figure
    ? `Your typical first reply: ${figure.minutes} min (median of ${figure.chats} chats, ${figure.days} days). ` +
      `The widget says \u201cTypically replies in ${figure.minutes} min\u201d.`
    : 'Your typical first reply: not enough chats yet (the widget shows it from 5 first replies within business hours in 14 days).';
}
