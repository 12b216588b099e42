"""The widget half of bench/auto_messages_page_view.py: the local stack, Chromium on the
demo site, auto.js's real ticks timed (see that file's docstring)."""

import gzip
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import urllib.parse
import uuid
from contextlib import contextmanager

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "TABLE_PREFIX": "bench-",
        "VISITOR_TOKEN_SECRET": "bench-secret-bench-secret-bench-secret-00",
    }
)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


from bench.auto_messages_setup import (  # noqa: E402
    CAMPAIGN,
    LOCAL_GEO,
    MESSAGES,
    PASSWORD,
    TICK_SECONDS,
    message_body,
)

WIDGET_RUNNING = """() => {
  const W = window.__lcWidget;
  return !!(W && W.session && W.auto && W.rules && W.box);
}"""

# Each tick of auto.js reads the page's facts once (rules.values), then tests each
# candidate's rules (rules.matches) until one holds: the values call starts the tick's
# clock, a microtask (run as the tick's task ends) stops it.
WRAP_EVALUATE = """() => {
  const R = window.__lcWidget.rules, values = R.values, matches = R.matches;
  const bench = window.__lcBench = {ticks: [], facts: null, now: 0, values, matches};
  let tick = null;
  R.values = function (facts, now) {
    const t = tick = {calls: 0, start: performance.now()};
    queueMicrotask(() => { t.ms = performance.now() - t.start; bench.ticks.push(t); tick = null; });
    bench.facts = facts;
    bench.now = now;
    return values(facts, now);
  };
  R.matches = function (rules, vals) {
    if (tick) tick.calls++;
    return matches(rules, vals);
  };
}"""

# The same work as a tick (the facts read once, each candidate's rules tested), unwrapped,
# many times: the widget's facts as its last tick passed them.
LOOP = """([iterations, blocks]) => {
  const B = window.__lcBench, W = window.__lcWidget, list = W.session.auto_messages;
  W.rules.values = B.values;
  W.rules.matches = B.matches;
  const values = B.values, matches = B.matches, facts = B.facts, now = B.now;
  let fired = 0;
  const run = () => {
    const v = values(facts, now);
    for (let j = 0; j < list.length; j++) if (matches(list[j].rules, v)) fired++;
  };
  for (let i = 0; i < 200; i++) run(); // warm the JIT
  const perRun = [];
  for (let b = 0; b < blocks; b++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) run();
    perRun.push((performance.now() - t0) / iterations);
  }
  return {perRun, fired};
}"""

# The smallest step performance.now takes on this page (5 us cross-origin isolated).
TIMER_STEP = """() => {
  let last = performance.now(), step = Infinity;
  for (let i = 0; i < 2e6 && step > 0.001; i++) {
    const t = performance.now();
    if (t > last) { step = Math.min(step, t - last); last = t; }
  }
  return {step_ms: step, isolated: self.crossOriginIsolated};
}"""


class _Recorder:
    """moto's request recorder on the stack's moto server: which DynamoDB operations a
    stretch of time asked for (X-Amz-Target of each recorded request)."""

    def __init__(self, moto_url: str):
        self.base = moto_url + "/moto-api/recorder/"

    def start(self) -> None:
        import requests

        requests.post(self.base + "reset-recording", timeout=10).raise_for_status()
        requests.post(self.base + "start-recording", timeout=10).raise_for_status()

    def stop(self) -> dict:
        import requests

        requests.post(self.base + "stop-recording", timeout=10).raise_for_status()
        lines = requests.get(self.base + "download-recording", timeout=10).text.splitlines()
        counts: dict = {}
        for line in lines:
            headers = {k.lower(): v for k, v in json.loads(line)["headers"].items()}
            target = headers.get("x-amz-target", "")
            if target.startswith("DynamoDB_"):
                operation = target.split(".", 1)[1]
                counts[operation] = counts.get(operation, 0) + 1
        return counts


@contextmanager
def _local_stack():
    from tests.stack import LocalStack

    # The stack's moto server appends recorded requests to this file (only while asked).
    previous = os.environ.get("MOTO_RECORDER_FILEPATH")
    with tempfile.TemporaryDirectory(prefix="bench-recording-") as recording_dir:
        os.environ["MOTO_RECORDER_FILEPATH"] = os.path.join(recording_dir, "moto_recording")
        stack = LocalStack()
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()
            if previous is None:
                os.environ.pop("MOTO_RECORDER_FILEPATH", None)
            else:
                os.environ["MOTO_RECORDER_FILEPATH"] = previous


def _lead_project_with_messages(api: str, confirm, domain: str) -> str:
    """Sign up a lead (the demo site's domain allowed), pay Premium in TEST MODE, create
    the auto messages: REST only."""
    import requests

    email = f"lead-{uuid.uuid4().hex[:8]}@example.com"
    signed_up = requests.post(
        f"{api}/auth/signup",
        json={
            "email": email,
            "password": PASSWORD,
            "name": "Lea Lead",
            "project_name": "Bench",
            "domain": domain,
        },
        timeout=10,
    )
    signed_up.raise_for_status()
    confirm(email)  # the code the stack's local mailbox received
    project_id = signed_up.json()["project"]["id"]
    login = requests.post(
        f"{api}/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    login.raise_for_status()
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    chosen = requests.post(
        f"{api}/projects/{project_id}/billing/plan",
        json={"plan": "premium", "interval": "annual"},
        headers=auth,
        timeout=10,
    )
    chosen.raise_for_status()
    paid = requests.post(chosen.json()["checkout_url"] + "/pay", timeout=10, allow_redirects=False)
    if paid.status_code != 303:
        raise RuntimeError(f"TEST MODE checkout did not complete: {paid.status_code}")
    for n in range(MESSAGES):
        created = requests.post(
            f"{api}/projects/{project_id}/auto-messages",
            json=message_body(n),
            headers=auth,
            timeout=10,
        )
        if created.status_code != 201:
            raise RuntimeError(f"auto message {n}: {created.status_code} {created.text}")
    return project_id


def _page_view(page, url: str, recorder: _Recorder) -> dict:
    """Open the demo page; wait until auto.js runs with its candidates. Returns the session
    request the widget sent, its answer and the DynamoDB requests the page view made."""
    recorder.start()
    try:
        with page.expect_response(lambda r: r.url.endswith("/widget/session")) as answered:
            page.goto(url)
        page.wait_for_function(WIDGET_RUNNING, timeout=20_000)
    finally:
        counts = recorder.stop()
    response = answered.value
    return {
        "body": json.loads(response.request.post_data),
        "answer_bytes": len(response.body()),
        "answer_gz_bytes": len(gzip.compress(response.body(), compresslevel=6)),
        "session": response.json(),
        "dynamodb": counts,
    }


def _isolate(route) -> None:
    """The demo page as it is, cross-origin isolated: performance.now in 5 us steps."""
    response = route.fetch()
    headers = {
        **response.headers,
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "credentialless",
    }
    route.fulfill(response=response, headers=headers)


def widget_run(tick_seconds: float = TICK_SECONDS, iterations: int = 1000, blocks: int = 5):
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("Chromium is not installed: `make browser`")
    with _local_stack() as stack, sync_playwright() as playwright:
        domain = urllib.parse.urlsplit(stack.info["demo_site"]).netloc
        project_id = _lead_project_with_messages(stack.info["api"], stack.confirm, domain)
        recorder = _Recorder(stack.info["moto"])
        url = f"{stack.info['demo_site']}/?project={project_id}&{CAMPAIGN}"
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            # An isolated page reaches 127.0.0.1 (the CDN, the API) only with this permission.
            context = browser.new_context(locale="de-DE", permissions=["local-network-access"])
            page = context.new_page()
            page.route(
                re.compile(r".*/widget/session$"),
                lambda route: route.continue_(headers={**route.request.headers, **LOCAL_GEO}),
            )
            page.route(re.compile(r".*/\?project=.*"), _isolate)
            first = _page_view(page, url, recorder)  # a new visitor; the cache cold
            second = _page_view(page, url, recorder)  # the same visitor; the cache warm
            user_agent = page.evaluate("navigator.userAgent")
            timer = page.evaluate(TIMER_STEP)
            page.evaluate(WRAP_EVALUATE)
            page.wait_for_timeout(tick_seconds * 1000)
            ticks = page.evaluate("window.__lcBench.ticks.map(t => [t.ms, t.calls])")
            loop = page.evaluate(LOOP, [iterations, blocks])
        finally:
            browser.close()
    held = second["session"]["auto_messages"]
    if len(held) != MESSAGES or len(first["session"]["auto_messages"]) != MESSAGES:
        raise RuntimeError(f"expected {MESSAGES} candidates in the widget, got {len(held)}")
    if second["session"]["visitor_id"] != first["session"]["visitor_id"]:
        raise RuntimeError("the second page view was not the same visitor's")
    if loop["fired"] or any(calls != MESSAGES for _, calls in ticks):
        raise RuntimeError("a bench auto message fired, or a tick did not evaluate all")
    return {
        "page_views": [first, second],
        "user_agent": user_agent,
        "residual_conditions": sum(len(m["rules"]["all"]) for m in held) / len(held),
        "timer": timer,
        "tick_ms": [ms for ms, _ in ticks],
        "loop_ms": statistics.median(loop["perRun"]),
        "loop_runs": iterations * blocks,
    }


# --- the server, in-process --------------------------------------------------------------
