"""DynamoDB requests per team reply (issue 13's reply times), counted with botocore event
hooks on the real code path (moto in-process): a chat's first reply to a waiting
visitor, which records its first-reply time, against a later reply, which records
nothing. The first reply must cost no request more: one more item in the same
TransactWriteItems (the project's samples), nothing else."""

import os
import sys

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "TABLE_PREFIX": "bench-",
        "VISITOR_TOKEN_SECRET": "bench-secret-bench-secret-bench-secret-00",
        "WEBSOCKET_MANAGEMENT_URL": "https://abc123.execute-api.us-east-1.amazonaws.com/api",
    }
)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import moto  # noqa: E402

from bench import dynamo_calls  # noqa: E402

ITEMS: list = []  # items per TransactWriteItems, in call order


def _count_items(params, **_):
    ITEMS.append(len(params.get("TransactItems", [])))


def run() -> dict:
    from datetime import timedelta

    from chalicelib.auth.identities import VisitorIdentity
    from chalicelib.clock import iso, utcnow
    from chalicelib.models import (
        ChatModel,
        MemberModel,
        ProjectModel,
        VisitorModel,
        create_all_tables,
    )
    from chalicelib.models.base import _shared_botocore_session
    from chalicelib.realtime.fanout import Fanout
    from chalicelib.services import messaging, reply_times

    class Quiet:  # no sockets: the fan-out's Queries find none and send nothing
        def post(self, *_):
            return True

    calls = dynamo_calls.install()
    _shared_botocore_session().register(
        "before-parameter-build.dynamodb.TransactWriteItems", _count_items
    )
    results = {}
    with moto.mock_aws():
        create_all_tables()
        project, now = "p_bench", utcnow()
        ProjectModel(project, name="Bench", owner_id="u", created_at=now).save()
        VisitorModel(project, "v_be0c4", created_at=now, last_seen_at=now).save()
        member = MemberModel(project, "u", email="u@example.com", name="Olga",
                             role="admin", project_name="Bench")  # fmt: skip
        fanout = Fanout(Quiet())
        posted = messaging.post_visitor_message(
            VisitorIdentity(project, "v_be0c4"), None, "bench-visitor-1", "hi", fanout
        )
        chat_id = posted.message.chat_id
        # The visitor has waited two minutes (their first message's time, moved back).
        ChatModel(project, chat_id).update(
            actions=[ChatModel.unanswered_key.set(iso(now - timedelta(minutes=2)))]
        )

        def reply(label, client_id):
            calls.clear()
            ITEMS.clear()
            messaging.post_operator_message(member, chat_id, client_id, "On it", fanout)
            results[label] = (dict(calls), list(ITEMS))

        reply("first reply (records its time)", "bench-reply-1")
        reply("a later reply (records nothing)", "bench-reply-2")
        stored = ProjectModel.get(project, consistent_read=True)
        results["samples"] = reply_times.samples_of(stored)
    return results


def main():
    print("Team reply cost and reply times (botocore before-call hooks; moto)")
    results = run()
    samples = results.pop("samples")
    for label, (counts, items) in results.items():
        print(
            f"  {label:<34} {sum(counts.values())} DynamoDB requests {counts}; "
            f"TransactWriteItems items {items}"
        )
    print(f"  samples stored on the project: {samples}")
    return results


if __name__ == "__main__":
    main()
