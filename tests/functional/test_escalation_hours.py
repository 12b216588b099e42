"""Escalation follows business hours: nobody is e-mailed while the project is closed, and
only the time within hours counts as waiting (a night's wait is not a wait the team
missed; minutes of the hours before a closing are). Schedules are built around the real
clock (the visitor's message is stamped with it) and the job is handed later ``now``s."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import deps
from chalicelib.services import business_hours, escalation
from tests.functional.test_escalation import _visitor_writes, mail_to

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def shop(platform):
    return platform.sign_up(project_name="Shop", name="Olga")


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _every_day(start: datetime, end: datetime) -> dict:
    weekly = {day: [{"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}] for day in DAYS}
    return {"time_zone": "UTC", "weekly": weekly}


def _set_hours(platform, owner, hours: dict) -> None:
    response = platform.client.http.put(
        f"/projects/{owner.project_id}/business-hours",
        body=json.dumps({"business_hours": hours}),
        headers=owner.auth,
    )
    assert response.status_code == 200, response.json_body


def _run(now: datetime) -> dict:
    return escalation.run(now, deps.mailer())


def test_a_message_outside_hours_is_escalated_the_minutes_after_the_opening(platform, shop):
    opens = _minute(datetime.now(UTC)) + timedelta(minutes=30)
    _set_hours(platform, shop, _every_day(opens, opens + timedelta(hours=2)))
    _visitor_writes(platform, shop, ["anyone there tonight?"])

    assert _run(opens - timedelta(minutes=10))["sent"] == 0  # 20 minutes, all closed
    assert _run(opens)["sent"] == 0  # the opening itself: no minute of hours yet
    assert _run(opens + timedelta(minutes=2, seconds=50))["sent"] == 0
    assert mail_to(shop.email) == []
    assert _run(opens + timedelta(minutes=3))["sent"] == 1
    assert len(mail_to(shop.email)) == 1
    assert _run(opens + timedelta(minutes=10)) == {"examined": 0, "sent": 0}


def test_minutes_within_hours_before_the_closing_count_after_the_next_opening(platform, shop):
    now = datetime.now(UTC)
    closes = _minute(now) + timedelta(minutes=2)  # 1 to 2 minutes of hours left
    _set_hours(platform, shop, _every_day(closes - timedelta(minutes=12), closes))
    _visitor_writes(platform, shop, ["just before you close"])
    left = closes - now
    opens = closes + timedelta(hours=24) - timedelta(minutes=12)

    # Long past the 3 minutes in real time, but closed: nothing.
    assert _run(closes + timedelta(minutes=5))["sent"] == 0
    assert _run(opens - timedelta(minutes=1))["sent"] == 0
    # At the opening, the minutes still owed are 3 minus those already waited in hours.
    owed = timedelta(minutes=3) - left
    assert _run(opens + owed - timedelta(seconds=20))["sent"] == 0
    assert _run(opens + owed + timedelta(seconds=20))["sent"] == 1
    assert len(mail_to(shop.email)) == 1


def test_a_project_without_hours_waits_in_real_time(platform, shop):
    _visitor_writes(platform, shop, ["hello?"])
    now = datetime.now(UTC)
    assert _run(now + timedelta(minutes=2))["sent"] == 0
    assert _run(now + timedelta(minutes=3, seconds=5))["sent"] == 1


def test_the_wait_within_hours_adds_up_across_closings():
    """Two openings (Friday's last minutes, Monday's first) in one wait."""
    hours = {
        "time_zone": "Europe/Berlin",
        "weekly": {
            **{day: [{"start": "09:00", "end": "17:00"}] for day in DAYS[:5]},
            "sat": [],
            "sun": [],
        },
    }
    schedule = business_hours.parse(business_hours.dumps(business_hours.validate(hours)))
    friday = datetime(2026, 12, 4, 15, 58, tzinfo=UTC)  # 16:58 in Berlin
    monday = datetime(2026, 12, 7, 8, 1, tzinfo=UTC)  # 09:01 in Berlin
    waited = escalation.waited_within_hours(schedule, friday, monday)
    assert waited == timedelta(minutes=3)
    assert escalation.waited_within_hours(None, friday, monday) == monday - friday


def test_a_wait_past_the_walked_changes_counts_the_rest_as_open():
    """An hour a day for 40 days is more openings than are walked: escalated, not never."""
    hours = {
        "time_zone": "UTC",
        "weekly": {day: [{"start": "09:00", "end": "10:00"}] for day in DAYS},
    }
    schedule = business_hours.parse(business_hours.dumps(business_hours.validate(hours)))
    since = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    now = since + timedelta(days=40)
    waited = escalation.waited_within_hours(schedule, since, now)
    assert waited >= timedelta(hours=32)
