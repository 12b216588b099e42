/* One call to the REST API (docs/API.md); errors as ApiError. */
import { S } from './state.js';

export class ApiError extends Error {
  constructor(status, code, message, error) {
    super(message);
    this.status = status;
    this.code = code;
    this.error = error || {}; // the server's error object (e.g. a login challenge's session)
  }
}

export async function rawFetch(method, path, body, token, extra) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  let res;
  try {
    res = await fetch(S.config.api_url + path, Object.assign({
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    }, extra || {}));
  } catch (e) {
    throw new ApiError(0, 'network', 'Cannot reach the server.');
  }
  let data = null;
  if (res.status !== 204) {
    const text = await res.text().catch(() => '');
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || 'http_' + res.status,
      err.message || res.statusText || 'Request failed (' + res.status + ')', err);
  }
  return data;
}
