"""Incoming Telegram and Messenger messages, delivered by the fake platforms with their
real bodies, secret headers and signatures: checked, stored once, counted once, one chat
per customer, shown with their channel."""

import json

import boto3

from chalicelib.clock import iso, utcnow
from chalicelib.models.chat import ChatModel
from chalicelib.services import quotas
from chalicelib.services.projects import require_project
from infra.local.fake_messengers import facebook_signature
from tests.conftest import catalogue_json
from tests.functional.channel_helpers import telegram_update
from tests.functional.test_quotas import sent_mail


def _messenger_count(project_id) -> int:
    usage = quotas.usage_view(require_project(project_id), utcnow())
    return usage["messenger_messages"]["used"]


def test_a_telegram_message_lands_in_the_inbox_with_its_channel_and_counts_once(platform, channels):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner, "acme_shop_bot")
    delivered = channels.fake.telegram_customer_says(bot.token, "Ada Lovelace", "text", "Hi!")
    assert delivered["results"][0]["status"] == 200

    [chat] = channels.chats(owner)
    assert chat["visitor_name"] == "Ada Lovelace"
    assert chat["channel"] == {
        "kind": "telegram",
        "id": channel["id"],
        "name": "@acme_shop_bot",
        "customer_last_at": chat["last_message"]["created_at"],
    }
    assert chat["state"] == "open" and chat["unread"] == 1
    [message] = channels.messages(owner, chat["id"])
    assert (message["author_type"], message["text"]) == ("visitor", "Hi!")
    assert _messenger_count(owner.project_id) == 1
    # Unread across projects counts it from its first message, as a website chat.
    unread = platform.get("/me/unread", owner.auth).json_body
    assert unread["projects"][owner.project_id] == 1
    # The team's open sockets heard of it, with the channel on the summary.
    got = platform.get(f"/projects/{owner.project_id}/chats/{chat['id']}", owner.auth)
    assert got.json_body["chat"]["channel"]["kind"] == "telegram"


def test_the_telegram_secret_header_is_checked_and_a_failed_check_stores_nothing(
    platform, channels
):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner)
    path = f"/channels/telegram/{channel['id']}"
    body = json.dumps(telegram_update(5))

    missing = platform.post(path, raw=body)
    wrong = platform.post(path, raw=body, headers={"X-Telegram-Bot-Api-Secret-Token": "x" * 43})
    unknown = platform.post(
        "/channels/telegram/tg999", raw=body, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
    )
    assert (missing.status_code, wrong.status_code, unknown.status_code) == (401, 403, 404)
    assert channels.chats(owner) == []
    assert _messenger_count(owner.project_id) == 0

    right = {"X-Telegram-Bot-Api-Secret-Token": bot.secret_token}
    malformed = platform.post(path, raw="{not json", headers=right)
    ignored = platform.post(
        path, raw=json.dumps({"update_id": 6, "edited_message": {}}), headers=right
    )
    assert malformed.status_code == 400
    assert ignored.status_code == 200 and ignored.json_body["stored"] == 0
    assert channels.chats(owner) == []
    ok = platform.post(path, raw=body, headers=right)
    assert ok.status_code == 200 and ok.json_body["stored"] == 1


def test_a_replayed_telegram_update_stores_and_counts_nothing_new(platform, channels):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "Once")
    again = channels.fake.deliver_telegram(bot.token, again=True)
    assert again["results"][0]["status"] == 200

    [chat] = channels.chats(owner)
    assert [m["text"] for m in channels.messages(owner, chat["id"])] == ["Once"]
    assert _messenger_count(owner.project_id) == 1


def test_a_webhook_that_failed_is_pending_at_telegram_and_shown_in_the_health(platform, channels):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner)
    bot.secret_token = "rotated-elsewhere"  # what Telegram sends no longer matches
    failed = channels.fake.telegram_customer_says(bot.token, "Ada", "text", "Lost?")
    assert failed["results"][0]["status"] == 403

    health = platform.get(f"/projects/{owner.project_id}/channels/{channel['id']}", owner.auth)
    assert health.json_body["channel"]["health"]["pending_updates"] == 1
    assert "403" in health.json_body["channel"]["health"]["last_error"]
    assert health.json_body["channel"]["health"]["ok"] is False
    assert channels.chats(owner) == []


def test_a_messenger_message_is_signed_checked_and_named_from_the_profile(platform, channels):
    owner = platform.sign_up()
    page, channel = channels.connect_messenger(owner, "Acme Outdoor")
    channels.fake.messenger_customer_says(page.id, "Bob Stone", "text", "Do you ship abroad?")

    [chat] = channels.chats(owner)
    assert chat["visitor_name"] == "Bob Stone"
    assert chat["channel"]["kind"] == "messenger" and chat["channel"]["name"] == "Acme Outdoor"
    assert [m["text"] for m in channels.messages(owner, chat["id"])] == ["Do you ship abroad?"]
    assert _messenger_count(owner.project_id) == 1


def test_the_messenger_signature_is_checked_on_the_raw_body_and_a_failure_stores_nothing(
    platform, channels
):
    owner = platform.sign_up()
    page, channel = channels.connect_messenger(owner)
    path = f"/channels/messenger/{channel['id']}"
    event = {
        "sender": {"id": "2401"},
        "recipient": {"id": page.id},
        "timestamp": 1,
        "message": {"mid": "m_1", "text": "Ünïcode ok?"},
    }
    raw = json.dumps({"object": "page", "entry": [{"id": page.id, "messaging": [event]}]})
    right = facebook_signature(raw.encode(), page.app_secret)

    missing = platform.post(path, raw=raw)
    wrong = platform.post(
        path, raw=raw, headers={"X-Hub-Signature-256": facebook_signature(raw.encode(), "nope")}
    )
    tampered = platform.post(
        path, raw=raw.replace("ok?", "OK?"), headers={"X-Hub-Signature-256": right}
    )
    assert (missing.status_code, wrong.status_code, tampered.status_code) == (401, 403, 403)
    assert channels.chats(owner) == []

    ok = platform.post(path, raw=raw, headers={"X-Hub-Signature-256": right})
    assert ok.status_code == 200 and ok.json_body["stored"] == 1
    again = platform.post(path, raw=raw, headers={"X-Hub-Signature-256": right})
    assert again.status_code == 200 and again.json_body["stored"] == 0
    [chat] = channels.chats(owner)
    assert [m["text"] for m in channels.messages(owner, chat["id"])] == ["Ünïcode ok?"]
    assert _messenger_count(owner.project_id) == 1


def test_an_echo_is_a_team_message_stored_once_and_not_counted(platform, channels):
    owner = platform.sign_up()
    page, _ = channels.connect_messenger(owner, "Acme Outdoor")
    channels.fake.messenger_customer_says(page.id, "Bob", "text", "Hello?")
    channels.fake.page_replies(page.id, "Bob", "Hi Bob, from Facebook's inbox")
    channels.fake.deliver_messenger(page.id)  # the echo once more

    [chat] = channels.chats(owner)
    messages = channels.messages(owner, chat["id"])
    assert [(m["author_type"], m["text"]) for m in messages] == [
        ("visitor", "Hello?"),
        ("operator", "Hi Bob, from Facebook's inbox"),
    ]
    assert messages[1]["author_name"] == "Acme Outdoor"
    assert _messenger_count(owner.project_id) == 1


def test_the_customers_messages_move_customer_last_at_and_echoes_do_not(platform, channels):
    """Messenger's reply window counts from the customer's last message: set with the
    message in the same write (the request count below is unchanged), never by an echo."""
    owner = platform.sign_up()
    page, _ = channels.connect_messenger(owner, "Acme Outdoor")
    channels.fake.messenger_customer_says(page.id, "Bob", "text", "Hello?")
    [chat] = channels.chats(owner)
    first = chat["channel"]["customer_last_at"]
    assert first == chat["last_message"]["created_at"]  # set when the chat opened

    channels.fake.page_replies(page.id, "Bob", "Hi Bob, from Facebook's inbox")
    [chat] = channels.chats(owner)
    assert chat["last_message"]["author_type"] == "operator"
    assert chat["channel"]["customer_last_at"] == first  # an echo leaves it

    channels.fake.messenger_customer_says(page.id, "Bob", "text", "Still there?")
    [chat] = channels.chats(owner)
    assert chat["channel"]["customer_last_at"] == chat["last_message"]["created_at"] > first
    stored = ChatModel.get(owner.project_id, chat["id"])
    assert iso(stored.customer_last_at) == chat["last_message"]["created_at"]


def test_one_chat_per_customer_while_open_and_a_new_one_after_close(platform, channels):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    say = channels.fake.telegram_customer_says
    say(bot.token, "Ada", "text", "one")
    say(bot.token, "Ada", "text", "two")
    say(bot.token, "Grace", "text", "hi")
    chats = channels.chats(owner)
    assert sorted(c["visitor_name"] for c in chats) == ["Ada", "Grace"]
    ada = next(c for c in chats if c["visitor_name"] == "Ada")
    assert [m["text"] for m in channels.messages(owner, ada["id"])] == ["one", "two"]

    closed = platform.post(f"/projects/{owner.project_id}/chats/{ada['id']}/close", {}, owner.auth)
    assert closed.status_code == 200
    say(bot.token, "Ada", "text", "three")
    ada_chats = [c for c in channels.chats(owner) if c["visitor_name"] == "Ada"]
    assert {c["state"] for c in ada_chats} == {"closed", "open"}
    reopened = next(c for c in ada_chats if c["state"] == "open")
    assert reopened["visitor_id"] == ada["visitor_id"] and reopened["id"] != ada["id"]
    assert [m["text"] for m in channels.messages(owner, reopened["id"])] == ["three"]


def test_photos_are_kept_in_our_bucket_and_stickers_and_locations_are_notes(platform, channels):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    page, _ = channels.connect_messenger(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "photo", "the broken zip")
    channels.fake.telegram_customer_says(bot.token, "Ada", "sticker")
    channels.fake.telegram_customer_says(bot.token, "Ada", "location")
    channels.fake.messenger_customer_says(page.id, "Bob", "photo")
    channels.fake.messenger_customer_says(page.id, "Bob", "sticker")

    by_name = {c["visitor_name"]: c for c in channels.chats(owner)}
    ada = channels.messages(owner, by_name["Ada"]["id"])
    bob = channels.messages(owner, by_name["Bob"]["id"])
    assert ada[0]["text"] == "the broken zip"
    assert ada[1]["text"].startswith("[sticker")
    assert ada[2]["text"].startswith("[location")
    assert bob[0]["text"] == "[photo]" and bob[1]["text"].startswith("[sticker")
    s3 = boto3.client("s3", region_name="us-east-1")
    for message in (ada[0], bob[0]):
        prefix = "https://cdn.example.test/"
        assert message["image_url"].startswith(prefix + f"attachments/{owner.project_id}/")
        stored = s3.get_object(Bucket="test-attachments", Key=message["image_url"][len(prefix) :])
        assert stored["ContentType"] == "image/png"
        assert stored["Body"].read().startswith(b"\x89PNG")


def test_notes_work_on_a_channel_chat(platform, channels):
    # Replies go out through the platforms: tests/functional/test_channel_replies.py.
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "Hello")
    [chat] = channels.chats(owner)
    note = platform.post(
        f"/projects/{owner.project_id}/chats/{chat['id']}/notes",
        {"client_id": "note-0001", "text": "VIP"},
        owner.auth,
    )
    assert note.status_code == 201  # notes stay in the panel: they work


def test_the_inbox_filters_by_channel(platform, channels):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner)
    page, _ = channels.connect_messenger(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "tg")
    channels.fake.messenger_customer_says(page.id, "Bob", "text", "fb")
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "web-00001", "text": "web"}
    )

    def names(query):
        return sorted(c["last_message"]["text"] for c in channels.chats(owner, query))

    assert names("") == ["fb", "tg", "web"]
    assert names("?channel=telegram") == ["tg"]
    assert names("?channel=messenger") == ["fb"]
    assert names("?channel=website") == ["web"]
    assert names(f"?channel={channel['id']}") == ["tg"]
    bad = platform.get(f"/projects/{owner.project_id}/chats?channel=fax", owner.auth)
    assert bad.status_code == 400


def test_past_the_limit_messages_are_still_stored_warnings_go_and_the_website_is_unaffected(
    platform, channels, monkeypatch
):
    from chalicelib.config import get_settings

    monkeypatch.setenv(
        "PLAN_CATALOGUE", catalogue_json(team_members=50, scenarios=200, messenger_messages=5)
    )
    get_settings.cache_clear()
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    for n in range(7):
        channels.fake.telegram_customer_says(bot.token, "Ada", "text", f"m{n}")

    [chat] = channels.chats(owner)
    assert len(channels.messages(owner, chat["id"])) == 7
    assert _messenger_count(owner.project_id) == 7
    subjects = [m.subject for m in sent_mail() if owner.email in m.destinations["ToAddresses"]]
    assert sum("80%" in s and "messenger" in s for s in subjects) == 1
    assert sum("100%" in s and "messenger" in s for s in subjects) == 1
    # The website is unaffected: a visitor still writes, the team still answers there.
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "web-00002", "text": "hi"}
    )
    web = next(c for c in channels.chats(owner) if c["channel"] is None)
    answer = platform.post(
        f"/projects/{owner.project_id}/chats/{web['id']}/messages",
        {"client_id": "reply-0002", "text": "Hello"},
        owner.auth,
    )
    assert answer.status_code == 201


def test_a_tapped_button_is_a_note_once_and_reads_and_other_pages_are_ignored(platform, channels):
    owner = platform.sign_up()
    page, channel = channels.connect_messenger(owner)
    path = f"/channels/messenger/{channel['id']}"
    events = [
        {
            "sender": {"id": "2409"},
            "recipient": {"id": page.id},
            "timestamp": 5,
            "postback": {"mid": "m_pb1", "title": "Get Started", "payload": "START"},
        },
        {"sender": {"id": "2409"}, "recipient": {"id": page.id}, "read": {"watermark": 4}},
    ]
    other = {"id": "999", "messaging": [{"sender": {"id": "1"}, "message": {"mid": "m_x"}}]}
    raw = json.dumps({"object": "page", "entry": [{"id": page.id, "messaging": events}, other]})
    headers = {"X-Hub-Signature-256": facebook_signature(raw.encode(), page.app_secret)}

    first = platform.post(path, raw=raw, headers=headers)
    again = platform.post(path, raw=raw, headers=headers)
    assert (first.json_body["stored"], again.json_body["stored"]) == (1, 0)
    [chat] = channels.chats(owner)
    texts = [m["text"] for m in channels.messages(owner, chat["id"])]
    assert texts == ["[tapped the button: Get Started]"]
