/* Settings: chats on or off (the administrator), auto-close, distribution, the consent
 * form. Only what changed is sent. Frames: none. Events: view:show, project:info. */
import { api, projectPath, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { $ } from '../core/dom.js';
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
  $('set-distribution').value = p.distribution || 'manual';
  $('set-max-active').value = p.max_active_chats || '';
  const consent = p.consent || {};
  $('set-consent-enabled').checked = !!consent.enabled;
  $('set-consent-text').value = consent.text || '';
  $('set-consent-url').value = consent.privacy_url || '';
  $('set-consent-skip-widget').checked = (consent.excluded_channels || []).includes('widget');
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
  const skip = $('set-consent-skip-widget').checked;
  if (skip !== (was.excluded_channels || []).includes('widget')) consent.excluded_channels = skip ? ['widget'] : [];
  if (enabled && !text && !was.text) { toast('Write the consent text the visitor agrees to.', 'error'); return; }
  if (Object.keys(consent).length) changes.consent = consent;
  const result = $('settings-result');
  if (!Object.keys(changes).length) { result.textContent = 'Nothing changed.'; result.hidden = false; return; }
  try {
    await saveProjectSettings(changes, $('settings-save'));
    renderSettings();
    result.textContent = 'Settings saved.';
    result.hidden = false;
  } catch (e) { /* reported */ }
}

export function mount() {
  $('settings-form').addEventListener('submit', onSettingsSubmit);
  on('view:show', (view) => { if (view === 'settings') renderSettings(); });
  on('project:info', () => { if (S.view === 'settings') renderSettings(); });
}
