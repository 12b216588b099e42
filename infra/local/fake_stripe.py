"""A small, faithful stand-in for the parts of Stripe's API that billing uses.

There is no stripe-mock here, so this answers the real SDK (``stripe.StripeClient``) with
objects shaped like Stripe's (API version 2026-10-28: periods on subscription items, an
invoice's subscription under ``parent.subscription_details``):

  POST   /v1/customers                 POST /v1/checkout/sessions
  GET    /v1/checkout/sessions/{id}    POST /v1/checkout/sessions/{id}/expire
  GET    /v1/subscriptions/{id}        POST /v1/subscriptions/{id}  (items, cancel_at_period_end,
         (expand[]=latest_invoice)                                 metadata, expand)
  DELETE /v1/subscriptions/{id}        POST /v1/billing_portal/sessions
  GET    /v1/invoices/{id}

and plays what happens at Stripe meanwhile (the customer pays at Checkout or walks away
and the session expires, a renewal is paid or fails, Stripe retries it and gives up, a
cancelled subscription ends), producing the events Stripe would send.

Two transports: ``FakeStripeHTTPClient`` plugs the backend into the SDK in-process (the
tests), and ``fake_stripe_server.serve`` puts it on a port with a clearly marked TEST
MODE checkout page (the local stack).
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime

import stripe

from chalicelib.periods import add_months as _add_months
from infra.local.fake_stripe_api import API_VERSION, FakeStripeAPI, StripeFailure, decode_form

__all__ = [
    "API_VERSION",
    "FakeStripe",
    "FakeStripeHTTPClient",
    "StripeFailure",
    "decode_form",
    "sign",
]


class FakeStripe(FakeStripeAPI):
    """The state of a Stripe account, and what Stripe would do to it."""

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
            # When Stripe retries a failed payment (Billing -> Revenue recovery ->
            # Retries); null once paid, or once no retry is left.
            "next_payment_attempt": None if paid else self._now() + 3 * 24 * 3600,
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
            invoice.update(
                status="paid", amount_paid=invoice["amount_due"], next_payment_attempt=None
            )
            subscription["status"] = "active"
            return [
                self.event("invoice.paid", invoice),
                self.event("customer.subscription.updated", subscription, {"status": "past_due"}),
            ]

    def retries_exhausted(self, sub_id: str, then: str = "unpaid") -> list[dict]:
        """Stripe's last retry of the failed invoice fails. ``then`` is the account's
        setting for what follows: ``unpaid`` (mark the subscription unpaid),
        ``past_due`` (leave it past due), or ``cancel``."""
        with self._lock:
            subscription = self._subscription(sub_id)
            invoice = self.invoices[subscription["latest_invoice"]]
            invoice.update(attempt_count=invoice["attempt_count"] + 7, next_payment_attempt=None)
            events = [self.event("invoice.payment_failed", invoice)]
            if then == "cancel":
                self._end(subscription)
                return events + [self.outbox.pop()]
            if then == "unpaid":
                previous = {"status": subscription["status"]}
                subscription["status"] = "unpaid"
                events.append(self.event("customer.subscription.updated", subscription, previous))
            return events

    def expire_checkout(self, session_id: str) -> list[dict]:
        """Nobody paid: the session reaches its ``expires_at`` (24 hours by default)."""
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise StripeFailure(400, "This Checkout Session is no longer open.", "")
            session["status"] = "expired"
            return [self.event("checkout.session.expired", self._public(session))]

    def end_period(self, sub_id: str) -> list[dict]:
        """A subscription set to cancel at period end reaches it."""
        with self._lock:
            subscription = self._subscription(sub_id)
            self._end(subscription)
            return [self.outbox.pop()]


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
