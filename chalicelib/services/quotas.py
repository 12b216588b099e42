"""Plan limits: what a project may still do this billing period, enforced where it happens.

- Unique visitors: counted once per period when a visitor's activity is first recorded
  (``visitors.start_session`` admits a new one atomically with the counter, under the
  limit). Once a new visitor had to be turned away, the widget is hidden and the team
  cannot reply until the period ends or the plan changes.
- Team members: a counter on the project, moved in the same transaction as the member.
- Scenarios (auto messages, pop-ups): ``reserve_scenario`` / ``release_scenario``.
- Messenger messages (incoming only): services/messenger_quota.py.
- Online visitors tracked: ``online_visitors_shown``.

Replies from the team never count. The administrator is e-mailed at 80% and at 100% of
each limit, once per period and threshold (a conditional add to the period's ``warned``
set decides who sends it).

Every refusal is ``PaymentRequired`` with a machine-readable ``reason`` and a ``resume``
text the panel can show as it is.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import deps, periods, plans
from chalicelib.clock import iso
from chalicelib.errors import PaymentRequired
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import (
    BILLING_UNPAID,
    MemberModel,
    ProjectModel,
    period_shard,
)
from chalicelib.models.usage import UsageModel

log = logging.getLogger(__name__)

UNIQUE_VISITORS = "unique_visitors"
TEAM_MEMBERS = "team_members"
SCENARIOS = "scenarios"
MESSENGER_MESSAGES = "messenger_messages"
ONLINE_VISITORS = "online_visitors"
PLAN_UNPAID = "plan_unpaid"
PAYMENT_FAILED = "payment_failed"
WARNING_PERCENTS = (80, 100)

UPGRADE = "The account administrator can upgrade the plan on the Billing page."
_REFUSALS = {
    UNIQUE_VISITORS: (
        "This project reached its plan's limit of unique visitors for this billing period: "
        "the chat widget is hidden on the website and the team cannot reply.",
        UPGRADE + " Everything resumes at once; otherwise at the start of the next period.",
    ),
    TEAM_MEMBERS: (
        "This project's plan allows no more team members.",
        UPGRADE + " Or remove a member first.",
    ),
    SCENARIOS: (
        "This project's plan allows no more auto messages or pop-ups.",
        UPGRADE + " Or delete one first.",
    ),
    MESSENGER_MESSAGES: (
        "This project received its plan's limit of messenger messages for this billing "
        "period: the team cannot reply on Telegram or Messenger (new messages are still "
        "stored).",
        UPGRADE + " Replies resume once a plan with room is paid, or next period.",
    ),
    PLAN_UNPAID: (
        "This project's plan has not been paid: the chat widget is hidden on the website.",
        "The account administrator can pay for it on the Billing page, or move the "
        "project back to Free.",
    ),
    PAYMENT_FAILED: (
        "The payments for this project's plan failed and Stripe has stopped retrying: the "
        "chat widget is hidden on the website.",
        "The account administrator can update the card and pay the open invoice in the "
        "customer portal (Billing page); the widget returns as soon as it is paid, or move "
        "back to Free.",
    ),
}


def refusal(reason: str) -> PaymentRequired:
    message, resume = _REFUSALS[reason]
    return PaymentRequired(message, reason=reason, resume=resume)


def blocked_view(reason: str) -> dict:
    message, resume = _REFUSALS[reason]
    return {"reason": reason, "message": message, "resume": resume}


# --- plan and period ------------------------------------------------------------------


def plan_of(project: ProjectModel) -> plans.Plan:
    return plans.catalogue().plan(project.plan)


def period_of(project: ProjectModel, now: datetime) -> periods.Period:
    return periods.current(project, now, plans.catalogue().months(project.billing_interval))


def period_attributes(period: periods.Period, project_id: str) -> dict:
    """The project's attributes for ``period`` (and the period-job index)."""
    return {
        "period_start": period.start,
        "period_end": period.end,
        "period_shard": period_shard(project_id),
        "period_end_key": iso(period.end),
    }


def start_free(project: ProjectModel, now: datetime) -> ProjectModel:
    """Give a project being created its first (Free, monthly) period; its creator is
    its first member."""
    period = periods.containing(now, 1, now)
    for name, value in period_attributes(period, project.project_id).items():
        setattr(project, name, value)
    project.member_count = 1
    project.scenario_count = 0
    return project


def widget_blocked(project: ProjectModel, now: datetime) -> str | None:
    """Why the widget must not show (None: it may). Only the plan the project is on
    counts: a plan chosen at Checkout and not paid yet changes nothing, and a failed
    renewal hides the widget only once Stripe's retries are over (``unpaid``; while
    Stripe retries, ``past_due``, the chat keeps working: services/billing_subscriptions.py).
    Free is never unpaid (an earlier version stored "unpaid" on Free during Checkout)."""
    if project.billing_state == BILLING_UNPAID and plan_of(project).paid:
        # With a subscription, its payments failed; without, it was never paid.
        return PAYMENT_FAILED if project.stripe_subscription_id else PLAN_UNPAID
    if project.visitors_exhausted_period == period_of(project, now).key:
        return UNIQUE_VISITORS
    return None


def require_widget(project: ProjectModel, now: datetime) -> None:
    reason = widget_blocked(project, now)
    if reason:
        raise refusal(reason)


def require_team_reply(project: ProjectModel, now: datetime) -> None:
    """The team cannot answer from the panel while unique visitors are exhausted."""
    if project.visitors_exhausted_period == period_of(project, now).key:
        raise refusal(UNIQUE_VISITORS)


# --- unique visitors ------------------------------------------------------------------


def visitor_room_condition(limit: int | None):
    """The counter's condition in a new visitor's transaction (None: unlimited)."""
    if limit is None:
        return None
    return UsageModel.unique_visitors.does_not_exist() | (UsageModel.unique_visitors < limit)


def visitors_exhausted(project: ProjectModel, period: periods.Period, now: datetime) -> None:
    """A new visitor was turned away: hide the widget for the rest of the period."""
    if project.visitors_exhausted_period != period.key:
        project.update(
            actions=[ProjectModel.visitors_exhausted_period.set(period.key)],
            condition=ProjectModel.project_id.exists(),
        )
    limit = plan_of(project).limit(UNIQUE_VISITORS)
    warn_if_due(project, period, UNIQUE_VISITORS, limit, limit)


def visitor_counted(project: ProjectModel, period: periods.Period) -> None:
    """After a visitor was counted: warn the administrator if a threshold was crossed."""
    limit = plan_of(project).limit(UNIQUE_VISITORS)
    if limit is None:
        return
    usage = usage_of(project.project_id, period.key)
    warn_if_due(project, period, UNIQUE_VISITORS, int(usage.unique_visitors or 0), limit, usage)


# --- team members ---------------------------------------------------------------------


def member_slot_condition(project: ProjectModel):
    """The project update's condition when a member joins (None: unlimited)."""
    limit = plan_of(project).limit(TEAM_MEMBERS)
    if limit is None:
        return None
    return ProjectModel.member_count.does_not_exist() | (ProjectModel.member_count < limit)


def member_added(project_id: str, now: datetime) -> None:
    project = ProjectModel.get(project_id, consistent_read=True)
    limit = plan_of(project).limit(TEAM_MEMBERS)
    count = int(project.member_count or 0)
    warn_if_due(project, period_of(project, now), TEAM_MEMBERS, count, limit)


# --- scenarios (auto messages and pop-ups) --------------------------------------------


def reserve_scenario(project_id: str, now: datetime) -> int:
    """Take a scenario slot before creating an auto message or pop-up; the caller
    releases it if the creation fails or when the scenario is deleted. Exact under
    concurrency (a conditional ADD). Returns the new count."""
    project = ProjectModel.get(project_id, consistent_read=True)
    limit = plan_of(project).limit(SCENARIOS)
    condition = ProjectModel.project_id.exists()
    if limit is not None:
        condition &= ProjectModel.scenario_count.does_not_exist() | (
            ProjectModel.scenario_count < limit
        )
    try:
        project.update(actions=[ProjectModel.scenario_count.add(1)], condition=condition)
    except UpdateError as error:
        if is_condition_failure(error):
            raise refusal(SCENARIOS) from None
        raise
    count = int(project.scenario_count)
    warn_if_due(project, period_of(project, now), SCENARIOS, count, limit)
    return count


def release_scenario(project_id: str) -> None:
    try:
        ProjectModel(project_id).update(
            actions=[ProjectModel.scenario_count.add(-1)],
            condition=ProjectModel.scenario_count > 0,
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise


# --- online visitors ------------------------------------------------------------------


def online_visitors_shown(project: ProjectModel) -> int | None:
    """How many online visitors the live list tracks on this plan (None: all)."""
    return plan_of(project).limit(ONLINE_VISITORS)


# --- usage and warnings ---------------------------------------------------------------


def usage_of(project_id: str, period_key: str) -> UsageModel:
    try:
        return UsageModel.get(project_id, period_key, consistent_read=True)
    except DoesNotExist:
        return UsageModel(project_id, period_key)


def usage_view(project: ProjectModel, now: datetime) -> dict:
    plan = plan_of(project)
    usage = usage_of(project.project_id, period_of(project, now).key)
    used = {
        UNIQUE_VISITORS: int(usage.unique_visitors or 0),
        TEAM_MEMBERS: int(project.member_count or 0),
        SCENARIOS: int(project.scenario_count or 0),
        MESSENGER_MESSAGES: int(usage.messenger_messages or 0),
    }
    view = {name: {"used": count, "limit": plan.limit(name)} for name, count in used.items()}
    view[ONLINE_VISITORS] = {"limit": plan.limit(ONLINE_VISITORS)}
    return view


def thresholds_reached(count: int, limit: int | None) -> list[int]:
    if not limit:
        return []
    return [p for p in WARNING_PERCENTS if count >= math.ceil(limit * p / 100)]


def warn_if_due(
    project: ProjectModel,
    period: periods.Period,
    resource: str,
    count: int,
    limit: int | None,
    usage: UsageModel | None = None,
) -> list[int]:
    """E-mail the administrator for each threshold ``count`` reached that was not
    warned of yet this period. Returns the thresholds warned of now."""
    due = thresholds_reached(count, limit)
    already = set(usage.warned or ()) if usage is not None else set()
    sent = []
    for percent in due:
        marker = f"{resource}:{percent}"
        if marker in already:
            continue  # known without a write: the common case past 80%
        try:
            UsageModel(project.project_id, period.key).update(
                actions=[UsageModel.warned.add({marker})],
                condition=UsageModel.warned.does_not_exist() | ~UsageModel.warned.contains(marker),
            )
        except UpdateError as error:
            if is_condition_failure(error):
                continue  # someone else sends this one
            raise
        if _send_warning(project, resource, percent, count, limit):
            sent.append(percent)
        else:  # let the next count try again
            UsageModel(project.project_id, period.key).update(
                actions=[UsageModel.warned.delete({marker})]
            )
    return sent


_RESOURCE_NAMES = {
    UNIQUE_VISITORS: "unique visitors",
    TEAM_MEMBERS: "team members",
    SCENARIOS: "auto messages and pop-ups",
    MESSENGER_MESSAGES: "incoming messenger messages",
}


def _send_warning(project, resource: str, percent: int, count: int, limit: int) -> bool:
    try:
        owner = MemberModel.get(project.project_id, project.owner_id)
        what = _RESOURCE_NAMES[resource]
        subject = f"{project.name}: {percent}% of your plan's {what} used"
        text = (
            f"Your project {project.name} ({plan_of(project).name} plan) has used "
            f"{count} of {limit} {what} this billing period.\n\n"
            + (
                _REFUSALS[resource][0] + "\n\n"
                if percent >= 100 and resource != TEAM_MEMBERS
                else ""
            )
            + UPGRADE
        )
        deps.mailer().send(owner.email, subject, text)
        return True
    except Exception:
        # A warning must never break the visitor's page view or the team's action.
        log.exception("quota warning to the owner of %s failed", project.project_id)
        return False
