"""Auto messages on a real page view: 100 enabled proactive auto messages of 10 conditions
each (6 the server decides, 4 left to the widget) against one known visitor, on the
server and in the widget. bench/rules_eval.py times the two engines on synthetic facts;
this is the same figure on a real page view.

- The widget: the local stack (``python -m infra.local``, as the browser tests start it)
  with a project on Premium (paid in billing's TEST MODE; Free allows 2 auto messages)
  whose lead creates the 100 auto messages through the REST API. Debian's Chromium opens
  the demo site for that project twice as a German visitor from a campaign, so the
  second page view is a known visitor's. On it ``auto.js`` runs with the 100 candidates;
  ``rules.values``/``rules.matches`` are wrapped to time each real one-second tick (performance.now), then
  a loop over the candidates with the facts the widget passed times one full evaluation
  precisely. The demo page is served cross-origin isolated for this (COOP/COEP added by a
  route) so that performance.now has 5 us steps instead of 100. DynamoDB requests of each
  page view are counted on the stack's moto server with moto's request recorder.
- The server (in-process: moto and ``chalice.test.Client``; DynamoDB requests counted
  with botocore hooks as in bench/page_view_cost.py): the same 100 auto messages created
  through the REST API, the browser's two session requests replayed (CloudFront's viewer
  headers in place of the local stand-in's), then ``auto_delivery.candidates`` timed with
  timeit on the visitor as stored, and a known visitor's page view counted with the
  per-project cache of auto messages (60 s per container) cold and warm.

A benchmark: it prints figures. It checks only that the set-up is what it says (100
candidates reach the widget, none fires), never a timing.
"""

import json
import os
import statistics
import sys
import time
import timeit
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

import moto  # noqa: E402

from bench import dynamo_calls  # noqa: E402
from bench.auto_messages_setup import (  # noqa: E402
    CAMPAIGN,
    CLIENT_SIDE,
    CLOUDFRONT_GEO,
    CONDITIONS,
    MESSAGES,
    PASSWORD,
    SERVER_SIDE,
    TICK_SECONDS,
    _counted,
    _percentile,
    message_body,
)
from bench.auto_messages_widget import widget_run  # noqa: E402

SITE = "shop.example"  # the in-process project's allowed website


@contextmanager
def _in_process_platform():
    """moto (DynamoDB, Cognito) and the traffic app behind chalice.test.Client, as the
    functional tests drive it (tests/functional/conftest.py)."""
    import boto3
    from chalice.test import Client
    from moto.utilities.utils import load_resource

    from chalicelib import deps
    from chalicelib.auth.operator_tokens import CognitoTokenVerifier
    from chalicelib.config import get_settings
    from chalicelib.models import create_all_tables
    from infra.local.aws import PASSWORD_POLICY

    keys = ("USER_POOL_ID", "USER_POOL_CLIENT_ID", "NO_EMAIL_DELIVERY", "AUTO_CONFIRM_SIGNUPS")
    saved = {key: os.environ.get(key) for key in keys}
    with moto.mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool = cognito.create_user_pool(
            PoolName="bench",
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": PASSWORD_POLICY},  # the deployed pool's
        )
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool["UserPool"]["Id"],
            ClientName="panel",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        os.environ.update(
            {
                "USER_POOL_ID": pool["UserPool"]["Id"],
                "USER_POOL_CLIENT_ID": client_id,
                "NO_EMAIL_DELIVERY": "1",
                "AUTO_CONFIRM_SIGNUPS": "1",
            }
        )
        get_settings.cache_clear()
        try:
            create_all_tables()
            jwks = load_resource("cognitoidp/resources/jwks-public.json")
            deps.reset()
            deps.override(
                cognito=cognito,
                operator_verifier=CognitoTokenVerifier(
                    lambda: jwks, get_settings().cognito_issuer, client_id
                ),
            )
            import app

            with Client(app.app) as client:
                yield client
        finally:
            deps.reset()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            get_settings.cache_clear()


def _post(client, path: str, body: dict, headers: dict):
    response = client.http.post(
        path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers}
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{path}: {response.status_code} {response.json_body}")
    return response.json_body


def _loader_bodies(project_id: str) -> list[dict]:
    """What loader.js sends on two page views of a new visitor, when no browser ran."""
    page_url = f"https://shop.example/?{CAMPAIGN}"
    body = {
        "project_id": project_id,
        "page_url": page_url,
        "referrer": "",
        "language": "de-DE",
        "utm": {"source": "google", "medium": "cpc", "campaign": "spring_sale"},
        "page_view": True,
    }
    return [{**body, "new_visit": True}, {**body, "new_visit": False}]


def server_run(bodies=None, user_agent=None) -> dict:
    """``bodies``: the browser's two session requests, replayed here for this project."""
    from chalicelib.models import ProjectModel, VisitorModel
    from chalicelib.services import auto_delivery
    from chalicelib.targeting import compile_rules, server_pass

    user_agent = user_agent or (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36"
    )
    calls = dynamo_calls.install()
    results: dict = {"requests": {}}
    with _in_process_platform() as client:
        email = f"lead-{uuid.uuid4().hex[:8]}@example.com"
        signed_up = _post(
            client,
            "/auth/signup",
            {
                "email": email,
                "password": PASSWORD,
                "name": "Lea Lead",
                "project_name": "Bench",
                "domain": SITE,
            },
            {},
        )
        project_id = signed_up["project"]["id"]
        token = _post(client, "/auth/login", {"email": email, "password": PASSWORD}, {})
        lead = {"Authorization": f"Bearer {token['access_token']}"}
        # What a paid Premium checkout leaves (Free allows 2 auto messages; the widget
        # part pays in the local stack's TEST MODE).
        ProjectModel(project_id).update(actions=[ProjectModel.plan.set("premium")])
        for n in range(MESSAGES):
            _post(client, f"/projects/{project_id}/auto-messages", message_body(n), lead)

        first_body, known_body = bodies or _loader_bodies(project_id)
        headers = {
            "Content-Type": "text/plain;charset=UTF-8",
            "User-Agent": user_agent,
            "Origin": f"https://{SITE}",  # the widget's calls prove their site (origins.py)
            **CLOUDFRONT_GEO,
        }

        def page_view(label, body, cold):
            if cold:
                auto_delivery._messages_cache.clear()
            calls.clear()
            response = client.http.post("/widget/session", body=json.dumps(body), headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"session: {response.status_code} {response.json_body}")
            results["requests"][label] = dict(calls)
            session = response.json_body
            if len(session["auto_messages"]) != MESSAGES:
                raise RuntimeError(f"{label}: {len(session['auto_messages'])} candidates")
            return session

        def as_known(body, session):
            return {**body, "project_id": project_id, "token": session["token"]}

        first_body = {k: v for k, v in first_body.items() if k != "token"}
        first = page_view("new visitor, cache cold", {**first_body, "project_id": project_id}, True)
        known = page_view("known visitor, cache cold", as_known(known_body, first), True)
        page_view("known visitor, cache warm", as_known(known_body, known), False)
        visitor_id = known["visitor_id"]

        # The candidates for one session, as the session computes them: the visitor as
        # stored (its real facts), the project's auto messages from the warm cache.
        visitor = VisitorModel.get(project_id, visitor_id, consistent_read=True)
        auto_delivery.candidates(project_id, visitor)
        calls.clear()
        timer = timeit.Timer(lambda: auto_delivery.candidates(project_id, visitor))
        number, _ = timer.autorange()
        results["candidates_s"] = min(timer.repeat(repeat=5, number=number)) / number
        if calls:
            raise RuntimeError(f"the timed candidates read DynamoDB: {dict(calls)}")
        compiled = [rules for _, rules, _ in auto_delivery._project_messages(project_id)]
        facts = auto_delivery.server_facts(visitor)
        timer = timeit.Timer(lambda: server_pass(compiled, facts))
        number, _ = timer.autorange()
        results["server_pass_s"] = min(timer.repeat(repeat=5, number=number)) / number
        stored = [item.rules for item, _, _ in auto_delivery._project_messages(project_id)]
        timer = timeit.Timer(lambda: [compile_rules(rules) for rules in stored])
        number, _ = timer.autorange()
        results["compile_s"] = min(timer.repeat(repeat=3, number=number)) / number
        results["facts"] = sorted(facts)

        # The whole session request (route, visitor write, project read, candidates,
        # token), warm, in-process on moto: moto's own time is most of it.
        body, took = as_known(known_body, known), []
        for _ in range(30):
            started = time.perf_counter()
            answer = client.http.post("/widget/session", body=json.dumps(body), headers=headers)
            took.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise RuntimeError(f"session: {answer.status_code} {answer.json_body}")
            body = as_known(known_body, answer.json_body)
        results["session_s"] = statistics.median(took)
    return results


# --- both -------------------------------------------------------------------------------


def run(tick_seconds: float = TICK_SECONDS) -> dict:
    widget = widget_run(tick_seconds)
    bodies = [view["body"] for view in widget["page_views"]]
    server = server_run(bodies, widget["user_agent"])
    return {"server": server, "widget": widget}


def main():
    print(
        f"Auto messages on a real page view ({MESSAGES} proactive auto messages x {CONDITIONS}"
        f" conditions: {SERVER_SIDE} server-side, {CLIENT_SIDE} client-side; one known visitor)"
    )
    results = run()
    server, widget = results["server"], results["widget"]
    us = 1e6
    print("  server (in-process: moto, chalice.test.Client; the browser's session requests)")
    print(
        f"    candidates for one session  {server['candidates_s'] * us:>8.1f} us"
        f"  (auto_delivery.candidates, timeit, cache warm: {MESSAGES} of {MESSAGES} kept)"
    )
    print(f"      of which the server pass  {server['server_pass_s'] * us:>8.1f} us  (server_pass)")
    print(
        f"    cache miss, compiling       {server['compile_s'] * us:>8.1f} us  "
        f"({MESSAGES} rule sets, besides the Query)"
    )
    print(
        f"    whole session request       {server['session_s'] * 1e3:>8.2f} ms  "
        "(median of 30, known visitor, cache warm; mostly moto in-process)"
    )
    for label, counts in server["requests"].items():
        print(f"    page view, {label:<26} {_counted(counts)}")
    print("  live local stack (python -m infra.local; moto's request recorder)")
    labels = ("new visitor, cache cold", "known visitor, cache warm")
    for label, view in zip(labels, widget["page_views"], strict=True):
        print(
            f"    page view, {label:<26} {_counted(view['dynamodb'])}; "
            f"session answer {view['answer_bytes'] / 1024:.1f} KB "
            f"({view['answer_gz_bytes'] / 1024:.1f} KB if gzipped)"
        )
    ticks = widget["tick_ms"]
    timer = widget["timer"]
    print(
        f"  widget (Chromium, demo site, known visitor; auto.js with {MESSAGES} candidates of "
        f"{widget['residual_conditions']:g} client-side conditions each)"
    )
    early, late = ticks[:5], ticks[-10:]
    print(
        f"    per tick, all {MESSAGES}      median {statistics.median(ticks) * 1e3:>6.1f} us, "
        f"p95 {_percentile(ticks, 0.95) * 1e3:>6.1f} us  ({len(ticks)} real ticks, wrapped "
        f"rules.values + matches; performance.now step {timer['step_ms'] * 1e3:g} us"
        f"{'' if timer['isolated'] else ', page NOT cross-origin isolated'})"
    )
    print(
        f"      first {len(early)} ticks median {statistics.median(early) * 1e3:.1f} us, "
        f"last {len(late)} median {statistics.median(late) * 1e3:.1f} us (V8 warming up)"
    )
    per_message = [t / MESSAGES for t in ticks]
    print(
        f"    per message              median {statistics.median(per_message) * 1e3:>6.2f} us, "
        f"p95 {_percentile(per_message, 0.95) * 1e3:>6.2f} us  (tick / {MESSAGES})"
    )
    print(
        f"    loop, all {MESSAGES}          {widget['loop_ms'] * 1e3:>6.1f} us per full evaluation,"
        f" {widget['loop_ms'] * 1e3 / MESSAGES:.2f} us a message  ({widget['loop_runs']} runs,"
        " the widget's own facts)"
    )
    return results


if __name__ == "__main__":
    main()
