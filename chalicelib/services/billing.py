"""Choosing and paying for a plan through Stripe, and Stripe's webhooks.

- Only the account administrator chooses, pays or changes a project's plan.
- A paid plan is chosen through Stripe Checkout (a recurring subscription: monthly,
  six-month or annual); until it is paid the project is ``unpaid`` and its widget is
  hidden. A failed renewal makes it ``past_due`` (hidden too) until paid. Cards and
  cancelling are Stripe's customer portal. Cancelling keeps the plan to the end of the
  paid period; Stripe then ends the subscription and the project returns to Free.
- Webhooks: the signature is verified on the raw body (no secret configured: every
  webhook is refused, never processed unverified); each event id is handled once (a
  conditional put); every handler refetches the subscription from Stripe and applies
  what it says now, so events may come in any order and any number of times.

Stripe's SDK is imported lazily (in ``deps.stripe_client`` and here, inside functions):
no other handler's cold start pays for it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib import periods, plans
from chalicelib.clock import iso, utcnow
from chalicelib.config import Settings
from chalicelib.errors import (
    BadRequest,
    Conflict,
    DomainError,
    TemporarilyUnavailable,
    Unavailable,
)
from chalicelib.models.base import is_condition_failure
from chalicelib.models.billing_event import StripeEventModel
from chalicelib.models.project import (
    BILLING_OK,
    BILLING_PAST_DUE,
    BILLING_UNPAID,
    MemberModel,
    ProjectModel,
)
from chalicelib.services import permissions, projects, quotas

log = logging.getLogger(__name__)

REFUND_NOTE = (
    "Refunds are handled by support: write to support with your project id and the "
    "invoice, and we will refund through Stripe."
)
EVENT_RETENTION = timedelta(days=30)
SIGNATURE_TOLERANCE_SECONDS = 300
# Subscription statuses (Stripe's) and what they mean for the project.
_PAID = {"active", "trialing"}
_NOT_YET_PAID = {"incomplete"}
_ENDED = {"canceled", "incomplete_expired"}


def _stripe_errors():
    import stripe

    return stripe.StripeError


def _require_client(client):
    if client is None:
        raise Unavailable("billing is not configured for this installation")
    return client


# --- what the panel shows -------------------------------------------------------------


def view(member: MemberModel, settings: Settings, now: datetime) -> dict:
    permissions.require(member, "billing.view")
    project = projects.require_project(member.project_id)
    return billing_view(project, member, settings, now)


def billing_view(project: ProjectModel, member: MemberModel, settings, now) -> dict:
    plan = quotas.plan_of(project)
    period = quotas.period_of(project, now)
    blocked = []
    if reason := quotas.widget_blocked(project, now):
        blocked.append(quotas.blocked_view(reason))
    return {
        "plan": {"id": plan.id, "name": plan.name},
        "interval": project.billing_interval,
        "state": project.billing_state or BILLING_OK,
        # Chosen at Checkout, not paid yet: {"plan", "interval"} or null.
        "pending": (
            dict(zip(("plan", "interval"), project.pending_plan.split(":", 1), strict=True))
            if project.pending_plan
            else None
        ),
        "period": {"start": iso(period.start), "end": iso(period.end)},
        "cancel_at_period_end": bool(project.cancel_at_period_end),
        "powered_by": plan.powered_by,
        "usage": quotas.usage_view(project, now),
        "blocked": blocked,
        "can_manage": permissions.allows(member, "billing.manage"),
        "has_payment_details": bool(project.stripe_customer_id),
        "test_mode": settings.billing_test_mode,
        "refunds": REFUND_NOTE,
        "catalogue": plans.catalogue().view(),
    }


# --- choosing a plan ------------------------------------------------------------------


def choose_plan(member: MemberModel, body: dict, client, settings: Settings, now) -> dict:
    """Move to Free, start Checkout for a paid plan, or change a live subscription's
    plan. Returns the billing view, with ``checkout_url`` when the administrator must
    pay at Stripe."""
    permissions.require(member, "billing.manage")
    plan, price = plans.catalogue().choose(body.get("plan"), body.get("interval"))
    project = projects.require_project(member.project_id)
    if price is None:
        project = _move_to_free(project, client, now)
        return {"billing": billing_view(project, member, settings, now)}
    if not price.stripe_price_id:
        raise Unavailable(f"the {plan.name} plan has no Stripe price configured yet")
    client = _require_client(client)
    try:
        if project.stripe_subscription_id and project.plan != plans.FREE:
            subscription = _change_subscription(project, plan, price, client)
            project = apply_subscription(subscription, now) or project
            return {"billing": billing_view(project, member, settings, now)}
        _expire_checkout(project, client)
        session = _start_checkout(project, plan, price, client, settings)
    except _stripe_errors() as error:
        raise TemporarilyUnavailable(f"Stripe did not answer: {error}") from error
    checkout_url = session.url
    project.update(
        actions=[
            ProjectModel.stripe_checkout_id.set(session.id),
            ProjectModel.pending_plan.set(f"{plan.id}:{price.interval}"),
            ProjectModel.billing_state.set(BILLING_UNPAID),
        ],
        condition=ProjectModel.project_id.exists(),
    )
    return {
        "checkout_url": checkout_url,
        "billing": billing_view(project, member, settings, now),
    }


def _metadata(project: ProjectModel, plan: plans.Plan, price: plans.Price) -> dict:
    return {"project_id": project.project_id, "plan": plan.id, "interval": price.interval}


def _start_checkout(project, plan, price, client, settings: Settings) -> str:
    customer = project.stripe_customer_id
    if not customer:
        owner = MemberModel.get(project.project_id, project.owner_id)
        customer = client.v1.customers.create(
            params={
                "email": owner.email,
                "name": project.name,
                "metadata": {"project_id": project.project_id},
            }
        ).id
        project.update(actions=[ProjectModel.stripe_customer_id.set(customer)])
    back = settings.billing_return_url or "https://example.invalid/billing"
    separator = "&" if "?" in back else "?"
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer,
            "client_reference_id": project.project_id,
            "line_items": [{"price": price.stripe_price_id, "quantity": 1}],
            "metadata": _metadata(project, plan, price),
            "subscription_data": {"metadata": _metadata(project, plan, price)},
            "success_url": f"{back}{separator}project={project.project_id}&checkout=success",
            "cancel_url": f"{back}{separator}project={project.project_id}&checkout=cancelled",
        }
    )
    return session


def _expire_checkout(project: ProjectModel, client) -> None:
    """Close the project's earlier Checkout session, if it is still open."""
    if not project.stripe_checkout_id or client is None:
        return
    try:
        client.v1.checkout.sessions.expire(project.stripe_checkout_id)
    except _stripe_errors() as error:
        import stripe

        if not isinstance(error, stripe.InvalidRequestError):
            raise
        # Not open any more. Expired: nothing to close. Completed: it was paid a moment
        # ago (its webhook not here yet): apply it rather than open a second subscription.
        session = client.v1.checkout.sessions.retrieve(project.stripe_checkout_id).to_dict()
        if session.get("status") == "complete" and session.get("subscription"):
            subscription_id = session["subscription"]
            if not isinstance(subscription_id, str):
                subscription_id = subscription_id["id"]
            apply_subscription(client.v1.subscriptions.retrieve(subscription_id), utcnow())
            raise Conflict(
                "your earlier checkout was just paid: that plan is active now; "
                "change it from the billing page"
            ) from None


def _change_subscription(project, plan, price, client):
    subscription = client.v1.subscriptions.retrieve(project.stripe_subscription_id)
    if subscription.status in _ENDED:
        raise Conflict("the subscription has ended; choose the plan again to pay for it")
    item = subscription["items"]["data"][0]
    # The new plan applies only once its prorated invoice is paid (a declined card leaves
    # the paid-up plan as it was, not a better plan unpaid). A pending update takes no
    # other parameters: the metadata and un-cancelling go in a second call.
    client.v1.subscriptions.update(
        subscription.id,
        params={
            "items": [{"id": item["id"], "price": price.stripe_price_id}],
            "proration_behavior": "always_invoice",
            "payment_behavior": "pending_if_incomplete",
        },
    )
    return client.v1.subscriptions.update(
        subscription.id,
        params={"cancel_at_period_end": False, "metadata": _metadata(project, plan, price)},
    )


def _move_to_free(project: ProjectModel, client, now) -> ProjectModel:
    """A paid, paid-up plan is cancelled at the end of its period (the administrator
    keeps what they paid for); an unpaid or failed one ends now."""
    subscription_id = project.stripe_subscription_id
    if subscription_id and project.billing_state == BILLING_OK and project.plan != plans.FREE:
        client = _require_client(client)
        try:
            subscription = client.v1.subscriptions.update(
                subscription_id, params={"cancel_at_period_end": True}
            )
        except _stripe_errors() as error:
            raise TemporarilyUnavailable(f"Stripe did not answer: {error}") from error
        return apply_subscription(subscription, now) or project
    try:
        _expire_checkout(project, client)
        if subscription_id and client is not None:
            client.v1.subscriptions.cancel(subscription_id)
    except _stripe_errors() as error:
        if getattr(error, "code", None) != "resource_missing":
            raise TemporarilyUnavailable(f"Stripe did not answer: {error}") from error
    return _to_free(project, now)


def _to_free(project: ProjectModel, now) -> ProjectModel:
    period = periods.containing(project.created_at or now, 1, now)
    actions = [
        ProjectModel.plan.set(plans.FREE),
        ProjectModel.billing_state.set(BILLING_OK),
        ProjectModel.billing_interval.remove(),
        ProjectModel.pending_plan.remove(),
        ProjectModel.stripe_checkout_id.remove(),
        ProjectModel.stripe_subscription_id.remove(),
        ProjectModel.cancel_at_period_end.remove(),
    ]
    if project.plan != plans.FREE:
        actions.append(ProjectModel.visitors_exhausted_period.remove())  # other limits now
    actions += _period_actions(project.project_id, period)
    project.update(actions=actions, condition=ProjectModel.project_id.exists())
    return project


def _period_actions(project_id: str, period: periods.Period) -> list:
    attributes = quotas.period_attributes(period, project_id)
    return [getattr(ProjectModel, name).set(value) for name, value in attributes.items()]


def portal(member: MemberModel, client, settings: Settings) -> dict:
    """A Stripe customer-portal session: cards, invoices, cancelling."""
    permissions.require(member, "billing.manage")
    project = projects.require_project(member.project_id)
    if not project.stripe_customer_id:
        raise Conflict("no payment details yet: choose a paid plan first")
    client = _require_client(client)
    back = settings.billing_return_url or "https://example.invalid/billing"
    try:
        session = client.v1.billing_portal.sessions.create(
            params={"customer": project.stripe_customer_id, "return_url": back}
        )
    except _stripe_errors() as error:
        raise TemporarilyUnavailable(f"Stripe did not answer: {error}") from error
    return {"portal_url": session.url}


# --- applying Stripe's truth ----------------------------------------------------------


def _timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def apply_subscription(subscription, now: datetime) -> ProjectModel | None:
    """Make the project say what the subscription says now. Idempotent, and safe in any
    order because the subscription was just fetched from Stripe. Returns the project,
    or None when the subscription is not (or no longer) this project's."""
    if hasattr(subscription, "to_dict"):  # a StripeObject (not a dict since stripe 13)
        subscription = subscription.to_dict()
    metadata = subscription.get("metadata") or {}
    project_id = metadata.get("project_id")
    if not project_id:
        log.warning("subscription %s has no project_id metadata", subscription.get("id"))
        return None
    try:
        project = ProjectModel.get(project_id, consistent_read=True)
    except DoesNotExist:
        return None
    status = subscription.get("status")
    current = project.stripe_subscription_id
    if current and current != subscription["id"]:
        if status not in _PAID:
            return None  # an old subscription's news: the project has moved on to another
        if project.billing_state == BILLING_OK:
            # Two live subscriptions for one project (paid twice): keep the one the
            # project is on, and say so loudly; support refunds the other.
            log.error(
                "project %s: subscription %s is paid but the project is on %s; not switching",
                project_id,
                subscription["id"],
                current,
            )
            return None
    if status in _ENDED:
        # Only the project's own subscription ending moves it to Free (a late event of an
        # old one must not wipe a Checkout begun since).
        return _to_free(project, now) if current == subscription["id"] else None
    item = subscription["items"]["data"][0]
    found = plans.catalogue().by_price(item["price"]["id"])
    if found is None:
        log.error("subscription %s has an unknown price %s", subscription["id"], item["price"])
        return None
    plan, price = found
    if status in _NOT_YET_PAID:
        # Not paid yet (3-D Secure, a bank debit still processing): the project keeps
        # its plan and limits; the widget stays hidden until it is paid.
        project.update(
            actions=[
                ProjectModel.billing_state.set(BILLING_UNPAID),
                ProjectModel.pending_plan.set(f"{plan.id}:{price.interval}"),
                ProjectModel.stripe_subscription_id.set(subscription["id"]),
            ],
            condition=ProjectModel.project_id.exists(),
        )
        return project
    state = BILLING_OK if status in _PAID else BILLING_PAST_DUE  # else a payment failed
    start = _timestamp(item.get("current_period_start") or subscription.get("current_period_start"))
    end = _timestamp(item.get("current_period_end") or subscription.get("current_period_end"))
    actions = [
        ProjectModel.plan.set(plan.id),
        ProjectModel.billing_interval.set(price.interval),
        ProjectModel.billing_state.set(state),
        ProjectModel.stripe_subscription_id.set(subscription["id"]),
        ProjectModel.cancel_at_period_end.set(bool(subscription.get("cancel_at_period_end"))),
    ]
    actions += [ProjectModel.pending_plan.remove(), ProjectModel.stripe_checkout_id.remove()]
    customer = subscription.get("customer")
    if isinstance(customer, str) and customer:
        actions.append(ProjectModel.stripe_customer_id.set(customer))
    if plan.id != project.plan:
        # Other limits now: a visitor turned away under the old plan is no reason to
        # keep the widget hidden (the next refusal, if any, hides it again).
        actions.append(ProjectModel.visitors_exhausted_period.remove())
    if start and end:
        actions += _period_actions(project.project_id, periods.Period(start, end))
    project.update(actions=actions, condition=ProjectModel.project_id.exists())
    return project


# --- webhooks -------------------------------------------------------------------------


def _subscription_of_invoice(invoice: dict) -> str | None:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    found = details.get("subscription") or invoice.get("subscription")  # older API versions
    return found.get("id") if isinstance(found, dict) else found


def _subscription_of(event_type: str, obj: dict) -> str | None:
    if event_type == "checkout.session.completed":
        found = obj.get("subscription")
        return found.get("id") if isinstance(found, dict) else found
    if event_type.startswith("invoice."):
        return _subscription_of_invoice(obj)
    return obj.get("id")


HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "invoice.paid",
        "invoice.payment_failed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)


def verify(raw_body: bytes, signature: str | None, secret: str) -> dict:
    """The event, if Stripe signed this very body with our secret; otherwise refused."""
    if not secret:
        # Misconfiguration, not the sender's fault: 503 makes Stripe retry for days.
        raise TemporarilyUnavailable("webhooks are refused: no signing secret is configured")
    import stripe

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
    # Handling twice is harmless: each event only refetches and applies the subscription.
    try:
        subscription_id = _subscription_of(event_type, event["data"]["object"])
        if subscription_id:
            client = _require_client(client)
            apply_subscription(client.v1.subscriptions.retrieve(subscription_id), now)
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
