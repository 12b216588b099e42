"""The fake push service on its port (``Ports.push``): ``POST /push/<device>`` for the
app's pushes (checked and decrypted by infra/local/fake_push.py), and a page where a
newcomer makes a test device for a member (logging in through the real API and PUTting
the subscription, as the panel does), sees every push it received, decrypted, and tells
a device to answer 410 (gone) or 429 (slow down)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from infra.local.fake_push import FakePushService, Refused

_DEVICE = re.compile(r"^/push/([A-Za-z0-9_-]{1,64})$")
_ANSWER = re.compile(r"^/devices/([A-Za-z0-9_-]{1,64})/answer$")
MAX_BODY = 8192  # push services cap payloads near 4 KB


def _handler(service: FakePushService, page: str):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the page shows what arrived
            pass

        def _send(self, status: int, body, content_type="application/json", headers=None):
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(min(length, MAX_BODY + 1))

        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path in ("/", "/index.html"):
                self._send(200, page, "text/html; charset=utf-8")
            elif self.path == "/state":
                self._send(200, {"devices": service.state()})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self):  # noqa: N802
            body = self._body()
            if match := _DEVICE.match(self.path):
                if len(body) > MAX_BODY:
                    return self._send(413, {"error": "payload too large"})
                try:
                    service.receive(match.group(1), dict(self.headers.items()), body)
                except Refused as refused:
                    extra = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
                    return self._send(refused.status, {"error": refused.reason}, headers=extra)
                return self._send(201, "", "text/plain", {"Location": self.path})
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return self._send(400, {"error": "JSON please"})
            if self.path == "/devices":
                made = service.create_device(
                    str(data.get("member") or ""),
                    str(data.get("label") or ""),
                    data.get("server_key") if isinstance(data.get("server_key"), str) else None,
                )
                return self._send(201, made)
            if match := _ANSWER.match(self.path):
                status, retry = data.get("status"), data.get("retry_after")
                if status not in (201, 404, 410, 429, 500) or match.group(1) not in service.devices:
                    return self._send(400, {"error": "status: 201, 404, 410, 429 or 500"})
                service.set_answer(match.group(1), status, retry if isinstance(retry, int) else 30)
                return self._send(200, {"ok": True})
            return self._send(404, {"error": "not found"})

    return Handler


def serve(service: FakePushService, host: str, port: int, api_url: str, login: dict):
    """Serve in a daemon thread; returns the server (``shutdown()``, ``server_close()``)."""
    page = (
        _PAGE.replace("__API__", json.dumps(api_url))
        .replace("__EMAIL__", json.dumps(login.get("email", "")))
        .replace("__PASSWORD__", json.dumps(login.get("password", "")))
    )
    server = ThreadingHTTPServer((host, port), _handler(service, page))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="fake-push").start()
    return server


_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>Fake push service (local)</title>
<link rel="icon" href="data:,">
<style>body{font:15px system-ui;max-width:56rem;margin:2rem auto;padding:0 1rem}
.t{background:#ffd54f;padding:.5rem 1rem;font-weight:bold}
fieldset{margin:1rem 0}label{display:block;margin:.3rem 0}input{font:inherit}
.device{border:1px solid #ccc;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.push{border-top:1px solid #eee;padding:.4rem 0}.meta{color:#666;font-size:13px}
button{font:inherit;margin-right:.4rem}pre{white-space:pre-wrap;margin:.2rem 0}</style>
<p class="t">LOCAL ONLY: a stand-in for a browser's push service (FCM, autopush).
It checks each push's VAPID signature, decrypts it and shows it here.</p>
<h1>Test devices and the pushes they received</h1>
<form id="make"><fieldset><legend>Make a test device for a member</legend>
<label>E-mail <input id="email" size="30"></label>
<label>Password <input id="password" type="password" size="30"></label>
<label>Label <input id="label" size="30" value="Test device (fake push)"></label>
<label><input id="offline" type="checkbox" checked> also while my status is offline
(the panel closed)</label>
<button>Log in and subscribe</button> <span id="said"></span></fieldset></form>
<div id="devices"></div>
<script>
const API = __API__;
document.getElementById('email').value = __EMAIL__;
document.getElementById('password').value = __PASSWORD__;
function h(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node[k] = v;
  return node;
}
async function call(method, url, body, token) {
  const headers = {'Content-Type': 'application/json'};
  if (token) headers.Authorization = 'Bearer ' + token;
  const response = await fetch(url, {method, headers, body: body && JSON.stringify(body)});
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || response.status);
  return data;
}
document.getElementById('make').addEventListener('submit', async (event) => {
  event.preventDefault();
  const said = document.getElementById('said');
  said.textContent = 'Working...';
  try {
    const email = document.getElementById('email').value;
    const login = await call('POST', API + '/auth/login',
      {email, password: document.getElementById('password').value});
    const token = login.access_token;
    const key = await call('GET', API + '/push/key', null, token);
    const label = document.getElementById('label').value;
    const device = await call('POST', '/devices', {member: email, label,
      server_key: key.public_key});
    await call('PUT', API + '/me/push-subscriptions', {endpoint: device.endpoint,
      keys: device.keys, label,
      prefs: {when_offline: document.getElementById('offline').checked}}, token);
    said.textContent = 'Subscribed ' + device.id + ' for ' + email + '.';
    refresh();
  } catch (error) { said.textContent = 'Failed: ' + error.message; }
});
async function answer(id, status) {
  await call('POST', '/devices/' + id + '/answer', {status, retry_after: 30});
  refresh();
}
async function refresh() {
  const {devices} = await call('GET', '/state');
  const list = document.getElementById('devices');
  list.replaceChildren();
  if (!devices.length) list.append(h('p', 'No test device yet.'));
  for (const device of devices) {
    const box = h('div', null, {className: 'device'});
    box.append(h('strong', device.label + ' - ' + device.member));
    box.append(h('div', device.id + ' - answers ' + device.answer + ' - '
      + device.requests + ' requests', {className: 'meta'}));
    for (const [status, text] of [[201, 'Answer normally'], [410, 'Mark gone (410)'],
                                  [429, 'Slow down (429)']]) {
      const button = h('button', text);
      button.addEventListener('click', () => answer(device.id, status));
      box.append(button);
    }
    for (const push of device.inbox) {
      const row = h('div', null, {className: 'push'});
      const p = push.payload || {};
      row.append(h('strong', p.title || '(no title)'));
      row.append(h('pre', p.body || JSON.stringify(push.payload)));
      row.append(h('div', new Date(push.received_at * 1000).toLocaleTimeString()
        + ' - TTL ' + push.ttl + ' - Urgency ' + push.urgency + ' - Topic ' + push.topic
        + (push.replaced ? ' - replaced ' + push.replaced + ' older' : '')
        + ' - ' + (p.url || ''), {className: 'meta'}));
      box.append(row);
    }
    list.append(box);
  }
}
refresh();
setInterval(refresh, 2000);
</script></html>
"""
