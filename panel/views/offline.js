/* The offline screen: when the boot (config.json) or the first API call fails for network
 * reasons, the panel shows "You are offline; we reconnect when the network is back" (never
 * the browser's error page: the service worker serves the shell) and tries again by itself
 * when the browser says it is online, or every little while if the server is what cannot be
 * reached. The next screen shown (login.js showScreen) hides it. Frames and events: none. */
import { $, h } from '../core/dom.js';

const RETRY_MIN_MS = 5000;
const RETRY_MAX_MS = 60000;

let retryFn = null;
let timer = null;
let delay = RETRY_MIN_MS;

function render() {
  const offline = navigator.onLine === false;
  $('offline-title').textContent = offline ? 'You are offline' : 'Cannot reach the server';
  $('offline-text').textContent = offline ? 'We reconnect when the network is back.'
    : 'We try again in a moment. Your replies are kept until they are sent.';
}

function retry() {
  clearTimeout(timer);
  timer = null;
  if ($('offline').hidden || !retryFn) return;
  const fn = retryFn;
  fn();
}

function schedule() {
  clearTimeout(timer);
  // Offline: the online event retries. Online but unreachable: back off up to a minute.
  if (navigator.onLine === false) return;
  timer = setTimeout(retry, delay);
  delay = Math.min(RETRY_MAX_MS, delay * 2);
}

/** Show the offline screen; retry() runs when the network is back (or the Retry button). */
export function showOffline(retryWith) {
  if ($('offline').hidden) delay = RETRY_MIN_MS;
  retryFn = retryWith;
  for (const id of ['splash', 'login', 'app']) $(id).hidden = true;
  $('offline').hidden = false;
  document.body.dataset.state = 'offline';
  render();
  schedule();
}

export function isNetworkError(e) {
  return !!e && (e.status === 0 || e.name === 'TypeError');
}

export function mount() {
  $('offline').append(
    h('div', { class: 'splash-card' }, [
      h('div', { class: 'brand brand-lg' }, [h('span', { class: 'brand-mark', 'aria-hidden': 'true' })]),
      h('h1', { class: 'login-title', id: 'offline-title', text: 'You are offline' }),
      h('p', { id: 'offline-text', role: 'status', text: 'We reconnect when the network is back.' }),
      h('button', { type: 'button', class: 'btn btn-secondary', id: 'offline-retry', text: 'Try again now', onclick: retry }),
    ]),
  );
  window.addEventListener('online', () => { render(); retry(); });
  window.addEventListener('offline', () => { if (!$('offline').hidden) { render(); schedule(); } });
}
