/* The reply box: sending (views/outbox.js posts), Enter and Shift+Enter, reply or internal
 * note, the typing indicator the visitor sees (typing frames, throttled), and the "/"
 * suggestions' keys. A closed chat takes notes only. Frames: none. Events: project:reset. */
import { on } from '../core/bus.js';
import { $, h } from '../core/dom.js';
import { sendFrame } from '../core/socket.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';
import { channelReplyBlocked } from './channel-window.js';
import { autoGrow, MAX_LEN, saveDraft, updateCharCount } from './draft.js';
import { send } from './outbox.js';
import { hideSuggestions, onSuggestKey, updateSuggestions } from './reply-suggest.js';
import { renderUnreachable } from './unreachable.js';

let composeMode = 'reply';   // reply | note
let closedForcedNote = false; // note mode because the chat is closed (reopening gives reply back)
const typing = { sentAt: 0, chat: null, idleTimer: null };

const TYPING_THROTTLE_MS = 3000;         // at most one typing:true per 3 s
const TYPING_IDLE_MS = 4000;             // typing:false after 4 s without keystrokes

function onComposerSubmit(ev) {
  if (ev) ev.preventDefault();
  const ta = $('composer-text');
  const chatId = S.openId;
  if (!chatId) return;
  const text = ta.value.replace(/^\s*\n|\s+$/g, '');
  if (!text.trim()) return;
  if (text.length > MAX_LEN) {
    toast('Messages are limited to ' + MAX_LEN + ' characters.', 'error');
    return;
  }
  ta.value = '';
  S.drafts.delete(chatId);
  hideSuggestions();
  autoGrow();
  updateCharCount();
  stopTyping();
  send(chatId, text, composeMode === 'note');
}

function onComposerInput() {
  autoGrow();
  updateCharCount();
  const chatId = S.openId;
  if (!chatId) return;
  updateSuggestions();
  // An internal note is not a reply being typed: the visitor sees no indicator for it.
  if (!$('composer-text').value.trim() || composeMode === 'note') { stopTyping(); return; }
  const now = Date.now();
  if (typing.chat !== chatId || now - typing.sentAt > TYPING_THROTTLE_MS) {
    if (sendFrame({ action: 'typing', chat_id: chatId, typing: true })) {
      typing.sentAt = now;
      typing.chat = chatId;
    }
  }
  clearTimeout(typing.idleTimer);
  typing.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

export function stopTyping() {
  clearTimeout(typing.idleTimer);
  if (typing.chat) {
    sendFrame({ action: 'typing', chat_id: typing.chat, typing: false });
    typing.chat = null;
    typing.sentAt = 0;
  }
}

function setComposeMode(mode) {
  composeMode = mode === 'note' ? 'note' : 'reply';
  const note = composeMode === 'note';
  $('mode-reply').setAttribute('aria-checked', note ? 'false' : 'true');
  $('mode-note').setAttribute('aria-checked', note ? 'true' : 'false');
  $('composer').classList.toggle('note-mode', note);
  $('composer-text').placeholder = note ? 'Write an internal note (the visitor never sees it)…' : 'Write a reply…';
  $('send-btn').textContent = note ? 'Add note' : 'Send';
}

/** A closed dialogue takes no replies (the visitor has left it): notes only. A
 * Telegram or Messenger chat's replies go out through the platform (each shows its
 * delivery: views/delivery.js), so the hint says where they go. */
export function renderComposerState(c) {
  const closed = c.state === 'closed';
  // Closed, Messenger's window shut or the messenger quota reached (channel-window.js):
  // notes only. The hint below says which.
  const noReply = channelReplyBlocked(c) || closed;
  $('mode-reply').disabled = noReply;
  if (noReply && composeMode !== 'note') setComposeMode('note');
  else if (!noReply && composeMode === 'note' && closedForcedNote) setComposeMode('reply');
  closedForcedNote = noReply;
  $('composer-hint').textContent = closed ? 'Closed: reopen it to reply to the visitor; notes stay with the team.'
    : c.channel ? 'Enter to send \u00b7 replies go to the customer on '
      + (c.channel.kind === 'telegram' ? 'Telegram' : 'Messenger') + ' \u00b7 / for saved replies'
      : 'Enter to send \u00b7 / for saved replies';
  renderUnreachable(c, setComposeMode); // a customer who blocked the bot: notes only
}

// The reply box, under the open chat's messages (static markup: no server data).
function build() {
  $('conv-main').append(
    h('form', { class: 'composer', id: 'composer', novalidate: true }, [
      h('div', { class: 'composer-modes', role: 'radiogroup', 'aria-label': 'Write' }, [
        h('button', { type: 'button', class: 'mode-btn', id: 'mode-reply', role: 'radio', 'aria-checked': 'true', text: 'Reply' }),
        ' ',
        h('button', { type: 'button', class: 'mode-btn', id: 'mode-note', role: 'radio', 'aria-checked': 'false', text: 'Internal note' }),
      ]),
      h('ul', { class: 'suggest', id: 'reply-suggest', role: 'listbox', 'aria-label': 'Saved replies', hidden: true }),
      h('label', { for: 'composer-text', class: 'sr-only', text: 'Message' }), ' ',
      h('textarea', { id: 'composer-text', rows: '1', maxlength: '4000', placeholder: 'Write a reply…', autocomplete: 'off' }),
      h('div', { class: 'composer-bar' }, [
        h('span', { class: 'composer-hint', id: 'composer-hint' }, [
          h('kbd', { text: 'Enter' }), ' to send · ', h('kbd', { text: '/' }), ' for saved replies',
        ]),
        ' ', h('span', { class: 'char-count', id: 'char-count', 'aria-live': 'polite' }), ' ',
        h('button', { type: 'submit', class: 'btn btn-primary btn-sm', id: 'send-btn', text: 'Send' }),
      ]),
    ]),
  );
}

export function mount() {
  build();
  $('composer').addEventListener('submit', onComposerSubmit);
  const ta = $('composer-text');
  ta.addEventListener('keydown', (ev) => {
    if (!ev.isComposing && onSuggestKey(ev)) { ev.preventDefault(); return; }
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      onComposerSubmit();
    }
  });
  ta.addEventListener('input', onComposerInput);
  ta.addEventListener('blur', () => { saveDraft(); setTimeout(hideSuggestions, 150); });
  $('mode-reply').addEventListener('click', () => { setComposeMode('reply'); ta.focus(); });
  $('mode-note').addEventListener('click', () => { setComposeMode('note'); stopTyping(); ta.focus(); });
  window.addEventListener('beforeunload', () => { stopTyping(); });
  on('project:reset', stopTyping);
}
