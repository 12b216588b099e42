"""DynamoDB requests per team reply to a Telegram and a Messenger chat (issue 11's
"Outgoing"), counted with botocore event hooks on the real code path (moto in-process,
the fake platforms on a local port): the reply as the panel posts it (stored "sending",
one SQS message), then the sender handling its queue message (reads, the send, the
"sent" write; Messenger also writes the guard its echo meets), and a website reply for
comparison. Each part sent costs one UpdateItem more, its claim (services/channel_sender.py:
a redelivered queue message never sends a part blindly); the last part's outcome rides on
the "sent" write. Then the clock app's re-queue of unsent replies
(services/channel_requeue.py): a run with nothing due, and one re-queueing one reply."""

import os
import sys
from datetime import timedelta

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "TABLE_PREFIX": "bench-",
        "VISITOR_TOKEN_SECRET": "bench-secret-bench-secret-bench-secret-00",
        "WEBSOCKET_MANAGEMENT_URL": "https://abc123.execute-api.us-east-1.amazonaws.com/api",
        "PUBLIC_API_URL": "http://api.bench",
    }
)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import moto  # noqa: E402

from bench import dynamo_calls  # noqa: E402


class _Queue:
    """Records what the outbox queues (moto's SQS would too; its bodies are what count)."""

    def __init__(self):
        self.sent: list = []

    def send(self, body, delay_seconds=0):
        self.sent.append(body)


def run() -> dict:
    from chalicelib import deps
    from chalicelib.clock import utcnow
    from chalicelib.config import get_settings
    from chalicelib.models import MemberModel, ProjectModel, create_all_tables
    from chalicelib.models.channel import ChannelModel
    from chalicelib.realtime.fanout import Fanout
    from chalicelib.services import (
        channel_inbound,
        channel_outbox,
        channel_requeue,
        channel_sender,
        channels,
        messaging,
    )
    from chalicelib.services.channel_events import Incoming
    from infra.local.fake_messengers import FakeMessengers
    from infra.local.fake_messengers_server import serve

    class Quiet:  # no sockets: the fan-out's Queries find none and send nothing
        def post(self, *_):
            return True

    fake = FakeMessengers("http://127.0.0.1:0")
    fake.auto_echo = False
    server = serve(fake, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    fake.base_url = base
    os.environ.update({"TELEGRAM_API_BASE": base, "GRAPH_API_BASE": f"{base}/v21.0"})
    get_settings.cache_clear()
    calls = dynamo_calls.install()
    results = {}
    queue = _Queue()
    try:
        with moto.mock_aws():
            create_all_tables()
            deps.override(channel_queue=queue)
            project, now = "p_bench", utcnow()
            ProjectModel(project, name="Bench", owner_id="u", created_at=now).save()
            member = MemberModel(project, "u", email="u@example.com", name="Olga",
                                 role="administrator", project_name="Bench")  # fmt: skip
            fanout = Fanout(Quiet())
            bot = fake.create_bot("bench_bot")
            telegram = channels.connect_telegram(member, {"token": bot.token}, base, now)
            page = fake.create_page("Bench Page")
            body = {"page_id": page.id, "page_token": page.page_token,
                    "app_secret": page.app_secret}  # fmt: skip
            facebook = channels.connect_messenger(member, body, base, now)
            chats = {}
            # The customers, as the fakes know them once they wrote (their webhook
            # deliveries are not needed here: the message is received directly).
            bot.customers["Ada"], page.customers["Bob"] = 7_000_123, "24000123"
            page.last_customer_at["24000123"] = fake.clock()
            for kind, channel_id, customer_id in (
                ("Telegram", telegram["channel"]["id"], "7000123"),
                ("Messenger", facebook["channel"]["id"], "24000123"),
            ):
                channel = ChannelModel.get(channel_id)
                incoming = Incoming(f"ev.{kind}", customer_id, "Ada", "hi")
                posted = channel_inbound.receive(
                    channel, channels.secret_of(channel), incoming, fanout
                )
                chats[kind] = posted.message.chat_id
            for kind, chat_id in chats.items():
                calls.clear()
                messaging.post_operator_message(member, chat_id, f"r-{kind}", "On it", fanout)
                results[f"{kind} reply (stored, queued)"] = dict(calls)
                calls.clear()
                outcome = channel_sender.handle(queue.sent.pop(), fanout, channel_sender.Pacer())
                results[f"{kind} sender ({outcome.state})"] = dict(calls)
            # A long Messenger reply: two parts, two claims.
            messaging.post_operator_message(
                member, chats["Messenger"], "r-long", "x" * 3000, fanout
            )
            calls.clear()
            outcome = channel_sender.handle(queue.sent.pop(), fanout, channel_sender.Pacer())
            results[f"Messenger 2-part sender ({outcome.state})"] = dict(calls)
            # The clock app: nothing due, then one reply whose queue message was lost.
            calls.clear()
            channel_requeue.run(utcnow(), None)
            results["clock re-queue, nothing due"] = dict(calls)
            messaging.post_operator_message(member, chats["Telegram"], "r-lost", "Hi", fanout)
            queue.sent.clear()
            calls.clear()
            later = utcnow() + channel_outbox.SENDING_GRACE + timedelta(seconds=1)
            requeued = channel_requeue.run(later, None)["requeued"]
            results[f"clock re-queue, {requeued} due"] = dict(calls)
    finally:
        server.shutdown()
        server.server_close()
        deps.reset()
    return results


def main():
    print("Team reply to a Telegram/Messenger chat: DynamoDB requests (botocore hooks; moto)")
    results = run()
    for label, counts in results.items():
        print(f"  {label:<36} {sum(counts.values())} DynamoDB requests {counts}")
    print(
        "  (a website reply: 5, bench/reply_cost.py; the channel reply adds the channel's"
        " GetItem. The sender reads message, chat, channel, customer; writes 'sent'; Queries"
        " the team's sockets for the delivery frame; Messenger adds its echo's guard; each"
        " part adds its claim's UpdateItem)"
    )
    return results


if __name__ == "__main__":
    main()
