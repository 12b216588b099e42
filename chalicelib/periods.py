"""Billing periods: each project's own, not the calendar's.

On a paid plan the period is the subscription's (from Stripe); on Free it runs monthly
from the project's creation. Usage counters are keyed by the period's start, so a new
period starts from zero without anything being reset.

The stored period can lag (the clock app persists the next one a few minutes late, or a
renewal webhook is slow): ``current`` rolls a lapsed period forward by its length, so
counting never lands in a period that has ended.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.clock import iso


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """What usage counters and per-period markers are keyed by."""
        return iso(self.start)


def add_months(anchor: datetime, months: int) -> datetime:
    """``anchor`` plus whole months, the day clamped to the month's length (Jan 31 ->
    Feb 28/29), as Stripe bills a subscription anchored on the 31st."""
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def containing(anchor: datetime, months: int, now: datetime) -> Period:
    """The period of ``months`` months, counted from ``anchor``, that contains ``now``."""
    if now < anchor:
        return Period(anchor, add_months(anchor, months))
    # Jump close first (so a project from years ago costs no long loop), then step.
    elapsed = (now.year - anchor.year) * 12 + now.month - anchor.month
    n = max(0, elapsed // months - 1)
    start = add_months(anchor, n * months)
    while (end := add_months(anchor, (n + 1) * months)) <= now:
        n += 1
        start = end
    return Period(start, end)


def current(project, now: datetime, months: int = 1) -> Period:
    """The project's period at ``now``: the stored one, rolled forward if it lapsed;
    without a stored one, monthly from creation."""
    start, end = project.period_start, project.period_end
    if start is None or end is None:
        return containing(_created(project), 1, now)
    if now < end:
        return Period(start, end)
    return lapsed(project, now, months)


def lapsed(project, now: datetime, months: int) -> Period:
    """The period after a stored one that ended. On Free, monthly from creation (the
    anchor keeps its day: a project made on the 31st renews on the 31st, not the 28th
    after February). On a paid plan the next period starts where the stored one ended,
    as Stripe's does, so usage is keyed as Stripe's renewal will key it; its end may be a
    day or two off at month ends until the renewal webhook brings the exact one."""
    if getattr(project, "plan", "free") == "free":
        return containing(_created(project), 1, now)
    return containing(project.period_end, months, now)


def _created(project) -> datetime:
    return project.created_at or datetime(2020, 1, 1, tzinfo=UTC)
