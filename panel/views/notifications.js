/* Notifications: the window title's unread count, the sound alert, desktop notifications
 * (clicking one opens its chat). Subscribes to no frame: views/conversation.js and
 * views/inbox.js call notify() for a visitor's message. */
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

export function notify(chat, msg, isNewChat) {
  const now = Date.now();
  if (now - lastBeep > 1500) { lastBeep = now; beep(); }
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const name = (chat && chat.visitor_name) || 'Visitor';
    const n = new Notification(isNewChat ? 'New conversation · ' + name : name, {
      body: String(msg.text || '').slice(0, 200),
      tag: 'lc-chat-' + msg.chat_id,
      silent: true, // we play our own sound
    });
    const chatId = msg.chat_id || (chat && chat.id);
    n.onclick = () => {
      window.focus();
      if (chatId) openChat(chatId);
      n.close();
    };
  } catch (e) { /* some browsers only allow notifications from a service worker */ }
}

export function renderSound() {
  const b = $('sound-btn');
  b.setAttribute('aria-pressed', sound ? 'true' : 'false');
  b.title = sound ? 'Sound alerts on' : 'Sound alerts off';
  b.classList.toggle('is-off', !sound);
}

export function renderTitle() {
  const n = unreadTotal();
  const base = (S.project ? S.project.name + ' · ' : '') + 'Inbox';
  document.title = (n > 0 ? '(' + n + ') ' : '') + base;
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
