/* "Not while I am looking at that chat" (docs/API.md, the `viewing` frame): the socket
 * tells the server which chat this window shows while it is visible and focused (null when
 * hidden, blurred or no chat is open), whenever that changes and after each reconnect, so
 * the notifier does not push a chat the member is reading. Frames sent: viewing; error (its
 * own, by client_id). Events:
 * chat:open, chat:close, conv:render, view:show, socket:open, socket:closed, project:reset. */
import { on } from '../core/bus.js';
import { windowFocused } from '../core/dom.js';
import { displayMode } from '../core/nav.js';
import { onFrame, sendFrame } from '../core/socket.js';
import { S } from '../core/state.js';

let sent; // what the server was last told on this socket (undefined: nothing yet)
let unsupported = false; // a server without the frame said "unknown action": stop asking

/** The frames' client_id: the server's error frame for one names it, so views/outbox.js
 * leaves it to this module (no toast for a frame the member never sent). */
export const VIEWING_CLIENT_ID = 'viewing';

// The open chat is on the screen: the inbox section shows it, or it floats as a pop-up.
function looking() {
  const shown = S.openId && S.project && (S.view === 'inbox' || displayMode() === 'popup');
  return shown && windowFocused() ? S.openId : null;
}

function tell(force) {
  const now = looking();
  if (unsupported || (!force && now === sent)) return;
  if (sendFrame({ action: 'viewing', chat_id: now, client_id: VIEWING_CLIENT_ID })) sent = now;
}

function onError(f) {
  if (f.client_id !== VIEWING_CLIENT_ID) return;
  // An older server (before Web Push): the panel works as before, without the hint.
  if (/unknown action/.test(f.message || '')) unsupported = true;
  else sent = undefined; // refused (a bad chat id?): say it again on the next change
}

export function mount() {
  // After views/conversation.js in main.js's order: S.openId is already the new one.
  on('chat:open', () => tell(false));
  on('chat:close', () => tell(false));
  on('conv:render', () => tell(false));
  on('view:show', () => tell(false));
  on('project:reset', () => { sent = undefined; });
  // A new connection record: it starts as "not looking" (null), so only a chat on the
  // screen is worth a frame (one Lambda call and one write less per connection otherwise).
  on('socket:open', () => { sent = null; tell(false); });
  on('socket:closed', () => { sent = undefined; });
  onFrame('error', onError);
  const check = () => tell(false);
  document.addEventListener('visibilitychange', check);
  window.addEventListener('focus', check);
  window.addEventListener('blur', check);
}
