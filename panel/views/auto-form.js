/* Auto messages, the editor's form as data: numbering its rows with the paths the server
 * names them by (data-path: rules.all[0], content.buttons[1]...), and reading it into the
 * body PATCH/POST send. No drawing, no events. */
import { $ } from '../core/dom.js';

export const MAX_AUTO_BUTTONS = 5;

export const MAX_AUTO_ATTACHMENTS = 5;

export const VALUELESS_OPS = ['exists', 'none'];

/** data-path on each row = the path the server names it by, in the order we send it. */
export function renumberAuto() {
  $('auto-buttons').querySelectorAll('.button-row').forEach((row, i) => { row.dataset.path = 'content.buttons[' + i + ']'; });
  $('auto-rules-all').querySelectorAll('.rule-row').forEach((row, i) => { row.dataset.path = 'rules.all[' + i + ']'; });
  $('auto-rules-groups').querySelectorAll('.rule-group').forEach((group, g) => {
    group.dataset.path = 'rules.any_groups[' + g + ']';
    group.setAttribute('aria-label', 'Group ' + (g + 1));
    group.querySelector('.rule-group-title').textContent = 'Group ' + (g + 1);
    group.querySelectorAll('.rule-row').forEach((row, i) => { row.dataset.path = 'rules.any_groups[' + g + '][' + i + ']'; });
  });
  $('auto-add-button').disabled = $('auto-buttons').children.length >= MAX_AUTO_BUTTONS;
  $('auto-attachments').querySelectorAll('.attachment-row').forEach((row, i) => { row.dataset.path = 'content.attachments[' + i + ']'; });
  $('auto-attach').disabled = $('auto-attachments').children.length >= MAX_AUTO_ATTACHMENTS;
  // Saving waits for uploads: a message must not go out with a file missing.
  const uploading = $('auto-attachments').querySelector('[data-state="uploading"]');
  $('auto-save').disabled = !!uploading;
  $('auto-save').title = uploading ? 'Waiting for the upload to finish' : '';
}

function ruleValue(row) {
  const op = row.querySelector('.rule-op').value;
  const cond = { field: row.querySelector('.rule-field').value, op };
  if (VALUELESS_OPS.includes(op)) return cond;
  const control = row.querySelector('.rule-value');
  const raw = control.value;
  const type = control.dataset.type;
  if (type === 'bool') cond.value = raw === 'true';
  else if ((type === 'count' || type === 'seconds') && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) cond.value = Number(raw);
  else cond.value = raw; // anything else goes as typed, and the server says what is wrong
  return cond;
}

export function autoBody() {
  const type = $('auto-type').value;
  const buttons = Array.from($('auto-buttons').querySelectorAll('.button-row')).map((row) => {
    const b = { label: row.querySelector('.button-label').value, action: row.querySelector('.button-action').value };
    if (b.action === 'link') b.url = row.querySelector('.button-url').value.trim();
    return b;
  });
  const image = $('auto-image').value.trim();
  return {
    name: $('auto-name').value,
    type,
    team_status: $('auto-team-status').value,
    audience: $('auto-audience').value,
    channels: type === 'email' ? [] : ($('auto-channel-widget').checked ? ['widget'] : []),
    once_per_user: $('auto-once').checked,
    enabled: $('auto-enabled').checked,
    content: { text: $('auto-text').value, subject: type === 'email' ? $('auto-subject').value : null, image_url: image || null, buttons, attachments: autoAttachments() },
    rules: {
      all: Array.from($('auto-rules-all').querySelectorAll('.rule-row')).map(ruleValue),
      any_groups: Array.from($('auto-rules-groups').querySelectorAll('.rule-group'))
        .map((g) => Array.from(g.querySelectorAll('.rule-row')).map(ruleValue)),
    },
  };
}

/** Uploaded files only: a failed one is shown to be removed, never sent. */
function autoAttachments() {
  return Array.from($('auto-attachments').querySelectorAll('.attachment-row[data-state="done"]'))
    .map((row) => ({ key: row._key, name: row.querySelector('.attachment-name').value }));
}
