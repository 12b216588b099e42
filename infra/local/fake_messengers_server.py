"""The fake messenger platforms on a port (``Ports.messengers``): Telegram's Bot API, the
Graph API, their files, and a page (``GET /``) where a newcomer makes a bot or a Page and
plays the customer. The platforms' behaviour is ``fake_messengers.FakeMessengers``.

The page's forms post to ``/ui/*``; the same endpoints take JSON and answer JSON (the
tests drive them so).
"""

from __future__ import annotations

import html
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from infra.local.fake_messengers import GRAPH_VERSION, FakeMessengers

_STYLE = """body{font:15px system-ui;max-width:60rem;margin:1.5rem auto;padding:0 1rem}
.t{background:#ffd54f;padding:.4rem .8rem;font-weight:bold}code{word-break:break-all;
background:#f3f3f3;padding:0 .2rem}fieldset{margin:1rem 0;border:1px solid #ccc}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3rem;
text-align:left;vertical-align:top}.n{background:#e8f5e9;padding:.4rem .8rem}
input[type=text]{width:20rem}button{margin:.2rem}.conv ul{list-style:none;padding:0}
.conv li{margin:.2rem 0;padding:.3rem .6rem;border-radius:.6rem;max-width:40rem}
.conv li.c{background:#eee}.conv li.r{background:#d7ecff;margin-left:4rem}"""


def _e(value) -> str:
    return html.escape(str(value if value is not None else ""))


def render_page(fake: FakeMessengers) -> str:
    with fake.lock:
        bots = list(fake.bots.values())
        pages = list(fake.pages.values())
        log = list(reversed(fake.log[-15:]))
    bot_rows = "".join(
        f"<tr><td>@{_e(b.username)}</td><td><code>{_e(b.token)}</code></td>"
        f"<td>{_e(b.webhook_url) or '<i>none</i>'}</td><td>{len(b.pending)}</td>"
        f"<td>{_e(b.last_error_message)}</td></tr>"
        for b in bots
    )
    page_rows = "".join(
        f"<tr><td>{_e(p.name)}</td><td><code>{_e(p.id)}</code></td>"
        f"<td><code>{_e(p.page_token)}</code></td><td><code>{_e(p.app_secret)}</code></td>"
        f"<td>{_e(p.callback_url) or '<i>not set</i>'}</td>"
        f"<td>{_e(', '.join(p.subscribed_fields)) or '<i>not subscribed</i>'}</td></tr>"
        for p in pages
    )
    chosen = fake.ui_memory.get("target")

    def option(value: str, label: str) -> str:
        selected = " selected" if value == chosen else ""
        return f'<option value="{_e(value)}"{selected}>{_e(label)}</option>'

    targets = "".join(option(f"telegram:{b.token}", f"Telegram: @{b.username}") for b in bots)
    targets += "".join(option(f"messenger:{p.id}", f"Messenger: {p.name}") for p in pages)
    customer = _e(fake.ui_memory.get("name") or "Ada Lovelace")
    notice = fake.ui_memory.get("notice")
    notice_html = f'<p class="n">{_e(notice)}</p>' if notice else ""
    page_options = "".join(f'<option value="{_e(p.id)}">{_e(p.name)}</option>' for p in pages)
    log_rows = "".join(
        f"<tr><td>{_e(entry['platform'])}</td><td>{_e(entry['to'])}</td>"
        f"<td>{_e(json.dumps(entry['results']))}</td></tr>"
        for entry in log
    )
    return f"""<!doctype html><meta charset="utf-8"><title>Fake Telegram and Messenger</title>
<link rel="icon" href="data:,">
<style>{_STYLE}</style>
<p class="t">LOCAL FAKE of Telegram's Bot API and Facebook's Graph API. Nothing leaves this
machine.</p>{notice_html}
<h1>Be the customer</h1>
<form method="post" action="/ui/say"><fieldset><legend>Write to a bot or a Page</legend>
<p><select name="target">{targets}</select> as <input name="name" value="{customer}"
 type="text" style="width:12rem"></p>
<p><input name="text" type="text" placeholder="Hello, is this in stock?"></p>
<p><label><input type="radio" name="kind" value="text" checked> text</label>
<label><input type="radio" name="kind" value="photo"> photo (caption: the text)</label>
<label><input type="radio" name="kind" value="sticker"> sticker</label>
<label><input type="radio" name="kind" value="location"> location</label>
<label><input type="radio" name="kind" value="document"> document (a PDF)</label>
<label><input type="radio" name="kind" value="voice"> voice note (Messenger: audio)</label>
<label><input type="radio" name="kind" value="video"> video</label>
<label>file size <input name="size_mb" type="text" placeholder="small" style="width:4rem">
MB</label></p>
<button>Send</button> <button formaction="/ui/replay">Send the last delivery again
(replay)</button></fieldset></form>
<form method="post" action="/ui/echo"><fieldset><legend>The Page's team answers in
Facebook's own inbox (an echo)</legend><select name="page_id">{page_options}</select>
to customer <input name="name" value="Ada Lovelace" type="text" style="width:12rem">:
<input name="text" type="text" placeholder="We'll check for you"> <button>Send as the Page</button>
</fieldset></form>
{conversations_html(fake)}
<form method="post" action="/ui/fault"><fieldset><legend>Play a fault on the next
replies</legend><select name="fault_target" aria-label="Bot or Page">{targets}</select>
<label><input type="radio" name="fault" value="rate_limit" checked> the next send answers
429, retry after <input name="retry_after" value="7" type="text" style="width:3rem"> s</label>
<label><input type="radio" name="fault" value="revoke"> revoke the bot's / Page's token</label>
<label><input type="radio" name="fault" value="block"> the customer
<input name="name" value="{customer}" type="text" style="width:10rem"> blocks the bot</label>
<button>Play</button> <button formaction="/ui/reissue">Issue a new token (BotFather's
/revoke)</button></fieldset></form>
<h2>Deliveries (newest first)</h2><table><tr><th>platform</th><th>to</th><th>result</th></tr>
{log_rows}</table>
<h2>Telegram bots (BotFather)</h2>
<p>Paste a token into the panel: Settings, Channels, Telegram.</p>
<table><tr><th>bot</th><th>token</th><th>webhook</th><th>pending</th><th>last error</th></tr>
{bot_rows}</table>
<form method="post" action="/ui/bots">New bot: @<input name="username" type="text"
 style="width:12rem" value="acme_shop_bot"> <button>Create</button></form>
<h2>Facebook Pages and their apps (Meta's dashboard)</h2>
<p>Paste the Page id, Page token and app secret into the panel (Settings, Channels,
Messenger), then set the app's webhook below with the callback URL and verify token the
panel shows.</p>
<table><tr><th>Page</th><th>id</th><th>Page token</th><th>app secret</th><th>callback</th>
<th>subscribed fields</th></tr>{page_rows}</table>
<form method="post" action="/ui/pages">New Page: <input name="name" type="text"
 style="width:12rem" value="Acme Outdoor"> <button>Create</button></form>
<form method="post" action="/ui/app-webhook"><fieldset><legend>App dashboard: Webhooks
(Verify and save)</legend><select name="page_id">{page_options}</select>
Callback URL <input name="callback_url" type="text"> Verify token
<input name="verify_token" type="text" style="width:14rem"> <button>Verify and save</button>
</fieldset></form>"""


def conversations_html(fake: FakeMessengers) -> str:
    """Each customer's conversation as they see it on their phone: their messages and
    the team's replies, in order (text only: escaped)."""
    with fake.lock:
        holders = [("@" + b.username, b) for b in fake.bots.values()]
        holders += [(p.name, p) for p in fake.pages.values()]
        blocks = []
        for label, holder in holders:
            names = {str(v): k for k, v in holder.customers.items()}
            for customer, lines in holder.conversations.items():
                who = _e(names.get(customer, customer))

                def row(line, who=who, label=label) -> str:
                    mine = line["from"] == "customer"
                    author = who if mine else _e(label)
                    return (
                        f'<li class="{"c" if mine else "r"}"><b>{author}:</b> '
                        f"<span>{_e(line['text'])}</span></li>"
                    )

                rows = "".join(row(line) for line in lines)
                blocks.append(
                    f'<section class="conv" data-customer="{who}"><h3>{who} and {_e(label)}</h3>'
                    f"<ul>{rows}</ul></section>"
                )
    body = "".join(blocks) or "<p><i>No conversations yet.</i></p>"
    return f"<h2>Conversations (what each customer sees)</h2>{body}"


def serve(fake: FakeMessengers, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body, kind="application/json", location=None):
            data = body if isinstance(body, bytes) else str(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, value) -> None:
            self._send(status, json.dumps(value))

        def _params(self) -> dict:
            parsed = urllib.parse.urlsplit(self.path)
            params = dict(urllib.parse.parse_qsl(parsed.query))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if raw:
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw)
                    params.update({k: v for k, v in body.items()})
                else:
                    params.update(dict(urllib.parse.parse_qsl(raw.decode())))
            return params

        def _route(self, method: str) -> None:
            path = urllib.parse.urlsplit(self.path).path
            match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
            if match:
                status, answer = fake.telegram(match.group(1), match.group(2), self._params())
                return self._json(status, answer)
            match = re.fullmatch(r"/file/bot([^/]+)/(.+)", path)
            if match and method == "GET":
                found = fake.telegram_file(match.group(1), match.group(2))
                if found is None:
                    return self._json(
                        404, {"ok": False, "error_code": 404, "description": "Not Found"}
                    )
                return self._send(200, found[1], found[0])
            if path.startswith(f"/{GRAPH_VERSION}/"):
                status, answer = fake.graph(method, path, self._params())
                return self._json(status, answer)
            if path.startswith("/fb-cdn/") and method == "GET":
                found = fake.files.get(path.lstrip("/"))
                if found is None:
                    return self._send(404, b"", "text/plain")
                return self._send(200, found[1], found[0])
            if path == "/" and method == "GET":
                return self._send(200, render_page(fake), "text/html; charset=utf-8")
            if path.startswith("/ui/") and method == "POST":
                return self._ui(path[4:], self._params())
            self._json(404, {"error": "not found"})

        def _ui(self, action: str, params: dict) -> None:
            wants_json = "json" in (self.headers.get("Content-Type") or "")
            try:
                result = _ui_action(fake, action, params)
            except (KeyError, ValueError) as error:
                result = {"error": f"missing or unknown: {error}"}
            if wants_json:
                return self._json(400 if "error" in result else 200, result)
            # The page remembers who the newcomer plays and says what the last action did.
            if action in ("say", "replay"):
                fake.ui_memory.update({k: params[k] for k in ("target", "name") if params.get(k)})
            fake.ui_memory["notice"] = _notice(action, result)
            self._send(303, b"", "text/plain", location="/")

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

        def do_DELETE(self):
            self._route("DELETE")

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="messengers").start()
    return server


def _ui_action(fake: FakeMessengers, action: str, params: dict) -> dict:
    if action == "bots":
        bot = fake.create_bot(params.get("username") or "acme_shop_bot", params.get("first_name"))
        return {"token": bot.token, "id": bot.id, "username": bot.username}
    if action == "pages":
        page = fake.create_page(params.get("name") or "Acme Outdoor")
        return {"page_id": page.id, "page_token": page.page_token, "app_secret": page.app_secret}
    if action == "app-webhook":
        error = fake.set_app_webhook(
            params["page_id"], params["callback_url"], params.get("verify_token", "")
        )
        return {"error": error} if error else {"saved": True}
    if action in ("fault", "reissue"):
        # The page's fault form names its own select; JSON callers may say "target".
        params = {**params, "target": params.get("fault_target") or params["target"]}
    if action == "fault":
        fault = params.get("fault") or "rate_limit"
        if fault == "rate_limit":
            return fake.fault_rate_limit(params["target"], int(params.get("retry_after") or 7))
        if fault == "revoke":
            return fake.fault_revoke(params["target"], int(params.get("subcode") or 463))
        if fault == "block":
            return fake.fault_block(params["target"], params["name"])
        raise KeyError(fault)
    if action == "reissue":
        return {"token": fake.reissue_token(params["target"])}
    if action == "echo":
        return fake.page_replies(params["page_id"], params["name"], params.get("text", ""))
    platform, _, target = params["target"].partition(":")
    if action == "say":
        kind = params.get("kind") or "text"
        size_mb = params.get("size_mb")
        size = int(float(size_mb) * 1024 * 1024) if size_mb else None
        if platform == "telegram":
            say = fake.telegram_customer_says
        else:  # Messenger's names for a document and a voice note
            say = fake.messenger_customer_says
            kind = {"document": "file", "voice": "audio"}.get(kind, kind)
        return say(target, params["name"], kind, params.get("text", ""), size=size)
    if action == "replay":
        if platform == "telegram":
            return fake.deliver_telegram(target, again=True)
        return fake.deliver_messenger(target)
    if action == "revoke":  # the token dies: @BotFather's /revoke (a new one), a password change
        if platform == "telegram":
            return {"revoked": True, "token": fake.reissue_token(f"telegram:{target}")}
        with fake.lock:
            fake.pages[target].revoke(int(params.get("subcode") or 460))
        return {"revoked": True}
    raise KeyError(action)


def _notice(action: str, result: dict) -> str:
    if result.get("error"):
        return f"{action}: {result['error']}"
    if action == "bots":
        return f"Bot @{result['username']} created: paste its token into the panel."
    if action == "pages":
        return "Page created: paste its id, Page token and app secret into the panel."
    if action == "fault":
        return f"Fault set: {result.get('fault')}."
    if action == "reissue":
        return f"New token: {result['token']} (paste it into the panel to reconnect)."
    if action == "app-webhook":
        return "Webhook verified and saved (Facebook's GET check passed)."
    if action == "revoke":
        new = f" The bot's new token: {result['token']}" if result.get("token") else ""
        return "Token revoked: every call with it is refused now." + new
    statuses = [str(r.get("status")) for r in result.get("results", [])]
    return f"{action}: delivered, the app answered {', '.join(statuses) or 'nothing'}."
