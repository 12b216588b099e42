/* The bus: one place where modules meet without importing each other.
 *
 * Two kinds of names travel on it:
 *   - server frames, as "frame:<type>" (core/socket.js emits each frame the server sends;
 *     views subscribe with socket.onFrame(type, handler));
 *   - panel events, "<area>:<what>" (view:show, project:reset, conv:render, ...): the
 *     module map in panel/README.md lists who emits and who listens.
 * Handlers run synchronously, in the order they subscribed; one that throws does not stop
 * the others (the error still reaches the console).
 */

const handlers = new Map(); // name -> [handler]

export function on(name, handler) {
  if (!handlers.has(name)) handlers.set(name, []);
  handlers.get(name).push(handler);
}

export function emit(name, payload) {
  for (const handler of handlers.get(name) || []) {
    try {
      handler(payload);
    } catch (e) {
      queueMicrotask(() => { throw e; });
    }
  }
}
