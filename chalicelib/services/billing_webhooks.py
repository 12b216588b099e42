"""Stripe's webhooks: verified, handled once each, in any order.

- The signature is verified on the raw body (no secret configured: every webhook is
  refused, never processed unverified).
- Each event id is handled once (a conditional put, recorded after the work).
- No handler trusts the event's copy of an object: each refetches the subscription (or
  the Checkout session) from Stripe and applies what it says now, so late, repeated and
  reordered events all end in the same state.

What each state means is in ``billing_subscriptions``.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.errors import BadRequest, DomainError, TemporarilyUnavailable, Unavailable
from chalicelib.models.base import is_condition_failure
from chalicelib.models.billing_event import StripeEventModel
from chalicelib.models.project import ProjectModel
from chalicelib.services import billing_subscriptions as subscriptions

log = logging.getLogger(__name__)

EVENT_RETENTION = timedelta(days=30)
SIGNATURE_TOLERANCE_SECONDS = 300
CHECKOUT_EXPIRED = "checkout.session.expired"
HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        CHECKOUT_EXPIRED,
        "invoice.paid",
        "invoice.payment_failed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)


def _id_of(found) -> str | None:
    return found.get("id") if isinstance(found, dict) else found


def _subscription_of(event_type: str, obj: dict) -> str | None:
    if event_type.startswith("checkout.session."):
        return _id_of(obj.get("subscription"))
    if event_type.startswith("invoice."):
        parent = obj.get("parent") or {}
        details = parent.get("subscription_details") or {}
        return _id_of(details.get("subscription") or obj.get("subscription"))  # older APIs
    return obj.get("id")


def verify(raw_body: bytes, signature: str | None, secret: str) -> dict:
    """The event, if Stripe signed this very body with our secret; otherwise refused."""
    if not secret:
        # Misconfiguration, not the sender's fault: 503 makes Stripe retry for days.
        raise TemporarilyUnavailable("webhooks are refused: no signing secret is configured")
    import stripe  # lazily, for cold start: only the webhook pays for Stripe's SDK

    try:
        stripe.WebhookSignature.verify_header(
            raw_body, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        raise BadRequest("the Stripe-Signature header does not match this body") from None
    try:
        event = json.loads(raw_body)
    except ValueError:
        raise BadRequest("the event is not JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise BadRequest("the event has no id")
    if not isinstance(event.get("type"), str):
        raise BadRequest("the event has no type")
    obj = (event.get("data") or {}).get("object")
    if not isinstance(obj, dict):
        raise BadRequest("the event has no data.object")
    return event


def _require_client(client):
    if client is None:
        raise Unavailable("billing is not configured for this installation")
    return client


def checkout_expired(session_id: str, client, now) -> None:
    """An abandoned (or replaced) Checkout: forget the pending choice, nothing more.
    Refetched, so an ``expired`` that is not (a session that was in fact paid) applies
    the payment instead, and one for an older session clears nothing."""
    session = client.v1.checkout.sessions.retrieve(session_id)
    session = session.to_dict() if hasattr(session, "to_dict") else session
    project_id = (session.get("metadata") or {}).get("project_id") or session.get(
        "client_reference_id"
    )
    if not project_id:
        return
    if session.get("status") == "complete" and session.get("subscription"):
        subscription_id = _id_of(session["subscription"])
        subscriptions.apply_subscription(subscriptions.fetch(client, subscription_id), now)
        return
    if session.get("status") != "expired":
        return  # still open: nothing has happened to it
    try:
        project = ProjectModel.get(project_id, consistent_read=True)
    except DoesNotExist:
        return
    subscriptions.clear_pending(project, checkout_id=session_id)


def handle_webhook(raw_body: bytes, signature: str | None, secret: str, client, now) -> dict:
    event = verify(raw_body, signature, secret)
    event_type = event["type"]
    if event_type not in HANDLED_EVENTS:
        return {"received": True, "handled": False}
    event_id = event["id"][:255]
    try:
        StripeEventModel.get(event_id, consistent_read=True)
        return {"received": True, "duplicate": True}
    except DoesNotExist:
        pass
    # The work first, the "handled" record after it: a handler killed half-way (a Lambda
    # timeout runs no except clause) leaves no record, so Stripe's retry is handled.
    # Handling twice is harmless: each event only refetches and applies.
    obj = event["data"]["object"]
    try:
        if event_type == CHECKOUT_EXPIRED:
            if isinstance(obj.get("id"), str):
                checkout_expired(obj["id"], _require_client(client), now)
        elif subscription_id := _subscription_of(event_type, obj):
            client = _require_client(client)
            subscriptions.apply_subscription(subscriptions.fetch(client, subscription_id), now)
    except DomainError:
        raise
    except Exception:
        log.exception("Stripe event %s (%s) failed", event["id"], event_type)
        raise TemporarilyUnavailable("the event could not be processed now; retry") from None
    guard = StripeEventModel(
        event_id, event_type=event_type, received_at=now, expires_at=now + EVENT_RETENTION
    )
    try:
        guard.save(condition=StripeEventModel.event_id.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):  # a concurrent delivery recorded it first
            raise
    return {"received": True, "handled": True}
