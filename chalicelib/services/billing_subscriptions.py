"""What a Stripe subscription, as Stripe says it is now, means for its project.

The billing state machine (``ProjectModel.billing_state``):

- ``ok``: Free, or a paid plan whose payments are up to date (``active``, ``trialing``).
- ``past_due``: a renewal payment failed and Stripe is still retrying it. The project
  keeps its plan and everything keeps working; the panel shows a banner. Hosted chat
  products do the same: most failed renewals are recovered by a retry or a new card, and
  hiding a customer's chat for a card that expired yesterday loses them visitors.
- ``unpaid``: the plan the project is on is not paid, so the widget is hidden
  (``quotas.widget_blocked``). Reached when Stripe's retries are over: how many retries,
  over how long, and what happens after the last one is the Stripe account's setting
  *Billing -> Revenue recovery -> Retries* ("Smart Retries", by default 8 tries within
  2 weeks, or a custom schedule), whose final action is one of:
    - mark the subscription as unpaid: ``customer.subscription.updated`` with status
      ``unpaid``;
    - leave it past due: status stays ``past_due``, and the last
      ``invoice.payment_failed`` carries ``next_payment_attempt: null`` (no retry
      scheduled; also what a hard decline, which Stripe never retries, looks like);
    - pause it (flexible billing mode): status ``paused``;
    - cancel it: ``customer.subscription.deleted``; the project returns to Free.
  A project on a paid plan that was never paid would be ``unpaid`` too. No path makes
  one today (a project starts on Free and changes plan only when Stripe says it is
  paid), but the state can say it (``quotas.widget_blocked`` names it ``plan_unpaid``).

A paid plan chosen at Checkout and not paid yet is *not* a billing state: it is only
``pending_plan`` (with ``stripe_checkout_id`` and ``checkout_ref``), and the project
stays on its plan, fully working, until Stripe confirms the new one. An abandoned
Checkout therefore changes nothing but that pending choice.

Every function here takes the subscription as just fetched from Stripe, so applying is
idempotent and the order of events does not matter.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import periods, plans
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import (
    BILLING_OK,
    BILLING_PAST_DUE,
    BILLING_UNPAID,
    ProjectModel,
)
from chalicelib.services import quotas

log = logging.getLogger(__name__)

# Subscription statuses (Stripe's) and what they mean for the project.
_PAID = {"active", "trialing"}
_NOT_YET_PAID = {"incomplete"}  # its first invoice (the Checkout's) is not paid yet
_ENDED = {"canceled", "incomplete_expired"}
_RETRIES_OVER = {"unpaid", "paused"}
# Fetch a subscription with its latest invoice: whether Stripe will retry a failed
# payment is the invoice's ``next_payment_attempt``. One request, not two.
EXPAND = ["latest_invoice"]


def fetch(client, subscription_id: str) -> dict:
    subscription = client.v1.subscriptions.retrieve(subscription_id, params={"expand": EXPAND})
    return subscription.to_dict() if hasattr(subscription, "to_dict") else subscription


def _timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _retries_over(subscription: dict) -> bool | None:
    """For a ``past_due`` subscription: has Stripe stopped retrying? None: cannot tell
    (the latest invoice was not expanded)."""
    invoice = subscription.get("latest_invoice")
    if not isinstance(invoice, dict):
        return None
    if invoice.get("status") != "open":
        return False  # paid, or voided: nothing is being collected on it
    return invoice.get("next_payment_attempt") is None


def state_of(subscription: dict, project: ProjectModel) -> str:
    """The billing state a live (not ended, not incomplete) subscription gives."""
    status = subscription.get("status")
    if status in _PAID:
        return BILLING_OK
    if status in _RETRIES_OVER:
        return BILLING_UNPAID
    over = _retries_over(subscription)
    if over is None:  # an answer without the invoice: keep what the last full one said
        return project.billing_state if project.billing_state != BILLING_OK else BILLING_PAST_DUE
    return BILLING_UNPAID if over else BILLING_PAST_DUE


def apply_subscription(subscription, now: datetime) -> ProjectModel | None:
    """Make the project say what the subscription says now. Returns the project, or
    None when the subscription is not (or no longer, or never was) this project's."""
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
    if not _may_apply(project, subscription, metadata):
        return None
    if status in _ENDED:
        # Only the project's own subscription ending moves it to Free (a late event of an
        # old one must not wipe a Checkout begun since).
        return to_free(project, now) if current == subscription["id"] else None
    item = subscription["items"]["data"][0]
    found = plans.catalogue().by_price(item["price"]["id"])
    if found is None:
        log.error("subscription %s has an unknown price %s", subscription["id"], item["price"])
        return None
    plan, price = found
    if status in _NOT_YET_PAID:
        # Not paid yet (3-D Secure, a bank debit still processing): the project keeps
        # its plan, limits and billing state; only the choice is recorded.
        project.update(
            actions=[
                ProjectModel.pending_plan.set(f"{plan.id}:{price.interval}"),
                ProjectModel.stripe_subscription_id.set(subscription["id"]),
            ],
            condition=ProjectModel.project_id.exists(),
        )
        return project
    _apply_paid(project, subscription, item, plan, price)
    return project


def _apply_paid(project: ProjectModel, subscription: dict, item: dict, plan, price) -> None:
    """The project takes the subscription's plan, state and period."""
    state = state_of(subscription, project)
    start = _timestamp(item.get("current_period_start") or subscription.get("current_period_start"))
    end = _timestamp(item.get("current_period_end") or subscription.get("current_period_end"))
    actions = [
        ProjectModel.plan.set(plan.id),
        ProjectModel.billing_interval.set(price.interval),
        ProjectModel.billing_state.set(state),
        ProjectModel.stripe_subscription_id.set(subscription["id"]),
        ProjectModel.cancel_at_period_end.set(bool(subscription.get("cancel_at_period_end"))),
    ]
    actions += [
        ProjectModel.pending_plan.remove(),
        ProjectModel.stripe_checkout_id.remove(),
        ProjectModel.checkout_ref.remove(),
    ]
    customer = subscription.get("customer")
    if isinstance(customer, str) and customer:
        actions.append(ProjectModel.stripe_customer_id.set(customer))
    if plan.id != project.plan:
        # Other limits now: a visitor turned away under the old plan is no reason to
        # keep the widget hidden (the next refusal, if any, hides it again).
        actions.append(ProjectModel.visitors_exhausted_period.remove())
    if start and end:
        actions += period_actions(project.project_id, periods.Period(start, end))
    project.update(actions=actions, condition=ProjectModel.project_id.exists())


def _may_apply(project: ProjectModel, subscription: dict, metadata: dict) -> bool:
    """Whether this subscription's news may change the project: not one from a Checkout
    the project has moved on from, nor an old or second subscription's."""
    status = subscription.get("status")
    project_id = project.project_id
    current = project.stripe_subscription_id
    if current != subscription["id"] and not _from_current_checkout(project, metadata):
        # From a Checkout the project has moved on from (superseded by a newer one,
        # cancelled, or long applied and ended): never switch the project to it.
        if status in _PAID:
            log.error(
                "project %s: subscription %s is paid but comes from a superseded "
                "checkout; not applied (support refunds it)",
                project_id,
                subscription["id"],
            )
        return False
    if current and current != subscription["id"]:
        if status not in _PAID:
            return False  # an old subscription's news: the project has moved on to another
        if project.billing_state == BILLING_OK:
            # Two live subscriptions for one project (paid twice): keep the one the
            # project is on, and say so loudly; support refunds the other.
            log.error(
                "project %s: subscription %s is paid but the project is on %s; not switching",
                project_id,
                subscription["id"],
                current,
            )
            return False
    return True


def _from_current_checkout(project: ProjectModel, metadata: dict) -> bool:
    """A subscription the project is not on yet may be applied only if it comes from
    the project's open Checkout. Subscriptions made before Checkouts carried a
    reference have none: they are judged as before (the checks that follow)."""
    ref = metadata.get("checkout_ref")
    return ref is None or (bool(project.checkout_ref) and ref == project.checkout_ref)


def clear_pending(project: ProjectModel, checkout_id: str | None = None) -> ProjectModel:
    """Forget a pending Checkout choice, nothing else: plan, limits and billing state
    stay as they are. With ``checkout_id``, only if that is still the project's
    Checkout (a late ``expired`` of an old session must not clear a newer one)."""
    condition = ProjectModel.project_id.exists()
    if checkout_id is not None:
        condition &= ProjectModel.stripe_checkout_id == checkout_id
    try:
        project.update(
            actions=[
                ProjectModel.pending_plan.remove(),
                ProjectModel.stripe_checkout_id.remove(),
                ProjectModel.checkout_ref.remove(),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise
    return project


def to_free(project: ProjectModel, now) -> ProjectModel:
    period = periods.containing(project.created_at or now, 1, now)
    actions = [
        ProjectModel.plan.set(plans.FREE),
        ProjectModel.billing_state.set(BILLING_OK),
        ProjectModel.billing_interval.remove(),
        ProjectModel.pending_plan.remove(),
        ProjectModel.stripe_checkout_id.remove(),
        ProjectModel.checkout_ref.remove(),
        ProjectModel.stripe_subscription_id.remove(),
        ProjectModel.cancel_at_period_end.remove(),
    ]
    if project.plan != plans.FREE:
        actions.append(ProjectModel.visitors_exhausted_period.remove())  # other limits now
    actions += period_actions(project.project_id, period)
    project.update(actions=actions, condition=ProjectModel.project_id.exists())
    return project


def period_actions(project_id: str, period: periods.Period) -> list:
    attributes = quotas.period_attributes(period, project_id)
    return [getattr(ProjectModel, name).set(value) for name, value in attributes.items()]
