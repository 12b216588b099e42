import { $, h } from './dom.js';

export function toast(text, kind) {
  const box = $('toasts');
  const t = h('div', { class: 'toast' + (kind ? ' toast-' + kind : ''), role: kind === 'error' ? 'alert' : 'status' }, [
    h('span', { class: 'toast-text', text }),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', text: '×', onclick: () => t.remove() }),
  ]);
  box.append(t);
  while (box.children.length > 4) box.firstChild.remove();
  setTimeout(() => t.remove(), 6000);
}
