"""Connecting Telegram bots and Facebook Pages, through the fake platforms: the checks
the server makes, what it stores, what it never says back, disconnecting and coming back."""

import json

import boto3

from chalicelib.models.channel import ChannelModel
from tests.functional.channel_helpers import PUBLIC_API


def _all_text(*responses) -> str:
    return " ".join(json.dumps(r.json_body) for r in responses)


def test_a_telegram_bot_connects_with_its_webhook_registered_without_the_token(platform, channels):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner, "acme_shop_bot")

    assert channel["name"] == "@acme_shop_bot"
    assert channel["status"] == "connected"
    assert channel["token"] == "…" + bot.token[-4:]
    assert channel["health"] == {
        "state": "ok",  # the token's (services/channel_health.py), then the webhook's
        "reason": None,
        "since": None,
        "ok": True,
        "webhook_set": True,
        "pending_updates": 0,
        "last_error": None,
        "last_error_at": None,
    }
    # Telegram was told our URL (no token in it) and a random secret token.
    assert bot.webhook_url == f"{PUBLIC_API}/channels/telegram/{channel['id']}"
    assert bot.token not in bot.webhook_url and bot.token.split(":")[1] not in bot.webhook_url
    assert len(bot.secret_token) >= 32
    assert bot.allowed_updates == ["message"]
    # Stored encrypted in Secrets Manager, not in the table.
    item = ChannelModel.get(channel["id"])
    assert bot.token not in json.dumps(item.attribute_values, default=str)
    secret = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(
        SecretId=f"test-channels/{channel['id']}"
    )
    assert json.loads(secret["SecretString"])["token"] == bot.token


def test_bad_telegram_tokens_get_a_clear_400_and_change_nothing(platform, channels):
    owner = platform.sign_up()
    path = f"/projects/{owner.project_id}/channels/telegram"
    malformed = platform.post(path, {"token": "not a token"}, owner.auth)
    unknown = platform.post(path, {"token": "123456:" + "A" * 35}, owner.auth)
    missing = platform.post(path, {}, owner.auth)

    assert malformed.status_code == 400
    assert "bot token" in malformed.json_body["error"]["message"]
    assert unknown.status_code == 400
    assert "Telegram refused the bot token" in unknown.json_body["error"]["message"]
    assert missing.status_code == 400
    listed = platform.get(f"/projects/{owner.project_id}/channels", owner.auth)
    assert listed.json_body == {"channels": []}


def test_a_facebook_page_connects_and_facebook_verifies_the_webhook(platform, channels):
    owner = platform.sign_up()
    page, channel = channels.connect_messenger(owner, "Acme Outdoor")

    assert channel["name"] == "Acme Outdoor"
    assert channel["webhook_url"] == f"{PUBLIC_API}/channels/messenger/{channel['id']}"
    assert page.subscribed_fields == ["messages", "messaging_postbacks", "message_echoes"]
    # The fake ran Facebook's GET verification against our route with our verify token.
    assert page.callback_url == channel["webhook_url"]
    wrong = platform.get(
        f"/channels/messenger/{channel['id']}?hub.mode=subscribe&hub.verify_token=nope"
        "&hub.challenge=42"
    )
    assert wrong.status_code == 403
    health = platform.get(f"/projects/{owner.project_id}/channels/{channel['id']}", owner.auth)
    assert health.json_body["channel"]["health"] == {
        "state": "ok",
        "reason": None,
        "since": None,
        "ok": True,
        "subscribed_fields": ["message_echoes", "messages", "messaging_postbacks"],
    }


def test_bad_facebook_credentials_get_a_clear_400_and_change_nothing(platform, channels):
    owner = platform.sign_up()
    page = channels.fake.create_page("Mine")
    other = channels.fake.create_page("Someone else's")
    path = f"/projects/{owner.project_id}/channels/messenger"
    good = {"page_id": page.id, "page_token": page.page_token, "app_secret": page.app_secret}

    wrong_secret = platform.post(path, {**good, "app_secret": "0" * 32}, owner.auth)
    wrong_token = platform.post(path, {**good, "page_token": "EAAGnonsense"}, owner.auth)
    other_page = platform.post(
        path, {**good, "page_token": other.page_token, "app_secret": other.app_secret}, owner.auth
    )
    bad_id = platform.post(path, {**good, "page_id": "acme"}, owner.auth)

    assert wrong_secret.status_code == 400
    assert "appsecret_proof" in wrong_secret.json_body["error"]["message"]
    assert wrong_token.status_code == 400
    assert "Invalid OAuth access token" in wrong_token.json_body["error"]["message"]
    assert other_page.status_code == 400
    assert "another Page" in other_page.json_body["error"]["message"]
    assert bad_id.status_code == 400
    assert page.subscribed_fields == [] and other.subscribed_fields == []
    listed = platform.get(f"/projects/{owner.project_id}/channels", owner.auth)
    assert listed.json_body == {"channels": []}


def test_no_answer_ever_carries_a_token_or_secret(platform, channels):
    owner = platform.sign_up()
    bot = channels.fake.create_bot("secretive_bot")
    page = channels.fake.create_page("Secretive")
    base = f"/projects/{owner.project_id}/channels"
    answers = [
        platform.post(f"{base}/telegram", {"token": bot.token}, owner.auth),
        platform.post(
            f"{base}/messenger",
            {"page_id": page.id, "page_token": page.page_token, "app_secret": page.app_secret},
            owner.auth,
        ),
    ]
    secret_token = bot.secret_token
    assert secret_token
    answers.append(platform.get(base, owner.auth))
    for channel in answers[-1].json_body["channels"]:
        answers.append(platform.get(f"{base}/{channel['id']}", owner.auth))
        answers.append(platform.client.http.delete(f"{base}/{channel['id']}", headers=owner.auth))
    answers.append(platform.get(base, owner.auth))

    assert all(a.status_code in (200, 201) for a in answers), _all_text(*answers)
    text = _all_text(*answers)
    for secret in (bot.token, secret_token, page.page_token, page.app_secret):
        assert secret not in text
    assert bot.token.split(":")[1] not in text


def test_disconnecting_keeps_the_chats_and_reconnecting_continues_them(platform, channels):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada Lovelace", "text", "First")
    [chat] = channels.chats(owner)

    gone = platform.client.http.delete(
        f"/projects/{owner.project_id}/channels/{channel['id']}", headers=owner.auth
    )
    assert gone.status_code == 200
    assert gone.json_body["channel"]["status"] == "disconnected"
    assert gone.json_body["channel"]["token"] is None
    assert bot.webhook_url == ""  # deleteWebhook was called
    # Whatever still arrives for it is refused (no secret to check it with) and not kept.
    late = platform.post(
        f"/channels/telegram/{channel['id']}",
        raw=json.dumps({"update_id": 1, "message": {}}),
        headers={"X-Telegram-Bot-Api-Secret-Token": "anything"},
    )
    assert late.status_code == 404
    assert [c["id"] for c in channels.chats(owner)] == [chat["id"]]

    again = platform.post(
        f"/projects/{owner.project_id}/channels/telegram", {"token": bot.token}, owner.auth
    )
    assert again.status_code == 201
    assert again.json_body["channel"]["id"] == channel["id"]
    channels.fake.telegram_customer_says(bot.token, "Ada Lovelace", "text", "Back again")
    [same] = channels.chats(owner)
    assert same["id"] == chat["id"]
    assert [m["text"] for m in channels.messages(owner, chat["id"])] == ["First", "Back again"]


def test_a_bot_connected_to_one_project_is_refused_in_another(platform, channels):
    owner = platform.sign_up()
    rival = platform.sign_up(project_name="Rival")
    bot, _ = channels.connect_telegram(owner)
    taken = platform.post(
        f"/projects/{rival.project_id}/channels/telegram", {"token": bot.token}, rival.auth
    )
    assert taken.status_code == 409
    assert "another project" in taken.json_body["error"]["message"]


def test_operators_cannot_see_or_change_channels(platform, channels):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    bot = channels.fake.create_bot("ops_bot")
    base = f"/projects/{owner.project_id}/channels"
    assert platform.get(base, operator.auth).status_code == 403
    assert platform.post(f"{base}/telegram", {"token": bot.token}, operator.auth).status_code == 403
    assert bot.webhook_url == ""


def test_another_projects_lead_cannot_read_or_disconnect_a_channel(platform, channels):
    owner = platform.sign_up()
    intruder = platform.sign_up(project_name="Intruder")
    bot, channel = channels.connect_telegram(owner)
    own_path = f"/projects/{intruder.project_id}/channels/{channel['id']}"
    their_path = f"/projects/{owner.project_id}/channels/{channel['id']}"

    assert platform.get(own_path, intruder.auth).status_code == 404
    assert platform.client.http.delete(own_path, headers=intruder.auth).status_code == 404
    assert platform.get(their_path, intruder.auth).status_code == 403
    assert platform.client.http.delete(their_path, headers=intruder.auth).status_code == 403
    assert ChannelModel.get(channel["id"]).status == "connected"
    assert bot.webhook_url.endswith(channel["id"])


def test_a_malformed_connect_body_is_a_clear_400(platform, channels):
    owner = platform.sign_up()
    path = f"/projects/{owner.project_id}/channels/messenger"
    broken = platform.post(path, raw="{oops", headers=owner.auth)
    empty = platform.post(path, {"page_id": "123"}, owner.auth)
    assert broken.status_code == 400 and "JSON" in broken.json_body["error"]["message"]
    assert empty.status_code == 400 and "page_token" in empty.json_body["error"]["message"]
