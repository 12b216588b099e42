"""The clock app on the local stand-in: the scheduled jobs of ``scheduled/app.py`` run
on their own rates, as EventBridge runs them in AWS, plus a page to watch and run them.

The jobs and their rates are read from the clock app's own schedule definitions (its
Chalice ``event_sources``), never copied here, and each run is delivered as AWS delivers
it: an EventBridge "Scheduled Event" passed to the handler Chalice registered, with a
Lambda context. So ``make dev`` exercises the same code as the deployed clock app.

Runs happen in one background thread (the handlers block on DynamoDB, SES and the
gateway), one job at a time, like separate Lambdas that never overlap themselves; "Run
now" on the page runs a job at once, outside its rate. ``stop()`` ends the thread at the
next tick (a job under way finishes first), so SIGTERM and Ctrl+C stop the stack cleanly.
"""

from __future__ import annotations

import datetime
import html
import importlib.util
import logging
import pathlib
import re
import threading
import traceback
import uuid
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"  # what moto calls its account
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
log = logging.getLogger(__name__)


def load_clock_app(path: pathlib.Path = ROOT / "scheduled" / "app.py"):
    """The clock app's Chalice object (its module is ``app.py`` too, like the traffic
    app's, so it is loaded under another name)."""
    spec = importlib.util.spec_from_file_location("livechat_scheduled_app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def rate_seconds(expression) -> int:
    """Seconds between runs of a ``Rate`` (or its ``rate(5 minutes)`` string). A cron
    schedule has no fixed period: refused, so nobody mistakes it for a rate."""
    text = expression if isinstance(expression, str) else expression.to_string()
    found = re.fullmatch(r"rate\((\d+) (minute|hour|day)s?\)", text.strip())
    if not found:
        raise ValueError(f"the local clock runs rate() schedules only, not {text!r}")
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


def scheduled_event(app_name: str, job: str, region: str, now: datetime.datetime) -> dict:
    """The event EventBridge hands a scheduled Lambda (see tests/events/scheduled.json)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{app_name}-dev-{job}"],
        "detail": {},
    }


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass
class Job:
    name: str
    rate: str  # as written in the app: "rate(5 minutes)"
    every: int  # seconds
    handler: object
    next_run: datetime.datetime
    last_run: datetime.datetime | None = None
    last_result: object = None
    last_error: str | None = None
    runs: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def view(self) -> dict:
        stamp = lambda t: t.isoformat(timespec="seconds") if t else None  # noqa: E731
        return {
            "name": self.name,
            "rate": self.rate,
            "every_seconds": self.every,
            "last_run": stamp(self.last_run),
            "result": self.last_result,
            "error": self.last_error,
            "runs": self.runs,
            "next_run": stamp(self.next_run),
        }


class Clock:
    """The clock app's schedules, ticking in a background thread."""

    def __init__(self, app, region: str, tick: float = 1.0, clock=_now):
        from chalice.app import ScheduledEventConfig

        self._app, self._region, self._tick, self._clock = app, region, tick, clock
        start = clock()
        self.jobs: dict[str, Job] = {}
        for source in app.event_sources:
            if isinstance(source, ScheduledEventConfig):
                every = rate_seconds(source.schedule_expression)
                expression = source.schedule_expression
                self.jobs[source.name] = Job(
                    source.name,
                    expression if isinstance(expression, str) else expression.to_string(),
                    every,
                    app.handler_map[source.name],
                    # EventBridge's first run comes one period after the rule is made.
                    next_run=start + datetime.timedelta(seconds=every),
                )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self, name: str) -> Job:
        """Run one job now (the schedule's own runs and "Run now" alike)."""
        from chalice.local import LambdaContext

        job = self.jobs[name]
        with job.lock:
            started = self._clock()
            event = scheduled_event(self._app.app_name, name, self._region, started)
            context = LambdaContext(f"{self._app.app_name}-dev-{name}", 128, 60_000)
            try:
                job.last_result, job.last_error = job.handler(event, context), None
            except Exception as error:  # noqa: BLE001 - shown on the page, as CloudWatch would
                job.last_result = None
                job.last_error = f"{type(error).__name__}: {error}"
                log.error("scheduled job %s failed:\n%s", name, traceback.format_exc())
            job.last_run, job.runs = started, job.runs + 1
            job.next_run = started + datetime.timedelta(seconds=job.every)
        return job

    def _loop(self) -> None:
        while not self._stop.wait(self._tick):
            for job in list(self.jobs.values()):
                if self._stop.is_set():
                    return
                if self._clock() >= job.next_run:
                    self.run(job.name)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="local-clock", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def views(self) -> list[dict]:
        return [job.view() for job in self.jobs.values()]


# --- the page on the local CDN port -------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10">
<title>Local clock (make dev only)</title>
<link rel="icon" href="data:,">
<style>
 body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #111827; }}
 .local {{ background: #fef3c7; color: #78350f; padding: .8rem 1.2rem; font-weight: 600; }}
 main {{ max-width: 960px; margin: 1.5rem auto; padding: 0 1rem; }}
 .table {{ overflow-x: auto; }}
 table {{ border-collapse: collapse; width: 100%; background: #fff; }}
 th, td {{ border: 1px solid #e5e7eb; padding: .5rem; text-align: left; vertical-align: top; }}
 code {{ overflow-wrap: anywhere; }}
 .error {{ color: #b91c1c; }}
 button {{ font: inherit; padding: .3rem .8rem; cursor: pointer; }}
</style></head>
<body>
<p class="local" role="note">LOCAL STAND-IN ONLY: in AWS these jobs are the clock app's
scheduled Lambdas (EventBridge rules). Here they run in the <code>make dev</code> process on
the same rates; "Run now" runs one at once. E-mails they send appear in the
<a href="{mailbox}">local mailbox</a>.</p>
<main><h1>Local clock</h1>
<div class="table"><table>
<thead><tr><th scope="col">Job</th><th scope="col">Rate</th><th scope="col">Last run</th>
<th scope="col">Result</th><th scope="col">Next run</th><th scope="col"></th></tr></thead>
<tbody>{rows}</tbody></table></div>
<p>Times are UTC.</p></main>
</body></html>
"""

_ROW = """<tr data-job="{name}"><th scope="row"><code>{name}</code></th><td>{rate}</td>
<td class="last-run">{last_run}</td><td class="result">{result}</td>
<td class="next-run">{next_run}</td>
<td><form method="post" action="/local-clock/run/{name}">
<button type="submit" aria-label="Run {name} now">Run now</button></form></td></tr>"""


def _row(view: dict) -> str:
    if view["error"]:
        result = f'<span class="error">Error: {html.escape(view["error"])}</span>'
    elif view["last_run"] is None:
        result = "Not run yet"
    else:
        result = f"<code>{html.escape(_summary(view['result']))}</code>"
    return _ROW.format(
        name=html.escape(view["name"]),
        rate=html.escape(view["rate"]),
        last_run=html.escape(view["last_run"] or "never"),
        result=result,
        next_run=html.escape(view["next_run"]),
    )


def _summary(result) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{key}: {value}" for key, value in result.items())
    return repr(result)


def routes(clock: Clock, mailbox_url: str = "/local-mailbox/"):
    import asyncio

    from aiohttp import web

    headers = {"Cache-Control": "no-store"}

    async def page(_request):
        rows = "".join(_row(view) for view in clock.views())
        body = _PAGE.format(rows=rows, mailbox=html.escape(mailbox_url))
        return web.Response(text=body, content_type="text/html", headers=headers)

    async def listing(_request):
        return web.json_response({"jobs": clock.views()}, headers=headers)

    async def run_now(request):
        name = request.match_info["name"]
        if name not in clock.jobs:
            raise web.HTTPNotFound()
        # In a worker thread: the job calls the local gateway, served by this very loop.
        job = await asyncio.get_running_loop().run_in_executor(None, clock.run, name)
        if request.headers.get("Accept", "").startswith("application/json"):
            return web.json_response(job.view(), headers=headers)
        raise web.HTTPSeeOther("/local-clock/")

    return [
        web.get("/local-clock/", page),
        web.get("/local-clock/jobs.json", listing),
        web.post("/local-clock/run/{name}", run_now),
    ]
