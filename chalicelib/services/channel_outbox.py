"""Team replies to Telegram/Messenger chats: stored like any reply, then queued for the
platform (services/channel_sender.py sends them).

- A reply is stored by the message path as today (one idempotent transaction, the same
  fan-out) with ``delivery="sending"``, and ONE queue message names it. A resend of the
  same client id is the stored reply: nothing new is queued.
- Before storing, ``prepare`` asks channel_gate whether the team may reply now (the
  messenger quota's 402, Messenger's window) and which tag the reply must carry.
- A channel whose token is dead (channel_health) keeps its replies ``held`` (in the
  sparse ``held`` index) and queues nothing; ``release_held`` requeues them after a
  reconnect.
- A ``failed`` reply can be retried: ``sending`` again, queued again.
- A reply stored ``sending`` is in the sparse ``sending`` index by ``sending_due``
  until it leaves that state (in the writes that move it anyway); the clock app
  re-queues one still there past its due (services/channel_requeue.py), which the
  sender's claims make safe even when its first queue message still exists.
- Every change of a reply's delivery is written conditionally (from the state it is
  expected to be in), so two workers never move one reply twice, and fanned out to the
  team as a ``delivery`` frame; the chat's history answers carry the same fields.

No queue configured: such replies are refused (503) before anything is stored, so
nothing waits for a sender that does not exist. The template and the local stack always
configure one; tests use moto's.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.errors import Conflict, NotFound, TemporarilyUnavailable
from chalicelib.models.channel import CONNECTED, ChannelModel
from chalicelib.models.chat import STATUS_CLOSED, ChatModel
from chalicelib.models.connection import team_audience
from chalicelib.models.message import AUTHOR_OPERATOR, MessageModel, chat_key
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.realtime import frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import channel_gate, channel_health, permissions, projects
from chalicelib.services.chat_reads import visible_chat
from chalicelib.services.message_store import Draft

log = logging.getLogger(__name__)

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
HELD = "held"
QUEUE_FAILED_REASON = "it could not be queued for sending; retry"
# A reply still ``sending`` this long after it was queued (or its back-off ended) has
# nothing on the queue any more (the function stopped before queueing it, or its queue
# message went to the dead-letter queue): the clock app queues it again. Well past the
# queue's visibility timeout (3 minutes) and a busy queue's usual wait.
SENDING_GRACE = timedelta(minutes=15)


def _channel(chat: ChatModel) -> ChannelModel:
    try:
        channel = ChannelModel.get(chat.channel_id)
    except DoesNotExist:
        raise Conflict("this chat's channel is gone: its customer cannot be answered") from None
    if channel.status != CONNECTED:
        raise Conflict("this chat's channel is disconnected: reconnect it to reply")
    return channel


def prepare(
    project: ProjectModel, chat: ChatModel, draft: Draft, now: datetime, automatic: bool = False
) -> Draft:
    """The reply as it is to be stored: ``sending`` with its tag, or ``held`` while the
    channel needs reconnecting. Raises what channel_gate raises (402, 409), 409 for a
    disconnected channel, 503 when no queue is configured. ``automatic``: not written by
    a person (the closing message), so never with the Human agent tag."""
    if deps.channel_queue() is None:
        raise TemporarilyUnavailable("replies to Telegram/Messenger are not configured here")
    channel = _channel(chat)
    tag = channel_gate.reply_tag(project, chat, now, automatic=automatic)
    if channel_health.needs_reconnect(channel):
        return replace(draft, delivery=HELD, delivery_tag=tag, held_channel_id=channel.channel_id)
    return replace(draft, delivery=SENDING, delivery_tag=tag, sending_due=now + SENDING_GRACE)


def enqueue(message: MessageModel, attempt: int = 0, sent_ids: tuple = (), delay: int = 0) -> None:
    """One queue message naming the reply; ``attempt`` and ``sent_ids`` (the platform's
    ids of the parts already sent) carry the sender's progress across retries. Raises
    when the queue refuses it."""
    queue = deps.channel_queue()
    if queue is None:
        raise TemporarilyUnavailable("replies to Telegram/Messenger are not configured here")
    queue.send(
        {
            "project_id": message.project_id,
            "chat_id": message.chat_id,
            "message_id": message.message_id,
            "attempt": attempt,
            "sent_ids": list(sent_ids),
        },
        delay,
    )


def queued(message: MessageModel, assignee_id: str | None, fanout: Fanout) -> None:
    """After a new reply was stored and announced: queue it (a held one waits). A queue
    that refuses makes the reply ``failed`` with a reason the team can act on (Retry)."""
    if message.delivery != SENDING:
        return
    try:
        enqueue(message)
    except Exception:  # noqa: BLE001 - logged; the reply is stored, the team can retry it
        log.exception("could not queue reply %s", message.message_id)
        move(message, SENDING, FAILED, assignee_id, fanout, reason=QUEUE_FAILED_REASON)


def move(
    message: MessageModel,
    expected: str,
    state: str,
    assignee_id: str | None,
    fanout: Fanout | None,
    reason: str | None = None,
    more=(),
    held_channel: str | None = None,
    also=None,
) -> bool:
    """Move the reply from ``expected`` to ``state`` (one conditional UpdateItem) and
    tell the team. False when it was not in ``expected`` any more (another worker moved
    it), or ``also`` (a further condition, e.g. the sender's claim) does not hold:
    nothing is written or sent."""
    actions = [
        MessageModel.delivery.set(state),
        MessageModel.delivery_reason.set(reason)
        if reason
        else MessageModel.delivery_reason.remove(),
        *more,
    ]
    if state == SENDING:  # in the ``sending`` index until it leaves that state
        actions.append(MessageModel.sending_due.set(utcnow() + SENDING_GRACE))
    elif expected == SENDING:
        actions.append(MessageModel.sending_due.remove())
    if held_channel is not None:  # in the ``held`` index until released
        actions.append(MessageModel.held_channel_id.set(held_channel))
    elif expected == HELD:
        actions.append(MessageModel.held_channel_id.remove())
    try:
        condition = MessageModel.delivery == expected
        message.update(actions=actions, condition=condition if also is None else condition & also)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    if fanout is not None:
        announce(message, assignee_id, fanout)
    return True


def announce(message: MessageModel, assignee_id: str | None, fanout: Fanout) -> None:
    frame = frames.delivery(
        message.chat_id, message.message_id, message.delivery, message.delivery_reason
    )
    fanout.deliver(
        [(team_audience(message.project_id), frame, permissions.team_sockets_for(assignee_id))]
    )


def retry(member: MemberModel, chat_id: str, message_id, fanout: Fanout, clock=utcnow) -> dict:
    """A ``failed`` reply goes again: the same checks as a new reply (the chat is open,
    the gate allows it, the channel is connected), then ``sending`` and queued (``held``
    while the channel needs reconnecting). 409 for a reply in any other state."""
    permissions.require(member, "chats.answer")
    chat = visible_chat(member, chat_id)
    message = _reply(member.project_id, chat, message_id)
    if message.delivery != FAILED:
        raise Conflict(f"only a failed reply can be retried (this one is {message.delivery})")
    if chat.status == STATUS_CLOSED:
        raise Conflict("this dialogue is closed: reopen it to reply")
    project = projects.require_project(member.project_id)
    if deps.channel_queue() is None:
        raise TemporarilyUnavailable("replies to Telegram/Messenger are not configured here")
    channel = _channel(chat)
    tag = channel_gate.reply_tag(project, chat, clock())
    state = HELD if channel_health.needs_reconnect(channel) else SENDING
    tagged = [MessageModel.delivery_tag.set(tag) if tag else MessageModel.delivery_tag.remove()]
    held = channel.channel_id if state == HELD else None
    if not move(message, FAILED, state, chat.assignee_id, fanout, more=tagged, held_channel=held):
        raise Conflict("this reply changed meanwhile; look again")
    if state == SENDING:
        try:
            enqueue(message)
        except Exception:  # noqa: BLE001 - logged; back to failed, retry again later
            log.exception("could not queue reply %s", message.message_id)
            move(message, SENDING, FAILED, chat.assignee_id, fanout, reason=QUEUE_FAILED_REASON)
    return {"message_id": message.message_id, "delivery": message.delivery}


def _reply(project_id: str, chat: ChatModel, message_id) -> MessageModel:
    if not isinstance(message_id, str) or not 0 < len(message_id) <= 64:
        raise NotFound("no such message")
    try:
        message = MessageModel.get(
            chat_key(project_id, chat.chat_id), message_id, consistent_read=True
        )
    except DoesNotExist:
        raise NotFound("no such message") from None
    if message.author_type != AUTHOR_OPERATOR or not message.delivery:
        raise Conflict("only a team reply sent to Telegram/Messenger can be retried")
    return message


def release_held(channel: ChannelModel, fanout: Fanout | None = None) -> int:
    """After a reconnect: the channel's held replies are ``sending`` again and queued,
    oldest first. Returns how many. A reply that cannot be queued goes to ``failed``."""
    if fanout is None:
        try:
            fanout = deps.fanout()
        except RuntimeError:  # no WebSocket endpoint configured: a reload shows the state
            fanout = None
    released = 0
    for key in MessageModel.held.query(channel.channel_id):
        try:
            message = MessageModel.get(key.chat_key, key.message_id, consistent_read=True)
        except DoesNotExist:
            continue
        try:
            assignee = ChatModel.get(message.project_id, message.chat_id).assignee_id
        except DoesNotExist:
            assignee = None
        if not move(message, HELD, SENDING, assignee, fanout):
            continue
        try:
            enqueue(message)
        except Exception:  # noqa: BLE001 - logged; the team sees it failed and can retry
            log.exception("could not queue held reply %s", message.message_id)
            move(message, SENDING, FAILED, assignee, fanout, reason=QUEUE_FAILED_REASON)
            continue
        released += 1
    return released
