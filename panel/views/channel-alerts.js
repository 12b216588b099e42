/* The channels banner (#channel-banner, under #banner): "Telegram @bot needs reconnecting:
 * <reason>. Replies are held until you reconnect it." for every member; managers and the
 * administrator get a Reconnect button (Settings -> Channels, that channel's form). From
 * the project answer's channel_alerts at load (no request of its own), live from the
 * channel_health frame, and from Settings -> Channels' list (channels:loaded) after a
 * reconnect. Placed by views/banner.js. */
import { emit, on } from '../core/bus.js';
import { $, h } from '../core/dom.js';
import { showView } from '../core/nav.js';
import { isLead } from '../core/session.js';
import { onFrame } from '../core/socket.js';
import { S } from '../core/state.js';

const alerts = new Map(); // channel id -> {id, kind, name, health}

export function channelLabel(channel) {
  return (channel.kind === 'telegram' ? 'Telegram ' : 'Messenger Page ') + channel.name;
}

function note(channel, health) {
  if (!health || health.state !== 'needs_reconnect') alerts.delete(channel.id);
  else alerts.set(channel.id, { id: channel.id, kind: channel.kind, name: channel.name, health });
}

function render() {
  const box = $('channel-banner');
  if (!alerts.size) { box.hidden = true; box.replaceChildren(); return; }
  const lead = isLead();
  box.replaceChildren(...[...alerts.values()].map((a) => {
    const parts = [
      h('strong', { text: channelLabel(a) + ' needs reconnecting' + (a.health.reason ? ': ' + a.health.reason : '') + '. ' }),
      h('span', { text: lead ? 'Replies are held until you reconnect it. '
        : 'Replies are held until a manager or the administrator reconnects it. ' }),
    ];
    if (lead) {
      parts.push(h('button', {
        type: 'button', class: 'btn btn-secondary btn-sm', text: 'Reconnect',
        'aria-label': 'Reconnect ' + channelLabel(a),
        // The open chat is closed first: the address is Settings alone (#/<project>/settings),
        // not the chat's id behind it, and no pop-up covers the channel's form.
        onclick: () => { emit('chat:close'); showView('settings'); emit('channels:reconnect', a.id); },
      }));
    }
    return h('p', { class: 'channel-alert', 'data-channel-id': a.id }, parts);
  }));
  box.hidden = false;
}

export function mountChannelAlerts() {
  $('banner').after(h('div', { class: 'banner channel-banner', id: 'channel-banner', role: 'status', hidden: true }));
  // A settings save answers the project without the alerts: only a full answer resets them.
  on('project:info', () => {
    const list = S.projectInfo && S.projectInfo.channel_alerts;
    if (!Array.isArray(list)) { render(); return; } // the role may have arrived: redraw
    alerts.clear();
    for (const a of list) note(a, a.health);
    render();
  });
  onFrame('channel_health', (f) => { if (f.channel) { note(f.channel, f.channel.health); render(); } });
  on('channels:loaded', (list) => {
    for (const c of list) note(c, c.status === 'connected' ? c.health : null);
    render();
  });
  on('project:reset', () => { alerts.clear(); render(); });
}
