/* Auto messages: the editor (#auto-form), new or existing: its fields, buttons, the
 * type's rules (an e-mail goes once to users), Save, and the server's errors listed above
 * Save and beside the row each path names (li[data-error-path], .row-error,
 * aria-invalid). The server validates; its errors come back with paths
 * (rules.all[1].value) that the rows carry as data-path (views/auto-form.js). Emits
 * auto:saved. */
import { api, projectPath, reportError } from '../core/api.js';
import { emit } from '../core/bus.js';
import { $, enc, h } from '../core/dom.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';
import { attachmentRow } from './auto-attachments.js';
import { autoBody, renumberAuto } from './auto-form.js';
import { renderAutoPreview } from './auto-preview.js';
import { groupBox, loadCatalogue, ruleRow } from './auto-rules.js';

let editingAuto = null; // id of the auto message in the editor (null: a new one)

/** Id of the auto message in the editor, null for a new one or none. */
export function editingAutoId() {
  return editingAuto;
}

export async function editAuto(m) {
  try { await loadCatalogue(); } catch (e) { reportError(e, 'Could not load the rule fields'); return; }
  editingAuto = m ? m.id : null;
  const c = (m && m.content) || {};
  $('auto-form-title').textContent = m ? 'Edit “' + m.name + '”' : 'New auto message';
  $('auto-save').textContent = m ? 'Save changes' : 'Save auto message';
  $('auto-name').value = m ? m.name : '';
  $('auto-type').value = m ? m.type : 'proactive';
  $('auto-team-status').value = m ? m.team_status : 'any';
  $('auto-audience').value = m ? m.audience : 'both';
  $('auto-channel-widget').checked = m ? (m.channels || []).includes('widget') : true;
  $('auto-once').checked = m ? !!m.once_per_user : true;
  $('auto-enabled').checked = m ? !!m.enabled : true;
  $('auto-subject').value = c.subject || '';
  $('auto-text').value = c.text || '';
  $('auto-image').value = c.image_url || '';
  $('auto-buttons').replaceChildren(...(c.buttons || []).map(buttonRow));
  $('auto-attachments').replaceChildren(...(c.attachments || []).map((a) => attachmentRow(a, 'done')));
  const rules = (m && m.rules) || { all: [], any_groups: [] };
  $('auto-rules-all').replaceChildren(...(rules.all || []).map(ruleRow));
  $('auto-rules-groups').replaceChildren(...(rules.any_groups || []).map(groupBox));
  renumberAuto();
  showAutoErrors(null);
  onAutoTypeChange(false);
  $('auto-editor').hidden = false;
  renderAutoPreview();
  $('auto-name').focus();
}

export function closeAutoEditor() {
  editingAuto = null;
  $('auto-editor').hidden = true;
  showAutoErrors(null);
}

function onAutoTypeChange(userChanged) {
  const type = $('auto-type').value;
  const email = type === 'email';
  $('auto-subject-field').hidden = !email;
  $('auto-channels').hidden = email; // an e-mail is not shown in a channel
  // An e-mail goes once to each user, whoever is online: those settings do not apply.
  $('auto-team-status-field').hidden = email;
  $('auto-once-field').hidden = email;
  if (email) { $('auto-team-status').value = 'any'; $('auto-once').checked = true; }
  // Targeted chats and e-mails reach logged-in users only.
  if (userChanged && type !== 'proactive') $('auto-audience').value = 'users';
  $('auto-audience').querySelectorAll('option').forEach((o) => { o.disabled = type !== 'proactive' && o.value !== 'users'; });
  document.querySelectorAll('#auto-buttons .button-action option[value="reply"]').forEach((o) => { o.disabled = email; });
  renderAutoPreview();
}

function buttonRow(b) {
  const row = h('div', { class: 'auto-row button-row' });
  const label = h('input', { type: 'text', class: 'button-label', maxlength: '60', 'aria-label': 'Button label', placeholder: 'See plans' });
  label.value = (b && b.label) || '';
  const action = h('select', { class: 'button-action', 'aria-label': 'Button action' }, [
    h('option', { value: 'link', text: 'Opens a link' }),
    h('option', { value: 'reply', text: 'Sends it as a reply' }),
  ]);
  action.value = (b && b.action) || 'link';
  action.querySelector('option[value="reply"]').disabled = $('auto-type').value === 'email'; // no reply to an e-mail
  const url = h('input', { type: 'url', class: 'button-url', maxlength: '2048', 'aria-label': 'Button URL', placeholder: 'https://', spellcheck: 'false' });
  url.value = (b && b.url) || '';
  const syncUrl = () => { url.hidden = action.value !== 'link'; };
  action.addEventListener('change', syncUrl);
  syncUrl();
  row.append(label, action, url, h('button', {
    type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Remove', 'aria-label': 'Remove button',
    onclick: () => { row.remove(); renumberAuto(); renderAutoPreview(); },
  }), h('p', { class: 'row-error', hidden: true }));
  return row;
}

/** Server errors: all listed (path: message) above Save; each also beside what it names. */
function showAutoErrors(error) {
  const form = $('auto-form');
  form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
  form.querySelectorAll('.row-error').forEach((p) => { p.hidden = true; p.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  const box = $('auto-errors');
  if (!error) { box.hidden = true; $('auto-errors-list').replaceChildren(); return; }
  const problems = Array.isArray(error.errors) && error.errors.length ? error.errors : [{ path: '', message: error.message }];
  $('auto-errors-title').textContent = 'The auto message was not saved:';
  $('auto-errors-list').replaceChildren(...problems.map((p) => h('li', { class: 'auto-error', 'data-error-path': p.path || '', title: p.path || '' }, [
    p.path ? h('strong', { text: humanPath(p.path) }) : null, p.path ? ': ' : null, h('span', { text: p.message }),
  ])));
  box.hidden = false;
  for (const p of problems) {
    const target = elementForPath(p.path || '');
    if (!target) continue;
    target.classList.add('invalid');
    // rules.all[0].value -> the row's value box; name -> the field's own input.
    const part = (p.path || '').slice(target.dataset.path.length).replace(/^\./, '');
    const control = (PART_CONTROLS[part] && target.querySelector(PART_CONTROLS[part]))
      || (target.matches('input, select, textarea') ? target : target.querySelector('input, select, textarea'));
    if (control) control.setAttribute('aria-invalid', 'true');
    const note = target.querySelector(':scope > .row-error');
    if (note) { note.textContent = note.hidden ? p.message : note.textContent + ' · ' + p.message; note.hidden = false; }
  }
  // The summary takes focus, so a keyboard or screen-reader user hears what to fix.
  box.tabIndex = -1;
  box.focus();
}

/** What the lead calls the place an error path names: "Condition 2", "Name". */
function humanPath(path) {
  const n = (x) => Number(x) + 1;
  let m = /^rules\.all\[(\d+)\]/.exec(path);
  if (m) return 'Condition ' + n(m[1]);
  m = /^rules\.any_groups\[(\d+)\](?:\[(\d+)\])?/.exec(path);
  if (m) return 'Group ' + n(m[1]) + (m[2] !== undefined ? ', condition ' + n(m[2]) : '');
  m = /^content\.(buttons|attachments)\[(\d+)\]/.exec(path);
  if (m) return (m[1] === 'buttons' ? 'Button ' : 'Attachment ') + n(m[2]);
  const target = elementForPath(path);
  const label = target && target.querySelector(':scope > label, :scope > legend');
  return label ? label.textContent.trim() : path;
}

const PART_CONTROLS = {
  field: '.rule-field', op: '.rule-op', value: '.rule-value',
  label: '.button-label', action: '.button-action', url: '.button-url', name: '.attachment-name',
};

/** The element whose data-path is the longest prefix of an error path. */
function elementForPath(path) {
  let best = null;
  let bestLen = -1;
  $('auto-form').querySelectorAll('[data-path]').forEach((el) => {
    const p = el.dataset.path;
    const prefix = path === p || path.startsWith(p + '.') || path.startsWith(p + '[');
    if (prefix && p.length > bestLen) { best = el; bestLen = p.length; }
  });
  return best;
}

async function onAutoSubmit(ev) {
  ev.preventDefault();
  const ep = S.epoch;
  const body = autoBody();
  const btn = $('auto-save');
  btn.disabled = true;
  try {
    if (editingAuto) await api('PATCH', projectPath('/auto-messages/' + enc(editingAuto)), body);
    else await api('POST', projectPath('/auto-messages'), body);
    if (ep !== S.epoch) return;
    closeAutoEditor();
    toast('Auto message saved. Visitors\u2019 widgets have it within a minute.');
    emit('auto:saved');
  } catch (e) {
    if (ep !== S.epoch) return;
    if (e.status === 400) showAutoErrors(e.error && e.error.message ? e.error : { message: e.message });
    else reportError(e, 'Could not save the auto message');
  } finally {
    btn.disabled = false;
  }
}

// The editor form and the preview's box (static markup: no server data).
function build() {
  $('auto-editor').append(
    h('form', { class: 'card form-grid auto-form', id: 'auto-form', novalidate: true, 'aria-labelledby': 'auto-form-title' }, [
      h('h3', { id: 'auto-form-title', text: 'New auto message' }),
      h('div', { class: 'field field-wide', 'data-path': 'name' }, [
        h('label', { for: 'auto-name', text: 'Name' }),
        h('input', { id: 'auto-name', type: 'text', maxlength: '100', placeholder: 'Help on the pricing page' }),
        h('p', { class: 'row-error', hidden: true }),
      ]),
      h('div', { class: 'field', 'data-path': 'type' }, [
        h('label', { for: 'auto-type', text: 'Type' }), ' ',
        h('select', { id: 'auto-type' }, [
          h('option', { value: 'proactive', text: 'Proactive chat' }),
          h('option', { value: 'targeted', text: 'Targeted chat' }), h('option', { value: 'email', text: 'Email' }),
        ]),
        h('p', { class: 'row-error', hidden: true }),
      ]),
      h('div', { class: 'field', id: 'auto-team-status-field', 'data-path': 'team_status' }, [
        h('label', { for: 'auto-team-status', text: 'Send when the team is' }), ' ',
        h('select', { id: 'auto-team-status' }, [
          h('option', { value: 'any', text: 'Online or offline' }), h('option', { value: 'online', text: 'Online' }),
          h('option', { value: 'offline', text: 'Offline' }),
        ]),
        h('p', { class: 'row-error', hidden: true }),
      ]),
      h('div', { class: 'field', 'data-path': 'audience' }, [
        h('label', { for: 'auto-audience', text: 'Send to' }), ' ',
        h('select', { id: 'auto-audience' }, [
          h('option', { value: 'both', text: 'Visitors and users' }),
          h('option', { value: 'visitors', text: 'Visitors' }),
          h('option', { value: 'users', text: 'Users (logged in)' }),
        ]),
        h('p', { class: 'row-error', hidden: true }),
      ]),
      h('fieldset', { class: 'field-wide radio-row', id: 'auto-channels', 'data-path': 'channels' }, [
        h('legend', { text: 'Show in' }),
        h('label', { class: 'check' }, [
          h('input', { id: 'auto-channel-widget', type: 'checkbox', value: 'widget', checked: true }),
          ' Website widget',
        ]),
      ]),
      h('label', { class: 'check', id: 'auto-once-field', 'data-path': 'once_per_user' }, [
        h('input', { id: 'auto-once', type: 'checkbox', checked: true }), ' Once per visitor or user',
      ]),
      ' ',
      h('label', { class: 'check', 'data-path': 'enabled' }, [
        h('input', { id: 'auto-enabled', type: 'checkbox', checked: true }), ' Enabled',
      ]),
      h('h3', { text: 'Content' }),
      h('div', { class: 'field field-wide', id: 'auto-subject-field', 'data-path': 'content.subject', hidden: true }, [
        h('label', { for: 'auto-subject', text: 'Subject' }),
        h('input', { id: 'auto-subject', type: 'text', maxlength: '200' }),
        h('p', { class: 'row-error', hidden: true }),
      ]),
      h('div', { class: 'field field-wide', 'data-path': 'content.text' }, [
        h('label', { for: 'auto-text', text: 'Message text' }),
        h('textarea', { id: 'auto-text', rows: '3', maxlength: '4000', placeholder: 'Questions about our plans? We are here to help.' }),
        h('p', { class: 'row-error', hidden: true }),
      ]),
      h('div', { class: 'field field-wide', 'data-path': 'content.image_url' }, [
        h('label', { for: 'auto-image', text: 'Image or GIF URL (https, optional)' }),
        h('input', { id: 'auto-image', type: 'url', maxlength: '2048', spellcheck: 'false', placeholder: 'https://' }),
        h('p', { class: 'row-error', hidden: true }),
      ]),
      h('fieldset', { class: 'field-wide auto-fieldset', 'data-path': 'content.buttons' }, [
        h('legend', { text: 'Buttons' }), h('div', { class: 'auto-rows', id: 'auto-buttons' }),
        h('button', { type: 'button', class: 'btn btn-secondary btn-sm', id: 'auto-add-button', text: 'Add button' }),
      ]),
      h('fieldset', { class: 'field-wide auto-fieldset', 'data-path': 'content.attachments' }, [
        h('legend', { text: 'Attachments' }), h('div', { class: 'auto-rows', id: 'auto-attachments' }),
        h('input', { type: 'file', id: 'auto-attach-input', multiple: true, hidden: true }), ' ',
        h('button', { type: 'button', class: 'btn btn-secondary btn-sm', id: 'auto-attach', text: 'Attach files' }),
        h('p', { class: 'form-note', text: 'Images, PDF, text, CSV, office documents, zip, mp3 or mp4; up to 10 MB each, 5 per message. Visitors download them from your CDN.' }),
        h('p', { class: 'row-error', hidden: true }),
      ]),
      h('h3', { text: 'Rules' }),
      h('fieldset', { class: 'field-wide auto-fieldset', 'data-path': 'rules.all' }, [
        h('legend', { text: 'All of these' }), h('div', { class: 'auto-rows', id: 'auto-rules-all' }),
        h('button', { type: 'button', class: 'btn btn-secondary btn-sm', id: 'auto-add-rule', text: 'Add condition' }),
      ]),
      h('fieldset', { class: 'field-wide auto-fieldset', 'data-path': 'rules.any_groups' }, [
        h('legend', { text: 'And any of these groups' }), h('div', { class: 'auto-groups', id: 'auto-rules-groups' }),
        h('button', { type: 'button', class: 'btn btn-secondary btn-sm', id: 'auto-add-group', text: 'Add group' }),
      ]),
      h('p', { class: 'form-note field-wide' }, [
        'No rules: every visitor. Values are matched literally (no ', h('code', { text: '*' }), ' patterns).',
      ]),
      h('div', { class: 'form-errors field-wide', id: 'auto-errors', role: 'alert', hidden: true }, [
        h('p', { id: 'auto-errors-title' }), h('ul', { id: 'auto-errors-list' }),
      ]),
      h('div', { class: 'form-actions' }, [
        h('button', { type: 'submit', class: 'btn btn-primary btn-sm', id: 'auto-save', text: 'Save auto message' }),
        ' ', h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'auto-cancel', text: 'Cancel' }),
      ]),
    ]),
    h('aside', { class: 'card auto-preview', 'aria-labelledby': 'auto-preview-title' }, [
      h('h3', { id: 'auto-preview-title', text: 'Preview' }),
      h('div', { class: 'preview-widget', id: 'auto-preview', 'aria-label': 'How it looks in the widget' }),
    ]),
  );
}

export function mount() {
  build();
  $('auto-form').addEventListener('submit', onAutoSubmit);
  $('auto-cancel').addEventListener('click', closeAutoEditor);
  $('auto-type').addEventListener('change', () => onAutoTypeChange(true));
  $('auto-add-button').addEventListener('click', () => { $('auto-buttons').append(buttonRow(null)); renumberAuto(); renderAutoPreview(); });
  $('auto-form').addEventListener('input', renderAutoPreview);
  $('auto-form').addEventListener('change', renderAutoPreview);
}
