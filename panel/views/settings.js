/* Settings: chats on or off (the administrator), auto-close, e-mail escalation,
 * distribution, the consent form, the pre-chat form; the member's own display and escalation e-mails.
 * Only what changed is sent. Frames: none. Events: view:show, project:info. */
import { api, projectPath, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { $, h } from '../core/dom.js';
import { setDisplay } from '../core/nav.js';
import { isLead, isOwner, setProjectInfo } from '../core/session.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';

export async function saveProjectSettings(changes, button) {
  const ep = S.epoch;
  if (button) button.disabled = true;
  try {
    const data = await api('PATCH', projectPath(''), changes);
    if (ep !== S.epoch) return null;
    setProjectInfo(data && data.project);
    renderSettings(); // the form shows what is stored (the banner can change it too)
    return S.projectInfo;
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not save');
    throw e;
  } finally {
    if (button) button.disabled = false;
  }
}

function renderSettings() {
  const p = S.projectInfo;
  if (!p) return;
  const lead = isLead();
  $('settings-sub').textContent = lead ? 'Settings of ' + (p.name || p.id) + '.'
    : 'Only managers and the administrator can change these settings.';
  const form = $('settings-form');
  form.querySelectorAll('input, textarea, select, button').forEach((el) => { el.disabled = !lead; });
  $('set-chats-enabled').checked = !!p.chats_enabled;
  $('set-chats-enabled').disabled = !isOwner();
  $('set-chats-note').textContent = isOwner() ? 'When off, the widget does not show on your website.'
    : 'Only the account administrator can switch chats on or off.';
  $('set-auto-close').value = p.auto_close_minutes || '';
  $('set-auto-close-message').value = p.auto_close_message || '';
  $('set-escalation').value = p.escalation_minutes ?? 3;
  $('pref-escalation-emails').checked = p.escalation_emails !== false;
  $('set-push-previews').checked = p.push_previews !== false;
  $('set-distribution').value = p.distribution || 'manual';
  $('set-max-active').value = p.max_active_chats || '';
  const consent = p.consent || {};
  $('set-consent-enabled').checked = !!consent.enabled;
  $('set-consent-text').value = consent.text || '';
  $('set-consent-url').value = consent.privacy_url || '';
  for (const [kind] of CONSENT_CHANNELS) {
    $('set-consent-skip-' + kind).checked = (consent.excluded_channels || []).includes(kind);
  }
  const prechat = p.prechat || {};
  for (const key of PRECHAT_KEYS) $('set-prechat-' + key).value = prechat[key] || 'off';
  $('settings-result').hidden = true;
}

async function onSettingsSubmit(ev) {
  ev.preventDefault();
  const p = S.projectInfo;
  if (!p) return;
  // Send only what changed: switching chats is the administrator's alone.
  const changes = {};
  const chats = $('set-chats-enabled').checked;
  if (chats !== !!p.chats_enabled) changes.chats_enabled = chats;
  const minutesText = $('set-auto-close').value.trim();
  const minutes = minutesText ? Number(minutesText) : null;
  if (minutes !== (p.auto_close_minutes || null)) changes.auto_close_minutes = minutes;
  const closing = $('set-auto-close-message').value.trim() || null;
  if (closing !== (p.auto_close_message || null)) changes.auto_close_message = closing;
  const escalationText = $('set-escalation').value.trim();
  const escalation = escalationText === '' ? 0 : Number(escalationText);
  if (escalation !== (p.escalation_minutes ?? 3)) changes.escalation_minutes = escalation;
  const previews = $('set-push-previews').checked;
  if (previews !== (p.push_previews !== false)) changes.push_previews = previews;
  const distribution = $('set-distribution').value;
  if (distribution !== (p.distribution || 'manual')) changes.distribution = distribution;
  const maxText = $('set-max-active').value.trim();
  if (maxText && Number(maxText) !== (p.max_active_chats || 0)) changes.max_active_chats = Number(maxText);
  const was = p.consent || {};
  const consent = {};
  const enabled = $('set-consent-enabled').checked;
  if (enabled !== !!was.enabled) consent.enabled = enabled;
  const text = $('set-consent-text').value.trim();
  if (text && text !== (was.text || '')) consent.text = text;
  const url = $('set-consent-url').value.trim() || null;
  if (url !== (was.privacy_url || null)) consent.privacy_url = url;
  const skipped = CONSENT_CHANNELS.map(([kind]) => kind).filter((kind) => $('set-consent-skip-' + kind).checked);
  const wasSkipped = CONSENT_CHANNELS.map(([kind]) => kind).filter((kind) => (was.excluded_channels || []).includes(kind));
  if (skipped.join() !== wasSkipped.join()) consent.excluded_channels = skipped;
  if (enabled && !text && !was.text) { toast('Write the consent text the visitor agrees to.', 'error'); return; }
  if (Object.keys(consent).length) changes.consent = consent;
  // The pre-chat form goes whole (services/prechat.py: fields left out are off).
  const prechat = Object.fromEntries(PRECHAT_KEYS.map((key) => [key, $('set-prechat-' + key).value]));
  const wasPrechat = p.prechat || {};
  if (PRECHAT_KEYS.some((key) => prechat[key] !== (wasPrechat[key] || 'off'))) changes.prechat = prechat;
  const result = $('settings-result');
  if (!Object.keys(changes).length) { result.textContent = 'Nothing changed.'; result.hidden = false; return; }
  try {
    await saveProjectSettings(changes, $('settings-save'));
    renderSettings();
    result.textContent = 'Settings saved.';
    result.hidden = false;
  } catch (e) { /* reported */ }
}

// The member's own choice, saved at once (it is theirs, whatever their role).
async function saveEscalationEmails(box) {
  const ep = S.epoch;
  const wanted = box.checked;
  box.disabled = true;
  try {
    await api('PUT', projectPath('/escalation-emails'), { escalation_emails: wanted });
    if (ep !== S.epoch) return;
    if (S.projectInfo) S.projectInfo.escalation_emails = wanted;
    toast(wanted ? 'You will be e-mailed when a visitor waits.' : 'No more waiting-visitor e-mails for you.');
  } catch (e) {
    if (ep === S.epoch) { box.checked = !wanted; reportError(e, 'Could not save'); }
  } finally {
    box.disabled = false;
  }
}

const PRECHAT_KEYS = ['mode', 'name', 'email'];
// Where the consent step may be skipped (services/consent.py's channel names). On
// Telegram and Messenger it is a notice sent with a new chat's first answer, not a gate
// (services/channel_consent.py): the customer has already written.
const CONSENT_CHANNELS = [
  ['widget', 'Skip the step in the website widget'],
  ['telegram', 'No privacy notice on Telegram'],
  ['messenger', 'No privacy notice on Messenger'],
];

function fieldChoice(key, label) {
  return h('div', { class: 'field' }, [
    h('label', { for: 'set-prechat-' + key, text: label }), ' ',
    h('select', { id: 'set-prechat-' + key }, ['off', 'optional', 'required'].map((value) =>
      h('option', { value, text: value === 'off' ? 'Not asked' : value[0].toUpperCase() + value.slice(1) }))),
  ]);
}

// The section's markup (static: no server data).
function build() {
  $('view-settings').append(
    h('header', { class: 'view-head' }, [
      h('h2', { id: 'settings-title', text: 'Settings' }), h('p', { class: 'view-sub', id: 'settings-sub' }),
    ]),
    h('div', { class: 'view-body' }, [
      h('form', { class: 'card form-grid', id: 'settings-form', novalidate: true }, [
        h('h3', { text: 'Chats' }),
        h('label', { class: 'check field-wide' }, [
          h('input', { id: 'set-chats-enabled', type: 'checkbox' }), ' Chats are on: the widget shows on your website',
        ]),
        h('p', { class: 'form-note field-wide', id: 'set-chats-note' }), h('h3', { text: 'Automatic closing' }),
        h('div', { class: 'field' }, [
          h('label', { for: 'set-auto-close', text: 'Close assigned dialogues after (minutes without activity; empty: never)' }),
          h('input', { id: 'set-auto-close', type: 'number', min: '1', max: '43200', step: '1' }),
        ]),
        h('div', { class: 'field field-wide' }, [
          h('label', { for: 'set-auto-close-message', text: 'Closing message to the visitor (optional)' }),
          h('textarea', { id: 'set-auto-close-message', rows: '2', maxlength: '1000' }),
        ]),
        h('h3', { text: 'E-mail escalation' }),
        h('div', { class: 'field' }, [
          h('label', { for: 'set-escalation', text: 'E-mail someone when a chat waits (minutes for a reply; 0 = off)' }),
          h('input', { id: 'set-escalation', type: 'number', min: '0', max: '1440', step: '1' }),
        ]),
        h('p', { class: 'form-note field-wide', text: 'The assignee, else the online members who may take it, else the administrator; once until someone answers.' }),
        h('h3', { text: 'Push notifications' }),
        h('label', { class: 'check field-wide' }, [
          h('input', { id: 'set-push-previews', type: 'checkbox' }),
          ' Show message text in notifications (off: "New message", so lock screens show no words)',
        ]),
        h('h3', { text: 'Distribution' }),
        h('div', { class: 'field' }, [
          h('label', { for: 'set-distribution', text: 'New dialogues go to' }), ' ',
          h('select', { id: 'set-distribution' }, [
            h('option', { value: 'manual', text: 'Nobody: members take them (manual)' }),
            h('option', { value: 'round_robin', text: 'Online members in turn (round-robin)' }),
            h('option', { value: 'least_busy', text: 'The least busy online member' }),
          ]),
        ]),
        h('div', { class: 'field' }, [
          h('label', { for: 'set-max-active', text: 'Most open dialogues per member' }),
          h('input', { id: 'set-max-active', type: 'number', min: '1', max: '100', step: '1' }),
        ]),
        h('h3', { text: 'Privacy-policy consent' }),
        h('label', { class: 'check field-wide' }, [
          h('input', { id: 'set-consent-enabled', type: 'checkbox' }),
          ' Ask visitors to agree before their first message',
        ]),
        h('div', { class: 'field field-wide' }, [
          h('label', { for: 'set-consent-text', text: 'Consent text' }),
          h('textarea', { id: 'set-consent-text', rows: '2', maxlength: '2000' }),
        ]),
        h('div', { class: 'field' }, [
          h('label', { for: 'set-consent-url', text: 'Privacy policy URL' }),
          h('input', { id: 'set-consent-url', type: 'url', maxlength: '2048', spellcheck: 'false' }),
        ]),
        ...CONSENT_CHANNELS.map(([kind, label]) => h('label', { class: 'check' }, [
          h('input', { id: 'set-consent-skip-' + kind, type: 'checkbox' }), ' ' + label,
        ])),
        h('h3', { text: 'Pre-chat form' }),
        h('div', { class: 'field' }, [
          h('label', { for: 'set-prechat-mode', text: 'Ask the visitor who they are' }), ' ',
          h('select', { id: 'set-prechat-mode' }, [
            h('option', { value: 'off', text: 'Never' }),
            h('option', { value: 'before', text: 'Before their first message' }),
            h('option', { value: 'inline', text: 'In the chat, after their first message' }),
          ]),
        ]),
        fieldChoice('name', 'Name'), fieldChoice('email', 'E-mail'),
        h('p', { class: 'form-note field-wide', text: 'While nobody is online, the widget also asks for an e-mail address when none is known.' }),
        h('div', { class: 'form-actions' }, [
          h('button', { type: 'submit', class: 'btn btn-primary btn-sm', id: 'settings-save', text: 'Save settings' }),
        ]),
        h('p', { class: 'form-note', id: 'settings-result', role: 'status', hidden: true }),
      ]),
      h('form', { class: 'card form-grid', id: 'prefs-form', novalidate: true }, [
        h('h3', { text: 'Your display' }),
        h('fieldset', { class: 'field-wide radio-row' }, [
          h('legend', { text: 'Show an open chat' }),
          h('label', { class: 'check' }, [
            h('input', { type: 'radio', name: 'display', value: 'section', checked: true }), ' In the inbox section',
          ]),
          ' ',
          h('label', { class: 'check' }, [
            h('input', { type: 'radio', name: 'display', value: 'popup' }), ' As a pop-up over the work area',
          ]),
        ]),
        h('label', { class: 'check field-wide' }, [
          h('input', { id: 'pref-escalation-emails', type: 'checkbox' }),
          ' E-mail me when a visitor waits for a reply',
        ]),
      ]),
    ]),
  );
}

export function mount() {
  build();
  $('prefs-form').addEventListener('change', (ev) => {
    if (ev.target.name === 'display') setDisplay(ev.target.value);
    if (ev.target.id === 'pref-escalation-emails') saveEscalationEmails(ev.target);
  });
  $('settings-form').addEventListener('submit', onSettingsSubmit);
  on('view:show', (view) => { if (view === 'settings') renderSettings(); });
  on('project:info', () => { if (S.view === 'settings') renderSettings(); });
}
