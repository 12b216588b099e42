"""The consumer of the channel queue: each queue message names one team reply, which goes
out through its platform (Telegram's ``sendMessage``, Messenger's Send API).

For each reply still ``sending``: read the chat, its channel and its customer, the
channel's token (channel_secrets, cached per container and version), and send the parts
not sent yet. Then, by the platform's answer (channel_errors' verdict):

- sent: ``delivery="sent"`` and the platform's message id(s); for Messenger each ``mid``
  also gets the idempotency guard an echo of it would use (services/channel_inbound.py
  stores echoes under ``fb.<mid>``), so the echo of our own send is never a second
  message (the ``metadata`` we send marks it too, for an echo that beats our write).
- retry: back on the queue with ``DelaySeconds`` = the platform's wait, else a back-off
  (5 s doubling, capped at 900 s, SQS's own maximum); after ``MAX_ATTEMPTS`` sends the
  reply is ``failed`` with the reason. The ids of the parts already sent travel in the
  body, so no part of a long reply split in several is sent twice.
- dead token: the channel is marked (channel_health.mark_dead) and the reply ``held``
  until a reconnect releases it.
- blocked: the chat's customer is marked unreachable, the reply ``failed``.
- window closed, failed: ``failed`` with the reason.

Telegram takes about one message a second per chat: ``Pacer`` keeps one batch from
sending two messages to one chat within a second (it waits; a batch is at most ten).

It never raises for a reply: an unexpected error is logged and the reply ``failed`` with
a reason the team can retry from, so SQS never redelivers it in a storm. Only a failure
to read the queue message's own reply (DynamoDB unreachable) raises, which is the one
case where SQS's retry (then the dead-letter queue) is what we want.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import utcnow
from chalicelib.models.channel import CONNECTED, TELEGRAM, ChannelModel
from chalicelib.models.chat import ChatModel
from chalicelib.models.message import ClientMessageIdModel, MessageModel, chat_key, client_key
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import channel_errors, channel_health, channel_secrets, messenger, telegram
from chalicelib.services.channel_errors import Verdict
from chalicelib.services.channel_outbox import FAILED, HELD, SENDING, SENT, enqueue, move
from chalicelib.services.message_store import CLIENT_ID_RETENTION
from chalicelib.services.platform_http import PlatformError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_BACKOFF_SECONDS = 5
MAX_DELAY_SECONDS = 900  # SQS's DelaySeconds ceiling
TELEGRAM_CHAT_GAP_SECONDS = 1.0


def backoff_seconds(attempt: int) -> int:
    return min(MAX_DELAY_SECONDS, FIRST_BACKOFF_SECONDS * 2**attempt)


@dataclass
class Pacer:
    """At most one message a second to one Telegram chat, across one batch."""

    clock: object = time.monotonic
    sleep: object = time.sleep
    last: dict = field(default_factory=dict)

    def wait(self, key: str) -> None:
        previous = self.last.get(key)
        if previous is not None:
            gap = TELEGRAM_CHAT_GAP_SECONDS - (self.clock() - previous)
            if gap > 0:
                self.sleep(gap)
        self.last[key] = self.clock()


@dataclass
class Outcome:
    state: str  # sent | requeued | failed | held | skipped
    reason: str | None = None


def handle(body: dict, fanout: Fanout, pacer: Pacer, clock=utcnow) -> Outcome:
    project_id, chat_id, message_id = (body.get(k) for k in ("project_id", "chat_id", "message_id"))
    if not all(isinstance(v, str) and v for v in (project_id, chat_id, message_id)):
        return Outcome("skipped", "not a reply's queue message")
    try:
        message = MessageModel.get(chat_key(project_id, chat_id), message_id, consistent_read=True)
    except DoesNotExist:
        return Outcome("skipped", "no such message")
    if message.delivery != SENDING:  # sent, failed or held meanwhile (or a duplicate)
        return Outcome("skipped", f"the reply is {message.delivery}")
    try:
        return _send(message, body, fanout, pacer, clock)
    except Exception:  # noqa: BLE001 - logged; failed, so the team sees it and can retry
        log.exception("reply %s could not be sent", message_id)
        reason = "it could not be sent (an error on our side); retry"
        move(message, SENDING, FAILED, None, fanout, reason=reason)
        return Outcome(FAILED, reason)


def _send(message: MessageModel, body: dict, fanout: Fanout, pacer: Pacer, clock) -> Outcome:
    try:
        chat = ChatModel.get(message.project_id, message.chat_id)
        channel = ChannelModel.get(chat.channel_id)
    except DoesNotExist:
        return _fail(message, None, "the chat or its channel is gone", fanout)
    assignee = chat.assignee_id
    if channel.status != CONNECTED or not channel.secret_version:
        return _fail(message, assignee, "the channel was disconnected", fanout)
    if channel_health.needs_reconnect(channel):
        move(message, SENDING, HELD, assignee, fanout, held_channel=channel.channel_id)
        return Outcome(HELD, channel.health_reason)
    customer = _customer_of(chat)
    if customer is None:
        return _fail(message, assignee, "the customer's platform id is not known", fanout)
    secret = channel_secrets.load(channel.channel_id, channel.secret_version)
    earlier = [str(i) for i in body.get("sent_ids") or [] if isinstance(i, (str, int))]
    done = len(earlier)
    sent_ids: list[str] = []
    try:
        if channel.kind == TELEGRAM:
            parts = telegram.parts(message.text)
            for part in parts[done:]:
                pacer.wait(f"{channel.channel_id}:{customer}")
                sent_ids.append(telegram.send_part(secret["token"], customer, part))
        else:
            parts = messenger.parts(message.text)
            for part in parts[done:]:
                mid = messenger.send_part(
                    secret["page_token"],
                    secret["app_secret"],
                    customer,
                    part,
                    message.delivery_tag,
                    ours=message.message_id,
                )
                _guard_echo(message, channel, mid, clock)
                sent_ids.append(mid)
    except PlatformError as error:
        verdict = channel_errors.of(channel.kind, error)
        return _judged(message, chat, channel, verdict, body, earlier + sent_ids, fanout, clock)
    ids = ",".join([*earlier, *sent_ids])[:1000]
    move(message, SENDING, SENT, assignee, fanout, more=[MessageModel.platform_message_id.set(ids)])
    return Outcome(SENT)


def _customer_of(chat: ChatModel) -> str | None:
    try:
        visitor = VisitorModel.get(chat.project_id, chat.visitor_id)
    except DoesNotExist:
        return None
    return visitor.channel_customer_id


def _guard_echo(message: MessageModel, channel: ChannelModel, mid: str, clock) -> None:
    """The guard Messenger's echo of this ``mid`` will meet (channel_inbound stores an
    echo under client id ``fb.<mid>`` by author ``channel.<id>``): it names our reply,
    so the echo is "already stored"."""
    ClientMessageIdModel(
        client_key(message.project_id, f"channel.{channel.channel_id}", f"fb.{mid[:200]}"),
        chat_id=message.chat_id,
        message_id=message.message_id,
        expires_at=clock() + CLIENT_ID_RETENTION,
    ).save()


def _judged(message, chat, channel, verdict: Verdict, body, sent_ids, fanout, clock) -> Outcome:
    assignee = chat.assignee_id
    if verdict.kind == channel_errors.RETRY:
        attempt = int(body.get("attempt") or 0) + 1
        if attempt >= MAX_ATTEMPTS:
            return _fail(message, assignee, f"{verdict.reason} (tried {attempt} times)", fanout)
        delay = min(MAX_DELAY_SECONDS, verdict.after or backoff_seconds(attempt - 1))
        enqueue(message, attempt=attempt, sent_ids=sent_ids, delay=delay)
        return Outcome("requeued", verdict.reason)
    if verdict.kind == channel_errors.DEAD_TOKEN:
        if channel_health.mark_dead(channel, verdict, clock()):
            log.warning("channel %s needs reconnecting: %s", channel.channel_id, verdict.reason)
        move(message, SENDING, HELD, assignee, fanout, held_channel=channel.channel_id)
        return Outcome(HELD, verdict.reason)
    if verdict.kind == channel_errors.BLOCKED:
        channel_health.mark_unreachable(chat, verdict)
    return _fail(message, assignee, verdict.reason, fanout)


def _fail(message: MessageModel, assignee, reason: str, fanout: Fanout) -> Outcome:
    move(message, SENDING, FAILED, assignee, fanout, reason=reason[:300])
    return Outcome(FAILED, reason)
