/* "Not while I am looking at that chat" (docs/API.md, the `viewing` frame): the socket
 * tells the server which chat this window shows while it is visible and focused (null when
 * hidden, blurred or no chat is open), whenever that changes and after each reconnect, so
 * the notifier does not push a chat the member is reading. Frames sent: viewing. Events:
 * chat:open, chat:close, conv:render, view:show, socket:open, socket:closed, project:reset. */
import { on } from '../core/bus.js';
import { windowFocused } from '../core/dom.js';
import { displayMode } from '../core/nav.js';
import { sendFrame } from '../core/socket.js';
import { S } from '../core/state.js';

let sent; // what the server was last told on this socket (undefined: nothing yet)

// The open chat is on the screen: the inbox section shows it, or it floats as a pop-up.
function looking() {
  const shown = S.openId && S.project && (S.view === 'inbox' || displayMode() === 'popup');
  return shown && windowFocused() ? S.openId : null;
}

function tell(force) {
  const now = looking();
  if (!force && now === sent) return;
  if (sendFrame({ action: 'viewing', chat_id: now })) sent = now;
}

export function mount() {
  // After views/conversation.js in main.js's order: S.openId is already the new one.
  on('chat:open', () => tell(false));
  on('chat:close', () => tell(false));
  on('conv:render', () => tell(false));
  on('view:show', () => tell(false));
  on('project:reset', () => { sent = undefined; });
  on('socket:open', () => tell(true)); // a new connection record knows nothing yet
  on('socket:closed', () => { sent = undefined; });
  const check = () => tell(false);
  document.addEventListener('visibilitychange', check);
  window.addEventListener('focus', check);
  window.addEventListener('blur', check);
}
