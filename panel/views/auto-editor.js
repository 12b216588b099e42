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

export function mount() {
  $('auto-form').addEventListener('submit', onAutoSubmit);
  $('auto-cancel').addEventListener('click', closeAutoEditor);
  $('auto-type').addEventListener('change', () => onAutoTypeChange(true));
  $('auto-add-button').addEventListener('click', () => { $('auto-buttons').append(buttonRow(null)); renumberAuto(); renderAutoPreview(); });
  $('auto-form').addEventListener('input', renderAutoPreview);
  $('auto-form').addEventListener('change', renderAutoPreview);
}
