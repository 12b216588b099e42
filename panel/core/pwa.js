/* The service worker (sw.js, beside index.html): registering it, checking for a new
 * deploy's worker when a long-open tab comes back, and its messages: a notification
 * clicked while this window is open arrives as push:open {url, chat_id, project_id}
 * (views/push.js opens that chat without a reload). */
import { emit } from './bus.js';

const UPDATE_EVERY_MS = 60 * 60 * 1000; // a tab open all day still finds the next deploy

let registration = null;
let lastUpdate = 0;

/** The registration (null where service workers are not available: http other than
 * localhost, some private modes). Push needs it. */
export function workerRegistration() {
  if (!('serviceWorker' in navigator)) return Promise.resolve(null);
  return navigator.serviceWorker.ready.then((r) => r, () => null);
}

function checkForUpdate() {
  if (!registration || document.visibilityState !== 'visible') return;
  if (Date.now() - lastUpdate < UPDATE_EVERY_MS) return;
  lastUpdate = Date.now();
  registration.update().catch(() => { /* offline: next time */ });
}

export function mount() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (ev) => {
    const d = ev.data;
    if (d && d.type === 'lc-open' && typeof d.url === 'string') emit('push:open', d);
  });
  // The page never waits for it: the first load works without, the next one is served by it.
  navigator.serviceWorker.register('sw.js', { scope: './' }).then((r) => {
    registration = r;
    lastUpdate = Date.now();
  }, () => { /* not allowed here (e.g. http): the panel works without */ });
  document.addEventListener('visibilitychange', checkForUpdate);
}
