"""DynamoDB requests per visitor message and postToConnection calls per recipient,
counted with botocore event hooks on the real code path (moto in-process), for a project
with 1 and with 1,000 chats. The count must not grow with the project."""

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


import boto3  # noqa: E402
import moto  # noqa: E402

from bench import dynamo_calls  # noqa: E402


def run(chats_in_project: int, other_tabs: int = 1, operators: int = 2) -> dict:
    from chalicelib.auth.identities import VisitorIdentity
    from chalicelib.clock import iso, utcnow
    from chalicelib.models import ChatModel, ProjectModel, VisitorModel, create_all_tables
    from chalicelib.models.chat import activity_key
    from chalicelib.models.connection import KIND_OPERATOR, KIND_VISITOR
    from chalicelib.realtime import connections
    from chalicelib.realtime.fanout import Fanout
    from chalicelib.realtime.sender import ApiGatewaySender
    from chalicelib.services import distribution, messaging

    calls = dynamo_calls.install()
    with moto.mock_aws():
        create_all_tables()
        project, now = "p_bench", utcnow()
        with ChatModel.batch_write() as batch:
            for n in range(chats_in_project - 1):
                vid = f"v_other{n:05d}"
                stamp = iso(now)
                batch.save(
                    ChatModel(
                        project,
                        f"{vid}-1",
                        visitor_id=vid,
                        visitor_name=vid,
                        created_at=now,
                        last_activity_at=stamp,
                        activity_key=activity_key(stamp, f"{vid}-1"),
                    )
                )
        ProjectModel(project, name="Bench", owner_id="u", created_at=now).save()
        VisitorModel(project, "v_bench", created_at=now, last_seen_at=now).save()
        identity = VisitorIdentity(project, "v_bench")
        for i in range(1 + other_tabs):
            connections.register(f"tab{i}=", KIND_VISITOR, project, "v_bench", now, 7800)
        for i in range(operators):
            connections.register(f"op{i}=", KIND_OPERATOR, project, f"u{i}", now, 7800)

        client = boto3.client(
            "apigatewaymanagementapi",
            region_name="us-east-1",
            endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/api",
        )
        fanout = Fanout(ApiGatewaySender(client))
        client.meta.events.register(
            "before-call.apigatewaymanagementapi", lambda model, **_: calls.update([model.name])
        )

        # first message: opens the dialogue
        calls.clear()
        posted = messaging.post_visitor_message(
            identity, None, "bench-first", "hi", fanout, "tab0="
        )
        distribution.distribute(project, fanout)  # as the socket session does after it
        first = dict(calls)
        calls.clear()
        # steady state: a message in the open dialogue (what the widget sends)
        messaging.post_visitor_message(
            identity, posted.message.chat_id, "bench-next", "more", fanout, "tab0="
        )
        steady = dict(calls)
    recipients = 1 + other_tabs + operators
    return {"chats": chats_in_project, "first": first, "steady": steady, "recipients": recipients}


def _dynamo(counts: dict) -> int:
    return sum(v for k, v in counts.items() if k != "PostToConnection")


def main():
    print("Visitor message cost (botocore before-call hooks; moto)")
    results = [run(1), run(1000)]
    for r in results:
        print(
            f"  project with {r['chats']:>5} chats: steady message = {_dynamo(r['steady'])} DynamoDB "
            f"requests {dict((k, v) for k, v in r['steady'].items() if k != 'PostToConnection')}, "
            f"{r['steady'].get('PostToConnection', 0)} postToConnection for {r['recipients']} "
            f"recipient connections"
        )
        print(
            f"  {'':>25} first message (opens the dialogue) = {_dynamo(r['first'])} DynamoDB "
            f"requests {dict((k, v) for k, v in r['first'].items() if k != 'PostToConnection')}"
        )
    return results


if __name__ == "__main__":
    main()
