/* Auto messages: the widget mock beside the editor (#auto-preview), redrawn on every
 * change of the form; every text through textContent. */
import { $, h } from '../core/dom.js';
import { S } from '../core/state.js';
import { autoBody } from './auto-form.js';

/** A static mock of the widget bubble; every text through textContent. */
export function renderAutoPreview() {
  const box = $('auto-preview');
  if (!box) return;
  const body = autoBody();
  const c = body.content;
  const parts = [];
  if (body.type === 'email') {
    parts.push(h('div', { class: 'preview-mail-head' }, [h('span', { class: 'muted', text: 'Subject: ' }),
      h('strong', { class: 'preview-subject', text: c.subject || '(no subject)' })]));
  } else {
    parts.push(h('div', { class: 'preview-head', text: (S.project && S.project.name) || 'Chat' }));
  }
  const bubble = h('div', { class: 'preview-bubble' });
  if (c.image_url && /^https:\/\//i.test(c.image_url)) {
    bubble.append(h('img', { class: 'preview-image', src: c.image_url, alt: '' }));
  }
  bubble.append(h('p', { class: 'preview-text', text: c.text.trim() || 'Your message…' }));
  if (c.attachments.length) {
    bubble.append(h('div', { class: 'preview-files' }, c.attachments.map((a) => h('span', { class: 'preview-file', text: '↓ ' + (a.name || 'file') }))));
  }
  if (c.buttons.length) {
    bubble.append(h('div', { class: 'preview-buttons' }, c.buttons.map((b) => h('span', {
      class: 'preview-button' + (b.action === 'link' ? ' preview-link' : ''), text: (b.label || 'Button') + (b.action === 'link' ? ' ↗' : ''),
    }))));
  }
  parts.push(bubble);
  box.replaceChildren(...parts);
  box.dataset.type = body.type;
}
