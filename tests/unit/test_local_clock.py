"""The local clock (infra/local/clock.py): jobs and rates read from the clock app's own
schedules, events shaped as EventBridge sends them, results and errors kept, a clean
stop."""

import datetime
import json
import pathlib
import time

import pytest
from chalice import Chalice, Rate

from infra.local.clock import Clock, load_clock_app, rate_seconds, scheduled_event

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _app(calls):
    app = Chalice(app_name="clock-under-test")

    @app.schedule(Rate(2, unit=Rate.MINUTES))
    def tidy(event):
        calls.append(event.to_dict())
        return {"tidied": len(calls)}

    @app.schedule("rate(1 hour)")
    def broken(event):
        raise RuntimeError("the table is gone")

    return app


def test_every_job_of_the_clock_app_is_listed_with_the_rate_it_declares():
    app = load_clock_app()
    clock = Clock(app, "us-east-1")
    declared = {s.name: s.schedule_expression.to_string() for s in app.event_sources}
    assert {job.name: job.rate for job in clock.jobs.values()} == declared
    assert clock.jobs["close_idle_dialogues"].every == 60


@pytest.mark.parametrize(
    "expression, seconds",
    [(Rate(1, unit=Rate.MINUTES), 60), (Rate(15, unit=Rate.MINUTES), 900),
     (Rate(2, unit=Rate.HOURS), 7200), ("rate(1 day)", 86400)],
)  # fmt: skip
def test_rates_become_periods(expression, seconds):
    assert rate_seconds(expression) == seconds


def test_a_cron_schedule_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        rate_seconds("cron(0 12 * * ? *)")


def test_the_event_has_the_shape_eventbridge_sends():
    sample = json.loads((ROOT / "tests" / "events" / "scheduled.json").read_text())
    event = scheduled_event("app", "tidy", "us-east-1", datetime.datetime(2026, 1, 2, 3, 4, 5))
    assert event.keys() == sample.keys()
    assert event["detail-type"] == "Scheduled Event" and event["time"] == "2026-01-02T03:04:05Z"


def test_run_now_delivers_the_event_to_the_handler_and_keeps_result_or_error():
    calls = []
    clock = Clock(_app(calls), "us-east-1")

    done = clock.run("tidy")
    failed = clock.run("broken")

    assert done.last_result == {"tidied": 1} and done.last_error is None and done.runs == 1
    assert calls[0]["source"] == "aws.events" and calls[0]["detail-type"] == "Scheduled Event"
    assert failed.last_result is None and failed.last_error == "RuntimeError: the table is gone"
    assert done.next_run == done.last_run + datetime.timedelta(minutes=2)


def test_the_thread_runs_due_jobs_on_their_rate_and_stops_cleanly():
    calls = []
    now = [datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)]
    clock = Clock(_app(calls), "us-east-1", tick=0.01, clock=lambda: now[0])
    clock.start()
    time.sleep(0.1)
    assert calls == []  # the first run comes one period after start, as in EventBridge
    now[0] += datetime.timedelta(minutes=2)
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    clock.stop()
    assert len(calls) == 1 and not clock._thread.is_alive()
    assert clock.jobs["broken"].runs == 0  # an hour has not passed
