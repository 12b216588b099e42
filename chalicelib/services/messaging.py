"""Messages: stored first, then fanned out; a resend of a client id is not a second message.

Cost of a visitor message in an existing dialogue, whatever the size of the project:
one TransactWriteItems (idempotency guard + message + dialogue summary, all or nothing),
one Query for the visitor's tabs, one Query for the team's sockets; then one
postToConnection per connection found.
"""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import iso, utcnow
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.models.base import cancellation_codes, transaction_connection
from chalicelib.models.chat import (
    STATUS_CLOSED,
    STATUS_OPEN,
    ChatModel,
    activity_key,
    open_shard,
    state_of,
)
from chalicelib.models.connection import team_audience, visitor_audience
from chalicelib.models.message import (
    AUTHOR_OPERATOR,
    AUTHOR_VISITOR,
    ClientMessageIdModel,
    FileLinkMap,
    MessageModel,
    chat_key,
    client_key,
)
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import consent, permissions, projects, quotas, validation, visitors
from chalicelib.services.visitors import display_name

CLIENT_ID_RETENTION = timedelta(days=2)
# Ids are stamped right before their write, so a commit lands well within this of its
# id's time; reading this far back from a cursor catches any that landed out of order.
CURSOR_OVERLAP_MS = 10_000
_WRITE_ATTEMPTS = 5


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


def message_view(message: MessageModel) -> dict:
    return {
        "id": message.message_id,
        "chat_id": message.chat_id,
        "client_id": message.client_id,
        "author_type": message.author_type,
        "author_id": message.author_id,
        "author_name": message.author_name,
        "text": message.text,
        "created_at": iso(message.created_at),
        **({"internal": True} if message.internal else {}),
        **({"image_url": message.image_url} if message.image_url else {}),
        **({"files": [f.as_dict() for f in message.files]} if message.files else {}),
    }


def chat_view(chat: ChatModel) -> dict:
    last = chat.last_message
    return {
        "id": chat.chat_id,
        "visitor_id": chat.visitor_id,
        "visitor_name": chat.visitor_name,
        "status": chat.status,
        "last_message": last.as_dict() if last else None,
        "last_activity_at": chat.last_activity_at,
        "unread": int(chat.unread_by_team or 0),
        "created_at": iso(chat.created_at),
        "state": state_of(chat),
        "assignee": (
            {"id": chat.assignee_id, "name": chat.assignee_name} if chat.assignee_id else None
        ),
        "rating": chat.rating,
        "closed_at": iso(chat.closed_at) if chat.closed_at else None,
    }


def summary_after(
    message: MessageModel,
    chat_id: str,
    visitor_id: str,
    assignee_id: str | None = None,
    visitor_name: str | None = None,
) -> dict:
    """The dialogue summary as the message just left it, built without reading it back
    (a read would be a fourth request). ``unread`` is absent: the panel adds one per
    visitor message it has not shown. ``visitor_name`` only when known: a default name
    here would overwrite the real one (``identify``) in the panel."""
    return {
        "id": chat_id,
        "visitor_id": visitor_id,
        **({"visitor_name": visitor_name} if visitor_name else {}),
        "status": STATUS_OPEN,
        "last_message": last_message_of(message),
        "last_activity_at": iso(message.created_at),
        "state": "assigned" if assignee_id else "open",
        "assignee_id": assignee_id,
    }


def last_message_of(message: MessageModel) -> dict:
    return {
        "id": message.message_id,
        "text": message.text[:200],
        "author_type": message.author_type,
        "created_at": iso(message.created_at),
    }


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
        )


def client_id_guard(message: MessageModel, now: datetime) -> ClientMessageIdModel:
    return ClientMessageIdModel(
        client_key(message.project_id, message.author_id, message.client_id),
        chat_id=message.chat_id,
        message_id=message.message_id,
        expires_at=now + CLIENT_ID_RETENTION,
    )


def chat_actions(message: MessageModel) -> list:
    stamp = iso(message.created_at)
    unread = (
        ChatModel.unread_by_team
        if message.author_type == AUTHOR_VISITOR
        else ChatModel.unread_by_visitor
    )
    return [
        ChatModel.last_activity_at.set(stamp),
        ChatModel.activity_key.set(activity_key(stamp, message.chat_id)),
        ChatModel.last_message.set(last_message_of(message)),
        unread.add(1),
    ]


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


def _append(
    draft: Draft, chat_condition, clock, sleep, assignee_id: str | None = None
) -> Posted | None:
    """Store the draft in its existing dialogue. None when the dialogue's condition
    failed (it is missing, closed, someone else's, or its assignee is not
    ``assignee_id`` any more)."""
    chat_condition = chat_condition & assignee_is(assignee_id)
    for attempt in range(_WRITE_ATTEMPTS):
        now = clock()
        message = draft.at(now)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(
                    client_id_guard(message, now),
                    condition=ClientMessageIdModel.client_key.does_not_exist(),
                )
                transaction.save(message)
                transaction.update(
                    ChatModel(message.project_id, message.chat_id),
                    actions=chat_actions(message),
                    condition=chat_condition,
                )
        except TransactWriteError as error:
            reasons = cancellation_codes(error)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return duplicate_of(draft)
            if reasons[2:3] == ["ConditionalCheckFailed"]:
                return None
            if "TransactionConflict" in reasons:
                backoff(attempt, sleep)
                continue
            raise
        return Posted(message, duplicate=False, assignee_id=assignee_id)
    raise Conflict("the dialogue is busy; send again")


def store_standalone(draft: Draft, clock=utcnow, sleep=time.sleep) -> Posted:
    """Store a message that moves no dialogue summary (an internal note, team chat):
    the idempotency guard and the message, in one transaction."""
    for attempt in range(_WRITE_ATTEMPTS):
        now = clock()
        message = draft.at(now)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(
                    client_id_guard(message, now),
                    condition=ClientMessageIdModel.client_key.does_not_exist(),
                )
                transaction.save(message)
        except TransactWriteError as error:
            reasons = cancellation_codes(error)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return Posted(_stored_duplicate(draft), duplicate=True)
            if "TransactionConflict" in reasons:
                backoff(attempt, sleep)
                continue
            raise
        return Posted(message, duplicate=False)
    raise Conflict("busy; send again")


def _assignee_of(message: MessageModel) -> str | None:
    try:
        return ChatModel.get(message.project_id, message.chat_id, consistent_read=True).assignee_id
    except DoesNotExist:
        return None


def _append_as_visitor(
    identity: VisitorIdentity, draft: Draft, hint: str | None, clock, sleep, consent_version=None
) -> Posted | None:
    """Append with the widget's idea of the assignee; if it is stale, read the dialogue
    once and try again. None when the visitor cannot write there (closed, missing).
    A dialogue the team opened that still waits for consent takes the visitor's first
    reply only with their agreement (services/consent_dialogue.py)."""
    posted = _append(draft, _visitor_may_write(identity), clock, sleep, hint)
    if posted is not None:
        return posted
    try:
        chat = ChatModel.get(identity.project_id, draft.chat_id, consistent_read=True)
    except DoesNotExist:
        return None
    if chat.visitor_id != identity.visitor_id or chat.status == STATUS_CLOSED:
        return None
    if chat.consent_wanted:
        from chalicelib.services import consent_dialogue  # (it builds on this module)

        return consent_dialogue.first_reply(identity, draft, chat, consent_version, clock, sleep)
    if chat.assignee_id == hint:
        return None
    return _append(draft, _visitor_may_write(identity), clock, sleep, chat.assignee_id)


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
    version; the dialogue then begins with the consent text and records the agreement."""
    project = None
    for attempt in range(_WRITE_ATTEMPTS):
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
                return posted
        if project is None:
            project = projects.require_project(identity.project_id)
        agreed = consent.check(project, consent_version)
        sequence = int(visitor.chat_count or 0) + 1
        chat_id = ids.chat_id_for(identity.visitor_id, sequence)
        now = clock()
        opening = None
        prompt = None
        if auto_message_id is not None:
            # The visitor answers an auto message: the team sees what they answered.
            prompt = _auto_message_prompt(project, chat_id, auto_message_id, now)
            if prompt is not None:
                now = now + timedelta(milliseconds=1)
        if agreed is not None:
            from chalicelib.services.consent_dialogue import consent_line

            opening = consent_line(project, chat_id, agreed, now)
            now = now + timedelta(milliseconds=1)  # the visitor's words come after
        message = draft.at(now, chat_id=chat_id)
        stamp = iso(now)
        chat = ChatModel(
            identity.project_id,
            chat_id,
            visitor_id=identity.visitor_id,
            visitor_name=visitor.name or display_name(identity.visitor_id),
            status=STATUS_OPEN,
            created_at=now,
            last_activity_at=stamp,
            activity_key=activity_key(stamp, chat_id),
            open_shard=open_shard(chat_id),
            waiting_project_id=identity.project_id,
            last_message=last_message_of(message),
            unread_by_team=1,
            unread_by_visitor=0,
            consent_version=agreed.version if agreed else None,
            consent_at=now if agreed else None,
        )
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(
                    client_id_guard(message, now),
                    condition=ClientMessageIdModel.client_key.does_not_exist(),
                )
                transaction.save(message)
                if opening is not None:
                    transaction.save(opening)
                if prompt is not None:
                    transaction.save(prompt)
                transaction.save(chat, condition=ChatModel.chat_id.does_not_exist())
                transaction.update(
                    visitor,
                    actions=[
                        VisitorModel.current_chat_id.set(chat_id),
                        VisitorModel.chat_count.set(sequence),
                        VisitorModel.closed_chats.remove(),  # only the current one matters
                    ],
                    condition=VisitorModel.chat_count == visitor.chat_count,
                )
        except TransactWriteError as error:
            reasons = cancellation_codes(error)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return duplicate_of(draft)
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                backoff(attempt, sleep)  # another tab won the race: read again, append
                continue
            raise
        if prompt is not None:
            _count_reply(identity.project_id, auto_message_id)
        return Posted(message, duplicate=False, opened=True, visitor_name=chat.visitor_name)
    raise Conflict("the dialogue is busy; send again")


def _count_reply(project_id: str, auto_message_id: str) -> None:
    """The auto message's "replied" figure: once, when the dialogue it began is stored."""
    from chalicelib.services import auto_messages

    with contextlib.suppress(NotFound):  # deleted meanwhile: the dialogue stands
        auto_messages.record(project_id, auto_message_id, "replied")


def _auto_message_prompt(project, chat_id: str, auto_message_id, now: datetime):
    """The auto message a visitor answers, as the first message of their new dialogue
    (None for an unknown one: the visitor's words still go in)."""
    from chalicelib.models.auto_message import AutoMessageModel
    from chalicelib.services import auto_messages

    if not isinstance(auto_message_id, str) or not 0 < len(auto_message_id) <= 64:
        return None
    try:
        item = AutoMessageModel.get(project.project_id, auto_message_id)
    except DoesNotExist:
        return None
    text = (item.content.text if item.content else None) or ""
    if not text:
        return None
    content = auto_messages.view(item)["content"]
    return Draft(
        project.project_id,
        chat_id,
        AUTHOR_OPERATOR,
        f"auto.{auto_message_id}",
        project.name,
        text,
        f"auto.{chat_id}",
        image_url=content["image_url"],
        files=tuple({"name": a["name"], "url": a["url"]} for a in content["attachments"]),
    ).at(now)


def _visitor_may_write(identity: VisitorIdentity):
    # A dialogue waiting for consent fails this too: the read that follows finds out why.
    return (
        (ChatModel.visitor_id == identity.visitor_id)
        & (ChatModel.status != STATUS_CLOSED)
        & ChatModel.consent_wanted.does_not_exist()
    )


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
) -> Posted:
    """``assignee_hint`` is the assignee the widget last heard of. It is checked inside
    the write (never trusted): right, the message costs no read; stale, one read."""
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
    )
    hint = assignee_hint if isinstance(assignee_hint, str) and assignee_hint else None
    posted = None
    if chat_id:
        posted = _append_as_visitor(identity, draft, hint, clock, sleep, consent_version)
    if posted is None:
        posted = _open_new_dialogue(
            identity, draft, clock, sleep, hint, consent_version, auto_message_id
        )
    _announce(posted, fanout, origin_connection)
    if posted.opened:
        from chalicelib.services import distribution  # (it reaches messaging through assignment)

        distribution.distribute(identity.project_id, fanout)
    return posted


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
    # (the reply itself never counts against a quota).
    quotas.require_team_reply(projects.require_project(member.project_id), clock())
    draft = Draft(
        member.project_id,
        chat_id,
        AUTHOR_OPERATOR,
        member.user_id,
        member.name,
        text,
        client_id,
    )
    for _ in range(_WRITE_ATTEMPTS):
        chat = get_chat(member.project_id, chat_id, consistent=True)
        if not permissions.can_see_chat(member, chat.assignee_id):
            raise Forbidden("this dialogue is assigned to someone else")
        # Not into a closed dialogue: the visitor has left it (their next message opens a
        # new one). A resend of a reply stored before the close still finds its copy.
        may_write = ChatModel.chat_id.exists() & (ChatModel.status != STATUS_CLOSED)
        posted = _append(draft, may_write, clock, sleep, chat.assignee_id)
        if posted is not None:
            posted.visitor_name = chat.visitor_name
            _announce(posted, fanout, origin_connection)
            return posted
        if chat.status == STATUS_CLOSED:
            raise Conflict("this dialogue is closed: reopen it to reply")
    raise Conflict("the dialogue is busy; send again")


def announce_posted(posted: Posted, fanout: Fanout) -> None:
    """Fan out a message stored elsewhere (a proactive chat's first message)."""
    _announce(posted, fanout, None)


def _announce(posted: Posted, fanout: Fanout, origin: str | None):
    """Fan a stored message out: to the visitor's tabs, and to the team sockets allowed
    to see the dialogue. A duplicate is announced again too: the first attempt may have
    died between storing and announcing, and clients de-duplicate by id."""
    message = posted.message
    visitor_id = ids.visitor_of_chat(message.chat_id)
    view = message_view(message)
    to_visitor = {"type": "message", "message": view, "assignee_id": posted.assignee_id}
    to_team = {
        "type": "message",
        "message": view,
        "chat": summary_after(
            message, message.chat_id, visitor_id, posted.assignee_id, posted.visitor_name
        ),
    }
    fanout.deliver(
        [
            (visitor_audience(message.project_id, visitor_id), to_visitor),
            (
                team_audience(message.project_id),
                to_team,
                permissions.team_sockets_for(posted.assignee_id),
            ),
        ],
        origin_connection=origin,
        origin_frame={
            "type": "ack",
            "client_id": message.client_id,
            "message": view,
            "assignee_id": posted.assignee_id,
        },
    )


def list_messages(
    project_id: str,
    chat_id: str,
    after: str | None,
    limit: int,
    before: str | None = None,
    include_internal: bool = True,
) -> dict:
    """Messages oldest first: those after a cursor (resync), those before one (scrolling
    back), or the latest ``limit``. Internal notes only when ``include_internal``.

    After a cursor, the read starts ``CURSOR_OVERLAP_MS`` earlier (late commits of
    concurrent writers) and the overlap does not count against ``limit``, so paging
    always moves forward; ``has_more`` says another page follows. ``has_older`` says
    scrolling back can go on."""
    key = chat_key(project_id, chat_id)
    shown = (lambda m: True) if include_internal else (lambda m: not m.internal)
    has_older = has_more = False
    items: list[MessageModel] = []
    if after:
        floor = ids.cursor_floor(after, CURSOR_OVERLAP_MS)
        newer = 0
        for item in MessageModel.query(
            key, MessageModel.message_id > floor, consistent_read=True, page_size=limit + 20
        ):
            if not shown(item):
                continue
            if newer == limit:
                has_more = True
                break
            items.append(item)
            newer += item.message_id > after
    else:
        condition = MessageModel.message_id < before if before else None
        for item in MessageModel.query(
            key, condition, scan_index_forward=False, consistent_read=True, page_size=limit + 1
        ):
            if not shown(item):
                continue
            if len(items) == limit:
                has_older = True
                break
            items.append(item)
        items.reverse()
    messages = [message_view(m) for m in items]
    cursor = max([after or "", *(m["id"] for m in messages)]) or None
    return {"messages": messages, "cursor": cursor, "has_older": has_older, "has_more": has_more}


def visitor_history(
    identity: VisitorIdentity, after: str | None, limit: int, before: str | None = None
) -> dict:
    """The current dialogue's messages: after a cursor (catching up), before one
    (scrolling back), or the latest ``limit``."""
    if after and before:
        raise BadRequest("give 'after' or 'before', not both")
    try:
        # Consistent: right after a first message the dialogue id must already show.
        visitor = VisitorModel.get(identity.project_id, identity.visitor_id, consistent_read=True)
    except DoesNotExist:
        raise Forbidden("unknown visitor: start a new session") from None
    current = visitor.current_chat_id
    if not current:
        return {
            "chat_id": None,
            "messages": [],
            "cursor": after,
            "closed": False,
            "has_older": False,
        }
    history = list_messages(
        identity.project_id, current, after, limit, before=before, include_internal=False
    )
    # Whether the team closed it, from the visitor record already read (no dialogue read).
    closed = current in (visitor.closed_chats or ())
    return {"chat_id": current, **history, "closed": closed}


def get_chat(project_id: str, chat_id: str, consistent: bool = False) -> ChatModel:
    chat_id = validation.chat_id(chat_id)
    try:
        return ChatModel.get(project_id, chat_id, consistent_read=consistent)
    except DoesNotExist:
        raise NotFound("no such dialogue") from None
