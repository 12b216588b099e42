"""Storing a message: the idempotency guard on ``(project, author, client id)`` and the
message, in one transaction with whatever else the write must move (the dialogue's
summary, a new dialogue, the consent on a dialogue). A resend of a client id is answered
with the stored message, never a second one. Posting (who may write where, and who hears
it) is services/messaging.py; this module sends nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.clock import iso, utcnow
from chalicelib.errors import Conflict
from chalicelib.models.base import cancellation_codes, transaction_connection
from chalicelib.models.chat import ChatModel, activity_key, open_shard
from chalicelib.models.message import (
    AUTHOR_OPERATOR,
    AUTHOR_VISITOR,
    ClientMessageIdModel,
    FileLinkMap,
    MessageModel,
    chat_key,
    client_key,
)
from chalicelib.models.visitor import VisitorModel
from chalicelib.services.chat_reads import last_message_of

CLIENT_ID_RETENTION = timedelta(days=2)
WRITE_ATTEMPTS = 5


@dataclass
class Posted:
    message: MessageModel
    duplicate: bool
    # The dialogue's assignee when the message was stored (decides who on the team
    # receives it); None: unassigned.
    assignee_id: str | None = None
    # True when this message opened a new dialogue (distribution then looks for someone).
    opened: bool = False
    # The dialogue's visitor name, when the write had it at hand (a new dialogue, an
    # operator's reply); None: not known without a read, so frames leave it out.
    visitor_name: str | None = None


@dataclass(frozen=True)
class Draft:
    """A message not yet stored. Its id and time are taken at each write attempt, right
    before the write, so an id's timestamp is never far from its commit: a client that
    resyncs from a later id (with the read overlap) cannot miss it."""

    project_id: str
    chat_id: str
    author_type: str
    author_id: str
    author_name: str
    text: str
    client_id: str
    internal: bool = False
    image_url: str | None = None
    files: tuple = ()  # ({"name", "url"}, ...)
    # A team reply to a Telegram/Messenger chat (services/channel_outbox.py): "sending" or
    # "held", and the Messenger tag it must go with.
    delivery: str | None = None
    delivery_tag: str | None = None
    held_channel_id: str | None = None
    sending_due: datetime | None = None  # while "sending": the clock app's re-queue time

    def at(self, now: datetime, chat_id: str | None = None) -> MessageModel:
        chat_id = chat_id if chat_id is not None else self.chat_id
        return MessageModel(
            chat_key(self.project_id, chat_id),
            ids.message_id(now),
            project_id=self.project_id,
            chat_id=chat_id,
            client_id=self.client_id,
            author_type=self.author_type,
            author_id=self.author_id,
            author_name=self.author_name,
            text=self.text,
            created_at=now,
            internal=True if self.internal else None,
            image_url=self.image_url,
            files=[FileLinkMap(**file) for file in self.files] or None,
            delivery=self.delivery,
            delivery_tag=self.delivery_tag,
            held_channel_id=self.held_channel_id,
            sending_due=self.sending_due,
        )


def client_id_guard(message: MessageModel, now: datetime) -> ClientMessageIdModel:
    return ClientMessageIdModel(
        client_key(message.project_id, message.author_id, message.client_id),
        chat_id=message.chat_id,
        message_id=message.message_id,
        expires_at=now + CLIENT_ID_RETENTION,
    )


def save_message(transaction: TransactWrite, message: MessageModel, now: datetime) -> None:
    """The first two items of every transaction that stores a message: its idempotency
    guard (item 0: its condition fails when this client id was already used) and the
    message."""
    transaction.save(
        client_id_guard(message, now),
        condition=ClientMessageIdModel.client_key.does_not_exist(),
    )
    transaction.save(message)


def save_opening(
    transaction: TransactWrite,
    chat: ChatModel,
    visitor: VisitorModel,
    sequence: int,
    *visitor_actions,
) -> None:
    """What every new chat writes in its opening transaction (besides its messages): the
    chat, a conditional put on its deterministic id (two openers collide), and the
    visitor's current chat on the count of chats as read (only the current one matters)."""
    transaction.save(chat, condition=ChatModel.chat_id.does_not_exist())
    transaction.update(
        visitor,
        actions=[
            VisitorModel.current_chat_id.set(chat.chat_id),
            VisitorModel.chat_count.set(sequence),
            *visitor_actions,
            VisitorModel.closed_chats.remove(),
        ],
        condition=VisitorModel.chat_count == visitor.chat_count,
    )


def chat_actions(message: MessageModel) -> list:
    stamp = iso(message.created_at)
    unread = (
        ChatModel.unread_by_team
        if message.author_type == AUTHOR_VISITOR
        else ChatModel.unread_by_visitor
    )
    actions = [
        ChatModel.last_activity_at.set(stamp),
        ChatModel.activity_key.set(activity_key(stamp, message.chat_id)),
        ChatModel.last_message.set(last_message_of(message)),
        unread.add(1),
    ]
    # The waiting period (services/escalation.py): the visitor's first unanswered
    # message starts it, the team's reply ends it; in this same UpdateItem, so free.
    if message.author_type == AUTHOR_VISITOR:
        actions.append(ChatModel.unanswered_key.set(ChatModel.unanswered_key | stamp))
        # The chat is unread by the team from now on: it enters the ``unread`` index
        # (GET /me/unread) in this same UpdateItem, so counting costs the message nothing.
        actions.append(ChatModel.unread_project_id.set(message.project_id))
    elif message.author_type == AUTHOR_OPERATOR:
        actions.append(ChatModel.unanswered_key.remove())
        # A reply the visitor has not seen yet: e-mailed if still unseen in 2 minutes
        # (services/continuity.py); the visitor's read mark removes it. Same UpdateItem.
        actions += [
            ChatModel.unseen_reply_at.set(ChatModel.unseen_reply_at | stamp),
            ChatModel.mail_shard.set(open_shard(message.chat_id)),
        ]
    return actions


def backoff(attempt: int, sleep) -> None:
    # Another writer holds one of our items for a few milliseconds: step aside briefly.
    sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 (jitter, not secrecy)


def _stored_duplicate(draft: Draft) -> MessageModel:
    """The message already stored under this client id. A client id names one message:
    reused for another dialogue by an operator, it is refused rather than misdelivered."""
    guard = ClientMessageIdModel.get(
        client_key(draft.project_id, draft.author_id, draft.client_id), consistent_read=True
    )
    if draft.author_type != AUTHOR_VISITOR and guard.chat_id != draft.chat_id:
        raise Conflict("this client_id was already used for another message")
    return MessageModel.get(
        chat_key(draft.project_id, guard.chat_id), guard.message_id, consistent_read=True
    )


def duplicate_of(draft: Draft) -> Posted:
    stored = _stored_duplicate(draft)
    return Posted(stored, duplicate=True, assignee_id=_assignee_of(stored))


def assignee_is(assignee_id: str | None):
    if assignee_id:
        return ChatModel.assignee_id == assignee_id
    return ChatModel.assignee_id.does_not_exist()


def store(
    draft: Draft,
    clock=utcnow,
    sleep=time.sleep,
    also: Callable[[TransactWrite, MessageModel, datetime], None] | None = None,
    assignee_id: str | None = None,
    at: Callable[[datetime], datetime] | None = None,
    duplicate: Callable[[Draft], Posted] = duplicate_of,
    busy: str = "the dialogue is busy; send again",
) -> Posted | None:
    """Store the draft (stamped at ``at(now)``, default now) with its guard, and in the
    same transaction ``also``'s items. A used client id returns ``duplicate(draft)``;
    None when a condition of ``also``'s items failed; a conflicting writer is waited
    out (``WRITE_ATTEMPTS``, then Conflict ``busy``)."""
    for attempt in range(WRITE_ATTEMPTS):
        now = clock()
        message = draft.at(at(now) if at else now)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                save_message(transaction, message, now)
                if also is not None:
                    also(transaction, message, now)
        except TransactWriteError as error:
            codes = cancellation_codes(error)
            if codes[:1] == ["ConditionalCheckFailed"]:
                return duplicate(draft)
            if "ConditionalCheckFailed" in codes:
                return None
            if "TransactionConflict" in codes:
                backoff(attempt, sleep)
                continue
            raise
        return Posted(message, duplicate=False, assignee_id=assignee_id)
    raise Conflict(busy)


def append(
    draft: Draft, chat_condition, clock, sleep, assignee_id: str | None = None, also=None
) -> Posted | None:
    """Store the draft in its existing dialogue, moving its summary. None when the
    dialogue's condition failed (it is missing, closed, someone else's, or its assignee
    is not ``assignee_id`` any more). ``also(transaction, message)`` may add items to
    the transaction and returns more actions and a condition for the chat's UpdateItem
    (a first reply: services/reply_times.py)."""
    condition = chat_condition & assignee_is(assignee_id)

    def summary(transaction, message, now):
        actions, guard = chat_actions(message), condition
        if also is not None:
            more, extra = also(transaction, message)
            actions, guard = actions + more, guard & extra
        transaction.update(
            ChatModel(message.project_id, message.chat_id), actions=actions, condition=guard
        )

    return store(draft, clock, sleep, also=summary, assignee_id=assignee_id)


def store_standalone(draft: Draft, clock=utcnow, sleep=time.sleep) -> Posted:
    """Store a message that moves no dialogue summary (an internal note, team chat):
    the idempotency guard and the message, in one transaction."""
    return store(
        draft,
        clock,
        sleep,
        duplicate=lambda d: Posted(_stored_duplicate(d), duplicate=True),
        busy="busy; send again",
    )


def _assignee_of(message: MessageModel) -> str | None:
    try:
        return ChatModel.get(message.project_id, message.chat_id, consistent_read=True).assignee_id
    except DoesNotExist:
        return None
