/* Above the reply box of a Telegram or Messenger chat: whether the team may reply there
 * now. Messenger's window (24 hours from the customer's last message; up to 7 days with
 * the Human agent tag when the project enables it), counted down live; and the plan's
 * messenger quota (once reached, no channel chat takes replies: the resume text and a way
 * to billing). composer.js asks channelReplyBlocked(c) while it draws its state; notes
 * always work. Website chats are untouched. The rules are the server's
 * (services/channel_gate.py); this only shows them, from the chat's
 * channel.customer_last_at and the project's channels.human_agent_tag.
 * Frames: none. Events: billing:changed, project:info (emits conv:render). */
import { on, emit } from '../core/bus.js';
import { $, h } from '../core/dom.js';
import { showView } from '../core/nav.js';
import { S } from '../core/state.js';

const DAY_MS = 24 * 3600 * 1000;
const TAG_MS = 7 * DAY_MS;
const TICK_MS = 20000; // the countdown shows minutes: a few ticks a minute keep it exact

// The customer's last message per chat: a frame of an echo (the Page wrote from Facebook)
// carries none, and must not make the window look closed.
const lastSeen = new Map();
let shown = null; // {chatId, key}: what the line shows, so a tick redraws only on change
let ticking = false;

function customerLast(c) {
  const given = (c.channel && c.channel.customer_last_at) || (c.window && c.window.customer_last_at);
  const known = lastSeen.get(c.id);
  const best = given && (!known || given > known) ? given : known;
  if (best) lastSeen.set(c.id, best);
  return best || null;
}

function tagEnabled() {
  const p = S.projectInfo;
  return !!(p && p.channels && p.channels.human_agent_tag);
}

/** Messenger's window on a chat now: {state: open|tag|closed, closesAt, tagUntil}. */
export function messengerWindow(c, now) {
  const last = customerLast(c);
  if (!last) return { state: 'closed', closesAt: null, tagUntil: null, never: true };
  const start = Date.parse(last);
  const closesAt = start + DAY_MS;
  const tagUntil = tagEnabled() ? start + TAG_MS : null;
  const state = now < closesAt ? 'open' : tagUntil && now < tagUntil ? 'tag' : 'closed';
  return { state, closesAt, tagUntil, never: false };
}

function quotaBlock() {
  const blocked = (S.billing && S.billing.blocked) || [];
  return blocked.find((b) => b.reason === 'messenger_messages') || null;
}

function left(ms) {
  const minutes = Math.max(1, Math.ceil(ms / 60000));
  const hours = Math.floor(minutes / 60);
  return hours ? hours + ' h ' + (minutes % 60) + ' min' : minutes + ' min';
}

function until(t) {
  return new Date(t).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
}

/** What the line says: [kind, words, with a billing link]. */
function describe(c, now) {
  const quota = quotaBlock();
  if (quota) return ['blocked', quota.message + ' ' + quota.resume, true];
  if (c.channel.kind !== 'messenger') return null; // Telegram: no window
  const w = messengerWindow(c, now);
  if (w.state === 'open') return ['open', 'Messenger window: ' + left(w.closesAt - now) + ' left to reply.', false];
  if (w.state === 'tag') {
    return ['tag', 'Past 24 h: replies go with the Human agent tag (until ' + until(w.tagUntil) + ').', false];
  }
  const why = 'Messenger lets a Page answer within 24 h of the customer\u2019s last message';
  if (w.never) return ['closed', 'Window closed: ' + why + ', and this customer has not written yet.', false];
  if (tagEnabled()) {
    return ['closed', 'Window closed: ' + why + ' (7 days with the Human agent tag), and this customer last wrote '
      + 'over 7 days ago. Replies work again when they write.', false];
  }
  return ['closed', 'Window closed: ' + why + '. Up to 7 days, replies can go with the Human agent tag once Meta '
    + 'approved it and a manager turned it on in Settings \u2192 Channels. Replies work again when the customer writes.', false];
}

function line() {
  let el = $('channel-window');
  if (!el) {
    el = h('p', { class: 'channel-window', id: 'channel-window', role: 'status', hidden: true });
    $('composer').prepend(el);
    startTicking();
  }
  return el;
}

/** Draw the line for the open chat; true when replies to it are stopped (composer.js
 * then takes notes only). */
export function channelReplyBlocked(c) {
  const el = line();
  const said = c && c.channel && c.state !== 'closed' ? describe(c, Date.now()) : null;
  shown = said ? { chatId: c.id, key: said[0] + said[1] } : null;
  if (!said) { el.hidden = true; el.replaceChildren(); return false; }
  const [kind, words, toBilling] = said;
  el.className = 'channel-window channel-window-' + kind;
  el.replaceChildren(h('span', { text: words }));
  if (toBilling) {
    el.append(' ', h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Open billing', onclick: () => showView('billing') }));
  }
  el.hidden = false;
  return kind === 'blocked' || kind === 'closed';
}

function tick() {
  const c = S.openId ? S.chats.get(S.openId) : null;
  if (!c || !c.channel || !shown || shown.chatId !== c.id) return;
  const said = describe(c, Date.now());
  if (said && said[0] + said[1] === shown.key) return;
  const before = shown.key.startsWith('blocked') || shown.key.startsWith('closed');
  const after = !!said && (said[0] === 'blocked' || said[0] === 'closed');
  if (before === after) channelReplyBlocked(c); // the countdown: only the line changes
  else emit('conv:render'); // the window closed: the composer changes too
}

function startTicking() {
  if (ticking) return;
  ticking = true;
  setInterval(tick, TICK_MS);
  // The quota's state and the tag's setting come later than the chat, or change.
  const redraw = () => { const c = S.openId && S.chats.get(S.openId); if (c && c.channel) emit('conv:render'); };
  on('billing:changed', redraw);
  on('project:info', redraw);
  on('project:reset', () => lastSeen.clear());
}
