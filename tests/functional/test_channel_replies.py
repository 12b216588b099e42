"""Team replies to Telegram/Messenger chats go out through the platforms: stored once as
"sending", one message on the channel queue (moto's SQS), sent by the channel_sender
handler to the fake platforms, and every delivery change shown to the team (a frame,
and the chat's history)."""

import functools
import json

import pytest

from chalicelib.models.channel import ChannelModel
from chalicelib.models.chat import ChatModel
from chalicelib.services import channel_sender, messenger, telegram
from tests.functional.channel_helpers import open_channels
from tests.functional.channel_reply_helpers import ChannelQueue


@pytest.fixture
def channels(platform, monkeypatch):
    yield from open_channels(platform, monkeypatch)


@pytest.fixture
def queue(platform, channels, monkeypatch):
    channels.fake.auto_echo = False  # echoes are delivered by the tests that want them
    return ChannelQueue(platform, monkeypatch)


def _telegram_chat(platform, channels, owner, name="Ada Lovelace"):
    bot, channel = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, name, "text", "Is the tent in stock?")
    [chat] = channels.chats(owner)
    return bot, channel, chat


def _messenger_chat(platform, channels, owner, name="Ada Lovelace"):
    page, channel = channels.connect_messenger(owner)
    channels.fake.messenger_customer_says(page.id, name, "text", "Is the tent in stock?")
    [chat] = channels.chats(owner)
    return page, channel, chat


def _reply(platform, owner, chat_id, text, client_id="reply-0001"):
    return platform.post(
        f"/projects/{owner.project_id}/chats/{chat_id}/messages",
        {"client_id": client_id, "text": text},
        owner.auth,
    )


def _delivery_frames(platform, connection):
    return [f for f in platform.sender.frames_for(connection) if f["type"] == "delivery"]


def _team_lines(channels, target, name="Ada Lovelace"):
    return [(line["from"], line["text"]) for line in channels.fake.conversation(target, name)]


def test_a_telegram_reply_is_queued_once_then_sent_and_shown_sent(platform, channels, queue):
    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    panel, _ = platform.connect(owner.token, project=owner.project_id)
    platform.sender.clear()

    reply = _reply(platform, owner, chat["id"], "Yes, two left!")
    again = _reply(platform, owner, chat["id"], "Yes, two left!")  # the panel's resend

    assert reply.status_code == 201, reply.json_body
    assert again.json_body["message"]["id"] == reply.json_body["message"]["id"]
    assert reply.json_body["message"]["delivery"] == "sending"
    [(body, delay)] = queue.waiting()
    assert body["message_id"] == reply.json_body["message"]["id"] and delay == 0
    assert _team_lines(channels, f"telegram:{bot.token}")[1:] == []  # nothing sent yet

    queue.drain()

    assert _team_lines(channels, f"telegram:{bot.token}") == [
        ("customer", "Is the tent in stock?"),
        ("bot", "Yes, two left!"),
    ]
    messages = channels.messages(owner, chat["id"])
    assert [(m["text"], m.get("delivery")) for m in messages] == [
        ("Is the tent in stock?", None),
        ("Yes, two left!", "sent"),
    ]
    [frame] = _delivery_frames(platform, panel)
    assert frame == {
        "type": "delivery",
        "chat_id": chat["id"],
        "message_id": reply.json_body["message"]["id"],
        "delivery": "sent",
        "reason": None,
    }
    assert queue.waiting() == []
    queue.drain()  # nothing more: a second delivery of the same queue message sends nothing
    assert len(_team_lines(channels, f"telegram:{bot.token}")) == 2


def test_a_long_messenger_reply_goes_in_parts_of_2000_and_its_echoes_are_not_stored(
    platform, channels, queue
):
    owner = platform.sign_up()
    page, _, chat = _messenger_chat(platform, channels, owner)
    text = " ".join(f"word{i:04d}" for i in range(400))  # 3,999 characters

    assert _reply(platform, owner, chat["id"], text).status_code == 201
    queue.drain()

    sent = [t for who, t in _team_lines(channels, f"messenger:{page.id}") if who == "page"]
    assert [len(part) <= 2000 for part in sent] == [True, True, True][: len(sent)]
    assert len(sent) == 2 and " ".join(sent) == text
    stored = channels.messages(owner, chat["id"])
    assert stored[-1]["delivery"] == "sent" and stored[-1]["text"] == text

    # Facebook echoes each of our sends to the webhook: none becomes a second message.
    results = channels.fake.deliver_echoes()
    assert [r["results"][0]["status"] for r in results] == [200, 200]
    assert len(channels.messages(owner, chat["id"])) == 2


def test_an_echo_of_our_send_without_its_metadata_is_matched_on_its_mid(platform, channels, queue):
    owner = platform.sign_up()
    page, _, chat = _messenger_chat(platform, channels, owner)
    _reply(platform, owner, chat["id"], "We have it")
    queue.drain()
    [(page_id, body)] = channels.fake.pending_echoes
    stripped = body.replace(b'"metadata"', b'"x_metadata"')  # an echo that lost it

    channels.fake.deliver_messenger(page_id, stripped)

    assert [m["text"] for m in channels.messages(owner, chat["id"])] == [
        "Is the tent in stock?",
        "We have it",
    ]


def test_telegram_splits_at_4096_on_word_boundaries(platform, channels, queue, monkeypatch):
    # The panel takes 4,000 characters, so this is the sender's own guard: driven directly.
    owner = platform.sign_up()
    bot, _, _ = _telegram_chat(platform, channels, owner)
    customer = str(bot.customers["Ada Lovelace"])
    text = " ".join(["tent"] * 1800)  # 8,999 characters
    pauses = []
    pacer = channel_sender.Pacer(clock=lambda: 0.0, sleep=pauses.append)

    ids = telegram.send_message(bot.token, customer, text, pace=lambda: pacer.wait("chat"))

    parts = [t for who, t in _team_lines(channels, f"telegram:{bot.token}") if who == "bot"]
    assert len(ids) == 3 == len(parts) and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts) == text
    assert pauses == [1.0, 1.0]  # one a second to one chat
    assert messenger.parts("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]


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


def test_the_team_may_start_a_new_chat_with_a_channel_customer_through_the_outbox(
    platform, channels, queue
):
    owner = platform.sign_up()
    bot, channel, chat = _telegram_chat(platform, channels, owner)
    platform.post(f"/projects/{owner.project_id}/chats/{chat['id']}/close", {}, owner.auth)

    started = platform.post(
        f"/projects/{owner.project_id}/visitors/{chat['visitor_id']}/chats",
        {"client_id": "start-0001", "text": "Your tent has arrived"},
        owner.auth,
    )

    assert started.status_code == 201, started.json_body
    new_chat = started.json_body["message"]["chat_id"]
    assert new_chat != chat["id"]
    [listed] = [c for c in channels.chats(owner) if c["id"] == new_chat]
    # The channel, and the customer's last message carried over (the gate judges from it).
    assert listed["channel"] == {
        "kind": "telegram",
        "id": channel["id"],
        "name": channel["name"],
        "customer_last_at": chat["channel"]["customer_last_at"],
    }
    queue.drain()
    assert channels.messages(owner, new_chat)[-1]["delivery"] == "sent"
    assert _team_lines(channels, f"telegram:{bot.token}")[-1] == ("bot", "Your tent has arrived")


def test_two_replies_to_one_telegram_chat_in_one_batch_are_a_second_apart(
    platform, channels, queue, monkeypatch
):
    owner = platform.sign_up()
    bot, _, chat = _telegram_chat(platform, channels, owner)
    pauses = []
    monkeypatch.setattr(
        channel_sender, "Pacer", functools.partial(channel_sender.Pacer, sleep=pauses.append)
    )
    _reply(platform, owner, chat["id"], "One")
    _reply(platform, owner, chat["id"], "Two", client_id="reply-0002")

    assert queue.deliver() == 2  # one batch

    assert len(pauses) == 1 and 0.5 < pauses[0] <= 1.0
    assert _team_lines(channels, f"telegram:{bot.token}")[1:] == [("bot", "One"), ("bot", "Two")]


def test_a_messenger_reply_after_24_hours_fails_as_the_window_closed(platform, channels, queue):
    owner = platform.sign_up()
    page, _, chat = _messenger_chat(platform, channels, owner)
    real = channels.fake.clock
    channels.fake.clock = lambda: real() + 25 * 3600  # the customer wrote 25 hours ago

    _reply(platform, owner, chat["id"], "Sorry for the wait")
    queue.drain()

    last = channels.messages(owner, chat["id"])[-1]
    assert last["delivery"] == "failed"
    assert last["delivery_reason"] == "Messenger's reply window has closed"
    assert [who for who, _ in _team_lines(channels, f"messenger:{page.id}")] == ["customer"]


def test_the_fakes_refuse_what_the_platforms_refuse(platform, channels, queue):
    owner = platform.sign_up()
    bot, _, _ = _telegram_chat(platform, channels, owner)
    page, _ = channels.connect_messenger(owner)
    channels.fake.messenger_customer_says(page.id, "Bob Stone", "text", "Hi")
    fake = channels.fake
    customer = str(bot.customers["Ada Lovelace"])
    psid = page.customers["Bob Stone"]

    def telegram_error(params):
        status, answer = fake.telegram(bot.token, "sendMessage", params)
        return status, answer.get("description")

    assert telegram_error({"chat_id": customer, "text": "x" * 4097}) == (
        400,
        "Bad Request: message is too long",
    )
    assert telegram_error({"chat_id": "42", "text": "hi"}) == (400, "Bad Request: chat not found")
    assert fake.telegram("123:wrong", "sendMessage", {})[0] == 401

    def graph_error(**params):
        body = {
            "access_token": page.page_token,
            "recipient": json.dumps({"id": psid}),
            "message": json.dumps({"text": "hi"}),
            "messaging_type": "RESPONSE",
            **params,
        }
        status, answer = fake.graph("POST", "/v21.0/me/messages", body)
        error = answer.get("error") or {}
        return status, error.get("code"), error.get("error_subcode")

    assert graph_error(message=json.dumps({"text": "x" * 2001})) == (400, 100, None)
    assert graph_error(messaging_type="MESSAGE_TAG", tag="ACCOUNT_UPDATE") == (400, 100, None)
    assert graph_error(recipient=json.dumps({"id": "999"})) == (400, 100, 2018001)
    assert graph_error(access_token="EAAGwrong") == (400, 190, None)
    assert graph_error()[0] == 200
    later = fake.clock
    fake.clock = lambda: later() + 3 * 24 * 3600
    assert graph_error() == (400, 10, 2018278)  # outside the 24 hours
    assert graph_error(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")[0] == 200  # 7 days
    fake.fault_revoke(f"messenger:{page.id}", 460)
    assert graph_error() == (400, 190, 460)


def test_a_long_reply_interrupted_after_its_first_part_sends_only_the_rest(
    platform, channels, queue
):
    owner = platform.sign_up()
    page, _, chat = _messenger_chat(platform, channels, owner)
    channels.fake.fault_rate_limit(f"messenger:{page.id}", 1, after_sends=1)
    text = " ".join(f"word{i:04d}" for i in range(400))

    _reply(platform, owner, chat["id"], text)
    queue.deliver()  # the first part goes, the second meets the rate limit
    [(body, delay)] = queue.waiting()
    assert body["attempt"] == 1 and len(body["sent_ids"]) == 1
    assert delay == channel_sender.backoff_seconds(0)  # Graph says no wait: our back-off
    queue.deliver()

    sent = [t for who, t in _team_lines(channels, f"messenger:{page.id}") if who == "page"]
    assert len(sent) == 2 and " ".join(sent) == text  # each part once
    assert channels.messages(owner, chat["id"])[-1]["delivery"] == "sent"
    assert len(channels.fake.deliver_echoes()) == 2
    assert len(channels.messages(owner, chat["id"])) == 2
