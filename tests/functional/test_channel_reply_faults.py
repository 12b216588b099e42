"""Replies to Telegram/Messenger chats when the platform says no: a 429's wait honoured,
retries that stop, a dead token holding replies until a reconnect, a customer who blocked
the bot, the retry route, and no queue configured (through the fakes and moto's SQS)."""

from chalicelib.models.channel import ChannelModel
from chalicelib.models.chat import ChatModel
from chalicelib.services import channel_sender
from tests.functional.channel_reply_helpers import (
    _messenger_chat,
    _reply,
    _team_lines,
    _telegram_chat,
)


def test_a_429_with_retry_after_7_is_requeued_with_that_delay_then_sent(platform, channels, queue):
    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    channels.fake.fault_rate_limit(f"telegram:{bot.token}", 7)
    _reply(platform, owner, chat["id"], "One moment")

    queue.deliver()

    [(body, delay)] = queue.waiting()
    assert delay == 7 and body["attempt"] == 1
    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "sending"
    queue.deliver()
    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "sent"
    assert _team_lines(channels, f"telegram:{bot.token}")[-1] == ("bot", "One moment")


def test_retries_stop_after_five_attempts_and_the_reply_fails_with_the_reason(
    platform, channels, queue
):
    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    _reply(platform, owner, chat["id"], "One moment")
    delays = []
    for _ in range(channel_sender.MAX_ATTEMPTS):
        channels.fake.fault_rate_limit(f"telegram:{bot.token}", 3)
        delays += [d for _, d in queue.waiting()]
        queue.deliver()

    assert delays == [0, 3, 3, 3, 3]
    assert queue.waiting() == []
    last = channels.messages(owner, chat["id"])[-1]
    assert last["delivery"] == "failed"
    assert last["delivery_reason"] == "Telegram asks us to slow down (tried 5 times)"
    assert channel_sender.backoff_seconds(0) == 5 and channel_sender.backoff_seconds(20) == 900


def test_a_dead_token_marks_the_channel_and_holds_replies_until_a_reconnect(
    platform, channels, queue
):
    owner = platform.sign_up()
    bot, channel, chat = _telegram_chat(platform, channels, owner)
    channels.fake.fault_revoke(f"telegram:{bot.token}")
    _reply(platform, owner, chat["id"], "First")
    queue.drain()

    assert ChannelModel.get(channel["id"]).health == "needs_reconnect"
    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "held"
    # While the channel needs reconnecting, a new reply is held at once: nothing queued.
    second = _reply(platform, owner, chat["id"], "Second", client_id="reply-0002")
    assert second.json_body["message"]["delivery"] == "held"
    assert queue.waiting() == []

    token = channels.fake.reissue_token(f"telegram:{bot.token}")
    again = platform.post(
        f"/projects/{owner.project_id}/channels/telegram", {"token": token}, owner.auth
    )
    assert again.status_code == 201, again.json_body
    assert len(queue.waiting()) == 2
    queue.drain()

    assert [m.get("delivery") for m in channels.messages(owner, chat["id"])] == [
        None,
        "sent",
        "sent",
    ]
    assert _team_lines(channels, f"telegram:{token}")[1:] == [("bot", "First"), ("bot", "Second")]


def test_a_customer_who_blocked_the_bot_is_unreachable_and_the_reply_failed(
    platform, channels, queue
):
    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    channels.fake.fault_block(f"telegram:{bot.token}", "Ada Lovelace")
    _reply(platform, owner, chat["id"], "Hello?")
    queue.drain()

    last = channels.messages(owner, chat["id"])[-1]
    assert last["delivery"] == "failed"
    assert last["delivery_reason"] == "the customer blocked the bot or left Telegram"
    stored = ChatModel.get(owner.project_id, chat["id"])
    assert stored.unreachable_reason == "the customer blocked the bot or left Telegram"


def test_a_failed_reply_is_retried_once_and_only_a_failed_one(platform, channels, queue):
    owner = platform.sign_up()
    page, _, chat = _messenger_chat(platform, channels, owner)
    channels.fake.fault_block(f"messenger:{page.id}", "Ada Lovelace")
    message_id = _reply(platform, owner, chat["id"], "Hello?").json_body["message"]["id"]
    queue.drain()
    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "failed"
    url = f"/projects/{owner.project_id}/chats/{chat['id']}/messages/{message_id}/retry"

    page.blocked.clear()  # the customer is back
    retried = platform.post(url, {}, owner.auth)
    twice = platform.post(url, {}, owner.auth)  # a double click: already sending

    assert retried.status_code == 200, retried.json_body
    assert retried.json_body == {"message_id": message_id, "delivery": "sending"}
    assert twice.status_code == 409
    assert len(queue.waiting()) == 1
    queue.drain()
    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "sent"
    assert platform.post(url, {}, owner.auth).status_code == 409  # sent: nothing to retry
    assert _team_lines(channels, f"messenger:{page.id}")[-1] == ("page", "Hello?")


def test_retry_refuses_other_tenants_ids_and_unknown_messages(platform, channels, queue):
    owner = platform.sign_up()
    page, _, chat = _messenger_chat(platform, channels, owner)
    message_id = _reply(platform, owner, chat["id"], "Hello").json_body["message"]["id"]
    outsider = platform.sign_up(project_name="Elsewhere")

    theirs = platform.post(
        f"/projects/{outsider.project_id}/chats/{chat['id']}/messages/{message_id}/retry",
        {},
        outsider.auth,
    )
    unknown = platform.post(
        f"/projects/{owner.project_id}/chats/{chat['id']}/messages/01JZZZZZZZZZZZZZZZZZZZZZZZ/retry",
        {},
        owner.auth,
    )
    customers = platform.post(
        f"/projects/{owner.project_id}/chats/{chat['id']}/messages/"
        f"{channels.messages(owner, chat['id'])[0]['id']}/retry",
        {},
        owner.auth,
    )

    assert theirs.status_code == 404
    assert unknown.status_code == 404
    assert customers.status_code == 409  # the customer's own message is not a reply
    assert len(queue.waiting()) == 1  # only the reply's own first send


def test_without_a_queue_a_channel_reply_is_refused_and_nothing_is_stored(
    platform, channels, monkeypatch
):
    owner = platform.sign_up()
    _, _, chat = _telegram_chat(platform, channels, owner)

    reply = _reply(platform, owner, chat["id"], "Hi")

    assert reply.status_code == 503
    assert [m["text"] for m in channels.messages(owner, chat["id"])] == ["Is the tent in stock?"]
