"""Incoming Telegram and Messenger messages under load: concurrent deliveries of the same
updates store and count each message exactly once, and what a known customer's message
costs in DynamoDB requests."""

import json
import threading

from chalicelib.clock import utcnow
from chalicelib.models.usage import UsageModel
from chalicelib.services import channel_inbound, channel_lookup, channel_secrets, quotas
from chalicelib.services.projects import require_project
from tests.functional.channel_helpers import telegram_update


def test_concurrent_deliveries_store_and_count_each_message_exactly_once(
    platform, channels, eager_thread_switching
):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner)
    headers = {"x-telegram-bot-api-secret-token": bot.secret_token}
    # Four distinct updates from two customers, each delivered three times at once.
    bodies = [
        json.dumps(telegram_update(700 + n, user_id=31 + n % 2, text=f"t{n}")) for n in range(4)
    ]
    errors = []

    def deliver(raw):
        try:
            channel_inbound.telegram_webhook(channel["id"], headers, raw, platform.sender_fanout)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    from chalicelib import deps

    platform.sender_fanout = deps.fanout()
    threads = [threading.Thread(target=deliver, args=(raw,)) for raw in bodies * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    chats = channels.chats(owner)
    assert len(chats) == 2  # one per customer, however the deliveries raced
    texts = sorted(m["text"] for c in chats for m in channels.messages(owner, c["id"]))
    assert texts == ["t0", "t1", "t2", "t3"]
    usage = UsageModel.get(
        owner.project_id, quotas.period_of(require_project(owner.project_id), utcnow()).key
    )
    assert int(usage.messenger_messages) == 4


def test_what_a_known_customers_message_costs(platform, channels, monkeypatch):
    """DynamoDB requests per incoming message of a customer whose chat is open (the
    figure in the README): the project (its billing period), the chat (its assignee:
    who on the team may hear it), one transaction (guard + message + chat + the quota's
    ADD), the team's sockets: a website message's three plus the project. The channel,
    its secret and the customer come from the container's cache
    (services/channel_lookup.py); the usage read for the 80%/100% warnings is skipped far
    from the marks (services/messenger_quota.py). It was 7."""
    from collections import Counter

    from pynamodb.connection.base import Connection

    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "first")
    calls = Counter()
    original = Connection._make_api_call

    def counting(self, operation_name, operation_kwargs):
        calls[operation_name] += 1
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    secrets_calls = []
    client = channel_secrets._client()
    monkeypatch.setattr(client, "get_secret_value", lambda **kw: secrets_calls.append(kw))
    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "second")

    assert dict(calls) == {"GetItem": 2, "TransactWriteItems": 1, "Query": 1}
    assert secrets_calls == []


def test_a_cached_channel_never_refuses_a_new_secret_and_a_disconnect_refuses_at_once(
    platform, channels
):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "first")
    stale = channel_lookup._cache[channel["id"]]  # what this container keeps
    # Reconnected "in another container" (a new secret_token): this one still caches the old.
    again = platform.post(
        f"/projects/{owner.project_id}/channels/telegram", {"token": bot.token}, owner.auth
    )
    assert again.status_code in (200, 201), again.json_body
    channel_lookup._cache[channel["id"]] = stale
    assert stale[2]["secret_token"] != bot.secret_token

    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "second")  # the new secret
    wrong = platform.post(
        f"/channels/telegram/{channel['id']}",
        raw=json.dumps(telegram_update(9001, text="forged")),
        headers={"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"},
    )

    assert wrong.status_code == 403
    [chat] = channels.chats(owner)
    assert [m["text"] for m in channels.messages(owner, chat["id"])] == ["first", "second"]
    gone = platform.client.http.delete(
        f"/projects/{owner.project_id}/channels/{channel['id']}", headers=owner.auth
    )
    assert gone.status_code == 200
    late = platform.post(
        f"/channels/telegram/{channel['id']}",
        raw=json.dumps(telegram_update(9002, text="late")),
        headers={"X-Telegram-Bot-Api-Secret-Token": bot.secret_token or "x"},
    )
    assert late.status_code == 404


def test_the_usage_read_is_skipped_far_from_the_marks_and_the_warnings_stay_exact(
    platform, channels, monkeypatch
):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    from pynamodb.connection.base import Connection

    from chalicelib.config import get_settings
    from tests.conftest import catalogue_json

    monkeypatch.setenv(
        "PLAN_CATALOGUE", catalogue_json(team_members=50, scenarios=200, messenger_messages=20)
    )
    get_settings.cache_clear()
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    usage_reads = []
    original = Connection._make_api_call

    def counting(self, operation_name, operation_kwargs):
        if operation_name == "GetItem" and operation_kwargs["TableName"].endswith("usage"):
            usage_reads.append(operation_name)
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    reads = []
    for n in range(20):
        channels.fake.telegram_customer_says(bot.token, "Ada", "text", f"m{n}")
        reads.append(len(usage_reads))

    # Read at the first message, then not until the count could reach 70% (14 of 20),
    # then at every message: the 80% (16) and 100% (20) marks are never missed.
    assert reads[:13] == [1] * 13
    assert reads[13:] == list(range(2, 9))
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    subjects = [m.subject for m in sent if owner.email in m.destinations["ToAddresses"]]
    assert sum("80%" in s and "messenger" in s for s in subjects) == 1
    assert sum("100%" in s and "messenger" in s for s in subjects) == 1


def test_a_stale_kept_customer_never_misfiles_a_message(platform, channels):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    say = channels.fake.telegram_customer_says
    say(bot.token, "Ada", "text", "one")
    say(bot.token, "Ada", "text", "two")  # read from the container's copy
    [first] = channels.chats(owner)
    key = (owner.project_id, first["visitor_id"])
    stale = channel_lookup._customers[key]
    assert stale[1].current_chat_id == first["id"]
    closed = platform.post(
        f"/projects/{owner.project_id}/chats/{first['id']}/close", {}, owner.auth
    )
    assert closed.status_code == 200
    say(bot.token, "Ada", "text", "three")  # opens the second chat
    # As if another container had done all that: this one still holds the first chat.
    channel_lookup._customers[key] = stale

    say(bot.token, "Ada", "text", "four")

    chats = {c["id"]: c for c in channels.chats(owner)}
    assert len(chats) == 2  # no third chat from the stale count
    [second] = [c for c in chats if c != first["id"]]
    assert [m["text"] for m in channels.messages(owner, second)] == ["three", "four"]
    assert [m["text"] for m in channels.messages(owner, first["id"])][:2] == ["one", "two"]
    assert channel_lookup._customers[key][1].current_chat_id == second  # read again, kept
