"""Privacy consent on Telegram/Messenger chats (services/channel_consent.py): a new
dialogue's first customer message is stored and answered once with the consent notice,
through the channel outbox; channels in the excluded list get none."""

import json

from tests.functional.channel_reply_helpers import _team_lines, _telegram_chat

TEXT = "We keep your messages to answer you."
URL = "https://shop.example/privacy"
NOTICE = f"{TEXT}\nPrivacy policy: {URL}\nBy continuing this conversation you agree to it."


def _consent(platform, owner, **extra):
    body = {"consent": {"enabled": True, "text": TEXT, "privacy_url": URL, **extra}}
    answer = platform.client.http.patch(
        f"/projects/{owner.project_id}", body=json.dumps(body), headers=owner.auth
    )
    assert answer.status_code == 200, answer.json_body


def test_a_new_telegram_dialogue_gets_the_notice_once_and_the_customer_reads_it(
    platform, channels, queue
):
    owner = platform.sign_up(project_name="Shop")
    _consent(platform, owner)
    panel, _ = platform.connect(owner.token, project=owner.project_id)
    bot, _, chat = _telegram_chat(platform, channels, owner)
    queue.drain()
    channels.fake.telegram_customer_says(bot.token, "Ada Lovelace", "text", "Hello?")
    assert queue.waiting() == []  # the same dialogue: no second notice

    lines = [
        (m["author_type"], m["text"], m.get("delivery"))
        for m in channels.messages(owner, chat["id"])
    ]
    assert lines == [
        ("visitor", "Is the tent in stock?", None),
        ("system", NOTICE, "sent"),
        ("visitor", "Hello?", None),
    ]
    assert _team_lines(channels, f"telegram:{bot.token}") == [
        ("customer", "Is the tent in stock?"),
        ("bot", NOTICE),
        ("customer", "Hello?"),
    ]
    live = [f["message"]["text"] for f in platform.sender.frames_for(panel) if f.get("message")]
    assert NOTICE in live  # the team saw it arrive


def test_an_excluded_channel_gets_no_notice_and_messenger_gets_it_untagged(
    platform, channels, queue
):
    owner = platform.sign_up(project_name="Shop")
    _consent(platform, owner, excluded_channels=["telegram"])
    bot, _, tg_chat = _telegram_chat(platform, channels, owner)
    page, _ = channels.connect_messenger(owner)
    channels.fake.messenger_customer_says(page.id, "Ada Lovelace", "text", "Hi from Facebook")
    [fb_chat] = [c for c in channels.chats(owner) if c["id"] != tg_chat["id"]]
    queue.drain()

    assert [m["text"] for m in channels.messages(owner, tg_chat["id"])] == ["Is the tent in stock?"]
    [notice] = [m for m in channels.messages(owner, fb_chat["id"]) if m["text"] == NOTICE]
    assert notice["delivery"] == "sent"
    assert _team_lines(channels, f"messenger:{page.id}")[-1] == ("page", NOTICE)
