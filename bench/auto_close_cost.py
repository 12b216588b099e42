"""DynamoDB requests for one auto-close run over 10,000 closed and 100 open dialogues
(issue 3): it must follow the 100 open ones (the sparse index), not the 10,000."""

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

from datetime import timedelta  # noqa: E402

import moto  # noqa: E402

from bench import dynamo_calls  # noqa: E402


class _NoSockets:
    def post(self, connection_id, frame):
        return True

    def close(self, connection_id):
        pass


def run(closed: int = 10_000, open_: int = 100, due: int = 10) -> dict:
    from chalicelib.clock import iso, utcnow
    from chalicelib.models import ChatModel, ProjectModel, create_all_tables
    from chalicelib.models.chat import activity_key, open_shard
    from chalicelib.realtime.fanout import Fanout
    from chalicelib.services import auto_close

    calls = dynamo_calls.install()
    with moto.mock_aws():
        create_all_tables()
        now = utcnow()
        ProjectModel("p_bench", name="Bench", owner_id="u", created_at=now).save()
        with ChatModel.batch_write() as batch:
            for n in range(closed + open_):
                is_open = n >= closed
                # the last ``due`` open ones are over a month idle: those get closed
                age = timedelta(days=40) if n >= closed + open_ - due else timedelta(hours=2)
                stamp = iso(now - age)
                chat_id = f"v_{n:020x}-1"
                batch.save(
                    ChatModel(
                        "p_bench",
                        chat_id,
                        visitor_id=f"v_{n:020x}",
                        visitor_name="x",
                        created_at=now - age,
                        last_activity_at=stamp,
                        activity_key=activity_key(stamp, chat_id),
                        status="open" if is_open else "closed",
                        open_shard=open_shard(chat_id) if is_open else None,
                    )
                )
        calls.clear()
        result = auto_close.run(now, Fanout(_NoSockets()))
        counted = dict(calls)
    return {"result": result, "calls": counted, "total": sum(counted.values())}


def main():
    r = run()
    print("Auto-close run over 10,000 closed and 100 open dialogues (10 of them due)")
    print(
        f"  examined {r['result']['examined']}, closed {r['result']['closed']}: "
        f"{r['total']} DynamoDB requests {r['calls']}"
    )
    return r


if __name__ == "__main__":
    main()
