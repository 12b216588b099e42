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

Never twice: SQS delivers at least once (a Lambda that times out after the platform
took a part and before SQS deleted the queue message gets it again). So before each part
goes out, one conditional UpdateItem claims it on the reply (``send_claim``: attempt,
part, this handler's own token; ``sent_parts``: the ids of the parts before it); every
outcome (sent, failed, held, back on the queue) clears the claim in the write it makes
anyway. A delivery that finds a claim nobody cleared:

- younger than ``CLAIM_STALE_SECONDS`` (twice the function's 30 s timeout): its owner may
  be sending right now (SQS handed the message out twice), so it goes back on the queue
  until the claim would be stale, and then finds the reply sent, or
- older: its owner died between claiming and writing the outcome, so nobody knows
  whether the platform took that part. Neither platform can be asked what a bot or Page
  sent, so the reply is ``failed`` with ``UNKNOWN_REASON``: the team looks at the chat
  and decides with Retry (which sends the unknown part again, never the ones before it).

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
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.clock import utcnow
from chalicelib.models.channel import CONNECTED, TELEGRAM, ChannelModel
from chalicelib.models.chat import ChatModel
from chalicelib.models.message import ClientMessageIdModel, MessageModel, chat_key, client_key
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import channel_errors, channel_health, channel_secrets, messenger, telegram
from chalicelib.services.channel_errors import Verdict
from chalicelib.services.channel_outbox import (
    FAILED,
    HELD,
    SENDING,
    SENDING_GRACE,
    SENT,
    enqueue,
    move,
)
from chalicelib.services.message_store import CLIENT_ID_RETENTION
from chalicelib.services.platform_http import PlatformError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_BACKOFF_SECONDS = 5
MAX_DELAY_SECONDS = 900  # SQS's DelaySeconds ceiling
TELEGRAM_CHAT_GAP_SECONDS = 1.0
# No handler runs past the function's 30 s timeout (.chalice/config.json): a claim twice
# as old has no living owner.
CLAIM_STALE_SECONDS = 60
UNKNOWN_REASON = "it may not have been sent (our sender stopped mid-send); check before retrying"
# What clears the claim, in the write that records a part's outcome.
RELEASE = (MessageModel.send_claim.remove(), MessageModel.send_claimed_at.remove())


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
    if message.send_claim:  # a part is (or was) in flight: never send it blindly
        return _claimed_elsewhere(message, body, fanout, clock)
    try:
        return _send(message, body, fanout, pacer, clock)
    except Exception:  # noqa: BLE001 - logged; failed, so the team sees it and can retry
        log.exception("reply %s could not be sent", message_id)
        reason = "it could not be sent (an error on our side); retry"
        move(message, SENDING, FAILED, None, fanout, reason=reason, more=RELEASE)
        return Outcome(FAILED, reason)


def _claimed_elsewhere(message: MessageModel, body: dict, fanout: Fanout, clock) -> Outcome:
    """Another delivery claimed a part and has not written its outcome (see above)."""
    claim = message.send_claim
    age = (clock() - message.send_claimed_at).total_seconds() if message.send_claimed_at else 0
    if age < CLAIM_STALE_SECONDS:
        wait = max(1, int(CLAIM_STALE_SECONDS - age) + 1)
        enqueue(message, int(body.get("attempt") or 0), message.sent_parts or (), wait)
        return Outcome("requeued", "another delivery is sending it")
    ours = MessageModel.send_claim == claim  # unless its owner wrote an outcome meanwhile
    if not move(message, SENDING, FAILED, None, fanout, UNKNOWN_REASON, RELEASE, also=ours):
        return Outcome("skipped", "another delivery finished it")
    log.warning("reply %s: claim %s went stale; may not have been sent", message.message_id, claim)
    return Outcome(FAILED, UNKNOWN_REASON)


def _claim(message: MessageModel, held: str | None, attempt: int, done: list, clock) -> str | None:
    """Claim the next part (the one after ``done``), in one conditional UpdateItem: the
    first from nobody, each next one from this handler's previous claim ``held``, saving
    the ids sent so far. None when another delivery got there first."""
    owner = held.rsplit(":", 1)[1] if held else uuid.uuid4().hex[:16]
    claim = f"{attempt}:{len(done)}:{owner}"
    actions = [MessageModel.send_claim.set(claim), MessageModel.send_claimed_at.set(clock())]
    if done:
        actions.append(MessageModel.sent_parts.set(list(done)))
    free = MessageModel.send_claim.does_not_exist() if held is None else None
    condition = (MessageModel.delivery == SENDING) & (
        free if free is not None else MessageModel.send_claim == held
    )
    try:
        message.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return claim


def _progress(message: MessageModel, body: dict) -> list[str]:
    """The ids of the parts already sent: the reply's own record, or (a queue message
    from before it kept one) the body's, whichever knows more."""
    stored = [str(i) for i in message.sent_parts or []]
    carried = [str(i) for i in body.get("sent_ids") or [] if isinstance(i, (str, int))]
    return stored if len(stored) >= len(carried) else carried


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
    done = _progress(message, body)
    attempt = int(body.get("attempt") or 0)
    claim = None
    telegram_chat = channel.kind == TELEGRAM
    parts = telegram.parts(message.text) if telegram_chat else messenger.parts(message.text)
    try:
        for part in parts[len(done) :]:
            claim = _claim(message, claim, attempt, done, clock)
            if claim is None:
                fresh = MessageModel.get(message.chat_key, message.message_id, consistent_read=True)
                if fresh.delivery != SENDING or not fresh.send_claim:
                    return Outcome("skipped", "another delivery handled it")
                return _claimed_elsewhere(fresh, body, fanout, clock)
            if telegram_chat:
                pacer.wait(f"{channel.channel_id}:{customer}")
                done.append(telegram.send_part(secret["token"], customer, part))
                continue
            mid = messenger.send_part(
                secret["page_token"],
                secret["app_secret"],
                customer,
                part,
                message.delivery_tag,
                ours=message.message_id,
            )
            _guard_echo(message, channel, mid, clock)
            done.append(mid)
    except PlatformError as error:
        verdict = channel_errors.of(channel.kind, error)
        return _judged(message, chat, channel, verdict, body, (done, claim), fanout, clock)
    ids = ",".join(done)[:1000]
    sent = [MessageModel.platform_message_id.set(ids), MessageModel.sent_parts.remove(), *RELEASE]
    mine = MessageModel.send_claim == claim if claim else MessageModel.send_claim.does_not_exist()
    move(message, SENDING, SENT, assignee, fanout, more=sent, also=mine)
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


def _judged(message, chat, channel, verdict: Verdict, body, progress, fanout, clock) -> Outcome:
    """The platform refused the claimed part (it was not sent): its outcome, written
    with the claim released and the ids of the parts before it kept."""
    done, claim = progress
    assignee = chat.assignee_id
    if verdict.kind == channel_errors.RETRY:
        attempt = int(body.get("attempt") or 0) + 1
        if attempt >= MAX_ATTEMPTS:
            reason = f"{verdict.reason} (tried {attempt} times)"
            return _fail(message, assignee, reason, fanout, done)
        delay = min(MAX_DELAY_SECONDS, verdict.after or backoff_seconds(attempt - 1))
        # Released before it goes back on the queue, so the next delivery may claim it;
        # due again after the back-off (the clock app's re-queue, channel_requeue).
        kept = [MessageModel.sent_parts.set(done)] if done else []
        due = clock() + timedelta(seconds=delay) + SENDING_GRACE
        actions = [*RELEASE, *kept, MessageModel.sending_due.set(due)]
        message.update(actions=actions, condition=MessageModel.send_claim == claim)
        enqueue(message, attempt=attempt, sent_ids=done, delay=delay)
        return Outcome("requeued", verdict.reason)
    if verdict.kind == channel_errors.DEAD_TOKEN:
        if channel_health.mark_dead(channel, verdict, clock()):
            log.warning("channel %s needs reconnecting: %s", channel.channel_id, verdict.reason)
        held = [*RELEASE, *([MessageModel.sent_parts.set(done)] if done else [])]
        move(message, SENDING, HELD, assignee, fanout, more=held, held_channel=channel.channel_id)
        return Outcome(HELD, verdict.reason)
    if verdict.kind == channel_errors.BLOCKED:
        channel_health.mark_unreachable(chat, verdict)
    return _fail(message, assignee, verdict.reason, fanout, done)


def _fail(message: MessageModel, assignee, reason: str, fanout: Fanout, done=()) -> Outcome:
    kept = [MessageModel.sent_parts.set(list(done))] if done else []
    move(message, SENDING, FAILED, assignee, fanout, reason=reason[:300], more=[*RELEASE, *kept])
    return Outcome(FAILED, reason)
