/* Settings -> Channels (managers and the administrator): connecting a Telegram bot (its
 * token) or a Facebook Page (Page id, Page token, app secret), each channel's webhook
 * health, disconnecting. Tokens are sent once and never shown again: the server answers
 * with their last four characters. A channel whose token died (health.state
 * needs_reconnect) shows why and a Reconnect form (the connect form for that bot or Page,
 * asking for the new token). Frames: none. Events: view:show, project:reset,
 * channels:reconnect (the banner's button: that channel's form); emits channels:loaded. */
import { api, projectPath, reportError } from '../core/api.js';
import { emit, on } from '../core/bus.js';
import { $, enc, h } from '../core/dom.js';
import { isLead } from '../core/session.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';
import { channelLabel } from './channel-alerts.js';
import { saveProjectSettings } from './settings.js';

let loadedFor = null; // the project whose channels are drawn
let wantReconnect = null; // the channel whose Reconnect form the banner asked for
let loading = false; // a list load is on its way (it focuses wantReconnect when drawn)

async function loadChannels() {
  renderTagSetting();
  const box = $('channel-list');
  if (!S.project || !isLead()) {
    box.replaceChildren(h('p', { class: 'form-note', text: 'Only managers and the administrator can connect channels.' }));
    $('channel-forms').hidden = true;
    return;
  }
  $('channel-forms').hidden = false;
  const ep = S.epoch;
  loading = true;
  try {
    const data = await api('GET', projectPath('/channels'));
    if (ep !== S.epoch) return;
    loadedFor = S.project;
    const list = (data && data.channels) || [];
    renderChannels(list);
    emit('channels:loaded', list);
    focusReconnect();
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load the channels');
  } finally {
    loading = false;
  }
}

function healthText(health) {
  // Until the platform is asked (checkHealth) only the token's state is known: shown apart.
  if (!health || !('ok' in health || 'error' in health)) return '';
  if (health.error) return 'Health: ' + health.error;
  if ('pending_updates' in health) {
    return (health.ok ? 'Webhook OK' : 'Webhook needs attention') + ' · pending updates: ' + health.pending_updates
      + (health.last_error ? ' · last error: ' + health.last_error : '');
  }
  return (health.ok ? 'Subscribed to the Page\u2019s messages' : 'Not subscribed to the Page\u2019s messages')
    + (health.subscribed_fields && health.subscribed_fields.length ? ' (' + health.subscribed_fields.join(', ') + ')' : '');
}

function channelRow(channel) {
  const connected = channel.status === 'connected';
  const dead = connected && channel.health && channel.health.state === 'needs_reconnect';
  const health = h('p', { class: 'form-note channel-health', text: healthText(channel.health) });
  const facts = [
    h('strong', { text: (channel.kind === 'telegram' ? 'Telegram ' : 'Messenger: ') + channel.name }),
    ' ', h('span', {
      class: 'chat-channel channel-' + channel.kind,
      text: dead ? 'needs reconnecting' : connected ? 'connected' : 'disconnected',
    }),
  ];
  const details = [];
  if (dead) {
    details.push(h('p', { class: 'channel-dead', role: 'status' }, [
      h('strong', { text: 'Needs reconnecting' }),
      h('span', { text: (channel.health.reason ? ': ' + channel.health.reason : '') + '. Replies are held until you reconnect it with a new token.' }),
    ]));
    details.push(reconnectForm(channel));
  }
  if (connected) {
    details.push(h('p', { class: 'form-note', text: 'Token in use: ' + (channel.token || '') }));
    details.push(h('p', { class: 'form-note' }, ['Webhook: ', h('code', { text: channel.webhook_url })]));
    if (channel.verify_token) {
      details.push(h('p', { class: 'form-note' }, [
        'In your Facebook app (Messenger -> Webhooks): callback URL above, verify token ',
        h('code', { class: 'verify-token', text: channel.verify_token }),
        ', fields messages, messaging_postbacks, message_echoes.',
      ]));
    }
  } else {
    details.push(h('p', { class: 'form-note', text: 'Disconnected: its chats stay in the inbox; connect it again to continue them.' }));
  }
  const actions = h('div', { class: 'form-actions' });
  if (connected) {
    actions.append(
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Check health',
        onclick: (ev) => checkHealth(channel, health, ev.target) }),
      ' ',
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Disconnect',
        onclick: (ev) => disconnect(channel, ev.target) }),
    );
  }
  return h('li', { class: 'card channel-item', 'data-channel-id': channel.id }, [h('p', {}, facts), ...details, health, actions]);
}

function renderChannels(list) {
  const box = $('channel-list');
  if (!list.length) {
    box.replaceChildren(h('p', { class: 'form-note', text: 'No channel yet: connect a Telegram bot or a Facebook Page below.' }));
    return;
  }
  box.replaceChildren(h('ul', { class: 'channel-items' }, list.map(channelRow)));
  // Each connected channel's health, asked of its platform (pending updates, last error).
  for (const channel of list) {
    if (channel.status !== 'connected') continue;
    const item = box.querySelector('[data-channel-id="' + channel.id + '"]');
    const line = item && item.querySelector('.channel-health');
    const button = item && item.querySelector('button');
    if (line && button) checkHealth(channel, line, button);
  }
}

async function checkHealth(channel, line, button) {
  button.disabled = true;
  try {
    const data = await api('GET', projectPath('/channels/' + enc(channel.id)));
    line.textContent = healthText(data && data.channel && data.channel.health);
  } catch (e) {
    reportError(e, 'Could not check the channel');
  } finally {
    button.disabled = false;
  }
}

async function disconnect(channel, button) {
  if (!window.confirm('Disconnect ' + channel.name + '? Its chats stay in the inbox.')) return;
  button.disabled = true;
  try {
    await api('DELETE', projectPath('/channels/' + enc(channel.id)));
    toast(channel.name + ' disconnected.');
    loadChannels();
  } catch (e) {
    button.disabled = false;
    reportError(e, 'Could not disconnect');
  }
}

async function connect(ev, kind) {
  ev.preventDefault();
  const form = ev.target;
  const body = {};
  for (const input of form.querySelectorAll('input')) body[input.name] = input.value.trim();
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const data = await api('POST', projectPath('/channels/' + kind), body);
    form.reset(); // the token leaves the page: it is never shown again
    const channel = data && data.channel;
    toast((channel ? channel.name : 'The channel') + ' connected.');
    loadChannels();
  } catch (e) {
    reportError(e, 'Could not connect');
  } finally {
    button.disabled = false;
  }
}

/** The connect form for this bot or Page (its Page id filled in), asking for the new token. */
function reconnectForm(channel) {
  const id = (name) => 'rc-' + channel.id + '-' + name;
  const fields = channel.kind === 'telegram'
    ? [field(id('token'), 'token', 'New bot token (from @BotFather)', { type: 'password' })]
    : [
      field(id('page-id'), 'page_id', 'Page id', { inputmode: 'numeric', value: channel.external_id }),
      field(id('page-token'), 'page_token', 'New Page access token', { type: 'password' }),
      field(id('app-secret'), 'app_secret', 'App secret (App settings -> Basic)', { type: 'password' }),
    ];
  const form = h('form', { class: 'form-grid reconnect-form', novalidate: true, 'aria-label': 'Reconnect ' + channelLabel(channel) }, [
    ...fields,
    h('div', { class: 'form-actions' }, [
      h('button', { type: 'submit', class: 'btn btn-primary btn-sm', text: 'Reconnect' }),
    ]),
  ]);
  form.addEventListener('submit', (ev) => connect(ev, channel.kind));
  return form;
}

function focusReconnect() {
  if (!wantReconnect || loadedFor !== S.project) return;
  const item = $('channel-list').querySelector('[data-channel-id="' + wantReconnect + '"]');
  wantReconnect = null;
  const input = item && item.querySelector('.reconnect-form input[type=password]');
  if (input) { item.scrollIntoView({ block: 'center' }); input.focus(); }
}

/** The project's Human agent tag (channels.human_agent_tag): Messenger replies from 24 h
 * to 7 days after the customer's last message. Leads change it; others see it. */
function renderTagSetting() {
  const box = $('set-human-agent-tag');
  const p = S.projectInfo;
  box.checked = !!(p && p.channels && p.channels.human_agent_tag);
  box.disabled = !p || !isLead();
}

async function saveTagSetting(ev) {
  const wanted = ev.target.checked;
  try {
    await saveProjectSettings({ channels: { human_agent_tag: wanted } }, ev.target);
    toast(wanted ? 'Messenger replies up to 7 days go with the Human agent tag.' : 'The Human agent tag is off.');
  } catch (e) {
    // saveProjectSettings reported it; the box shows what is stored.
  }
  renderTagSetting();
}

function field(id, name, label, extra) {
  return h('div', { class: 'field field-wide' }, [
    h('label', { for: id, text: label }),
    h('input', Object.assign({ id, name, type: 'text', autocomplete: 'off', spellcheck: 'false', required: true }, extra || {})),
  ]);
}

// The section's card (static markup: no server data).
function build() {
  $('view-settings').querySelector('.view-body').append(
    h('section', { class: 'card', id: 'channels-card', 'aria-labelledby': 'channels-title' }, [
      h('h3', { id: 'channels-title', text: 'Channels: Telegram and Facebook Messenger' }),
      h('p', { class: 'form-note', text: 'Customers who write to your bot or Page appear in the inbox with the channel shown. '
        + 'Your replies go back to them on Telegram or Messenger, each showing whether it was sent.' }),
      h('div', { id: 'channel-list' }),
      h('div', { class: 'channel-tag' }, [
        h('label', { class: 'check' }, [
          h('input', { id: 'set-human-agent-tag', type: 'checkbox', 'aria-describedby': 'human-agent-tag-note' }),
          ' Messenger: reply with the Human agent tag from 24 hours to 7 days after the customer’s last message',
        ]),
        h('p', { class: 'form-note', id: 'human-agent-tag-note', text: 'Messenger lets a Page answer within 24 hours of the '
          + 'customer’s last message. After that, only a person may answer, for up to 7 days, with the Human agent tag, '
          + 'and only once Meta approved your app for it (App Review: the Human Agent permission). Turn this on after the '
          + 'approval: automatic messages never use it.' }),
      ]),
      h('div', { id: 'channel-forms' }, [
        h('form', { class: 'form-grid', id: 'connect-telegram', novalidate: true }, [
          h('h3', { text: 'Connect a Telegram bot' }),
          field('tg-token', 'token', 'Bot token (from @BotFather)', { type: 'password' }),
          h('div', { class: 'form-actions' }, [
            h('button', { type: 'submit', class: 'btn btn-primary btn-sm', text: 'Connect bot' }),
          ]),
        ]),
        h('form', { class: 'form-grid', id: 'connect-messenger', novalidate: true }, [
          h('h3', { text: 'Connect a Facebook Page' }),
          field('fb-page-id', 'page_id', 'Page id', { inputmode: 'numeric' }),
          field('fb-page-token', 'page_token', 'Page access token', { type: 'password' }),
          field('fb-app-secret', 'app_secret', 'App secret (App settings -> Basic)', { type: 'password' }),
          h('div', { class: 'form-actions' }, [
            h('button', { type: 'submit', class: 'btn btn-primary btn-sm', text: 'Connect Page' }),
          ]),
        ]),
      ]),
    ]),
  );
}

export function mount() {
  build();
  $('connect-telegram').addEventListener('submit', (ev) => connect(ev, 'telegram'));
  $('connect-messenger').addEventListener('submit', (ev) => connect(ev, 'messenger'));
  $('set-human-agent-tag').addEventListener('change', saveTagSetting);
  on('project:info', renderTagSetting);
  on('view:show', (view) => { if (view === 'settings') loadChannels(); });
  on('project:reset', () => { loadedFor = null; wantReconnect = null; $('channel-list').replaceChildren(); });
  on('channels:reconnect', (channelId) => { wantReconnect = channelId; if (!loading) focusReconnect(); });
  on('project:loaded', () => { if (S.view === 'settings' && loadedFor !== S.project) loadChannels(); });
}
