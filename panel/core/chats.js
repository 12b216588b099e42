/* The chat list's data (S.chats, S.order): merging summaries, ordering, their labels. */
import { cmpId } from './dom.js';
import { myId } from './session.js';
import { S } from './state.js';

export function mergeSummary(prev, next) {
  if (!prev) return Object.assign({}, next);
  const merged = Object.assign({}, prev, next);
  const pl = prev.last_message;
  const nl = next.last_message;
  if (pl && (!nl || cmpId(pl.id, nl.id) > 0)) {
    // The incoming summary is older than what we already hold (e.g. a frame won the race).
    merged.last_message = pl;
    merged.last_activity_at = prev.last_activity_at;
    merged.unread = Math.max(prev.unread || 0, next.unread || 0);
  }
  if (typeof merged.unread !== 'number') merged.unread = Number(merged.unread) || 0;
  return merged;
}

export function moveToTop(chatId) {
  S.order = [chatId].concat(S.order.filter((id) => id !== chatId));
}

export function unreadTotal() {
  let n = 0;
  for (const c of S.chats.values()) n += c.unread > 0 ? c.unread : 0;
  return n;
}

/** Where a chat happens: '' for the website, else "Telegram · @bot" / "Messenger · Page". */
export function channelText(c) {
  if (!c || !c.channel) return '';
  const kind = c.channel.kind === 'telegram' ? 'Telegram' : 'Messenger';
  return c.channel.name ? kind + ' · ' + c.channel.name : kind;
}

/** The inbox's channel filter: '' (all), 'website', 'telegram' or 'messenger'. */
export function matchesChannel(c, filter) {
  if (!filter) return true;
  if (filter === 'website') return !c.channel;
  return !!c.channel && c.channel.kind === filter;
}

/** The list's short badge: who has the dialogue, or that it waits or is closed. */
export function stateBadge(c) {
  if (c.state === 'closed') return c.rating ? 'Closed · ' + c.rating : 'Closed';
  if (c.state === 'assigned' && c.assignee) return c.assignee.id === myId() ? 'Mine' : c.assignee.name;
  return 'Unassigned';
}

export function stateText(c) {
  if (c.state === 'closed') return 'Closed' + (c.rating ? ' · rated ' + c.rating : '');
  if (c.state === 'assigned' && c.assignee) {
    return c.assignee.id === myId() ? 'Assigned to you' : 'Assigned to ' + c.assignee.name;
  }
  return 'Unassigned';
}
