"""Replies to Telegram/Messenger chats in tests: the channel queue in moto's SQS (as the
stack has it), and delivering what is on it to the ``channel_sender`` handler with the
event Lambda's SQS event source builds (chalice.test's ``generate_sqs_event``)."""

import json

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.routes.channel_reply_routes import CHANNEL_QUEUE_NAME


class ChannelQueue:
    def __init__(self, platform, monkeypatch):
        self.platform = platform
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.url = self.sqs.create_queue(QueueName=CHANNEL_QUEUE_NAME)["QueueUrl"]
        monkeypatch.setenv("CHANNEL_QUEUE_URL", self.url)
        get_settings.cache_clear()
        deps.reset_one("channel_queue")

    def _messages(self) -> list:
        backend = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        return list(backend.queues[CHANNEL_QUEUE_NAME]._messages)

    def waiting(self) -> list[tuple[dict, int]]:
        """What is on the queue: (body, DelaySeconds) of each message."""
        return [
            (json.loads(m.body), round((m.delayed_until - m.sent_timestamp) / 1000))
            if m.delayed_until
            else (json.loads(m.body), 0)
            for m in self._messages()
        ]

    def deliver(self, batch: int = 10) -> int:
        """Hand every message to the sender (delays skipped: the test's clock does not
        wait), deleting each as Lambda's event source does after the handler returned.
        Returns how many were handed over."""
        for message in self._messages():
            message.delayed_until = 0
        received = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=batch)
        messages = received.get("Messages", [])
        if not messages:
            return 0
        event = self.platform.client.events.generate_sqs_event(
            message_bodies=[m["Body"] for m in messages], queue_name=CHANNEL_QUEUE_NAME
        )
        self.platform.client.lambda_.invoke("channel_sender", event)
        for message in messages:
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def drain(self, rounds: int = 10) -> None:
        for _ in range(rounds):
            if not self.deliver():
                return


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
