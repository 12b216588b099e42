/* Unread chats in the member's other projects: polls GET /me/unread (every 30 s while
 * the tab is visible, every 2 min while hidden, at once when it shows again and after
 * each socket (re)connection), keeps the figures in core/chats.js's projectUnread, and
 * calls notifyElsewhere() when another project's count rose (a new chat there). The open
 * project's count comes live from its chat list instead. Listens: socket:open,
 * project:reset; emits nothing itself (renderTitle() emits unread:changed). Frames: none. */
import { api } from '../core/api.js';
import { on } from '../core/bus.js';
import { projectUnread } from '../core/chats.js';
import { S } from '../core/state.js';
import { clearAppBadge, notifyElsewhere, renderTitle } from './notifications.js';

const VISIBLE_EVERY_MS = 30000;
// A hidden tab is when an alert matters most, so it still polls, less often.
const HIDDEN_EVERY_MS = 120000;
const TICK_MS = 5000;
const AGAIN_AFTER_MS = 2000; // visibility and reconnects close together: one request

let owner = null; // whose figures projectUnread holds (a user id)
let lastAt = 0;
let inFlight = false;

function projects() {
  return (S.me && Array.isArray(S.me.projects)) ? S.me.projects : [];
}

/** One poll. Only for a member of several projects: with one, the list says it all. */
export async function pollUnread(force) {
  if (!S.tokens || !S.me || projects().length < 2 || inFlight) return;
  if (!force && Date.now() - lastAt < AGAIN_AFTER_MS) return;
  const me = S.me;
  inFlight = true;
  lastAt = Date.now();
  let data;
  try {
    data = await api('GET', '/me/unread');
  } catch (e) {
    return; // the next tick tries again; nothing to tell the member
  } finally {
    inFlight = false;
  }
  if (S.me !== me || !data || typeof data.projects !== 'object' || !data.projects) return;
  const user = me.user ? me.user.id : null;
  const first = owner !== user; // no "rose" on the first figures: no flood at start
  if (first) { projectUnread.clear(); owner = user; }
  for (const p of projects()) {
    const n = Number(data.projects[p.id]) || 0;
    const before = projectUnread.get(p.id);
    projectUnread.set(p.id, n);
    const elsewhere = !S.project || p.id !== S.project.id;
    if (!first && elsewhere && before !== undefined && n > before) notifyElsewhere(p, n, null);
  }
  renderTitle();
}

function tick() {
  const every = document.visibilityState === 'visible' ? VISIBLE_EVERY_MS : HIDDEN_EVERY_MS;
  if (Date.now() - lastAt >= every) pollUnread(false);
}

export function mount() {
  setInterval(tick, TICK_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') pollUnread(false);
  });
  on('socket:open', () => pollUnread(false));
  on('project:reset', () => {
    // A logout (not a switch): forget the figures and the badge before anyone else logs in.
    queueMicrotask(() => {
      if (S.tokens) return;
      projectUnread.clear();
      owner = null;
      clearAppBadge();
    });
  });
}
