"""Starting each project's next billing period (the clock app runs this every 5 minutes).

Usage is keyed by the period's start, so "resetting the counters" is moving the
project's stored period on: the next page view counts into a fresh item. Candidates come
from the ``period_due`` index (period end <= now, per shard): a run reads the projects
that are due, never all of them.

Each move is conditioned on the period the index showed, so the job is idempotent (a
rerun, or a renewal webhook that got there first, moves nothing twice) and resumable (a
crash half-way leaves the rest due for the next run). Free periods run monthly from the
project's creation; a paid one advances by its plan's interval, as Stripe renews it (the
renewal webhook then writes Stripe's own dates).
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import periods, plans
from chalicelib.clock import iso
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import PERIOD_SHARDS, ProjectModel
from chalicelib.services import quotas


def run(now: datetime) -> dict:
    examined = started = 0
    for shard in range(PERIOD_SHARDS):
        for due in ProjectModel.period_due.query(
            str(shard), ProjectModel.period_end_key <= iso(now)
        ):
            examined += 1
            started += start_next_period(due.project_id, due.period_end_key, now)
    return {"examined": examined, "started": started}


def next_period(project: ProjectModel, now: datetime) -> periods.Period:
    if project.plan == plans.FREE or not project.stripe_subscription_id:
        # Anchored on creation, so a project made on the 31st keeps its day.
        return periods.containing(project.created_at or project.period_start, 1, now)
    # From where the stored period ended, as Stripe's renewal starts (periods.lapsed).
    months = plans.catalogue().months(project.billing_interval)
    return periods.containing(project.period_end, months, now)


def start_next_period(project_id: str, seen_end_key: str, now: datetime) -> bool:
    try:
        project = ProjectModel.get(project_id, consistent_read=True)
    except DoesNotExist:
        return False
    if project.period_end_key != seen_end_key:
        return False  # moved on already (a webhook, or an earlier run)
    period = next_period(project, now)
    attributes = quotas.period_attributes(period, project_id)
    try:
        project.update(
            actions=[getattr(ProjectModel, name).set(value) for name, value in attributes.items()]
            + [ProjectModel.visitors_exhausted_period.remove()],
            condition=ProjectModel.period_end_key == seen_end_key,
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True
