"""The clock app's billing-period job: found by index, idempotent, resumable; the clock
is moved instead of waited for."""

import json
import pathlib
from datetime import timedelta

import pytest
from pynamodb.connection.base import Connection

from chalicelib.clock import utcnow
from chalicelib.models import ProjectModel, UsageModel
from chalicelib.services import billing_periods, quotas

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def operations(monkeypatch):
    seen = []
    original = Connection._make_api_call

    def record(self, name, kwargs):
        seen.append(name)
        return original(self, name, kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", record)
    return seen


def test_a_due_project_starts_its_next_period_with_fresh_counters(platform):
    owner = platform.sign_up()
    platform.visitor(owner.project_id)
    project = ProjectModel.get(owner.project_id)
    first_end = project.period_end
    later = first_end + timedelta(minutes=3)

    result = billing_periods.run(later)

    assert result == {"examined": 1, "started": 1}
    moved = ProjectModel.get(owner.project_id)
    assert moved.period_start == first_end
    assert moved.period_end > later
    key = quotas.period_of(moved, later).key
    assert UsageModel.count(owner.project_id, UsageModel.period == key) == 0
    platform.visitor(owner.project_id)
    assert UsageModel.get(owner.project_id, key).unique_visitors == 1


def test_the_job_is_idempotent_and_reads_only_due_projects(platform, operations):
    owners = [platform.sign_up() for _ in range(3)]
    due = owners[0]
    ProjectModel(due.project_id).update(
        actions=[
            ProjectModel.period_end_key.set("2000-01-01T00:00:00.000Z"),
            ProjectModel.period_start.set(utcnow() - timedelta(days=400)),
            ProjectModel.period_end.set(utcnow() - timedelta(days=370)),
        ]
    )
    operations.clear()

    first = billing_periods.run(utcnow())
    second = billing_periods.run(utcnow())

    assert first == {"examined": 1, "started": 1}
    assert second == {"examined": 0, "started": 0}
    assert "Scan" not in operations
    assert operations.count("GetItem") == 1  # the one due project, not the others


def test_a_period_moved_meanwhile_is_not_moved_again(platform):
    owner = platform.sign_up()
    project = ProjectModel.get(owner.project_id)
    seen = project.period_end_key
    later = project.period_end + timedelta(days=1)
    assert billing_periods.start_next_period(owner.project_id, seen, later) is True
    after_first = ProjectModel.get(owner.project_id).period_end_key

    # A run that crashed after its query and resumes with what it saw then.
    assert billing_periods.start_next_period(owner.project_id, seen, later) is False
    assert ProjectModel.get(owner.project_id).period_end_key == after_first


def test_the_clock_app_runs_the_job(platform, scheduled_app):
    platform.sign_up()
    event = json.loads((ROOT / "tests" / "events" / "scheduled.json").read_text())
    payload = scheduled_app.lambda_.invoke("start_billing_periods", event).payload
    assert payload == {"examined": 0, "started": 0}  # nothing is due yet
