/* The logged-in member: tokens (stored, refreshed before they expire), who they are and
 * their role in the open project. Emits session:expired (login.js ends the session) and
 * tokens:refreshed (the socket reconnects with the new token). */
import { emit } from './bus.js';
import { ApiError, rawFetch } from './http.js';
import { S } from './state.js';

export const LS_TOKENS = 'lc-panel:tokens';
export const LS_PROJECT = 'lc-panel:project';
const EXPIRED = 'Your session has expired. Please log in again.';
let refreshTimer = null;

let refreshing = null;

export function refreshTokens() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    const current = S.tokens;
    if (!current || !current.refresh_token) {
      emit('session:expired', EXPIRED);
      throw new ApiError(401, 'unauthorized', 'Session expired.');
    }
    let data;
    try {
      data = await rawFetch('POST', '/auth/refresh', { refresh_token: current.refresh_token });
    } catch (e) {
      // Network trouble / 5xx: keep the session, callers will retry later.
      if (e.status === 0 || e.status >= 500 || e.status === 429) throw e;
      if (S.tokens === current) emit('session:expired', EXPIRED);
      throw e;
    }
    if (S.tokens !== current) return; // logged out meanwhile
    if (!data || !data.access_token) {
      emit('session:expired', EXPIRED);
      throw new ApiError(401, 'unauthorized', 'Session expired.');
    }
    setTokens(Object.assign({}, current, data, { obtained_at: Date.now() }));
    emit('tokens:refreshed');
  })();
  refreshing.then(() => { refreshing = null; }, () => { refreshing = null; });
  return refreshing;
}

export function loadStoredTokens() {
  try {
    const t = JSON.parse(localStorage.getItem(LS_TOKENS) || 'null');
    return t && t.access_token ? t : null;
  } catch (e) {
    return null;
  }
}

export function setTokens(t) {
  S.tokens = t;
  try { localStorage.setItem(LS_TOKENS, JSON.stringify(t)); } catch (e) { /* private mode */ }
  scheduleTokenRefresh();
}

export function tokenExpiresInMs() {
  const t = S.tokens;
  if (!t || !t.expires_in || !t.obtained_at) return Infinity;
  return t.obtained_at + t.expires_in * 1000 - Date.now();
}

export function scheduleTokenRefresh() {
  clearTimeout(refreshTimer);
  const left = tokenExpiresInMs();
  if (!Number.isFinite(left)) return;
  // Refresh a couple of minutes early so the socket (whose frames carry the token) never holds a dead one.
  const margin = Math.min(120000, (S.tokens.expires_in * 1000) / 4);
  const tokens = S.tokens;
  refreshTimer = setTimeout(() => {
    if (S.tokens === tokens) refreshTokens().catch(() => {});
  }, Math.max(5000, left - margin));
}

/** Tokens another tab stored (the storage event). */
export function adoptTokens(t) {
  S.tokens = t;
  scheduleTokenRefresh();
}

/** Logged out: no tokens in memory or storage, no refresh pending. */
export function forgetTokens() {
  S.tokens = null;
  try { localStorage.removeItem(LS_TOKENS); } catch (e) { /* ignore */ }
  clearTimeout(refreshTimer);
}

export function myId() { return S.me && S.me.user ? S.me.user.id : null; }

const LEAD_ROLES = ['administrator', 'manager'];

export function myRole() { return S.projectInfo ? S.projectInfo.role : null; }

export function isLead() { return LEAD_ROLES.includes(myRole()); }

export function isOwner() { return myRole() === 'administrator'; }

/** A dialogue's summary changed (assignment, close, rating): update list and header. */
export function seesAll() {
  return isLead() || !!(S.projectInfo && S.projectInfo.chat_admin);
}

/** Project details changed (GET/PATCH /projects/{pid}): whoever shows them redraws. */
export function setProjectInfo(p) {
  if (p) S.projectInfo = p;
  emit('project:info');
}
