"""A small, faithful stand-in for the parts of Stripe's API that billing uses.

There is no stripe-mock here, so this answers the real SDK (``stripe.StripeClient``) with
objects shaped like Stripe's (API version 2026-10-28: periods on subscription items, an
invoice's subscription under ``parent.subscription_details``):

  POST   /v1/customers                 POST /v1/checkout/sessions
  GET    /v1/subscriptions/{id}        POST /v1/subscriptions/{id}  (items, cancel_at_period_end,
                                                                   metadata)
  DELETE /v1/subscriptions/{id}        POST /v1/billing_portal/sessions

and plays what happens at Stripe meanwhile (the customer pays at Checkout, a renewal is
paid or fails, a cancelled subscription ends), producing the events Stripe would send.

Two transports: ``FakeStripeHTTPClient`` plugs the backend into the SDK in-process (the
tests), and ``serve`` puts it on a port with a clearly marked TEST MODE checkout page
whose "Pay" button sends locally signed webhooks to the app (the local stack).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

from chalicelib.periods import add_months as _add_months

API_VERSION = "2026-10-28.endive"
MONTHS_BY_INTERVAL = {"monthly": 1, "six_months": 6, "annual": 12}


def decode_form(body: str) -> dict:
    """Stripe's form encoding (``a[b][0][c]=v``) back into nested dicts and lists."""
    result: dict = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = result
        for part, following in itertools.zip_longest(parts, parts[1:]):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(result)


def _listify(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


class StripeFailure(Exception):
    def __init__(self, status: int, message: str, code: str = "resource_missing"):
        self.status, self.message, self.code = status, message, code


class FakeStripe:
    """The state of a Stripe account, and what Stripe would do to it."""

    def __init__(
        self,
        prices: dict[str, int],
        pages_base: str = "https://checkout.stripe.test",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.prices = prices  # price id -> months per period
        self.pages_base = pages_base
        self.clock = clock
        self.customers: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        # Events produced by API calls (an update, a cancel): Stripe sends them as webhooks.
        self.outbox: list[dict] = []
        self._lock = threading.RLock()

    @classmethod
    def for_catalogue(cls, catalogue, **kwargs) -> FakeStripe:
        prices = {
            price.stripe_price_id: catalogue.months(price.interval)
            for plan in catalogue.plans.values()
            for price in plan.prices.values()
            if price.stripe_price_id
        }
        return cls(prices, **kwargs)

    # --- ids, times, objects ------------------------------------------------------------
    @staticmethod
    def _id(prefix: str) -> str:
        return f"{prefix}_test_{secrets.token_hex(8)}"

    def _now(self) -> int:
        return int(self.clock().timestamp())

    def _price(self, price_id: str) -> dict:
        if price_id not in self.prices:
            raise StripeFailure(400, f"No such price: '{price_id}'")
        months = self.prices[price_id]
        return {
            "id": price_id,
            "object": "price",
            "active": True,
            "currency": "usd",
            "livemode": False,
            "recurring": {"interval": "month", "interval_count": months, "usage_type": "licensed"},
            "type": "recurring",
        }

    def event(self, event_type: str, obj: dict, previous: dict | None = None) -> dict:
        data = {"object": json.loads(json.dumps(obj))}
        if previous is not None:
            data["previous_attributes"] = previous
        return {
            "id": self._id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self._now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }

    # --- the HTTP API -------------------------------------------------------------------
    def handle(self, method: str, url: str, body: str | None) -> tuple[int, dict]:
        path = urllib.parse.urlsplit(url).path
        params = decode_form(body or "")
        self.requests.append((method, path))
        routes = [
            ("POST", r"/v1/customers", self._create_customer),
            ("POST", r"/v1/checkout/sessions", self._create_session),
            ("GET", r"/v1/checkout/sessions/(?P<id>[\w]+)", self._get_session),
            ("POST", r"/v1/checkout/sessions/(?P<id>[\w]+)/expire", self._expire_session),
            ("GET", r"/v1/subscriptions/(?P<id>[\w]+)", self._get_subscription),
            ("POST", r"/v1/subscriptions/(?P<id>[\w]+)", self._update_subscription),
            ("DELETE", r"/v1/subscriptions/(?P<id>[\w]+)", self._cancel_subscription),
            ("POST", r"/v1/billing_portal/sessions", self._create_portal),
        ]
        try:
            with self._lock:
                for verb, pattern, handler in routes:
                    match = re.fullmatch(pattern, path)
                    if verb == method and match:
                        return 200, handler(params, **match.groupdict())
            raise StripeFailure(404, f"Unrecognized request URL ({method}: {path})", "")
        except StripeFailure as failure:
            error = {"type": "invalid_request_error", "message": failure.message}
            if failure.code:
                error["code"] = failure.code
            return failure.status, {"error": error}

    def _create_customer(self, params):
        customer = {
            "id": self._id("cus"),
            "object": "customer",
            "created": self._now(),
            "email": params.get("email"),
            "name": params.get("name"),
            "metadata": params.get("metadata", {}),
            "livemode": False,
        }
        self.customers[customer["id"]] = customer
        return customer

    def _create_session(self, params):
        if params.get("mode") != "subscription":
            raise StripeFailure(400, "mode must be subscription here", "parameter_invalid")
        customer = params.get("customer")
        if customer not in self.customers:
            raise StripeFailure(400, f"No such customer: '{customer}'")
        items = params.get("line_items") or []
        for item in items:
            self._price(item.get("price", ""))
        session_id = self._id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "open",
            "payment_status": "unpaid",
            "customer": customer,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "subscription": None,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "url": f"{self.pages_base}/checkout/{session_id}",
            "created": self._now(),
            "expires_at": self._now() + 24 * 3600,
            "livemode": False,
            # Not part of Stripe's object: what the subscription will be made of.
            "_line_items": items,
            "_subscription_metadata": (params.get("subscription_data") or {}).get("metadata", {}),
        }
        self.sessions[session_id] = session
        return self._public(session)

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _get_session(self, params, id):
        if id not in self.sessions:
            raise StripeFailure(404, f"No such checkout.session: '{id}'")
        return self._public(self.sessions[id])

    def _expire_session(self, params, id):
        session = self.sessions.get(id)
        if session is None:
            raise StripeFailure(404, f"No such checkout.session: '{id}'")
        if session["status"] != "open":
            raise StripeFailure(
                400,
                'Only Checkout Sessions with a status in ["open"] can be expired.',
                "checkout_session_not_open",
            )
        session["status"] = "expired"
        return self._public(session)

    def _subscription(self, sub_id: str) -> dict:
        if sub_id not in self.subscriptions:
            raise StripeFailure(404, f"No such subscription: '{sub_id}'")
        return self.subscriptions[sub_id]

    def _get_subscription(self, params, id):
        return self._subscription(id)

    def _update_subscription(self, params, id):
        subscription = self._subscription(id)
        if subscription["status"] in ("canceled", "incomplete_expired"):
            raise StripeFailure(
                400, "A canceled subscription can only update its metadata", "subscription_canceled"
            )
        previous = {}
        if "cancel_at_period_end" in params:
            previous["cancel_at_period_end"] = subscription["cancel_at_period_end"]
            subscription["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
        if "metadata" in params:
            previous["metadata"] = dict(subscription["metadata"])
            subscription["metadata"].update(params["metadata"])
        for change in params.get("items") or []:
            item = next(i for i in subscription["items"]["data"] if i["id"] == change["id"])
            previous["items"] = json.loads(json.dumps(subscription["items"]))
            item["price"] = self._price(change["price"])
        self.outbox.append(self.event("customer.subscription.updated", subscription, previous))
        return subscription

    def _cancel_subscription(self, params, id):
        subscription = self._subscription(id)
        self._end(subscription)
        return subscription

    def _create_portal(self, params):
        customer = params.get("customer")
        if customer not in self.customers:
            raise StripeFailure(400, f"No such customer: '{customer}'")
        portal_id = self._id("bps")
        return {
            "id": portal_id,
            "object": "billing_portal.session",
            "customer": customer,
            "return_url": params.get("return_url"),
            "url": f"{self.pages_base}/portal/{portal_id}",
            "created": self._now(),
            "livemode": False,
        }

    # --- what happens at Stripe meanwhile -------------------------------------------------
    def _invoice(self, subscription: dict, paid: bool, reason: str) -> dict:
        item = subscription["items"]["data"][0]
        invoice = {
            "id": self._id("in"),
            "object": "invoice",
            "customer": subscription["customer"],
            "status": "paid" if paid else "open",
            "billing_reason": reason,
            "amount_due": 1900,
            "amount_paid": 1900 if paid else 0,
            "attempt_count": 1,
            "currency": "usd",
            "period_start": item["current_period_start"],
            "period_end": item["current_period_end"],
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "subscription": subscription["id"],
                    "metadata": dict(subscription["metadata"]),
                },
            },
            "livemode": False,
            "created": self._now(),
        }
        self.invoices[invoice["id"]] = invoice
        subscription["latest_invoice"] = invoice["id"]
        return invoice

    def complete_checkout(self, session_id: str) -> list[dict]:
        """The customer pays at Checkout: the subscription starts, its first invoice is
        paid. Returns the events, in Stripe's usual order."""
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise StripeFailure(400, "This Checkout Session is no longer open.", "")
            start = self.clock()
            price = self._price(session["_line_items"][0]["price"])
            end = _add_months(start, price["recurring"]["interval_count"])
            sub_id = self._id("sub")
            subscription = {
                "id": sub_id,
                "object": "subscription",
                "customer": session["customer"],
                "status": "active",
                "metadata": dict(session["_subscription_metadata"]),
                "cancel_at_period_end": False,
                "canceled_at": None,
                "ended_at": None,
                "created": int(start.timestamp()),
                "start_date": int(start.timestamp()),
                "latest_invoice": None,
                "collection_method": "charge_automatically",
                "livemode": False,
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": self._id("si"),
                            "object": "subscription_item",
                            "price": price,
                            "quantity": 1,
                            "subscription": sub_id,
                            "current_period_start": int(start.timestamp()),
                            "current_period_end": int(end.timestamp()),
                        }
                    ],
                    "has_more": False,
                    "url": f"/v1/subscription_items?subscription={sub_id}",
                },
            }
            self.subscriptions[sub_id] = subscription
            invoice = self._invoice(subscription, paid=True, reason="subscription_create")
            session.update(status="complete", payment_status="paid", subscription=sub_id)
            return [
                self.event("checkout.session.completed", self._public(session)),
                self.event("customer.subscription.created", subscription),
                self.event("invoice.paid", invoice),
            ]

    def renew(self, sub_id: str, paid: bool = True) -> list[dict]:
        """The period ends and Stripe charges the next one: paid, or failed."""
        with self._lock:
            subscription = self._subscription(sub_id)
            item = subscription["items"]["data"][0]
            months = item["price"]["recurring"]["interval_count"]
            start = datetime.fromtimestamp(item["current_period_end"], UTC)
            item["current_period_start"] = int(start.timestamp())
            item["current_period_end"] = int(_add_months(start, months).timestamp())
            previous = {"status": subscription["status"]}
            subscription["status"] = "active" if paid else "past_due"
            invoice = self._invoice(subscription, paid=paid, reason="subscription_cycle")
            return [
                self.event("invoice.paid" if paid else "invoice.payment_failed", invoice),
                self.event("customer.subscription.updated", subscription, previous),
            ]

    def pay_latest_invoice(self, sub_id: str) -> list[dict]:
        """The customer fixes their card and the failed invoice is paid."""
        with self._lock:
            subscription = self._subscription(sub_id)
            invoice = self.invoices[subscription["latest_invoice"]]
            invoice.update(status="paid", amount_paid=invoice["amount_due"])
            subscription["status"] = "active"
            return [
                self.event("invoice.paid", invoice),
                self.event("customer.subscription.updated", subscription, {"status": "past_due"}),
            ]

    def end_period(self, sub_id: str) -> list[dict]:
        """A subscription set to cancel at period end reaches it."""
        with self._lock:
            subscription = self._subscription(sub_id)
            self._end(subscription)
            return [self.outbox.pop()]

    def _end(self, subscription: dict) -> None:
        subscription.update(status="canceled", canceled_at=self._now(), ended_at=self._now())
        self.outbox.append(self.event("customer.subscription.deleted", subscription))


class FakeStripeHTTPClient(stripe.HTTPClient):
    """The SDK's transport, answered by a ``FakeStripe`` in-process."""

    name = "fake-stripe"

    def __init__(self, backend: FakeStripe):
        super().__init__()
        self.backend = backend

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if isinstance(post_data, bytes):
            post_data = post_data.decode()
        status, body = self.backend.handle(method.upper(), url, post_data)
        return json.dumps(body), status, {"request-id": "req_" + secrets.token_hex(6)}

    def close(self):
        pass


def sign(event: dict, secret: str) -> tuple[bytes, str]:
    """The body and ``Stripe-Signature`` header Stripe would send (Stripe's own helper)."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, int(time.time()))
    return payload.encode(), header


# --- the local stack's TEST MODE server -------------------------------------------------

_PAGE = """<!doctype html><meta charset="utf-8"><title>TEST MODE checkout</title>
<style>body{{font:16px system-ui;max-width:32rem;margin:3rem auto}}.t{{background:#ffd54f;
padding:.5rem 1rem;font-weight:bold}}button{{font-size:1rem;padding:.5rem 1rem}}</style>
<p class="t">TEST MODE: the local stand-in for Stripe. No card, no money.</p>
<h1>{title}</h1><p>{detail}</p>
<form method="post" action="{action}"><button>{button}</button></form>
<p><a href="{back}">Back without paying</a></p>"""


def serve(backend: FakeStripe, host: str, port: int, webhook_url: str, secret: str):
    """Serve the API and TEST MODE pages; deliver events to ``webhook_url`` signed with
    ``secret``. Returns the running server (``shutdown()`` stops it)."""

    def deliver(events: list[dict]) -> None:
        for event in events + backend.outbox:
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
        backend.outbox.clear()

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
            deliver([])  # events the call produced (an update, a cancel)
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
                deliver(backend.complete_checkout(session["id"]))
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
