/* The WebSocket (docs/API.md): connect with the token and project, ping, reconnect with
 * backoff, and the frame bus: onFrame(type, handler) for each frame the server sends.
 * Emits socket:open {openedAt} (views catch up on what they missed), socket:closed and
 * project:lost (no longer a member). */
import { api } from './api.js';
import { emit, on } from './bus.js';
import { $, enc } from './dom.js';
import { LS_PROJECT, refreshTokens, tokenExpiresInMs } from './session.js';
import { S } from './state.js';
import { toast } from './toast.js';

const PING_EVERY_MS = 60 * 1000;         // a half-open socket is noticed within ~1.5 min (API Gateway idles out at 10)
const PONG_TIMEOUT_MS = 20 * 1000;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 30000;

// The socket's own state: nobody else reads it.
const W = {
  ws: null, state: 'offline', wanted: false, attempts: 0, timer: null, openedAt: 0, openWaiters: [],
  pingTimer: null, pongTimer: null,
};

/** Subscribe to one type of server frame: message, ack, typing, read, chat, note,
 * team_message, saved_reply, error (docs/API.md). */
export function onFrame(type, handler) {
  on('frame:' + type, handler);
}

/** Open the project's socket (and keep it open until wsShutdown). */
export function wsStart() {
  W.wanted = true;
  wsConnect();
}

export function setWsState(state) {
  W.state = state;
  document.body.dataset.ws = state;
  const conn = $('conn');
  conn.dataset.state = state;
  $('conn-text').textContent = state === 'connected' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Offline';
  conn.title = state === 'connected' ? 'Connected: new messages arrive in real time'
    : state === 'connecting' ? 'Connecting to the live service…'
      : W.wanted ? 'Offline — click to reconnect now' : 'Offline';
  conn.disabled = state !== 'offline' || !W.wanted;
}

function wsUrl() {
  const base = S.config.ws_url;
  return base + (base.indexOf('?') >= 0 ? '&' : '?') + 'token=' + enc(S.tokens.access_token) + '&project=' + enc(S.project.id);
}

function wsConnect() {
  clearTimeout(W.timer);
  if (!W.wanted || !S.tokens || !S.project || W.ws) return;
  setWsState('connecting');
  let ws;
  try {
    ws = new WebSocket(wsUrl());
  } catch (e) {
    scheduleReconnect(true);
    return;
  }
  ws._token = S.tokens.access_token;
  ws._project = S.project.id;
  ws._opened = false;
  W.ws = ws;
  ws.onopen = () => {
    if (W.ws !== ws) return;
    ws._opened = true;
    W.attempts = 0;
    W.openedAt = Date.now();
    setWsState('connected');
    startPing();
    const waiters = W.openWaiters;
    W.openWaiters = [];
    waiters.forEach((fn) => fn());
    emit('socket:open', { openedAt: W.openedAt });
  };
  ws.onmessage = (ev) => {
    if (W.ws !== ws) return;
    clearTimeout(W.pongTimer);
    handleFrame(ev.data);
  };
  ws.onclose = () => {
    if (W.ws !== ws) return;
    W.ws = null;
    stopPing();
    emit('socket:closed');
    if (W.wanted) scheduleReconnect(!ws._opened);
    else setWsState('offline');
  };
  ws.onerror = () => { /* a close event follows */ };
}

export function waitForSocket(ms) {
  if (W.ws && W.ws.readyState === WebSocket.OPEN) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); resolve(); }
    W.openWaiters.push(done);
  });
}

/** Detach and close the current socket without triggering the reconnect logic. */
function dropSocket() {
  const old = W.ws;
  W.ws = null;
  stopPing();
  if (old) {
    old.onopen = old.onmessage = old.onclose = old.onerror = null;
    try { old.close(1000); } catch (e) { /* ignore */ }
  }
}

export function wsShutdown() {
  W.wanted = false;
  clearTimeout(W.timer);
  dropSocket();
  const waiters = W.openWaiters;
  W.openWaiters = [];
  waiters.forEach((fn) => fn());
  W.attempts = 0;
  setWsState('offline');
}

function scheduleReconnect(neverOpened) {
  clearTimeout(W.timer);
  const n = W.attempts++;
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, n));
  const delay = Math.round(cap / 2 + Math.random() * cap / 2); // exponential backoff, "equal jitter"
  setWsState('offline');
  const ep = S.epoch;
  W.timer = setTimeout(() => { if (ep === S.epoch) reconnect(neverOpened); }, delay);
}

async function reconnect(neverOpened) {
  const ep = S.epoch;
  if (!W.wanted || W.ws) return;
  setWsState('connecting');
  try {
    if (tokenExpiresInMs() < 60000) {
      await refreshTokens();
    } else if (neverOpened && W.attempts >= 2) {
      // A rejected handshake looks like any network error in browsers: a cheap REST call
      // tells "token no longer valid" (refresh via the 401 path, or log out) or "no longer
      // a member of this project" from "server down".
      const me = await api('GET', '/me');
      if (ep !== S.epoch) return;
      const still = me && Array.isArray(me.projects) && me.projects.some((p) => p.id === S.project.id);
      if (!still) {
        toast('You are no longer a member of ' + (S.project.name || 'this project') + '.', 'error');
        try { localStorage.removeItem(LS_PROJECT); } catch (e) { /* ignore */ }
        emit('project:lost');
        return;
      }
    }
  } catch (e) {
    if (ep !== S.epoch || !S.tokens) return;
  }
  if (ep !== S.epoch || !W.wanted || W.ws) return;
  wsConnect();
}

export function reconnectNow() {
  if (!W.wanted || !S.tokens) return;
  if (W.ws && W.ws.readyState <= WebSocket.OPEN) return;
  clearTimeout(W.timer);
  W.attempts = 0;
  reconnect(false);
}

function startPing() {
  stopPing();
  W.pingTimer = setInterval(() => {
    const ws = W.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    try { ws.send(JSON.stringify({ action: 'ping' })); } catch (e) { return; }
    clearTimeout(W.pongTimer);
    W.pongTimer = setTimeout(() => {
      if (W.ws !== ws) return;
      dropSocket(); // half-open socket: replace it
      scheduleReconnect(false);
    }, PONG_TIMEOUT_MS);
  }, PING_EVERY_MS);
}

function stopPing() {
  clearInterval(W.pingTimer);
  clearTimeout(W.pongTimer);
}

/** Sends a client frame with the token the socket was opened with. Returns false when offline. */
export function sendFrame(obj) {
  const ws = W.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  try {
    // Operator frames carry the token the socket was opened with and the project id.
    ws.send(JSON.stringify(Object.assign({ action: obj.action, token: ws._token, project: ws._project }, obj)));
    return true;
  } catch (e) {
    return false;
  }
}

/** Every frame the server sends goes on the bus as frame:<type> (pong: nobody listens). */
function handleFrame(raw) {
  let f;
  try { f = JSON.parse(raw); } catch (e) { return; }
  if (!f || typeof f !== 'object' || typeof f.type !== 'string') return;
  emit('frame:' + f.type, f);
}

export function mount() {
  // The socket was opened with (and its frames must carry) the old token: reconnect with the new one.
  on('tokens:refreshed', () => {
    if (W.wanted && W.ws && W.ws._token !== S.tokens.access_token) {
      dropSocket();
      wsConnect();
    }
  });
  $('conn').addEventListener('click', reconnectNow);
  window.addEventListener('online', reconnectNow);
  // Timers are throttled in background tabs: make sure the socket is alive.
  const check = () => { if (S.tokens && S.project && W.wanted && !W.ws) reconnectNow(); };
  window.addEventListener('focus', check);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') check(); });
}
