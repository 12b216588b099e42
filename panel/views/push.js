/* Web Push on this device (docs/API.md, "Web Push"): Settings' "Notifications on this
 * device" card: subscribing (permission, the server's VAPID key, PUT
 * /me/push-subscriptions), this device's choices (PATCH), the member's other devices
 * (DELETE), and why push is not available when it is not. A notification clicked while a
 * panel window is open (push:open from core/pwa.js) opens its chat here without a
 * reload. At logout, login.js calls forgetDevice() before the tokens are dropped.
 * Frames: none. Events: view:show, push:open. */
import { api, rawFetch, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { mergeSummary } from '../core/chats.js';
import { $, enc, h } from '../core/dom.js';
import { displayMode, openChat, readLocation, showView } from '../core/nav.js';
import { workerRegistration } from '../core/pwa.js';
import { myId } from '../core/session.js';
import { S } from '../core/state.js';
import { relTimeLong } from '../core/time.js';
import { toast } from '../core/toast.js';

const LS_PUSH = 'lc-panel:push'; // + ':' + user id: this device's subscription id
const READY_WAIT_MS = 10000;
// The server's choices per device (all booleans) and their defaults.
export const PREFS = [
  ['new_chats', 'New chats I may take', true],
  ['my_chats', 'Messages in chats assigned to me', true],
  ['assigned', 'A chat assigned to me', true],
  ['mentions', 'Team chat messages that name me', true],
  ['when_offline', 'Also while my status is offline', false],
];

let devices = []; // GET /me/push-subscriptions
let devicesOf = null; // whose they are (another login in this tab starts with none)

function storedId(userId) {
  try { return localStorage.getItem(LS_PUSH + ':' + (userId || myId() || '')); } catch (e) { return null; }
}

function storeId(id) {
  try {
    if (id) localStorage.setItem(LS_PUSH + ':' + myId(), id);
    else localStorage.removeItem(LS_PUSH + ':' + myId());
  } catch (e) { /* private mode */ }
}

/** "Chrome on Android": what the member sees in their list of devices. */
export function deviceLabel(ua) {
  const u = String(ua || '');
  const browser = /Edg\//.test(u) ? 'Edge' : /OPR\//.test(u) ? 'Opera' : /SamsungBrowser/.test(u) ? 'Samsung Internet'
    : /Firefox\//.test(u) ? 'Firefox' : /Chrome\/|Chromium\/|CriOS/.test(u) ? 'Chrome' : /Safari\//.test(u) ? 'Safari' : 'Browser';
  const os = /Android/.test(u) ? 'Android' : /iPhone/.test(u) ? 'iPhone' : /iPad/.test(u) ? 'iPad'
    : /Windows/.test(u) ? 'Windows' : /CrOS/.test(u) ? 'ChromeOS' : /Mac OS X|Macintosh/.test(u) ? 'macOS'
      : /Linux/.test(u) ? 'Linux' : '';
  return os ? browser + ' on ' + os : browser;
}

function base64urlToBytes(text) {
  const b64 = String(text).replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** Why push cannot work in this browser, or '' when it can. */
function unavailable() {
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    const ios = /iPhone|iPad/.test(navigator.userAgent);
    return ios && !matchMedia('(display-mode: standalone)').matches
      ? 'On an iPhone or iPad, add the panel to your Home Screen first (Share, then "Add to Home Screen") and open it from there: only then can it notify you.'
      : 'This browser cannot receive push notifications. Use a current Chrome, Edge, Firefox or Safari, or keep the panel open.';
  }
  if (Notification.permission === 'denied') {
    return 'Notifications are blocked for this site in your browser. Allow them in the site settings (the icon left of the address), then come back here.';
  }
  return '';
}

function withTimeout(promise, ms, message) {
  return Promise.race([promise, new Promise((_r, reject) => setTimeout(() => reject(new Error(message)), ms))]);
}

async function browserSubscription() {
  if (unavailable()) return null;
  const reg = await withTimeout(workerRegistration(), READY_WAIT_MS, 'the service worker did not start');
  if (!reg) throw new Error('service workers are not available on this page');
  // Some browsers refuse even to look (Chrome's incognito mode): then there is none.
  const sub = await reg.pushManager.getSubscription().catch(() => null);
  return { reg, sub };
}

function say(text, link) {
  const p = $('push-status');
  p.replaceChildren(text);
  if (link) p.append(' ', h('a', { href: link.href, target: '_blank', rel: 'noopener', text: link.text }));
}

function mine() {
  const id = storedId();
  return id ? devices.find((d) => d.id === id) || null : null;
}

function render() {
  if (devicesOf !== myId()) { devices = []; devicesOf = myId(); }
  const own = mine();
  const why = unavailable();
  $('push-enable').hidden = !!own || !!why;
  $('push-disable').hidden = !own;
  $('push-prefs').hidden = !own;
  if (why) say(why);
  else if (own) say('This device (' + (own.label || 'this browser') + ') is notified, even when the panel is closed.');
  else say('Get a notification on this device when a visitor writes, even when the panel is closed.');
  if (own) {
    const prefs = own.prefs || {};
    for (const [key, , fallback] of PREFS) $('push-pref-' + key).checked = key in prefs ? !!prefs[key] : fallback;
  }
  const others = devices.filter((d) => d !== own);
  $('push-others').hidden = !others.length;
  $('push-device-list').replaceChildren(...others.map((d) => h('li', { class: 'reply-item', 'data-subscription-id': d.id }, [
    h('div', { class: 'reply-head' }, [
      h('strong', { text: d.label || 'A device' }),
      h('span', { class: 'muted', text: d.last_sent_at ? 'last notified ' + relTimeLong(d.last_sent_at) : 'added ' + relTimeLong(d.created_at) }),
      h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'aria-label': 'Remove ' + (d.label || 'device'), text: 'Remove',
        onclick: (ev) => removeDevice(d, ev.currentTarget) }),
    ]),
  ])));
}

async function load() {
  const ep = S.epoch;
  try {
    const data = await api('GET', '/me/push-subscriptions');
    if (ep !== S.epoch) return;
    devices = Array.isArray(data && data.subscriptions) ? data.subscriptions : [];
    devicesOf = myId();
  } catch (e) {
    if (ep === S.epoch) { devices = []; say('Could not load your devices: ' + e.message); }
    return;
  }
  render();
}

/** Subscribe this device: permission, the key, the browser's push service, the server. */
async function enable() {
  const btn = $('push-enable');
  btn.disabled = true;
  const ep = S.epoch;
  try {
    if (unavailable()) { render(); return; }
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') { render(); if (permission === 'default') say('Notifications were not allowed. Click again to be asked once more.'); return; }
    const { reg, sub: existing } = await browserSubscription();
    const { public_key: key } = await api('GET', '/push/key');
    let sub = existing;
    const wanted = base64urlToBytes(key);
    if (sub && sub.options && sub.options.applicationServerKey) {
      const had = new Uint8Array(sub.options.applicationServerKey);
      if (had.length !== wanted.length || had.some((b, i) => b !== wanted[i])) { await sub.unsubscribe(); sub = null; }
    }
    try {
      if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: wanted });
    } catch (e) {
      noPushService(e);
      return;
    }
    const json = sub.toJSON();
    const data = await api('PUT', '/me/push-subscriptions', { endpoint: json.endpoint, keys: json.keys, label: deviceLabel(navigator.userAgent) });
    if (ep !== S.epoch) return;
    storeId(data.subscription.id);
    devices = devices.filter((d) => d.id !== data.subscription.id).concat([data.subscription]);
    render();
    toast('This device will be notified.');
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not turn on notifications');
  } finally {
    btn.disabled = false;
  }
}

// The browser has no push service it can reach: headless browsers, and the local stack
// (`make dev`: no Google/Mozilla/Apple service behind it).
function noPushService(e) {
  const local = S.config && S.config.local_push;
  say('Your browser could not reach its push service (' + (e && e.message ? e.message : 'no reason given') + '). '
    + 'A headless browser, or one without internet access, cannot receive pushes. '
    + (local ? 'On the local stack, the local push page shows what the server sends to each device:' : 'Try again later, or in another browser.'),
  local ? { href: local, text: 'Local push service' } : null);
}

async function disable() {
  const own = mine();
  if (!own) return;
  const btn = $('push-disable');
  btn.disabled = true;
  try {
    await api('DELETE', '/me/push-subscriptions/' + enc(own.id));
    storeId(null);
    devices = devices.filter((d) => d !== own);
    await unsubscribeBrowser();
    render();
    toast('This device will not be notified any more.');
  } catch (e) {
    reportError(e, 'Could not turn off notifications');
  } finally {
    btn.disabled = false;
  }
}

async function unsubscribeBrowser() {
  try {
    const found = await browserSubscription();
    if (found && found.sub) await found.sub.unsubscribe();
  } catch (e) { /* nothing to undo */ }
}

async function savePref(box) {
  const own = mine();
  if (!own) return;
  const key = box.name;
  const wanted = box.checked;
  box.disabled = true;
  try {
    const data = await api('PATCH', '/me/push-subscriptions/' + enc(own.id), { prefs: { [key]: wanted } });
    Object.assign(own, data.subscription);
  } catch (e) {
    box.checked = !wanted;
    reportError(e, 'Could not save');
  } finally {
    box.disabled = false;
  }
}

async function removeDevice(d, btn) {
  btn.disabled = true;
  try {
    await api('DELETE', '/me/push-subscriptions/' + enc(d.id));
    devices = devices.filter((x) => x !== d);
    render();
  } catch (e) {
    btn.disabled = false;
    reportError(e, 'Could not remove the device');
  }
}

/** Logout from this device: the server forgets its subscription (with the tokens still
 * valid), then the browser's own. Resolves whatever happens (the logout goes on). */
export async function forgetDevice(tokens, userId) {
  const id = storedId(userId);
  if (id && tokens) {
    try { await rawFetch('DELETE', '/me/push-subscriptions/' + enc(id), undefined, tokens.access_token); } catch (e) { /* gone already */ }
  }
  try { if (id) localStorage.removeItem(LS_PUSH + ':' + userId); } catch (e) { /* ignore */ }
  devices = [];
  if (id) await unsubscribeBrowser();
}

// A notification clicked while this window is open: its chat, without a reload when it
// is in the open project; otherwise the address it names, loaded.
async function openFromPush(d) {
  const url = new URL(d.url, location.href);
  // The worker only sends panel addresses (/panel/ or /panel/index.html: the same page).
  const same = S.tokens && S.project && d.project_id === S.project.id;
  if (!same) {
    location.assign(url.href);
    if (url.pathname === location.pathname) location.reload(); // a new hash alone does not load
    return;
  }
  history.replaceState(history.state, '', url.hash);
  const wanted = readLocation();
  const chatId = d.chat_id || wanted.chat;
  if (!chatId || wanted.view !== 'inbox') { showView(wanted.view); return; }
  if (S.view !== 'inbox' && displayMode() === 'section') showView('inbox');
  if (!S.chats.has(chatId)) {
    const ep = S.epoch;
    try {
      const data = await api('GET', '/projects/' + enc(S.project.id) + '/chats/' + enc(chatId));
      if (ep !== S.epoch || !data || !data.chat) return;
      S.chats.set(chatId, mergeSummary(null, data.chat));
      if (!S.order.includes(chatId)) S.order.unshift(chatId);
    } catch (e) {
      toast('That chat cannot be opened any more.', 'error');
      return;
    }
  }
  openChat(chatId);
}

function build() {
  const body = $('view-settings').querySelector('.view-body');
  body.append(h('section', { class: 'card form-grid', id: 'push-card', 'aria-labelledby': 'push-title' }, [
    h('h3', { id: 'push-title', text: 'Notifications on this device' }),
    h('p', { class: 'form-note field-wide', id: 'push-status', role: 'status' }),
    h('div', { class: 'form-actions' }, [
      h('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'push-enable', text: 'Notify me on this device' }),
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', id: 'push-disable', hidden: true, text: 'Stop notifying this device' }),
    ]),
    h('fieldset', { class: 'field-wide radio-row', id: 'push-prefs', hidden: true }, [
      h('legend', { text: 'Notify this device about' }),
      ...PREFS.map(([key, label]) => h('label', { class: 'check' }, [
        h('input', { type: 'checkbox', name: key, id: 'push-pref-' + key }), ' ' + label,
      ])),
    ]),
    h('div', { class: 'field-wide', id: 'push-others', hidden: true }, [
      h('h4', { text: 'Your other devices' }),
      h('ul', { class: 'reply-list', id: 'push-device-list' }),
    ]),
  ]));
}

export function mount() {
  build();
  $('push-enable').addEventListener('click', enable);
  $('push-disable').addEventListener('click', disable);
  $('push-prefs').addEventListener('change', (ev) => { if (ev.target.type === 'checkbox') savePref(ev.target); });
  on('view:show', (view) => { if (view === 'settings') { render(); load(); } });
  on('push:open', (d) => { openFromPush(d).catch(() => {}); });
}
