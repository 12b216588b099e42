/* The panel's service worker (scope: the panel's folder). A classic script, not a module:
 * every browser that has push runs it. Three jobs:
 *  - the shell (index.html, the modules, the style sheets, the icons, the manifest) is
 *    precached at install and served from the cache, so a repeat load costs almost no
 *    bytes and the panel opens offline (to its own "You are offline" screen);
 *    config.json, the API and the socket always go to the network;
 *  - a push (docs/API.md, "Web Push") shows one notification per chat (its tag);
 *  - clicking one brings a panel window to that chat, or opens one.
 * The two lines below are stamped when served (infra/panel_build.py): the shell's files
 * and a digest of their bytes, so every deploy that changes the shell is a new worker.
 * Updates: skipWaiting + clients.claim (the panel loads every module at boot and fetches
 * no shell file afterwards, so an open tab keeps working on what it loaded; its next
 * load is the new version, whole). */
const VERSION = 'dev';
const SHELL = [];

const CACHE_PREFIX = 'lc-panel-shell-';
const CACHE = CACHE_PREFIX + VERSION;
const ICON = 'icon-192.png';

/** The shell file a same-origin GET stands for (the panel's page: index.html), or null:
 * the network answers (config.json, anything not in the shell). */
function shellPath(url, scope, mode, shell) {
  const u = new URL(url);
  const s = new URL(scope);
  if (u.origin !== s.origin || !u.pathname.startsWith(s.pathname)) return null;
  const rel = u.pathname.slice(s.pathname.length);
  // The panel's page, as /panel/ or /panel/index.html (any hash): its cached shell.
  if (mode === 'navigate') return (rel === '' || rel === 'index.html') && shell.includes('index.html') ? 'index.html' : null;
  return shell.includes(rel) ? rel : null;
}

/** A panel address inside the scope, or the panel itself: a payload never sends a click elsewhere. */
function safeUrl(url, scope) {
  try {
    const u = new URL(url, scope);
    if (u.origin === new URL(scope).origin && u.pathname.startsWith(new URL(scope).pathname)) return u.href;
  } catch (e) { /* not a URL */ }
  return new URL('index.html', scope).href;
}

/** The notification for a push payload: {title, options}. One per chat (its tag), replaced
 * as messages arrive; renotify so the replacement still alerts. */
function notificationFor(data, scope) {
  const d = data && typeof data === 'object' ? data : {};
  const tag = typeof d.tag === 'string' && d.tag ? d.tag : d.chat_id ? 'chat-' + d.chat_id : 'lc-panel';
  return {
    title: String(d.title || 'New message').slice(0, 200),
    options: {
      body: String(d.body || '').slice(0, 500),
      tag,
      renotify: true,
      icon: new URL(ICON, scope).href,
      badge: new URL(ICON, scope).href,
      timestamp: d.at ? Date.parse(d.at) || Date.now() : Date.now(),
      data: { url: safeUrl(d.url, scope), chat_id: d.chat_id || null, project_id: d.project_id || null, kind: d.kind || null },
    },
  };
}

/** Which window a click goes to: [{url, focused, visibilityState}] -> an index, or -1 (open
 * one). A window already on that project first (no reload), then the focused one, a
 * visible one, any panel window. */
function clickTarget(windows, url, scope) {
  const inScope = windows.map((w, i) => ({ w, i })).filter(({ w }) => safeUrl(w.url, scope) === new URL(w.url).href);
  if (!inScope.length) return -1;
  const project = (href) => (new URL(href).hash.split('/')[1] || '');
  const wanted = project(url);
  const score = ({ w }) => (wanted && project(w.url) === wanted ? 4 : 0) + (w.focused ? 2 : 0) + (w.visibilityState === 'visible' ? 1 : 0);
  inScope.sort((a, b) => score(b) - score(a) || a.i - b.i);
  return inScope[0].i;
}

async function precache() {
  const cache = await caches.open(CACHE);
  // no-cache: revalidate with the server, never store the browser's copy of an older deploy.
  await cache.addAll(SHELL.map((path) => new Request(path, { cache: 'no-cache' })));
}

async function dropOldCaches() {
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
}

async function fromShell(path, request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(path);
  return hit || fetch(request);
}

async function openFromNotification(data) {
  const scope = self.registration.scope;
  const url = safeUrl(data.url, scope);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const i = clickTarget(windows.map((c) => ({ url: c.url, focused: c.focused, visibilityState: c.visibilityState })), url, scope);
  if (i < 0) {
    await self.clients.openWindow(url);
    return;
  }
  const client = windows[i];
  // The message first: the panel opens the chat without a reload (core/pwa.js), even if
  // focusing is refused.
  client.postMessage({ type: 'lc-open', url, chat_id: data.chat_id || null, project_id: data.project_id || null });
  try { await client.focus(); } catch (e) { /* not allowed: the chat is open anyway */ }
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(dropOldCaches().then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const path = shellPath(req.url, self.registration.scope, req.mode, SHELL);
  if (path) event.respondWith(fromShell(path, req));
});

self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data.text() }; }
  const n = notificationFor(data, self.registration.scope);
  event.waitUntil(self.registration.showNotification(n.title, n.options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openFromNotification(event.notification.data || {}));
});
