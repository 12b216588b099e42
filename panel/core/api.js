/* Authenticated REST calls: the bearer token, one refresh and retry on a 401, then the
 * session ends. Paths of the open project; client ids for calls the server de-duplicates. */
import { emit } from './bus.js';
import { enc } from './dom.js';
import { ApiError, rawFetch } from './http.js';
import { refreshTokens } from './session.js';
import { S } from './state.js';
import { toast } from './toast.js';

export { ApiError, rawFetch };

/** Authenticated call: on 401 refresh the access token once and retry, then log out. */
export async function api(method, path, body) {
  if (!S.tokens) throw new ApiError(401, 'unauthorized', 'Not logged in.');
  const used = S.tokens.access_token;
  try {
    return await rawFetch(method, path, body, used);
  } catch (e) {
    if (e.status !== 401) throw e;
  }
  if (!S.tokens) throw new ApiError(401, 'unauthorized', 'Not logged in.');
  if (S.tokens.access_token === used) await refreshTokens(); // else: someone already refreshed
  if (!S.tokens) throw new ApiError(401, 'unauthorized', 'Not logged in.');
  try {
    return await rawFetch(method, path, body, S.tokens.access_token);
  } catch (e) {
    if (e.status === 401) emit('session:expired', 'Your session has expired. Please log in again.');
    throw e;
  }
}

export function reportError(e, prefix) {
  if (!S.tokens) return; // logged out, nothing to say
  toast((prefix ? prefix + ': ' : '') + (e && e.message ? e.message : String(e)), 'error');
}

export const projectPath = (rest) => '/projects/' + enc(S.project.id) + rest;

export const chatPath = (chatId, rest) => projectPath('/chats/' + enc(chatId) + (rest || ''));

export function newClientId() {
  if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
  return x.slice(0, 8) + '-' + x.slice(8, 12) + '-' + x.slice(12, 16) + '-' + x.slice(16, 20) + '-' + x.slice(20);
}
