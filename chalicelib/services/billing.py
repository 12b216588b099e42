"""Choosing and paying for a plan through Stripe: the billing page's service.

- Only the account administrator chooses, pays or changes a project's plan.
- A paid plan is chosen through Stripe Checkout (a recurring subscription: monthly,
  six-month or annual). Choosing only records a pending choice: the project keeps its
  plan, limits and widget until Stripe confirms the payment (``billing_subscriptions``
  holds the state machine, ``billing_webhooks`` the events). An abandoned Checkout is
  cancelled from the panel or expires at Stripe; either way nothing else changes.
- Cards and cancelling are Stripe's customer portal. Cancelling keeps the plan to the
  end of the paid period; Stripe then ends the subscription and the project returns to
  Free.

Stripe's SDK is imported lazily (in ``deps.stripe_client`` and here, inside functions):
no other handler's cold start pays for it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from chalicelib import plans
from chalicelib.clock import iso, utcnow
from chalicelib.config import Settings
from chalicelib.errors import Conflict, TemporarilyUnavailable, Unavailable
from chalicelib.models.project import (
    BILLING_OK,
    BILLING_PAST_DUE,
    MemberModel,
    ProjectModel,
)
from chalicelib.services import messenger_quota, permissions, projects, quotas
from chalicelib.services.billing_subscriptions import (
    EXPAND,
    apply_subscription,
    clear_pending,
    fetch,
    to_free,
)

REFUND_NOTE = (
    "Refunds are handled by support: write to support with your project id and the "
    "invoice, and we will refund through Stripe."
)
_ENDED = {"canceled", "incomplete_expired"}
# Shown while Stripe retries a failed renewal: nothing is stopped, so not in "blocked".
RETRYING = {
    "reason": "payment_retrying",
    "message": "The last payment for this project's plan failed; Stripe is retrying it. "
    "The chat keeps working meanwhile.",
    "resume": "The account administrator can update the card in the customer portal "
    "(Billing page). If every retry fails, the chat widget is hidden until it is paid.",
}


def _stripe_errors():
    import stripe  # lazily, for cold start: only billing calls pay for Stripe's SDK

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
    usage = quotas.usage_view(project, now)
    messenger = usage[quotas.MESSENGER_MESSAGES]
    # Replies on channel chats stop (the composer disables them); website chats go on.
    if messenger_quota.replies_stopped(messenger["used"], messenger["limit"]):
        blocked.append(quotas.blocked_view(quotas.MESSENGER_MESSAGES))
    # Free is never behind on payments (projects stored by an earlier version could say
    # "unpaid" on Free while a Checkout was open).
    state = (project.billing_state or BILLING_OK) if plan.paid else BILLING_OK
    return {
        "plan": {"id": plan.id, "name": plan.name},
        "interval": project.billing_interval,
        "state": state,
        # Chosen at Checkout, not paid yet: {"plan", "interval"} or null. The project
        # stays on "plan" (limits, widget) until it is paid.
        "pending": (
            dict(zip(("plan", "interval"), project.pending_plan.split(":", 1), strict=True))
            if project.pending_plan
            else None
        ),
        "period": {"start": iso(period.start), "end": iso(period.end)},
        "cancel_at_period_end": bool(project.cancel_at_period_end),
        "powered_by": plan.powered_by,
        "usage": usage,
        "blocked": blocked,
        # Worth a banner, but nothing is stopped (a failed renewal Stripe is retrying).
        "warnings": [RETRYING] if state == BILLING_PAST_DUE else [],
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
        ref = secrets.token_hex(8)
        session = _start_checkout(project, plan, price, client, settings, ref)
    except _stripe_errors() as error:
        raise TemporarilyUnavailable(f"Stripe did not answer: {error}") from error
    checkout_url = session.url
    # Only the choice is recorded: plan, limits, billing state and widget stay as they
    # are until Stripe says the new plan is paid.
    project.update(
        actions=[
            ProjectModel.stripe_checkout_id.set(session.id),
            ProjectModel.checkout_ref.set(ref),
            ProjectModel.pending_plan.set(f"{plan.id}:{price.interval}"),
        ],
        condition=ProjectModel.project_id.exists(),
    )
    return {
        "checkout_url": checkout_url,
        "billing": billing_view(project, member, settings, now),
    }


def _metadata(project: ProjectModel, plan: plans.Plan, price: plans.Price) -> dict:
    return {"project_id": project.project_id, "plan": plan.id, "interval": price.interval}


def _start_checkout(project, plan, price, client, settings: Settings, ref: str):
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
            # The reference tells this Checkout's subscription from a superseded one's.
            "subscription_data": {
                "metadata": {**_metadata(project, plan, price), "checkout_ref": ref}
            },
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
        import stripe  # lazily, for cold start (above)

        if not isinstance(error, stripe.InvalidRequestError):
            raise
        # Not open any more. Expired: nothing to close. Completed: it was paid a moment
        # ago (its webhook not here yet): apply it rather than open a second subscription.
        session = client.v1.checkout.sessions.retrieve(project.stripe_checkout_id).to_dict()
        if session.get("status") == "complete" and session.get("subscription"):
            subscription_id = session["subscription"]
            if not isinstance(subscription_id, str):
                subscription_id = subscription_id["id"]
            apply_subscription(fetch(client, subscription_id), utcnow())
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
        params={
            "cancel_at_period_end": False,
            "metadata": _metadata(project, plan, price),
            "expand": EXPAND,
        },
    )


def _move_to_free(project: ProjectModel, client, now) -> ProjectModel:
    """A paid, paid-up plan is cancelled at the end of its period (the administrator
    keeps what they paid for); one whose renewal failed (retrying or not) ends now, as
    does a pending Checkout."""
    subscription_id = project.stripe_subscription_id
    if subscription_id and project.billing_state == BILLING_OK and project.plan != plans.FREE:
        client = _require_client(client)
        try:
            subscription = client.v1.subscriptions.update(
                subscription_id, params={"cancel_at_period_end": True, "expand": EXPAND}
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
    return to_free(project, now)


def cancel_checkout(member: MemberModel, client, settings: Settings, now) -> dict:
    """The administrator gives up a pending choice: its Checkout is closed and the
    project carries on exactly as it was."""
    permissions.require(member, "billing.manage")
    project = projects.require_project(member.project_id)
    if not project.pending_plan and not project.stripe_checkout_id:
        raise Conflict("no checkout is waiting for payment")
    try:
        _expire_checkout(project, client)
        if project.plan == plans.FREE and project.stripe_subscription_id and client is not None:
            # On Free any subscription is the pending one, not paid yet (3-D Secure).
            client.v1.subscriptions.cancel(project.stripe_subscription_id)
            project.update(actions=[ProjectModel.stripe_subscription_id.remove()])
    except _stripe_errors() as error:
        if getattr(error, "code", None) != "resource_missing":
            raise TemporarilyUnavailable(f"Stripe did not answer: {error}") from error
    project = clear_pending(project)
    return {"billing": billing_view(project, member, settings, now)}


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
