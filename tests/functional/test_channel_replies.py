"""Team replies to Telegram/Messenger chats go out through the platforms: stored once as
"sending", one message on the channel queue (moto's SQS), sent by the channel_sender
handler to the fake platforms, and every delivery change shown to the team (a frame,
and the chat's history)."""

import functools
import json

from chalicelib.services import channel_sender, messenger, telegram
from tests.functional.channel_reply_helpers import (
    _delivery_frames,
    _messenger_chat,
    _reply,
    _team_lines,
    _telegram_chat,
)


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
