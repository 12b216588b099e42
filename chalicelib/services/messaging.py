"""Posting a message: who may write into which dialogue, opening the visitor's next
one, and who hears it. Storing is services/message_store.py: every message is stored
before it is sent anywhere.

Cost of a visitor message in an existing dialogue, whatever the size of the project:
one TransactWriteItems (idempotency guard + message + dialogue summary, all or nothing),
one Query for the visitor's tabs, one Query for the team's sockets; then one
postToConnection per connection found.

A message that opens a dialogue says so (``Posted.opened``); its caller (the socket
session) then runs distribution, which may hand the dialogue to someone at once.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import iso, utcnow
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.models.base import cancellation_codes, transaction_connection
from chalicelib.models.chat import (
    STATUS_CLOSED,
    STATUS_OPEN,
    ChatModel,
    activity_key,
    open_shard,
    queued_key,
)
from chalicelib.models.connection import team_audience, visitor_audience
from chalicelib.models.message import AUTHOR_OPERATOR, AUTHOR_VISITOR, MessageModel
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime import frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import (
    auto_prompts,
    availability,
    channel_outbox,
    consent,
    consent_dialogue,
    permissions,
    projects,
    push_events,
    quotas,
    reply_times,
    visitors,
)
from chalicelib.services.chat_reads import (
    last_message_of,
    message_view,
    summary_after,
    visible_chat,
)
from chalicelib.services.message_store import (
    WRITE_ATTEMPTS,
    Draft,
    Posted,
    append,
    backoff,
    duplicate_of,
    save_message,
    save_opening,
    store_standalone,
)
from chalicelib.services.visitors import display_name


def post_visitor_message(
    identity: VisitorIdentity,
    chat_id: str | None,
    client_id: str,
    text: str,
    fanout: Fanout,
    origin_connection: str | None = None,
    clock=utcnow,
    sleep=time.sleep,
    assignee_hint: str | None = None,
    consent_version=None,
    auto_message_id=None,
    files: tuple = (),  # ({"name", "url"}, ...): an e-mail reply's attachments
) -> Posted:
    """``assignee_hint`` is the assignee the widget last heard of. It is checked inside
    the write (never trusted): right, the message costs no read; stale, one read.
    ``Posted.opened``: the message opened a dialogue (the caller runs distribution)."""
    if chat_id is not None and ids.visitor_of_chat(chat_id) != identity.visitor_id:
        raise Forbidden("not your dialogue")
    # Sending is activity: a visitor whose page was opened in an earlier billing period
    # is counted in this one (no request unless the token's period has passed).
    visitors.count_activity(identity, clock())
    draft = Draft(
        identity.project_id,
        chat_id or "",
        AUTHOR_VISITOR,
        identity.visitor_id,
        display_name(identity.visitor_id),
        text,
        client_id,
        files=tuple(files),
    )
    hint = assignee_hint if isinstance(assignee_hint, str) and assignee_hint else None
    posted = away = None
    if chat_id:
        posted = _append_as_visitor(identity, draft, hint, clock, sleep, consent_version)
        if posted is not None and not posted.duplicate and auto_message_id is not None:
            _put_answered_prompt(identity, posted, auto_message_id, fanout, origin_connection)
    if posted is None:
        posted, away = _open_new_dialogue(
            identity, draft, clock, sleep, hint, consent_version, auto_message_id
        )
    _announce(posted, fanout, origin_connection)
    if away is not None:  # to every tab, the sender's too; the team's list keeps the question
        _announce(Posted(away, False, None, visitor_name=posted.visitor_name), fanout, None,
                  listed=posted.message)  # fmt: skip
    if not posted.duplicate:  # after the fan-out: pushes never slow the message
        push_events.message_posted(posted.message, posted.opened, posted.visitor_name)
    return posted  # opened: the caller runs distribution


def post_operator_message(
    member: MemberModel,
    chat_id: str,
    client_id: str,
    text: str,
    fanout: Fanout,
    origin_connection: str | None = None,
    clock=utcnow,
    sleep=time.sleep,
) -> Posted:
    if ids.visitor_of_chat(chat_id) is None:
        raise NotFound("no such dialogue")
    # One read: a project over its unique-visitor limit cannot reply until it upgrades
    # (the reply itself never counts against a quota). Its hours and reply samples too.
    project = projects.require_project(member.project_id)
    quotas.require_team_reply(project, clock())
    draft = Draft(
        member.project_id,
        chat_id,
        AUTHOR_OPERATOR,
        member.user_id,
        member.name,
        text,
        client_id,
    )
    for _ in range(WRITE_ATTEMPTS):
        chat = visible_chat(member, chat_id)
        # A Telegram/Messenger chat: stored "sending" (or "held") and queued for the
        # platform after the fan-out (services/channel_outbox.py).
        outgoing = channel_outbox.prepare(project, chat, draft, clock()) if chat.channel else draft
        # Not into a closed dialogue: the visitor has left it (their next message opens a
        # new one). A resend of a reply stored before the close still finds its copy.
        may_write = ChatModel.chat_id.exists() & (ChatModel.status != STATUS_CLOSED)
        # The chat's first reply to a waiting visitor: its time, in the same transaction.
        first = reply_times.recorder(project, chat, availability.within_hours)
        posted = append(outgoing, may_write, clock, sleep, chat.assignee_id, also=first)
        if posted is not None:
            posted.visitor_name = chat.visitor_name
            _announce(posted, fanout, origin_connection)
            if not posted.duplicate:  # the assignee's push, if a teammate wrote
                if chat.channel:
                    channel_outbox.queued(posted.message, chat.assignee_id, fanout)
                push_events.message_posted(posted.message, False, chat.visitor_name)
            return posted
        if chat.status == STATUS_CLOSED:
            raise Conflict("this dialogue is closed: reopen it to reply")
    raise Conflict("the dialogue is busy; send again")


def _append_as_visitor(
    identity: VisitorIdentity, draft: Draft, hint: str | None, clock, sleep, consent_version=None
) -> Posted | None:
    """Append with the widget's idea of the assignee; if it is stale, read the dialogue
    once and try again. None when the visitor cannot write there (closed, missing).
    A dialogue the team opened that still waits for consent takes the visitor's first
    reply only with their agreement (services/consent_dialogue.py)."""
    posted = append(draft, _visitor_may_write(identity), clock, sleep, hint)
    if posted is not None:
        return posted
    try:
        chat = ChatModel.get(identity.project_id, draft.chat_id, consistent_read=True)
    except DoesNotExist:
        return None
    if chat.visitor_id != identity.visitor_id or chat.status == STATUS_CLOSED:
        return None
    if chat.consent_wanted:
        return consent_dialogue.first_reply(identity, draft, chat, consent_version, clock, sleep)
    if chat.assignee_id == hint:
        return None
    return append(draft, _visitor_may_write(identity), clock, sleep, chat.assignee_id)


def _visitor_may_write(identity: VisitorIdentity):
    # A dialogue waiting for consent fails this too: the read that follows finds out why.
    return (
        (ChatModel.visitor_id == identity.visitor_id)
        & (ChatModel.status != STATUS_CLOSED)
        & ChatModel.consent_wanted.does_not_exist()
    )


def _open_new_dialogue(
    identity: VisitorIdentity,
    draft: Draft,
    clock,
    sleep,
    hint: str | None = None,
    consent_version=None,
    auto_message_id=None,
) -> Posted:
    """Start the visitor's next dialogue with the draft. Two tabs racing here collide on
    the dialogue's deterministic id; the loser reads again and appends instead. If the
    project asks for privacy consent, the visitor must have agreed to its current
    version; the dialogue then begins with the consent text and records the agreement.
    Returns the visitor's message and the away message stored after it (or None)."""
    project = None
    for attempt in range(WRITE_ATTEMPTS):
        try:
            visitor = VisitorModel.get(
                identity.project_id, identity.visitor_id, consistent_read=True
            )
        except DoesNotExist:
            raise Forbidden("unknown visitor: start a new session") from None
        current = visitor.current_chat_id
        if current:
            posted = _append_as_visitor(
                identity, replace(draft, chat_id=current), hint, clock, sleep, consent_version
            )
            if posted:
                return posted, None
        if project is None:
            project = projects.require_project(identity.project_id)
        agreed = consent.check(project, consent_version)
        sequence = int(visitor.chat_count or 0) + 1
        chat_id = ids.chat_id_for(identity.visitor_id, sequence)
        now = clock()
        prompt, line = _openers(project, chat_id, agreed, auto_message_id, now)
        openers = [opener for opener in (line, prompt) if opener is not None]
        message = draft.at(now + timedelta(milliseconds=len(openers)), chat_id=chat_id)
        chat = _new_chat(identity, visitor, message, agreed)
        # Not on top of an auto message's opening: that chat began with the team's words.
        away = None if auto_message_id is not None else availability.away_reply(project, message)
        try:
            _store_opening(message, openers, chat, visitor, sequence, now, away)
        except TransactWriteError as error:
            reasons = cancellation_codes(error)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return duplicate_of(draft), None
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                backoff(attempt, sleep)  # another tab won the race: read again, append
                continue
            raise
        if prompt is not None:
            auto_prompts.count_reply(identity.project_id, auto_message_id)
        return Posted(message, duplicate=False, opened=True, visitor_name=chat.visitor_name), away
    raise Conflict("the dialogue is busy; send again")


def _openers(project: ProjectModel, chat_id: str, agreed, auto_message_id, now: datetime):
    """What a new dialogue begins with before the visitor's words, a millisecond apart:
    the auto message they answer (the team sees what they answered), then the consent
    line recording what they agreed to. Either may be None."""
    prompt = line = None
    if auto_message_id is not None:
        prompt = auto_prompts.prompt(project, chat_id, auto_message_id, now)
    if agreed is not None:
        at = now + timedelta(milliseconds=1) if prompt is not None else now
        line = consent_dialogue.consent_line(project, chat_id, agreed, at)
    return prompt, line


def _new_chat(
    identity: VisitorIdentity, visitor: VisitorModel, message: MessageModel, agreed
) -> ChatModel:
    """The dialogue the visitor's message opens: unassigned, in the distribution queue."""
    now = message.created_at
    stamp = iso(now)
    return ChatModel(
        identity.project_id,
        message.chat_id,
        visitor_id=identity.visitor_id,
        visitor_name=visitor.name or display_name(identity.visitor_id),
        status=STATUS_OPEN,
        created_at=now,
        last_activity_at=stamp,
        activity_key=activity_key(stamp, message.chat_id),
        open_shard=open_shard(message.chat_id),
        waiting_project_id=identity.project_id,
        queued_key=queued_key(stamp, message.chat_id),
        unanswered_key=stamp,
        last_message=last_message_of(message),
        unread_by_team=1,
        unread_project_id=identity.project_id,  # in the ``unread`` index (GET /me/unread)
        unread_by_visitor=0,
        consent_version=agreed.version if agreed else None,
        consent_at=now if agreed else None,
    )


def _store_opening(
    message: MessageModel,
    openers: list[MessageModel],
    chat: ChatModel,
    visitor: VisitorModel,
    sequence: int,
    now: datetime,
    away: MessageModel | None = None,
) -> None:
    """One transaction: the message (item 0: its guard), its openers, the dialogue (a
    conditional put on its deterministic id) and the visitor's current dialogue, on the
    count of dialogues as read."""
    with TransactWrite(connection=transaction_connection()) as transaction:
        save_message(transaction, message, now)
        for opener in openers:
            transaction.save(opener)
        if away is not None:
            save_message(transaction, away, now)
        save_opening(transaction, chat, visitor, sequence)


def _put_answered_prompt(
    identity: VisitorIdentity, posted: Posted, auto_message_id, fanout: Fanout, origin
) -> None:
    """The visitor answered an auto message inside the chat they already have: the chat
    gets that message a millisecond before the answer, so the team sees what was
    answered (a new chat begins with it the same way). It moves no summary: the answer
    is the chat's last message. Once per auto message and chat (its client id)."""
    reply = posted.message
    project = projects.require_project(identity.project_id)
    prompt = auto_prompts.draft(project, reply.chat_id, auto_message_id)
    if prompt is None:
        return
    stored = store_standalone(prompt, clock=lambda: reply.created_at - timedelta(milliseconds=1))
    if not stored.duplicate:
        auto_prompts.count_reply(identity.project_id, auto_message_id)
    _announce(Posted(stored.message, stored.duplicate, posted.assignee_id), fanout, origin)


def announce_posted(posted: Posted, fanout: Fanout) -> None:
    """Fan out a message stored elsewhere (a proactive chat's first message)."""
    _announce(posted, fanout, None)


def _announce(posted: Posted, fanout: Fanout, origin: str | None, listed=None):
    """Fan a stored message out: to the visitor's tabs, and to the team sockets allowed
    to see the dialogue. A duplicate is announced again too: the first attempt may have
    died between storing and announcing, and clients de-duplicate by id."""
    message = posted.message
    visitor_id = ids.visitor_of_chat(message.chat_id)
    view = message_view(message)
    summary = summary_after(
        listed or message, message.chat_id, visitor_id, posted.assignee_id, posted.visitor_name
    )
    fanout.deliver(
        [
            (
                visitor_audience(message.project_id, visitor_id),
                frames.message_to_visitor(view, posted.assignee_id),
            ),
            (
                team_audience(message.project_id),
                frames.message_to_team(view, summary),
                permissions.team_sockets_for(posted.assignee_id),
            ),
        ],
        origin_connection=origin,
        origin_frame=frames.ack(message.client_id, view, posted.assignee_id),
    )
