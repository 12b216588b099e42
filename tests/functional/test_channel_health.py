"""Token health of messenger channels: a dead token marks the channel once (one e-mail to
the administrator, a frame to every team socket), the daily check finds dead tokens
through the fake platforms and leaves healthy and transient ones alone, the views and
the project answer carry it, and a customer who blocked the bot is shown on the chat
until they write again."""

import json
import pathlib
import threading
from datetime import timedelta

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.models.channel import ChannelModel
from chalicelib.models.chat import ChatModel
from chalicelib.services import channel_errors, channel_health, channel_secrets

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEAD = channel_errors.Verdict(channel_errors.DEAD_TOKEN, "the Facebook password was changed")
BLOCKED = channel_errors.Verdict(
    channel_errors.BLOCKED, "the customer blocked the bot or left Telegram"
)


def _sent():
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def _run_check(scheduled_app) -> dict:
    event = json.loads((ROOT / "tests" / "events" / "scheduled.json").read_text())
    return scheduled_app.lambda_.invoke("check_channel_tokens", event).payload


def _listed(platform, owner) -> dict:
    response = platform.get(f"/projects/{owner.project_id}/channels", owner.auth)
    assert response.status_code == 200
    return {c["id"]: c for c in response.json_body["channels"]}


def test_a_dead_token_is_marked_once_one_email_and_one_frame_under_concurrent_senders(
    platform, channels, sender, eager_thread_switching
):
    owner = platform.sign_up(project_name="Acme Outdoor")
    operator = platform.member(owner, "operator", name="Ivan")
    _, channel = channels.connect_telegram(owner, "acme_shop_bot")
    owner_panel, _ = platform.connect(owner.token, project=owner.project_id)
    operator_panel, _ = platform.connect(operator.token, project=owner.project_id)
    sender.clear()
    now = utcnow()
    # Four senders hit the dead token at once, each with the channel as it read it.
    copies = [ChannelModel.get(channel["id"]) for _ in range(4)]
    results = []
    threads = [
        threading.Thread(target=lambda c=c: results.append(channel_health.mark_dead(c, DEAD, now)))
        for c in copies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    [mail] = _sent()
    assert mail.destinations["ToAddresses"] == [owner.email]
    assert mail.subject == "[Acme Outdoor] Telegram @acme_shop_bot needs reconnecting"
    assert "needs reconnecting: the Facebook password was changed." in mail.body
    assert "held, not lost" in mail.body
    assert f"#/{owner.project_id}/settings" in mail.body
    assert "@BotFather" in mail.body
    stored = ChannelModel.get(channel["id"])
    assert (stored.health, stored.health_reason) == ("needs_reconnect", DEAD.reason)
    assert stored.health_mailed_at is not None
    # Every member's panel heard it once (operators too: the banner is for everyone).
    for panel in (owner_panel, operator_panel):
        [frame] = sender.frames_for(panel)
        assert frame == {
            "type": "channel_health",
            "channel": {
                "id": channel["id"],
                "kind": "telegram",
                "name": "@acme_shop_bot",
                "health": {
                    "state": "needs_reconnect",
                    "reason": DEAD.reason,
                    "since": frame["channel"]["health"]["since"],
                },
            },
        }
    # Marking again later changes nothing and tells nobody.
    assert channel_health.mark_dead(ChannelModel.get(channel["id"]), DEAD, utcnow()) is False
    assert len(_sent()) == 1


def test_a_late_failure_of_the_old_token_does_not_mark_the_reconnected_channel(platform, channels):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner)
    before = ChannelModel.get(channel["id"])  # what a sender read before the reconnect
    response = platform.post(
        f"/projects/{owner.project_id}/channels/telegram", {"token": bot.token}, owner.auth
    )
    assert response.status_code == 201

    assert channel_health.mark_dead(before, DEAD, utcnow()) is False
    assert ChannelModel.get(channel["id"]).health is None
    assert _sent() == []


def test_a_failed_email_is_given_back_and_the_daily_check_sends_it(
    platform, channels, scheduled_app
):
    owner = platform.sign_up()
    _, channel = channels.connect_telegram(owner)

    class Down:
        def send(self, to, subject, text):
            raise RuntimeError("SES is down (simulated)")

    deps.override(mailer=Down())
    assert channel_health.mark_dead(ChannelModel.get(channel["id"]), DEAD, utcnow()) is True
    assert ChannelModel.get(channel["id"]).health_mailed_at is None  # the claim went back
    deps._overrides.pop("mailer")

    result = _run_check(scheduled_app)

    assert result["already_marked"] == 1 and result["mailed"] == 1
    assert len(_sent()) == 1
    assert _run_check(scheduled_app)["mailed"] == 0  # once
    assert len(_sent()) == 1


def test_the_daily_check_marks_revoked_tokens_and_leaves_healthy_ones(
    platform, channels, scheduled_app, sender
):
    owner = platform.sign_up(project_name="Acme")
    revoked_bot, dead_bot = channels.connect_telegram(owner, "old_bot")
    _, good_bot = channels.connect_telegram(owner, "good_bot")
    page, dead_page = channels.connect_messenger(owner, "Acme Page")
    _, good_page = channels.connect_messenger(owner, "Other Page")
    panel, _ = platform.connect(owner.token, project=owner.project_id)
    sender.clear()
    revoked_bot.revoke()
    page.revoke(460)

    result = _run_check(scheduled_app)

    assert result == {
        "examined": 4,
        "healthy": 2,
        "dead": 2,
        "already_marked": 0,
        "transient": 0,
        "mailed": 2,
    }
    listed = _listed(platform, owner)
    assert listed[dead_bot["id"]]["health"]["state"] == "needs_reconnect"
    assert listed[dead_bot["id"]]["health"]["reason"] == (
        "the bot token was revoked or the bot was deleted"
    )
    assert listed[dead_page["id"]]["health"]["reason"] == "the Facebook password was changed"
    assert listed[good_bot["id"]]["health"] == {"state": "ok", "reason": None, "since": None}
    assert listed[good_page["id"]]["health"]["state"] == "ok"
    assert sorted(m.subject for m in _sent()) == [
        "[Acme] Messenger Page Acme Page needs reconnecting",
        "[Acme] Telegram @old_bot needs reconnecting",
    ]
    assert "id " + page.id in next(m.body for m in _sent() if "Page" in m.subject)
    assert len([f for f in sender.frames_for(panel) if f["type"] == "channel_health"]) == 2

    # The next day: nothing new, nobody told twice.
    again = _run_check(scheduled_app)
    assert (again["dead"], again["already_marked"], again["mailed"]) == (0, 2, 0)
    assert len(_sent()) == 2


def test_a_healthy_answer_does_not_unmark_only_a_reconnect_does(
    platform, channels, scheduled_app, sender
):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    bot, channel = channels.connect_telegram(owner)
    operator_panel, _ = platform.connect(operator.token, project=owner.project_id)
    assert channel_health.mark_dead(ChannelModel.get(channel["id"]), DEAD, utcnow())

    # The token answers getMe (a misread, say): the mark stays, the team reconnects.
    assert _run_check(scheduled_app)["already_marked"] == 1
    assert _listed(platform, owner)[channel["id"]]["health"]["state"] == "needs_reconnect"
    sender.clear()

    response = platform.post(
        f"/projects/{owner.project_id}/channels/telegram", {"token": bot.token}, owner.auth
    )
    assert response.status_code == 201
    assert response.json_body["channel"]["health"]["state"] == "ok"
    assert _listed(platform, owner)[channel["id"]]["health"]["state"] == "ok"
    assert ChannelModel.get(channel["id"]).health_mailed_at is None  # a new connection
    # Open panels (an operator's too) hear it is healthy again: their banner goes.
    [frame] = sender.frames_for(operator_panel)
    assert frame["type"] == "channel_health" and frame["channel"]["id"] == channel["id"]
    assert frame["channel"]["health"] == {"state": "ok", "reason": None, "since": None}


def test_transient_errors_change_nothing(platform, channels, scheduled_app, monkeypatch):
    owner = platform.sign_up()
    _, telegram_channel = channels.connect_telegram(owner)
    _, page_channel = channels.connect_messenger(owner)
    # The platforms cannot be reached (nothing listens on port 9).
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:9")
    monkeypatch.setenv("GRAPH_API_BASE", "http://127.0.0.1:9/v21.0")
    get_settings.cache_clear()

    result = _run_check(scheduled_app)

    assert (result["examined"], result["transient"], result["dead"]) == (2, 2, 0)
    for channel_id in (telegram_channel["id"], page_channel["id"]):
        assert ChannelModel.get(channel_id).health is None
    assert _sent() == []


def test_the_check_survives_an_unreadable_secret(platform, channels, scheduled_app):
    owner = platform.sign_up()
    _, broken = channels.connect_telegram(owner, "broken_bot")
    bot, fine = channels.connect_telegram(owner, "fine_bot")
    bot.revoke()
    ChannelModel(broken["id"]).update(actions=[ChannelModel.secret_version.set("nope")])
    channel_secrets.reset()

    result = _run_check(scheduled_app)

    assert (result["transient"], result["dead"]) == (1, 1)
    assert ChannelModel.get(broken["id"]).health is None
    assert ChannelModel.get(fine["id"]).health == "needs_reconnect"


def test_every_member_sees_the_alert_in_the_project_answer_without_any_token(platform, channels):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    bot, channel = channels.connect_telegram(owner, "acme_shop_bot")
    _, healthy = channels.connect_telegram(owner, "other_bot")
    assert (
        platform.get(f"/projects/{owner.project_id}", operator.auth).json_body["project"][
            "channel_alerts"
        ]
        == []
    )
    channel_health.mark_dead(ChannelModel.get(channel["id"]), DEAD, utcnow())

    answer = platform.get(f"/projects/{owner.project_id}", operator.auth)

    assert answer.status_code == 200
    [alert] = answer.json_body["project"]["channel_alerts"]
    assert alert["id"] == channel["id"] and alert["name"] == "@acme_shop_bot"
    assert alert["health"]["state"] == "needs_reconnect"
    assert alert["health"]["reason"] == DEAD.reason
    assert bot.token[-4:] not in json.dumps(answer.json_body)
    # The operator still may not open Settings -> Channels.
    listed = platform.get(f"/projects/{owner.project_id}/channels", operator.auth)
    assert listed.status_code == 403
    # A disconnected channel needs no reconnecting.
    platform.client.http.delete(
        f"/projects/{owner.project_id}/channels/{channel['id']}", headers=owner.auth
    )
    after = platform.get(f"/projects/{owner.project_id}", owner.auth).json_body["project"]
    assert after["channel_alerts"] == []
    assert _listed(platform, owner)[channel["id"]]["health"]["state"] == "ok"
    assert healthy["id"] in _listed(platform, owner)


def test_the_channel_view_merges_token_health_with_the_live_check(platform, channels):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner)
    bot.revoke()
    channel_health.mark_dead(ChannelModel.get(channel["id"]), DEAD, utcnow())

    got = platform.get(f"/projects/{owner.project_id}/channels/{channel['id']}", owner.auth)

    health = got.json_body["channel"]["health"]
    assert health["state"] == "needs_reconnect" and health["reason"] == DEAD.reason
    assert health["ok"] is False and "Unauthorized" in health["error"]


def test_a_blocked_customer_is_shown_on_the_chat_and_cleared_by_their_next_message(
    platform, channels, sender
):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "Hi!")
    [chat] = channels.chats(owner)
    assert chat["unreachable_reason"] is None
    panel, _ = platform.connect(owner.token, project=owner.project_id)
    sender.clear()

    channel_health.mark_unreachable(ChatModel.get(owner.project_id, chat["id"]), BLOCKED)

    [frame] = sender.frames_for(panel)
    assert frame["type"] == "chat" and frame["chat"]["unreachable_reason"] == BLOCKED.reason
    [chat] = channels.chats(owner)
    assert chat["unreachable_reason"] == BLOCKED.reason
    one = platform.get(f"/projects/{owner.project_id}/chats/{chat['id']}", owner.auth)
    assert one.json_body["chat"]["unreachable_reason"] == BLOCKED.reason
    sender.clear()

    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "I'm back")

    [chat] = channels.chats(owner)
    assert chat["unreachable_reason"] is None
    [frame] = [f for f in sender.frames_for(panel) if f["type"] == "message"]
    assert frame["chat"]["unreachable_reason"] is None  # the panel clears it live
    assert ChatModel.get(owner.project_id, chat["id"]).unreachable_reason is None


def test_the_health_mark_keeps_the_first_reason_and_time(platform, channels):
    owner = platform.sign_up()
    _, channel = channels.connect_telegram(owner)
    first = utcnow() - timedelta(hours=2)
    channel_health.mark_dead(ChannelModel.get(channel["id"]), DEAD, first)
    other = channel_errors.Verdict(channel_errors.DEAD_TOKEN, "the Page token expired")
    channel_health.mark_dead(ChannelModel.get(channel["id"]), other, utcnow())

    health = _listed(platform, owner)[channel["id"]]["health"]
    assert health["reason"] == DEAD.reason
    assert health["since"].startswith(first.strftime("%Y-%m-%dT%H:%M"))


def test_the_daily_check_finds_channels_by_its_index_and_the_backfill_puts_old_ones_in(
    platform, channels, scheduled_app, capsys
):
    import boto3

    from infra import backfill

    owner = platform.sign_up(project_name="Acme")
    _, kept = channels.connect_telegram(owner, "kept_bot")
    _, gone = channels.connect_telegram(owner, "gone_bot")
    _, older = channels.connect_messenger(owner, "Older Page")
    removed = platform.client.http.delete(
        f"/projects/{owner.project_id}/channels/{gone['id']}", headers=owner.auth
    )
    assert removed.status_code == 200
    # As a channel connected before the ``connected`` index: connected, without its key.
    ChannelModel(older["id"]).update(actions=[ChannelModel.connected_shard.remove()])

    indexed = {c.channel_id for c in ChannelModel.connected.query("connected")}
    assert indexed == {kept["id"]}  # the disconnected one left it, the old one never was
    assert _run_check(scheduled_app)["examined"] == 1

    client = boto3.client("dynamodb", region_name="us-east-1")
    prefix = get_settings().table_prefix
    assert backfill.main(["connected", "--prefix", prefix], client=client) == 0
    assert capsys.readouterr().out.startswith("1 connected channels")
    assert _run_check(scheduled_app)["examined"] == 2
    backfill.main(["connected", "--prefix", prefix], client=client)
    assert capsys.readouterr().out.startswith("0 connected channels")  # safe to rerun
