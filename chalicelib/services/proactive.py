"""An operator starts a chat with a visitor on the site (from the visitors-online list).

One transaction opens the visitor's next dialogue, already assigned to the operator,
with the operator's first message: the message and its client-id guard, the dialogue
(a conditional put on its deterministic id), the visitor (their current dialogue, the
count of dialogues as read, and the proactive-invitation facts) and the operator's
count of open dialogues. A visitor already in an open dialogue is not given a second.
With privacy consent on, the dialogue waits for the visitor's agreement before their
first reply is stored (services/consent_dialogue.py).

The visitor's connected tabs get the message at once; a widget without a socket learns
of it from its next heartbeat (which answers with the visitor's current dialogue); the
visitor's record says when that is due, so the operator is told how soon
(services/heartbeat_cadence.py).

A Telegram/Messenger customer whose last chat is closed may be written to as well: the
new chat continues on their channel and its first message goes out through the platform
(services/channel_outbox.py; why it is allowed: ``_open_on_channel``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.clock import iso, utcnow
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.base import cancellation_codes, transaction_connection
from chalicelib.models.chat import STATUS_OPEN, ChatModel, activity_key, open_shard
from chalicelib.models.message import AUTHOR_OPERATOR, MessageModel
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import (
    channel_outbox,
    consent_dialogue,
    heartbeat_cadence,
    messaging,
    permissions,
    projects,
    quotas,
)
from chalicelib.services.chat_reads import get_chat, last_message_of
from chalicelib.services.message_store import Draft, Posted, save_message, save_opening

_ATTEMPTS = 3


@dataclass
class StartedChat:
    posted: Posted
    # Seconds until a widget of the visitor's without a socket learns of the chat (its
    # next heartbeat); None: unknown or overdue (their page is hidden or gone).
    reaches_in: int | None


def start_chat(
    member: MemberModel,
    visitor_id: str,
    client_id: str,
    text: str,
    fanout: Fanout,
    clock=utcnow,
) -> StartedChat:
    permissions.require(member, "chats.answer")
    project = projects.require_project(member.project_id)
    quotas.require_team_reply(project, clock())
    # The operator's words may show at once; the visitor's reply waits for consent.
    ask_consent = consent_dialogue.wanted(project)
    draft = Draft(
        member.project_id, "", AUTHOR_OPERATOR, member.user_id, member.name, text, client_id
    )
    for _ in range(_ATTEMPTS):
        try:
            visitor = VisitorModel.get(member.project_id, visitor_id, consistent_read=True)
        except DoesNotExist:
            raise NotFound("no such visitor") from None
        current = None
        if visitor.current_chat_id:
            current = get_chat(member.project_id, visitor.current_chat_id, True)
            if current.status != "closed":
                raise Conflict(
                    "this visitor is already in a dialogue: open it",
                    chat_id=visitor.current_chat_id,
                )
        if visitor.channel_id:  # a Telegram/Messenger customer: see _open_on_channel
            posted = _open_on_channel(member, project, visitor, current, draft, clock())
            if posted is not None:
                messaging.announce_posted(posted, fanout)
                channel_outbox.queued(posted.message, member.user_id, fanout)
                return StartedChat(posted, None)
            time.sleep(0.02)
            continue
        posted = _open(member, visitor, draft, clock(), ask_consent)
        if posted is not None:
            messaging.announce_posted(posted, fanout)
            return StartedChat(
                posted, heartbeat_cadence.chat_reaches_in(visitor.next_beat_at, clock())
            )
        time.sleep(0.02)  # the visitor wrote first, or another operator: read again
    raise Conflict("the visitor's dialogue just changed; look again")


def _open_on_channel(member, project, visitor, previous, draft: Draft, now: datetime):
    """Starting a chat with a Telegram/Messenger customer: allowed, because both
    platforms let the bot or Page write to someone who wrote to it before (Telegram until
    they block the bot; Messenger inside its 24-hour window, or 7 days with HUMAN_AGENT
    where the project enables it). The new chat carries the channel and the time of the
    customer's last message (from their previous chat), so channel_gate judges it exactly
    as a reply in that chat (402 at the quota, 409 outside the window); the message goes
    through the same outbox (stored "sending", queued). No consent step: the customer is
    on the platform, not on the site's widget, as for their incoming chats."""
    chat_id = ids.chat_id_for(visitor.visitor_id, int(visitor.chat_count or 0) + 1)
    opening = _channel_chat(member, visitor, previous, draft.at(now, chat_id=chat_id))
    outgoing = channel_outbox.prepare(project, opening, draft, now)
    return _open(member, visitor, outgoing, now, False, previous)


def _channel_chat(member, visitor: VisitorModel, previous, message: MessageModel) -> ChatModel:
    chat = _new_chat(member, visitor, message, False)
    chat.channel = previous.channel if previous is not None else None
    chat.channel_id = visitor.channel_id
    chat.channel_name = previous.channel_name if previous is not None else None
    chat.customer_last_at = previous.customer_last_at if previous is not None else None
    if chat.channel is None:
        raise Conflict("this customer has no earlier chat on their channel to continue")
    return chat


def _open(
    member: MemberModel,
    visitor: VisitorModel,
    draft: Draft,
    now: datetime,
    ask_consent: bool,
    previous: ChatModel | None = None,
):
    """One transaction opens the visitor's next dialogue with the operator's message.
    None when the visitor or another operator moved first (the caller reads again)."""
    sequence = int(visitor.chat_count or 0) + 1
    chat_id = ids.chat_id_for(visitor.visitor_id, sequence)
    message = draft.at(now, chat_id=chat_id)
    chat = _new_chat(member, visitor, message, ask_consent)
    if visitor.channel_id:
        chat = _channel_chat(member, visitor, previous, message)
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            save_message(transaction, message, now)
            save_opening(
                transaction,
                chat,
                visitor,
                sequence,
                VisitorModel.invitations_sent.set((VisitorModel.invitations_sent | 0) + 1),
                VisitorModel.last_invitation_at.set(now),
            )
            transaction.update(
                member,
                actions=[MemberModel.active_chats.add(1)],
                condition=MemberModel.user_id.exists(),
            )
    except TransactWriteError as error:
        reasons = cancellation_codes(error)
        if reasons[:1] == ["ConditionalCheckFailed"]:
            raise Conflict("this message was already sent (same client_id)") from None
        if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
            return None
        raise
    return Posted(
        message,
        duplicate=False,
        opened=True,
        assignee_id=member.user_id,
        visitor_name=chat.visitor_name,
    )


def _new_chat(
    member: MemberModel, visitor: VisitorModel, message: MessageModel, ask_consent: bool
) -> ChatModel:
    """The dialogue the operator opens: theirs already, waiting for consent if asked."""
    now = message.created_at
    stamp = iso(now)
    return ChatModel(
        member.project_id,
        message.chat_id,
        visitor_id=visitor.visitor_id,
        visitor_name=visitor.name or "Visitor",
        status=STATUS_OPEN,
        assignee_id=member.user_id,
        assignee_name=member.name,
        created_at=now,
        last_activity_at=stamp,
        activity_key=activity_key(stamp, message.chat_id),
        open_shard=open_shard(message.chat_id),
        last_message=last_message_of(message),
        unread_by_team=0,
        unread_by_visitor=1,
        consent_wanted=True if ask_consent else None,
    )
