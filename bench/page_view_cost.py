"""DynamoDB requests (and writes) per widget page view, counted with botocore event
hooks on the real code path (moto in-process): a brand-new visitor, a known visitor, and
a known visitor's first page view in a new billing period. The quota must cost a known
visitor nothing: one UpdateItem, no counter write."""

import json
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

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def run() -> dict:
    from datetime import timedelta

    from chalicelib.auth.visitor_tokens import VisitorTokens
    from chalicelib.clock import utcnow
    from chalicelib.models import ProjectModel, create_all_tables
    from chalicelib.services import business_hours, quotas, visitors

    calls = dynamo_calls.install()
    tokens = VisitorTokens(os.environ["VISITOR_TOKEN_SECRET"])
    results = {}
    with moto.mock_aws():
        create_all_tables()
        now = utcnow()
        project = quotas.start_free(
            ProjectModel(
                "p_bench",
                name="Bench",
                owner_id="u",
                created_at=now,
                allowed_domains=["shop.example"],
            ),
            now,
        )
        project.save()
        site = {"origin": "https://shop.example"}

        def page_view(label, token=None, at=now):
            body = {"project_id": "p_bench", "page_url": "https://shop.example/"}
            if token:
                body["token"] = token
            calls.clear()
            session = visitors.start_session(tokens, "wss://x", body, at, site)
            results[label] = dict(calls)
            return session

        def heartbeat(label, token, at):
            calls.clear()
            beat = visitors.heartbeat(tokens, tokens.verify(token), at)
            results[label] = dict(calls)
            return beat

        first = page_view("new visitor (not counted yet)")
        counted = heartbeat("its first heartbeat (counts it)", first["token"], now)
        heartbeat("a heartbeat", counted["token"], now + timedelta(seconds=90))
        page_view("known visitor", counted["token"], now + timedelta(minutes=1))
        # Business hours and the team's presence ride on the project read (issue 13).
        hours = business_hours.validate(
            {"time_zone": "Europe/Berlin", "weekly": {"mon": [{"start": "09:00", "end": "17:00"}]}}
        )
        project.update(actions=[ProjectModel.business_hours.set(business_hours.dumps(hours))])
        shown = page_view("known visitor, business hours set", counted["token"], now)
        results["known visitor, business hours set"]["availability"] = shown["availability"]
        # "Typically replies in N min" (issue 13): the samples ride on the project read.
        samples = [[150 + n, int(now.timestamp()) - 60 * n] for n in range(50)]
        project.update(actions=[ProjectModel.reply_samples.set(json.dumps(samples))])
        label = "known visitor, 50 reply samples"
        shown = page_view(label, counted["token"], now)
        results[label]["availability"] = shown["availability"]
        later = project.period_end + timedelta(days=1)
        page_view("known visitor, first view in a new period", counted["token"], later)
    return results


def main():
    print("Widget page view cost (botocore before-call hooks; moto)")
    results = run()
    for label, counts in results.items():
        shown = counts.pop("availability", None)
        writes = {k: v for k, v in counts.items() if k in WRITES}
        print(
            f"  {label:<42} {sum(counts.values())} DynamoDB requests {counts}; "
            f"writes: {sum(writes.values())} {writes}"
            + (f"; availability {shown}" if shown else "")
        )
    return results


if __name__ == "__main__":
    main()
