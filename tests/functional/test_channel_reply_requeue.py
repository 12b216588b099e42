"""A reply stored "sending" whose queue message was never sent (the function stopped in
between) is queued again by the clock app, found through the sparse ``sending`` index,
and still reaches the customer once (services/channel_requeue.py)."""

import json
import pathlib
from datetime import timedelta

from chalicelib.clock import utcnow
from chalicelib.models.message import MessageModel, chat_key
from chalicelib.services import channel_requeue
from chalicelib.services.channel_outbox import SENDING_GRACE
from tests.functional.channel_reply_helpers import (
    _messenger_chat,
    _reply,
    _team_lines,
    _telegram_chat,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _run_job(scheduled_app) -> dict:
    event = json.loads((ROOT / "tests" / "events" / "scheduled.json").read_text())
    return scheduled_app.lambda_.invoke("requeue_unsent_replies", event).payload


def _lose_the_queue_message(queue):
    """As if the function stopped after storing the reply, before queueing it."""
    queue.sqs.purge_queue(QueueUrl=queue.url)
    assert queue.waiting() == []


def _stored(owner, chat_id, message_id) -> MessageModel:
    return MessageModel.get(chat_key(owner.project_id, chat_id), message_id, consistent_read=True)


def _unsent() -> list[str]:
    return [key.message_id for key in MessageModel.sending.query("sending")]


def test_a_reply_never_queued_is_queued_again_by_the_clock_once_and_sent_once(
    platform, channels, queue, scheduled_app
):
    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    message_id = _reply(platform, owner, chat["id"], "On its way").json_body["message"]["id"]
    _lose_the_queue_message(queue)
    assert _unsent() == [message_id]

    # Not due yet: the clock leaves a reply that may still be on its way alone.
    assert _run_job(scheduled_app) == {"examined": 0, "requeued": 0, "failed": 0}
    assert queue.waiting() == []

    stored = _stored(owner, chat["id"], message_id)
    stored.update(actions=[MessageModel.sending_due.set(utcnow() - timedelta(seconds=1))])
    assert _run_job(scheduled_app) == {"examined": 1, "requeued": 1, "failed": 0}
    assert _run_job(scheduled_app)["requeued"] == 0  # due moved on: queued once
    [(body, _)] = queue.waiting()
    assert body["message_id"] == message_id
    queue.drain()

    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "sent"
    assert _team_lines(channels, f"telegram:{bot.token}")[1:] == [("bot", "On its way")]
    assert _unsent() == []  # sent: out of the index


def test_a_reply_still_on_the_queue_and_queued_again_goes_once(platform, channels, queue):
    owner = platform.sign_up()
    page, _, chat = _messenger_chat(platform, channels, owner)
    _reply(platform, owner, chat["id"], "On its way")

    # A queue slower than the grace: the clock queues it a second time.
    later = utcnow() + SENDING_GRACE + timedelta(seconds=1)
    assert channel_requeue.run(later, None)["requeued"] == 1
    assert len(queue.waiting()) == 2
    queue.drain()

    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "sent"
    assert _team_lines(channels, f"messenger:{page.id}")[1:] == [("page", "On its way")]


def test_a_backed_off_reply_is_due_only_after_its_wait(platform, channels, queue):
    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    channels.fake.fault_rate_limit(f"telegram:{bot.token}", 600)
    _reply(platform, owner, chat["id"], "One moment")
    queue.deliver()
    [(_, delay)] = queue.waiting()
    assert delay == 600

    # Within the wait plus the grace the reply is on the queue: left alone.
    almost = utcnow() + SENDING_GRACE + timedelta(seconds=590)
    assert channel_requeue.run(almost, None) == {"examined": 0, "requeued": 0, "failed": 0}
    past = utcnow() + SENDING_GRACE + timedelta(seconds=610)
    assert channel_requeue.run(past, None)["requeued"] == 1


def test_a_reply_unsent_for_a_day_fails_with_a_reason_the_team_can_retry(platform, channels, queue):
    owner = platform.sign_up()
    _, _, chat = _telegram_chat(platform, channels, owner)
    message_id = _reply(platform, owner, chat["id"], "Hello").json_body["message"]["id"]
    _lose_the_queue_message(queue)

    result = channel_requeue.run(utcnow() + timedelta(days=1, minutes=1), None)

    assert result == {"examined": 1, "requeued": 0, "failed": 1}
    last = channels.messages(owner, chat["id"])[-1]
    assert (last["delivery"], last["delivery_reason"]) == (
        "failed",
        channel_requeue.GAVE_UP_REASON,
    )
    assert queue.waiting() == [] and _unsent() == []
    url = f"/projects/{owner.project_id}/chats/{chat['id']}/messages/{message_id}/retry"
    assert platform.post(url, {}, owner.auth).status_code == 200
    assert _unsent() == [message_id]  # sending again: due again


def test_replies_sending_before_the_index_are_backfilled_then_requeued(
    platform, channels, queue, scheduled_app, capsys
):
    import boto3

    from chalicelib.config import get_settings
    from infra import backfill

    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    message_id = _reply(platform, owner, chat["id"], "From before").json_body["message"]["id"]
    _lose_the_queue_message(queue)
    # As a reply stored before the ``sending`` index: sending, without its key.
    _stored(owner, chat["id"], message_id).update(actions=[MessageModel.sending_due.remove()])
    assert _unsent() == []

    client = boto3.client("dynamodb", region_name="us-east-1")
    prefix = get_settings().table_prefix
    assert backfill.main(["sending", "--prefix", prefix], client=client) == 0
    assert capsys.readouterr().out.startswith("1 unsent replies")
    assert _unsent() == [message_id]
    assert _run_job(scheduled_app)["requeued"] == 1  # due at once: it waited long enough
    queue.drain()
    assert _team_lines(channels, f"telegram:{bot.token}")[1:] == [("bot", "From before")]
    backfill.main(["sending", "--prefix", prefix], client=client)
    assert capsys.readouterr().out.startswith("0 unsent replies")
