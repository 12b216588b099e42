"""The fake Stripe's account state and HTTP API (the requests the SDK makes).

What happens at Stripe meanwhile (payments, renewals, retries, expiries) is
``fake_stripe.FakeStripe``, built on this; ``fake_stripe`` says which objects are shaped
like which API version.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime

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


class FakeStripeAPI:
    """The state of a Stripe account, and its API."""

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
    def for_catalogue(cls, catalogue, **kwargs):
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
        parts = urllib.parse.urlsplit(url)
        path = parts.path
        params = decode_form(body or parts.query)  # GET: the SDK puts them in the URL
        self.requests.append((method, path))
        routes = [
            ("POST", r"/v1/customers", self._create_customer),
            ("POST", r"/v1/checkout/sessions", self._create_session),
            ("GET", r"/v1/checkout/sessions/(?P<id>[\w]+)", self._get_session),
            ("POST", r"/v1/checkout/sessions/(?P<id>[\w]+)/expire", self._expire_session),
            ("GET", r"/v1/subscriptions/(?P<id>[\w]+)", self._get_subscription),
            ("GET", r"/v1/invoices/(?P<id>[\w]+)", self._get_invoice),
            ("POST", r"/v1/subscriptions/(?P<id>[\w]+)", self._update_subscription),
            ("DELETE", r"/v1/subscriptions/(?P<id>[\w]+)", self._cancel_subscription),
            ("POST", r"/v1/billing_portal/sessions", self._create_portal),
        ]
        try:
            with self._lock:
                for verb, pattern, handler in routes:
                    match = re.fullmatch(pattern, path)
                    if verb == method and match:
                        return 200, self._expanded(handler(params, **match.groupdict()), params)
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
        self.outbox.append(self.event("checkout.session.expired", self._public(session)))
        return self._public(session)

    def _subscription(self, sub_id: str) -> dict:
        if sub_id not in self.subscriptions:
            raise StripeFailure(404, f"No such subscription: '{sub_id}'")
        return self.subscriptions[sub_id]

    def _get_subscription(self, params, id):
        return self._subscription(id)

    def _get_invoice(self, params, id):
        if id not in self.invoices:
            raise StripeFailure(404, f"No such invoice: '{id}'")
        return self.invoices[id]

    def _expanded(self, answer: dict, params: dict) -> dict:
        """``expand[]=latest_invoice`` on a subscription: the invoice object in place of
        its id (a copy: the stored subscription keeps the id, as Stripe's does)."""
        expand = params.get("expand") or []
        if answer.get("object") != "subscription" or "latest_invoice" not in expand:
            return answer
        invoice = self.invoices.get(answer.get("latest_invoice"))
        return {**answer, "latest_invoice": invoice} if invoice else answer

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

    def _end(self, subscription: dict) -> None:
        subscription.update(status="canceled", canceled_at=self._now(), ended_at=self._now())
        self.outbox.append(self.event("customer.subscription.deleted", subscription))
