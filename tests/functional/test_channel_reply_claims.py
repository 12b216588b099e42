"""A reply is never sent twice when SQS delivers its queue message twice (at least once):
each part is claimed on the reply before the platform is called, and a delivery that
finds a claim nobody finished never sends blindly (services/channel_sender.py)."""

from datetime import timedelta

import pytest

from chalicelib.clock import utcnow
from chalicelib.models.message import MessageModel, chat_key
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import channel_sender, messenger, telegram
from tests.functional.channel_reply_helpers import (
    _messenger_chat,
    _reply,
    _team_lines,
    _telegram_chat,
)


class LambdaTimedOut(BaseException):
    """The function stopped (its timeout) between the platform's answer and our write:
    nothing after it runs, nothing catches it, SQS keeps the queue message."""


class _NoSockets:
    def post(self, *_):
        return True


def _stored(owner, chat_id, message_id) -> MessageModel:
    return MessageModel.get(chat_key(owner.project_id, chat_id), message_id, consistent_read=True)


def _sent_then_died(real):
    """Telegram takes the part, then the function times out before writing "sent"."""

    def send_part(*args):
        real(*args)
        raise LambdaTimedOut

    return send_part


def _crash_on_first_delivery(queue):
    [(body, _)] = queue.waiting()
    with pytest.raises(LambdaTimedOut):
        channel_sender.handle(body, Fanout(_NoSockets()), channel_sender.Pacer())
    return body


def test_a_redelivery_after_a_timeout_mid_send_never_sends_again_and_says_why(
    platform, channels, queue, monkeypatch
):
    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    message_id = _reply(platform, owner, chat["id"], "One moment").json_body["message"]["id"]
    monkeypatch.setattr(telegram, "send_part", _sent_then_died(telegram.send_part))
    _crash_on_first_delivery(queue)  # Telegram took it; "sent" was never written
    monkeypatch.undo()

    # SQS hands the same message out again at once (a duplicate): the claim is young,
    # its owner may still be sending, so it waits on the queue and sends nothing.
    queue.deliver()
    [(body, delay)] = queue.waiting()
    assert 0 < delay <= channel_sender.CLAIM_STALE_SECONDS + 1
    assert _stored(owner, chat["id"], message_id).delivery == "sending"

    # Past the function's timeout nobody owns the claim: the part's fate is unknown.
    stored = _stored(owner, chat["id"], message_id)
    stale = utcnow() - timedelta(seconds=channel_sender.CLAIM_STALE_SECONDS + 1)
    stored.update(actions=[MessageModel.send_claimed_at.set(stale)])
    queue.deliver()

    last = channels.messages(owner, chat["id"])[-1]
    assert last["delivery"] == "failed"
    assert last["delivery_reason"] == channel_sender.UNKNOWN_REASON
    assert _team_lines(channels, f"telegram:{bot.token}")[1:] == [("bot", "One moment")]
    assert queue.waiting() == []
    assert _stored(owner, chat["id"], message_id).send_claim is None


def test_after_an_unknown_part_retry_sends_from_it_never_the_parts_before(
    platform, channels, queue, monkeypatch
):
    owner = platform.sign_up()
    page, _, chat = _messenger_chat(platform, channels, owner)
    text = "a" * 2000 + "b" * 1000  # the panel takes 4,000: two parts at most
    assert [part[0] for part in messenger.parts(text)] == ["a", "b"]
    message_id = _reply(platform, owner, chat["id"], text).json_body["message"]["id"]
    # Part one went; the function died with part two claimed, before calling Facebook.
    monkeypatch.setattr(messenger, "send_part", _part_then_die(messenger.send_part))
    _crash_on_first_delivery(queue)
    monkeypatch.undo()
    stored = _stored(owner, chat["id"], message_id)
    assert len(stored.sent_parts) == 1 and stored.send_claim.startswith("0:1:")
    stored.update(actions=[MessageModel.send_claimed_at.set(utcnow() - timedelta(minutes=3))])
    queue.deliver()
    assert channels.messages(owner, chat["id"])[-1]["delivery_reason"] == (
        channel_sender.UNKNOWN_REASON
    )

    url = f"/projects/{owner.project_id}/chats/{chat['id']}/messages/{message_id}/retry"
    assert platform.post(url, {}, owner.auth).status_code == 200
    queue.drain()

    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "sent"
    lines = [text[0] for _, text in _team_lines(channels, f"messenger:{page.id}")[1:]]
    assert lines == ["a", "b"]  # each part once
    assert len(_stored(owner, chat["id"], message_id).platform_message_id.split(",")) == 2


def _part_then_die(real):
    """The first part goes; the second call dies before reaching the platform."""
    calls = []

    def send_part(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise LambdaTimedOut
        return real(*args, **kwargs)

    return send_part


def test_two_deliveries_at_once_send_once(platform, channels, queue, monkeypatch):
    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    _reply(platform, owner, chat["id"], "One moment")
    [(body, _)] = queue.waiting()
    real, outcomes = telegram.send_part, []

    def send_part(*args):
        if not outcomes:  # the duplicate runs while the first is at Telegram
            outcomes.append(channel_sender.handle(body, Fanout(_NoSockets()), _pacer()))
        return real(*args)

    monkeypatch.setattr(telegram, "send_part", send_part)
    queue.deliver()
    queue.drain()  # the duplicate's wait on the queue, then: already sent

    assert [o.state for o in outcomes] == ["requeued"]
    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "sent"
    assert _team_lines(channels, f"telegram:{bot.token}")[1:] == [("bot", "One moment")]
    assert queue.waiting() == []


def _pacer():
    return channel_sender.Pacer(sleep=lambda _: None)
