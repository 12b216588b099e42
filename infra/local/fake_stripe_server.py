"""The fake Stripe on a port: its API for the SDK, and the TEST MODE pages of the local
stack (``make dev``): a checkout page whose "Pay" button sends locally signed webhooks to
the app, as Stripe would, and a portal page that lets the paid period end.

The account's state and what Stripe does to it are ``fake_stripe.FakeStripe``.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from infra.local.fake_stripe import FakeStripe, sign

# --- the local stack's TEST MODE server -------------------------------------------------

_PAGE = """<!doctype html><meta charset="utf-8"><title>TEST MODE checkout</title>
<link rel="icon" href="data:,">
<style>body{{font:16px system-ui;max-width:32rem;margin:3rem auto}}.t{{background:#ffd54f;
padding:.5rem 1rem;font-weight:bold}}button{{font-size:1rem;padding:.5rem 1rem}}</style>
<p class="t">TEST MODE: the local stand-in for Stripe. No card, no money.</p>
<h1>{title}</h1><p>{detail}</p>
<form method="post" action="{action}"><button>{button}</button></form>
<p><a href="{back}">Back without paying</a></p>"""


def serve(backend: FakeStripe, host: str, port: int, webhook_url: str, secret: str):
    """Serve the API and TEST MODE pages; deliver events to ``webhook_url`` signed with
    ``secret``. Returns the running server (``shutdown()`` stops it)."""

    def produced() -> list[dict]:
        """The events API calls queued (an update, a cancel, an expired session)."""
        with backend._lock:
            events = list(backend.outbox)
            backend.outbox.clear()
        return events

    def deliver(events: list[dict]) -> None:
        for event in events:
            body, header = sign(event, secret)
            request = urllib.request.Request(
                webhook_url,
                data=body,
                headers={"Content-Type": "application/json", "Stripe-Signature": header},
            )
            try:
                urllib.request.urlopen(request, timeout=10).read()
            except Exception as error:  # shown in the stack's log; Stripe would retry
                print(f"fake Stripe: webhook {event['type']} failed: {error}")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body: str, kind="application/json", location=None):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(data)

        def _api(self, method: str):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else None
            if method == "GET" and "?" in self.path:
                body = self.path.split("?", 1)[1]
            status, answer = backend.handle(method, self.path, body)
            # Sent on their own thread, not inline, as Stripe sends them (asynchronously):
            # inline, a webhook reached the app while the app's own request still waited
            # for this answer, and in the local stack it stalled until its 10 s timeout.
            threading.Thread(target=deliver, args=(produced(),), daemon=True).start()
            self._send(status, json.dumps(answer))

        def do_GET(self):
            if self.path.startswith("/v1/"):
                return self._api("GET")
            match = re.fullmatch(r"/checkout/(\w+)", self.path)
            if match and match.group(1) in backend.sessions:
                session = backend.sessions[match.group(1)]
                page = _PAGE.format(
                    title="Subscribe",
                    detail=f"Plan: {session['metadata'].get('plan')} "
                    f"({session['metadata'].get('interval')})",
                    action=f"/checkout/{session['id']}/pay",
                    button="Pay (test mode)",
                    back=session["cancel_url"],
                )
                return self._send(200, page, "text/html; charset=utf-8")
            match = re.fullmatch(r"/portal/(\w+)", self.path)
            if match:
                page = _PAGE.format(
                    title="Customer portal (test mode)",
                    detail="Cancel the subscription: the plan stays until the end of the "
                    "paid period, then the project returns to Free.",
                    action=f"/portal/{match.group(1)}/cancel",
                    button="Let the paid period end now (test mode)",
                    back="javascript:history.back()",
                )
                return self._send(200, page, "text/html; charset=utf-8")
            self._send(404, json.dumps({"error": {"message": "not found"}}))

        def do_POST(self):
            if self.path.startswith("/v1/"):
                return self._api("POST")
            match = re.fullmatch(r"/checkout/(\w+)/pay", self.path)
            if match and match.group(1) in backend.sessions:
                session = backend.sessions[match.group(1)]
                if session["status"] != "open":  # expired: a newer one replaced it
                    return self._send(303, "", location=session["cancel_url"])
                deliver(backend.complete_checkout(session["id"]) + produced())
                return self._send(303, "", location=session["success_url"])
            match = re.fullmatch(r"/portal/(\w+)/cancel", self.path)
            if match:
                for sub_id, subscription in list(backend.subscriptions.items()):
                    if subscription["status"] != "canceled":
                        deliver(backend.end_period(sub_id))  # Stripe would wait for the end
                return self._send(200, "Cancelled (test mode).", "text/plain")
            self._send(404, json.dumps({"error": {"message": "not found"}}))

        def do_DELETE(self):
            self._api("DELETE")

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
