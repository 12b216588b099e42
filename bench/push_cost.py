"""What Web Push costs a visitor message: DynamoDB requests on the message path with the
notifier's queue configured and without it (the difference must be 0: the event carries
what the notifier needs, and the one SQS SendMessage goes after the fan-out), and what
the notifier itself reads per event, on its own time (moto in-process, botocore hooks)."""

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

import json  # noqa: E402

import boto3  # noqa: E402
import moto  # noqa: E402

from bench import dynamo_calls  # noqa: E402

MEMBERS = 3


class _Sent:
    """A push service that answers 201 to everything (no network in this figure)."""

    def __init__(self):
        self.count = 0

    def send(self, subscription, payload, ttl, urgency, topic):
        from chalicelib.webpush import PushResult

        self.count += 1
        return PushResult(201)


def run() -> dict:
    from chalicelib import deps
    from chalicelib.auth.identities import VisitorIdentity
    from chalicelib.clock import utcnow
    from chalicelib.models import (
        MemberModel,
        ProjectModel,
        PushSubscriptionModel,
        VisitorModel,
        create_all_tables,
    )
    from chalicelib.models.connection import KIND_OPERATOR, KIND_VISITOR
    from chalicelib.realtime import connections
    from chalicelib.realtime.fanout import Fanout
    from chalicelib.services import messaging, notify
    from chalicelib.webpush import SqsPushQueue

    class Recording:
        def post(self, connection_id, frame):
            return True

        def close(self, connection_id):
            pass

    calls = dynamo_calls.install()
    with moto.mock_aws():
        create_all_tables()
        project, now = "p_push", utcnow()
        ProjectModel(project, name="Bench", owner_id="u0", created_at=now).save()
        VisitorModel(project, "v_bench", created_at=now, last_seen_at=now).save()
        for i in range(MEMBERS):
            MemberModel(project, f"u{i}", email=f"u{i}@x.test", name=f"U{i}", role="operator",
                        project_name="Bench", created_at=now, status="online").save()  # fmt: skip
            PushSubscriptionModel(f"u{i}", f"{i:032d}", endpoint=f"https://push.test/{i}",
                                  p256dh="x", auth="y", created_at=now, expires_at=now).save()  # fmt: skip
            connections.register(f"op{i}=", KIND_OPERATOR, project, f"u{i}", now, 7800)
        connections.register("tab0=", KIND_VISITOR, project, "v_bench", now, 7800)
        identity = VisitorIdentity(project, "v_bench")
        fanout = Fanout(Recording())
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="bench-push")["QueueUrl"]
        sqs_calls = []
        sqs.meta.events.register("before-call.sqs", lambda model, **_: sqs_calls.append(model.name))

        def message_path(client_id: str, chat_id):
            calls.clear()
            posted = messaging.post_visitor_message(identity, chat_id, client_id, "hi", fanout)
            return posted, sum(calls.values())

        deps.override(push_queue=None)
        first, _ = message_path("bench-0001", None)
        chat_id = first.message.chat_id
        _, without = message_path("bench-0002", chat_id)
        deps.override(push_queue=SqsPushQueue(sqs, url))
        sqs_calls.clear()
        _, with_queue = message_path("bench-0003", chat_id)
        queued = list(sqs_calls)
        [message] = sqs.receive_message(QueueUrl=url)["Messages"]
        sender = _Sent()
        deps.override(web_push=sender)
        calls.clear()
        notify.handle(json.loads(message["Body"]))
        notifier = dict(calls)
        deps.reset()
    return {
        "without": without,
        "with": with_queue,
        "sqs": queued,
        "notifier": notifier,
        "pushes": sender.count,
    }


def main():
    r = run()
    extra = r["with"] - r["without"]
    print("Web Push on the message path (botocore before-call hooks; moto)")
    print(
        f"  visitor message in an open chat: {r['without']} DynamoDB requests without the push"
        f" queue, {r['with']} with it: {extra} extra (target 0); SQS {r['sqs']} after fan-out"
    )
    print(
        f"  the notifier, per event, off the message path: {sum(r['notifier'].values())}"
        f" DynamoDB requests {r['notifier']} for {MEMBERS} members, {r['pushes']} pushes"
    )
    return r


if __name__ == "__main__":
    main()
