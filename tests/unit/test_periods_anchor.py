"""Lapsed periods roll forward as the billing side will (the review's month-end case)."""

from datetime import UTC, datetime
from types import SimpleNamespace

from chalicelib import periods


def _at(y, m, d, h=0):
    return datetime(y, m, d, h, tzinfo=UTC)


def test_a_free_project_made_on_the_31st_keeps_its_day_after_february():
    project = SimpleNamespace(
        plan="free",
        created_at=_at(2026, 1, 31),
        period_start=_at(2026, 2, 28),
        period_end=_at(2026, 3, 31),
    )

    period = periods.current(project, _at(2026, 3, 31, 10))

    assert (period.start, period.end) == (_at(2026, 3, 31), _at(2026, 4, 30))


def test_a_paid_period_that_lapsed_starts_where_the_stored_one_ended():
    project = SimpleNamespace(
        plan="standard",
        created_at=_at(2026, 1, 31),
        period_start=_at(2026, 2, 28),
        period_end=_at(2026, 3, 31),
    )

    period = periods.current(project, _at(2026, 3, 31, 10))

    assert period.start == _at(2026, 3, 31)  # the key usage is counted under
