/* The "/" shortcut in the reply box: saved replies with their variables filled in for the
 * open chat (one read per chat, cached), the listbox "Saved replies", arrow keys and Enter.
 * Frames: saved_reply (a reply changed: the cache is dropped). Events: project:reset. */
import { api, projectPath } from '../core/api.js';
import { on } from '../core/bus.js';
import { $, enc, h } from '../core/dom.js';
import { onFrame } from '../core/socket.js';
import { S } from '../core/state.js';
import { autoGrow, saveDraft, updateCharCount } from './draft.js';

const filled = new Map(); // chat id -> Promise of replies filled in for that chat
let suggest = null;        // {items, index} while the suggestions show

export async function fetchReplies(chatId) {
  const data = await api('GET', projectPath('/replies' + (chatId ? '?chat_id=' + enc(chatId) : '')));
  return (data && Array.isArray(data.replies)) ? data.replies : [];
}

// The "/" shortcut: replies come with their variables filled in for the open dialogue.
function repliesForChat(chatId) {
  if (!filled.has(chatId)) {
    const p = fetchReplies(chatId).catch((e) => { filled.delete(chatId); throw e; });
    filled.set(chatId, p);
  }
  return filled.get(chatId);
}

function slashQuery() {
  const ta = $('composer-text');
  const m = /^\/([^\s/]*)$/.exec(ta.value.slice(0, ta.selectionStart));
  return m && ta.selectionStart === ta.value.length ? m[1].toLowerCase() : null;
}

export async function updateSuggestions() {
  const q = slashQuery();
  const chatId = S.openId;
  if (q === null || !chatId) { hideSuggestions(); return; }
  let replies;
  try { replies = await repliesForChat(chatId); } catch (e) { hideSuggestions(); return; }
  if (S.openId !== chatId || slashQuery() !== q) return;
  const matches = replies.filter((r) => r.shortcut.toLowerCase().startsWith(q)
    || (r.title || '').toLowerCase().includes(q)).slice(0, 8);
  suggest = { items: matches, index: 0 };
  renderSuggestions();
}

function renderSuggestions() {
  const ul = $('reply-suggest');
  const sg = suggest;
  if (!sg) { ul.hidden = true; return; }
  if (!sg.items.length) {
    ul.replaceChildren(h('li', { class: 'suggest-empty', text: 'No saved reply matches. Manage them under Saved replies.' }));
  } else {
    ul.replaceChildren(...sg.items.map((r, i) => h('li', {
      role: 'option', id: 'suggest-' + i, class: 'suggest-item', 'aria-selected': i === sg.index ? 'true' : 'false',
      onmousedown: (e) => { e.preventDefault(); insertReply(r); },
    }, [h('code', { text: '/' + r.shortcut }), h('span', { class: 'suggest-title', text: r.title || '' }),
      h('span', { class: 'suggest-text', text: r.filled || r.text })])));
  }
  ul.hidden = false;
  $('composer-text').setAttribute('aria-activedescendant', sg.items.length ? 'suggest-' + sg.index : '');
}

export function hideSuggestions() {
  suggest = null;
  $('reply-suggest').hidden = true;
  $('composer-text').removeAttribute('aria-activedescendant');
}

function insertReply(r) {
  const ta = $('composer-text');
  ta.value = r.filled || r.text;
  hideSuggestions();
  ta.focus();
  ta.setSelectionRange(ta.value.length, ta.value.length);
  autoGrow();
  updateCharCount();
  saveDraft();
}

/** Arrow keys, Enter/Tab and Escape while the suggestions show. True: the key was used. */
export function onSuggestKey(ev) {
  const sg = suggest;
  if (!sg) return false;
  if (ev.key === 'Escape') { hideSuggestions(); return true; }
  if (!sg.items.length) return false;
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    sg.index = (sg.index + (ev.key === 'ArrowDown' ? 1 : sg.items.length - 1)) % sg.items.length;
    renderSuggestions();
    return true;
  }
  if ((ev.key === 'Enter' && !ev.shiftKey) || ev.key === 'Tab') {
    insertReply(sg.items[sg.index]);
    return true;
  }
  return false;
}

/** Saved replies changed: fill them in again on the next "/". */
export function forgetFilledReplies() {
  filled.clear();
}

export function mount() {
  onFrame('saved_reply', (f) => { if (f.reply && f.reply.id) filled.clear(); });
  on('project:reset', () => { filled.clear(); hideSuggestions(); });
}
