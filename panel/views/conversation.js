/* The open chat: opening it (chat:open from core/nav.js), its header (visitor, facts,
 * workflow buttons), the pop-up's close button and the phone's back button, "Visitor is
 * typing…". Frames: message and ack (new messages: the list, unread counts, alerts), chat
 * and note (a team-only line for the open chat), typing. Events: chat:open, chat:close
 * (back to the list), conv:render (redraw the header), socket:closed, project:reset. */
import { api, chatPath } from '../core/api.js';
import { on } from '../core/bus.js';
import { channelText, mergeSummary, moveToTop } from '../core/chats.js';
import { $, cmpId, h, paintAvatar, windowFocused } from '../core/dom.js';
import { backToList, displayMode, renderLayout, showView } from '../core/nav.js';
import { isLead } from '../core/session.js';
import { onFrame, sendFrame } from '../core/socket.js';
import { S } from '../core/state.js';
import { relTimeLong } from '../core/time.js';
import { renderComposerState, stopTyping } from './composer.js';
import { autoGrow, saveDraft, updateCharCount } from './draft.js';
import { fetchChatSummary, markRead, renderList } from './inbox.js';
import { addMessages, clearMessages, loadConversation, renderMessages } from './messages.js';
import { notify, renderTitle } from './notifications.js';
import { hideSuggestions } from './reply-suggest.js';
import { loadMembers } from './team.js';
import { transcriptButton } from './transcript.js';
import { renderActions } from './workflow.js';

let visitorTypingTimer = null;

const VISITOR_TYPING_TTL_MS = 8000;      // hide "Visitor is typing…" if no update

function openChat(chatId) {
  if (!S.chats.has(chatId)) return;
  if (S.openId === chatId && S.conv) {
    if (S.chats.get(chatId).unread > 0) markRead(chatId, false);
    $('composer-text').focus();
    return;
  }
  saveDraft();
  stopTyping();
  hideVisitorTyping();
  hideSuggestions();
  if (displayMode() === 'section' && S.view !== 'inbox') showView('inbox');
  S.openId = chatId;
  S.conv = { chatId, messages: new Map(), loaded: false, error: null, requestedAt: 0, needsSync: false, truncated: false, seenUpTo: null };
  clearMessages();
  renderList();
  renderConv();
  const ta = $('composer-text');
  ta.value = S.drafts.get(chatId) || '';
  autoGrow();
  updateCharCount();
  if (!matchMedia('(pointer: coarse)').matches) ta.focus({ preventScroll: true });
  loadConversation(S.conv);
  loadVisitorFacts(S.conv);
  markRead(chatId, false);
  if (isLead()) loadMembers(); // who is online now, for the "Assign to" list
}

/** Who the team is talking to: where they are, on what, and who they are if logged in. */
async function loadVisitorFacts(conv) {
  try {
    const data = await api('GET', chatPath(conv.chatId, '/visitor'));
    if (S.conv !== conv || !data || !data.visitor) return;
    conv.visitor = data.visitor;
    renderVisitorFacts();
  } catch (e) { /* the header simply shows less */ }
}

const MAIL_SUPPRESSED = { bounced: 'e-mails bounced', complained: 'marked our e-mail as spam' };

function renderVisitorFacts() {
  const v = S.conv && S.conv.visitor;
  const box = $('conv-facts');
  if (!v) { box.replaceChildren(); box.removeAttribute('title'); return; }
  let page = v.page_url || '';
  try { const u = new URL(page); page = u.pathname + u.search; } catch (e) { /* as is */ }
  const parts = [
    v.user ? (v.user.name || v.user.id) + (v.user.email ? ' <' + v.user.email + '>' : '') + ' (logged in)' : null,
    // What the visitor typed in the widget's pre-chat form or away card (their word).
    v.given ? [v.given.name, v.given.email].filter(Boolean).join(' · ') + ' (given)' : null,
    v.online ? 'online now' + (page ? ' on ' + page : '') : 'not on the site',
    [v.city, v.country].filter(Boolean).join(', ') || null,
    [v.platform, v.os, v.browser].filter(Boolean).join(' · ') || null,
    v.visits ? 'visit ' + v.visits : null,
    v.last_event ? 'last event: ' + v.last_event : null,
    v.mail && v.mail.unsubscribed ? 'unsubscribed from e-mails' : null,
    // SES's feedback (a permanent bounce, a spam report): no e-mail goes there any more.
    v.mail && v.mail.suppressed ? MAIL_SUPPRESSED[v.mail.suppressed] || 'e-mails stopped' : null,
  ].filter(Boolean);
  box.replaceChildren(...parts.map((t) => h('span', { class: 'fact', text: t })));
  const send = transcriptButton(S.conv.chatId, v.mail);
  if (send) box.append(send);
  box.title = parts.join(' · '); // the pop-up cuts them to one line
}

export function renderConv() {
  const c = S.openId ? S.chats.get(S.openId) : null;
  $('conv-empty').hidden = !!c;
  $('conv-main').hidden = !c;
  document.body.classList.toggle('has-open-chat', !!c);
  renderLayout();
  if (!c) {
    if (S.project) $('conv-empty-sub').textContent = 'Pick a dialogue from the inbox to read and reply.';
    return;
  }
  const name = c.visitor_name || 'Visitor';
  $('conv-title').textContent = name;
  paintAvatar($('conv-avatar'), name, c.visitor_id || c.id, c.visitor_picture_url);
  const sub = [];
  if (c.status) sub.push(c.status.charAt(0).toUpperCase() + c.status.slice(1));
  if (c.created_at) sub.push('started ' + relTimeLong(c.created_at));
  if (c.rating) sub.push('rated ' + c.rating);
  if (c.channel) sub.unshift(channelText(c)); // a Telegram or Messenger chat
  $('conv-sub').textContent = sub.join(' · ');
  $('conv-sub').title = 'Dialogue ' + c.id;
  renderActions(c);
  renderComposerState(c);
  renderVisitorFacts();
  renderMessages();
}

/** The pop-up's close, and on a phone back to the chat list (chat:close from core/nav.js). */
function closeChat() {
  saveDraft();
  stopTyping();
  hideVisitorTyping();
  hideSuggestions();
  S.openId = null;
  S.conv = null;
  renderList();
  renderConv();
}

function onMessageFrame(msg, chat) {
  if (!S.project) return;
  const chatId = msg.chat_id || (chat && chat.id);
  if (!chatId) return;
  const prev = S.chats.get(chatId);
  const known = !!prev;
  const isOpen = S.openId === chatId && S.conv && S.conv.chatId === chatId;
  const isVisitor = msg.author_type === 'visitor';
  const focused = windowFocused();

  // Already seen (duplicate frame, or fetched by a refetch)?
  const dup = (isOpen && S.conv.messages.has(msg.id)) ||
    (prev && prev.last_message && cmpId(prev.last_message.id, msg.id) >= 0);

  if (isOpen) {
    const conv = S.conv;
    addMessages(conv, [msg]);
    renderMessages();
    if (isVisitor) hideVisitorTyping();
  }
  if (dup) return;

  if (!prev && !(chat && chat.visitor_name)) {
    // No summary in the frame (or one without the visitor's name, which a visitor's
    // message does not carry) and we do not know the chat: fetch it.
    fetchChatSummary(chatId, msg);
    return;
  }

  const summary = mergeSummary(prev, chat || {});
  if (!summary.id) summary.id = chatId;
  // The frame's summary says what the list shows (the away message keeps the visitor's
  // words there: services/messaging.py); without one, the newest message.
  const listed = chat && chat.last_message;
  if (listed) summary.last_message = listed;
  else if (!summary.last_message || cmpId(summary.last_message.id, msg.id) < 0) {
    summary.last_message = { id: msg.id, text: msg.text, author_type: msg.author_type, created_at: msg.created_at };
    summary.last_activity_at = msg.created_at || summary.last_activity_at;
  }
  if (isVisitor) {
    if (isOpen && focused) {
      summary.unread = 0;
      sendFrame({ action: 'read', chat_id: chatId }) || markRead(chatId, false);
    } else {
      const fromServer = chat && typeof chat.unread === 'number' ? chat.unread : 0;
      summary.unread = Math.max(fromServer, ((prev && prev.unread) || 0) + 1);
    }
  } else if (isOpen) {
    summary.unread = (prev && prev.unread) || 0;
  }
  S.chats.set(chatId, summary);
  moveToTop(chatId);
  renderList();
  renderTitle();
  if (isOpen) renderConv();
  if (isVisitor && (!known || !focused)) notify(summary, msg, !known);
}

/** A teammate's internal note: shown in the open dialogue; the list is not touched. */
function onNoteFrame(msg) {
  if (S.conv && S.conv.chatId === msg.chat_id && addMessages(S.conv, [msg])) renderMessages();
}

function onTypingFrame(f) {
  if (f.author_type !== 'visitor' || !S.openId) return;
  // The widget may omit chat_id (the visitor's current dialogue); the backend then sends
  // chat_id null plus visitor_id, so match on that too.
  const open = S.chats.get(S.openId);
  const match = f.chat_id ? f.chat_id === S.openId
    : !!(f.visitor_id && open && open.visitor_id === f.visitor_id);
  if (!match) return;
  if (f.typing) {
    const el = $('typing');
    el.textContent = 'Visitor is typing…';
    el.classList.add('on');
    clearTimeout(visitorTypingTimer);
    visitorTypingTimer = setTimeout(hideVisitorTyping, VISITOR_TYPING_TTL_MS);
  } else {
    hideVisitorTyping();
  }
}

function hideVisitorTyping() {
  clearTimeout(visitorTypingTimer);
  const el = $('typing');
  el.textContent = '';
  el.classList.remove('on');
}

// The conversation: nothing open, or the open chat's header, messages and typing line (static markup; views/composer.js adds the reply box).
function build() {
  $('conversation').append(
    h('div', { class: 'conv-empty', id: 'conv-empty' }, [
      h('div', { class: 'conv-empty-art', 'aria-hidden': 'true' }),
      h('p', { class: 'conv-empty-title', text: 'No conversation selected' }),
      h('p', { class: 'conv-empty-sub', id: 'conv-empty-sub', text: 'Pick a dialogue from the inbox to read and reply.' }),
    ]),
    h('div', { class: 'conv-main', id: 'conv-main', hidden: true }, [
      h('header', { class: 'conv-head' }, [
        h('button', { type: 'button', class: 'btn btn-ghost btn-icon conv-back', id: 'conv-back', 'aria-label': 'Back to the inbox', title: 'Back to the inbox', text: '←' }),
        h('span', { class: 'avatar', id: 'conv-avatar', 'aria-hidden': 'true' }),
        h('div', { class: 'conv-head-text' }, [
          h('h2', { class: 'conv-title', id: 'conv-title' }), h('div', { class: 'conv-sub', id: 'conv-sub' }),
          h('div', { class: 'conv-facts', id: 'conv-facts', 'aria-label': 'About the visitor' }),
        ]),
        h('div', { class: 'conv-actions', id: 'conv-actions', role: 'group', 'aria-label': 'Dialogue actions' }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon conv-close', id: 'conv-close', 'aria-label': 'Close pop-up', title: 'Close pop-up', hidden: true, text: '×' }),
      ]),
      h('div', { class: 'messages', id: 'messages', role: 'log', 'aria-label': 'Chat history', tabindex: '0' }),
      h('div', { class: 'typing', id: 'typing', 'aria-live': 'polite' }),
    ]),
  );
}

export function mount() {
  build();
  $('conv-close').addEventListener('click', closeChat);
  $('conv-back').addEventListener('click', backToList);
  onFrame('message', (f) => { if (f.message) onMessageFrame(f.message, f.chat || null); });
  onFrame('ack', (f) => { if (f.message) onMessageFrame(f.message, null); });
  onFrame('typing', onTypingFrame);
  // A workflow change may carry its line for the conversation ("Closed by Ada"):
  // team-only, shown like a note (views/workflow.js handles the summary).
  onFrame('chat', (f) => { if (f.message) onNoteFrame(f.message); });
  onFrame('note', (f) => { if (f.message) onNoteFrame(f.message); });
  on('chat:open', openChat);
  on('conv:render', renderConv);
  on('chat:close', () => { if (S.openId) closeChat(); });
  on('socket:closed', hideVisitorTyping);
  on('project:reset', hideVisitorTyping);
}
