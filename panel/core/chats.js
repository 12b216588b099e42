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

/** The open project's unread chats (not messages): those whose list badge shows a
 * number, closed ones included, as GET /me/unread counts them for the other projects. */
export function unreadChats() {
  let n = 0;
  for (const c of S.chats.values()) if (c.unread > 0) n += 1;
  return n;
}

// Unread chats per project id, as GET /me/unread said last (views/unread.js polls it).
export const projectUnread = new Map();

/** A project's unread chats: the open one's live from its list once a page of it has
 * loaded (the server's figure until then), the others' from the last poll. */
export function unreadOf(projectId) {
  if (S.project && projectId === S.project.id && S.pagesLoaded > 0) return unreadChats();
  return projectUnread.get(projectId) || 0;
}

/** The tab title's and the app badge's figure: unread chats across the member's projects. */
export function unreadTotal() {
  const projects = (S.me && Array.isArray(S.me.projects)) ? S.me.projects : [];
  let n = 0;
  for (const p of projects) n += unreadOf(p.id);
  if (S.project && !projects.some((p) => p.id === S.project.id)) n += unreadOf(S.project.id);
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
