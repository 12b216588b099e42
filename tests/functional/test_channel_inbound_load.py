"""Incoming Telegram and Messenger messages under load: concurrent deliveries of the same
updates store and count each message exactly once, and what a known customer's message
costs in DynamoDB requests."""

import json
import threading

from chalicelib.clock import utcnow
from chalicelib.models.usage import UsageModel
from chalicelib.services import channel_inbound, channel_secrets, quotas
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
    figure in the README): the channel, the project (its billing period), the customer,
    the chat (its assignee: who on the team may hear it), one transaction (guard +
    message + chat + the quota's ADD), the usage read for the 80%/100% warnings, the
    team's sockets. Secrets Manager is not called again (the container's cache)."""
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

    assert dict(calls) == {"GetItem": 5, "TransactWriteItems": 1, "Query": 1}
    assert secrets_calls == []
