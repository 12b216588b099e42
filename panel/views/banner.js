/* The banner over the work area: what a plan limit or payment stops, the widget not
 * installed yet, or chats switched off (with "Switch chats on" for the administrator).
 * Frames: none. Events: project:info, billing:changed, project:reset. Channels that
 * need reconnecting have their own banner under this one (views/channel-alerts.js). */
import { on } from '../core/bus.js';
import { $, h } from '../core/dom.js';
import { showView } from '../core/nav.js';
import { isOwner } from '../core/session.js';
import { S } from '../core/state.js';
import { mountChannelAlerts } from './channel-alerts.js';
import { installBannerParts } from './install.js';
import { saveProjectSettings } from './settings.js';

/** Chats switched off: the widget is hidden on the site, and the panel says why. */
function renderBanner() {
  const b = $('banner');
  const p = S.projectInfo;
  // A plan limit or payment stops something (blocked), or is about to (warnings: a
  // failed renewal Stripe is still retrying, the chat still works): what, and how on.
  const blocked = S.billing ? (S.billing.blocked || []).concat(S.billing.warnings || []) : [];
  if (blocked.length && (!p || p.chats_enabled)) {
    b.replaceChildren(...blocked.map((x) => h('span', { class: 'banner-item' }, [h('strong', { text: x.message + ' ' }), h('span', { text: x.resume + ' ' })])),
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Open billing', onclick: () => showView('billing') }));
    b.hidden = false;
    return;
  }
  const notInstalled = p && p.chats_enabled && installBannerParts(p);
  if (notInstalled) { b.replaceChildren(...notInstalled); b.hidden = false; return; }
  if (!p || p.chats_enabled) { b.hidden = true; b.replaceChildren(); return; }
  const parts = [h('strong', { text: 'Chats are switched off for this project. ' }),
    h('span', { text: 'The chat widget does not show on your website, so visitors cannot start new conversations. ' })];
  if (isOwner()) {
    parts.push(h('button', {
      type: 'button', class: 'btn btn-secondary btn-sm', text: 'Switch chats on',
      onclick: (e) => saveProjectSettings({ chats_enabled: true }, e.currentTarget),
    }));
  } else {
    parts.push(h('span', { text: 'Only the account administrator can switch them on.' }));
  }
  b.replaceChildren(...parts);
  b.hidden = false;
}

export function mount() {
  mountChannelAlerts();
  on('project:info', renderBanner);
  on('billing:changed', renderBanner);
  on('project:reset', () => { $('banner').hidden = true; });
}
