"""What a 3-minute widget page view costs with the heartbeat's cadence, watched (someone on
the team has the Visitors list open, polling every 10 s) or not, and the longest a
proactive chat waits for a widget without a socket (the gap to the next heartbeat).

The real code path (services, moto in-process, DynamoDB requests counted by botocore
hooks) on a simulated clock: the session at 0 s, then each heartbeat when the previous
answer said (``beat``), up to 180 s. One Lambda invocation and one API Gateway request per
call. "lone" is the worst case for the per-container memory of the project's mark: this
visitor is the only one beating (a busy project's beats find it fresh: no read)."""

import os
import sys

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

PAGE_VIEW_SECONDS = 180
POLL_SECONDS = 10  # the panel's Visitors list (panel/views/visitors.js)


def _page_view(
    tokens, project_id, member, now, watched: bool, known_token=None, opened_at=-1
) -> dict:
    """``watched``: the list is open from ``opened_at`` (seconds into the page view) on.
    The panel's polls run in another Lambda container than the widget's calls (the worst
    case: the widget's container learns of the mark only by reading it)."""
    from datetime import timedelta

    from chalicelib.services import heartbeat_cadence, online_visitors, visitors

    calls = dynamo_calls.install()
    widget_container, panel_container = {}, {}

    def list_online(at):
        heartbeat_cadence._marks = panel_container
        try:
            online_visitors.list_online(member, at)
        finally:
            heartbeat_cadence._marks = widget_container

    heartbeat_cadence._marks = widget_container
    body = {"project_id": project_id, "page_url": "https://shop.example/", "page_view": True}
    if known_token:
        body["token"] = known_token
    site = {"origin": "https://shop.example"}
    panel_writes = 0
    if watched and opened_at < 0:  # the list has been open for a while already
        list_online(now + timedelta(seconds=opened_at))
    calls.clear()
    session = visitors.start_session(tokens, "wss://x", body, now, site)
    session_requests = sum(calls.values())
    token, due, beats, requests = session["token"], session["beat"], 0, 0
    times = [0]  # the session, then each beat
    for second in range(1, PAGE_VIEW_SECONDS + 1):
        at = now + timedelta(seconds=second)
        if watched and second >= opened_at and (second - opened_at) % POLL_SECONDS == 0:
            calls.clear()
            list_online(at)
            panel_writes += calls["UpdateItem"]
        if second == due:
            calls.clear()
            answer = visitors.heartbeat(tokens, tokens.verify(token), at)
            requests += sum(calls.values())
            token = answer.get("token", token)
            beats += 1
            times.append(second)
            due = second + answer["beat"]
    times.append(due)
    # A chat started at t (while the list is open, when watched) reaches the widget at
    # the first beat after t: the longest wait is the longest such stretch.
    start = max(opened_at, 0) if watched else 0
    waits = [b - max(a, start) for a, b in zip(times[:-1], times[1:], strict=True) if b > start]
    return {
        "heartbeats": beats,
        "dynamodb": session_requests + requests,
        "heartbeat_dynamodb": requests,
        "lambda": 1 + beats,
        "longest_wait": max(waits),
        "mark_writes": panel_writes,
        "token": token,
    }


def run() -> dict:
    from datetime import timedelta

    from chalicelib.auth.visitor_tokens import VisitorTokens
    from chalicelib.clock import utcnow
    from chalicelib.models import MemberModel, ProjectModel, create_all_tables
    from chalicelib.models.project import ROLE_OPERATOR
    from chalicelib.services import quotas

    dynamo_calls.install()  # before the first client exists
    tokens = VisitorTokens(os.environ["VISITOR_TOKEN_SECRET"])
    results = {}
    with moto.mock_aws():
        create_all_tables()
        now = utcnow()
        for watched in (False, True):
            project_id = f"p_bench_{int(watched)}"
            project = quotas.start_free(
                ProjectModel(
                    project_id,
                    name="Bench",
                    owner_id="u",
                    created_at=now,
                    allowed_domains=["shop.example"],
                    installed_at=now,
                ),
                now,
            )
            project.save()
            member = MemberModel(
                project_id,
                "u",
                email="o@example.com",
                name="Olga",
                role=ROLE_OPERATOR,
                project_name="Bench",
                created_at=now,
            )
            member.save()
            label = "watched" if watched else "not watched"
            new = _page_view(tokens, project_id, member, now, watched)
            results[f"new visitor, {label}"] = new
            later = now + timedelta(minutes=10)
            results[f"known visitor, {label}"] = _page_view(
                tokens, project_id, member, later, watched, new["token"]
            )
        # The list opens 30 s into a known visitor's page view (their next beat is at 90).
        results["known visitor, list opened at 30 s"] = _page_view(
            tokens, "p_bench_1", member, now + timedelta(minutes=20), True, new["token"], 30
        )
    return results


def main():
    print(f"Heartbeats in a {PAGE_VIEW_SECONDS} s page view, one lone visitor (moto)")
    results = run()
    for label, r in results.items():
        print(
            f"  {label:<34} {r['heartbeats']:>2} heartbeats, {r['lambda']:>2} Lambda/API "
            f"requests, {r['dynamodb']:>2} DynamoDB requests ({r['heartbeat_dynamodb']} for "
            f"the beats); longest wait for a chat {r['longest_wait']} s"
            + (f"; the list's marks: {r['mark_writes']} writes" if r["mark_writes"] else "")
        )
    return results


if __name__ == "__main__":
    main()
