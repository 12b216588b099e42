"""Auto-close on Telegram/Messenger chats: the closing message goes to the customer
through the channel outbox as an automatic message (never with Messenger's Human agent
tag); where it may not go, the chat closes without it and nothing is queued."""

import json
from datetime import timedelta

from chalicelib.clock import utcnow
from chalicelib.models.project import ProjectModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import auto_close
from tests.functional.channel_reply_helpers import _messenger_chat, _team_lines, _telegram_chat

CLOSING = "Closed for now, write any time!"


def _auto_close_in(platform, owner):
    answer = platform.client.http.patch(
        f"/projects/{owner.project_id}",
        body=json.dumps({"auto_close_minutes": 15, "auto_close_message": CLOSING}),
        headers=owner.auth,
    )
    assert answer.status_code == 200, answer.json_body


def _assign(platform, owner, chat_id):
    taken = platform.post(f"/projects/{owner.project_id}/chats/{chat_id}/assign", {}, owner.auth)
    assert taken.status_code == 200, taken.json_body


def test_a_telegram_chat_closes_with_its_closing_message_sent_to_the_customer_once(
    platform, channels, queue, sender
):
    owner = platform.sign_up(project_name="Shop")
    _auto_close_in(platform, owner)
    bot, _, chat = _telegram_chat(platform, channels, owner)
    _assign(platform, owner, chat["id"])
    later = utcnow() + timedelta(minutes=16)

    assert auto_close.run(later, Fanout(sender))["closed"] == 1
    assert auto_close.run(later, Fanout(sender))["closed"] == 0  # a rerun queues nothing
    [(body, _)] = queue.waiting()
    queue.drain()

    assert _team_lines(channels, f"telegram:{bot.token}") == [
        ("customer", "Is the tent in stock?"),
        ("bot", CLOSING),
    ]
    lines = {m["text"]: m.get("delivery") for m in channels.messages(owner, chat["id"])}
    assert lines[CLOSING] == "sent"
    assert body["message_id"] in {m["id"] for m in channels.messages(owner, chat["id"])}
    assert [c["state"] for c in channels.chats(owner)] == ["closed"]


def test_outside_messengers_window_the_chat_closes_without_it_even_with_the_tag_on(
    platform, channels, queue, sender
):
    owner = platform.sign_up(project_name="Shop")
    _auto_close_in(platform, owner)
    # The Human agent tag is for people: an automatic message never goes with it.
    ProjectModel(owner.project_id).update(actions=[ProjectModel.human_agent_tag.set(True)])
    page, _, chat = _messenger_chat(platform, channels, owner)
    _assign(platform, owner, chat["id"])

    assert auto_close.run(utcnow() + timedelta(hours=25), Fanout(sender))["closed"] == 1

    assert queue.waiting() == []
    texts = [m["text"] for m in channels.messages(owner, chat["id"])]
    assert CLOSING not in texts and texts[-1] == "Closed automatically after 15 minutes idle"
    assert _team_lines(channels, f"messenger:{page.id}") == [("customer", "Is the tent in stock?")]
    assert [c["state"] for c in channels.chats(owner)] == ["closed"]


def test_inside_messengers_window_the_closing_message_goes_without_a_tag(
    platform, channels, queue, sender
):
    owner = platform.sign_up(project_name="Shop")
    _auto_close_in(platform, owner)
    page, _, chat = _messenger_chat(platform, channels, owner)
    _assign(platform, owner, chat["id"])

    assert auto_close.run(utcnow() + timedelta(minutes=16), Fanout(sender))["closed"] == 1
    queue.drain()

    [sent] = [m for m in channels.messages(owner, chat["id"]) if m["text"] == CLOSING]
    assert sent["delivery"] == "sent"
    assert _team_lines(channels, f"messenger:{page.id}")[-1] == ("page", CLOSING)
