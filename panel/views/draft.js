/* The reply box's text: its height, the character count, the unsent draft of each chat
 * (S.drafts). Shared by the composer, the "/" suggestions and the conversation. */
import { $ } from '../core/dom.js';
import { S } from '../core/state.js';

export const MAX_LEN = 4000;

export function autoGrow() {
  const ta = $('composer-text');
  ta.style.height = 'auto';
  ta.style.height = Math.min(ta.scrollHeight + 2, 200) + 'px';
}

export function updateCharCount() {
  const n = $('composer-text').value.length;
  const el = $('char-count');
  el.textContent = n > MAX_LEN - 500 ? n + ' / ' + MAX_LEN : '';
  el.classList.toggle('over', n >= MAX_LEN);
}

export function saveDraft() {
  if (!S.openId) return;
  const v = $('composer-text').value;
  if (v) S.drafts.set(S.openId, v);
  else S.drafts.delete(S.openId);
}
