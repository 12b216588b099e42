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

// The widget's own wording (widget/chat/2-panel.js teamText): minutes under 90, else hours.
function replyWords(minutes) {
  return 'Typically replies in ' + (minutes < 90 ? minutes + ' min' : Math.round(minutes / 60) + ' hours');
}

/** The line's text for the figure and the state shown beside it (`now` of the saved
 * schedule or of the preview): what the widget says in that state, so a preview saying
 * "Closed" is not paired with "Typically replies…", which the widget only shows online. */
export function replyTimesText(figure, now) {
  const state = now && now.state;
  const says = state === 'offline' ? 'In this state the widget says \u201cWe\u2019re back \u2026\u201d with the opening time'
    : state === 'away' ? 'In this state (nobody online) the widget says \u201cWe\u2019re away \u00b7 leave a message\u2026\u201d'
      : null;
  if (!figure) {
    return 'Your typical first reply: not enough chats yet (the widget shows it from 5 first replies within business hours in 14 days).' +
      (says ? ' ' + says + '.' : '');
  }
  return `Your typical first reply: ${figure.minutes} min (median of ${figure.chats} chats, ${figure.days} days). ` +
    (says ? says + '; online it says \u201c' + replyWords(figure.minutes) + '\u201d.'
      : `The widget says \u201c${replyWords(figure.minutes)}\u201d.`);
}

export function showReplyTimes(line, figure, now) {
  if (line) line.textContent = replyTimesText(figure, now);
}
