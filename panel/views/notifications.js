/* Notifications: the window title's and the app badge's unread chats (across the
 * member's projects), the sound alert, desktop notifications (clicking one opens its
 * chat). Subscribes to no frame: views/conversation.js and views/inbox.js call notify()
 * for a visitor's message, views/unread.js notifyElsewhere() for a new chat in another
 * project. Emits unread:changed when the total may have moved (views/project.js redraws
 * the switcher's counts), project:open {id, chatId} when a notification of another
 * project is clicked. Tags are "chat-<chat id>", as the service worker's pushes
 * (panel/sw.js), so an in-page notification and a push for one chat replace each other. */
import { emit } from '../core/bus.js';
import { unreadTotal } from '../core/chats.js';
import { $ } from '../core/dom.js';
import { openChat } from '../core/nav.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';

const LS_SOUND = 'lc-panel:sound'; // "1" | "0": sound alerts on or off (default on)
let sound = localStorage.getItem(LS_SOUND) !== '0';
let audio = null;

export function updateNotifyButton() {
  const btn = $('notify-btn');
  btn.hidden = !('Notification' in window) || Notification.permission !== 'default';
}

async function requestNotifications() {
  unlockAudio();
  if (!('Notification' in window)) return;
  try {
    const res = await Notification.requestPermission();
    if (res === 'granted') toast('Desktop notifications are on.');
    else if (res === 'denied') toast('Notifications are blocked in your browser settings.');
  } catch (e) { /* ignore */ }
  updateNotifyButton();
}

export function unlockAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  try {
    if (!audio) audio = new Ctx();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
  } catch (e) { /* ignore */ }
}

function beep() {
  if (!sound) return;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  try {
    if (!audio) audio = new Ctx();
    const ctx = audio;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    const t0 = ctx.currentTime + 0.01;
    [[880, 0], [1318.5, 0.11]].forEach(([freq, at]) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(freq, t0 + at);
      gain.gain.setValueAtTime(0.0001, t0 + at);
      gain.gain.exponentialRampToValueAtTime(0.12, t0 + at + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + 0.18);
    });
  } catch (e) { /* ignore */ }
}

let lastBeep = 0;

function alertSound() {
  const now = Date.now();
  if (now - lastBeep > 1500) { lastBeep = now; beep(); }
}

/** A desktop notification from the page, if allowed; onclick runs after focusing it. */
function desktop(title, body, tag, onclick) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return false;
  try {
    const n = new Notification(title, {
      body: String(body || '').slice(0, 200),
      tag,
      silent: true, // we play our own sound
    });
    n.onclick = () => {
      window.focus();
      onclick();
      n.close();
    };
    return true;
  } catch (e) {
    return false; // some browsers only allow notifications from a service worker
  }
}

export function notify(chat, msg, isNewChat) {
  alertSound();
  const name = (chat && chat.visitor_name) || 'Visitor';
  const chatId = msg.chat_id || (chat && chat.id);
  desktop(isNewChat ? 'New conversation · ' + name : name, msg.text, 'chat-' + chatId, () => {
    if (chatId) openChat(chatId);
  });
}

/** A new chat in another of the member's projects (its unread count rose): the sound,
 * and a desktop notification (a toast where those are not allowed) that opens it. The
 * tag names the chat when known, else the project: a later rise replaces it. */
export function notifyElsewhere(project, count, chatId) {
  alertSound();
  const name = project.name || project.id;
  const what = count === 1 ? '1 unread chat' : count + ' unread chats';
  const tag = chatId ? 'chat-' + chatId : 'project-' + project.id;
  const open = () => emit('project:open', { id: project.id, chatId: chatId || null });
  if (!desktop('New conversation · ' + name, what + ' in ' + name, tag, open)) {
    toast('New conversation in ' + name + ' (' + what + ')');
  }
}

export function renderSound() {
  const b = $('sound-btn');
  b.setAttribute('aria-pressed', sound ? 'true' : 'false');
  b.title = sound ? 'Sound alerts on' : 'Sound alerts off';
  b.classList.toggle('is-off', !sound);
}

let badged = null; // what the app badge shows now (null: not set by this page yet)

/** The installed app's badge (navigator.setAppBadge, where the browser has it). */
function renderAppBadge(n) {
  if (n === badged || !('setAppBadge' in navigator)) return;
  badged = n;
  const done = n > 0 ? navigator.setAppBadge(n) : navigator.clearAppBadge();
  if (done && done.catch) done.catch(() => {}); // not installed, or not allowed: no badge
}

/** At logout: the badge is the member's, not the next one's. */
export function clearAppBadge() {
  renderAppBadge(0);
  badged = null;
}

/** The title and the app badge: unread chats across the member's projects. */
export function renderTitle() {
  const n = S.me ? unreadTotal() : 0;
  const base = (S.project ? S.project.name + ' · ' : '') + 'Inbox';
  document.title = (n > 0 ? '(' + n + ') ' : '') + base;
  renderAppBadge(n);
  emit('unread:changed', n);
}

export function mount() {
  $('notify-btn').addEventListener('click', requestNotifications);
  $('sound-btn').addEventListener('click', () => {
    sound = !sound;
    try { localStorage.setItem(LS_SOUND, sound ? '1' : '0'); } catch (e) { /* ignore */ }
    renderSound();
    if (sound) { unlockAudio(); beep(); }
  });
  // Audio can only start after a user gesture.
  const unlockOnce = () => {
    unlockAudio();
    window.removeEventListener('pointerdown', unlockOnce, true);
    window.removeEventListener('keydown', unlockOnce, true);
  };
  window.addEventListener('pointerdown', unlockOnce, true);
  window.addEventListener('keydown', unlockOnce, true);
}
