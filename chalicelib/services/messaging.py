"""Messages: stored first, then fanned out; a resend of a client id is not a second message.

Cost of a visitor message in an existing dialogue, whatever the size of the project:
one TransactWriteItems (idempotency guard + message + dialogue summary, all or nothing),
one Query for the visitor's tabs, one Query for the team's sockets; then one
postToConnection per connection found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import iso
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.models.base import transaction_connection
from chalicelib.models.chat import STATUS_CLOSED, STATUS_OPEN, ChatModel, activity_key
from chalicelib.models.connection import team_audience, visitor_audience
from chalicelib.models.message import (
    AUTHOR_OPERATOR,
    AUTHOR_VISITOR,
    ClientMessageIdModel,
    MessageModel,
    chat_key,
    client_key,
)
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services.visitors import display_name

CLIENT_ID_RETENTION = timedelta(days=2)
CURSOR_OVERLAP_MS = 2000
_NEW_DIALOGUE_ATTEMPTS = 4


@dataclass
class Posted:
    message: MessageModel
    duplicate: bool


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
    }


def summary_after(message: MessageModel, chat_id: str, visitor_id: str) -> dict:
    """The dialogue summary as the message just left it, built without reading it back
    (a read would be a fourth request). ``unread`` is absent: the panel adds one per
    visitor message it has not shown."""
    return {
        "id": chat_id,
        "visitor_id": visitor_id,
        "visitor_name": display_name(visitor_id),
        "status": STATUS_OPEN,
        "last_message": _last_message(message),
        "last_activity_at": iso(message.created_at),
    }


def _last_message(message: MessageModel) -> dict:
    return {
        "id": message.message_id,
        "text": message.text[:200],
        "author_type": message.author_type,
        "created_at": iso(message.created_at),
    }


def _new_message(project_id, chat_id, author_type, author_id, author_name, text, client_id, now):
    return MessageModel(
        chat_key(project_id, chat_id),
        ids.message_id(now),
        project_id=project_id,
        chat_id=chat_id,
        client_id=client_id,
        author_type=author_type,
        author_id=author_id,
        author_name=author_name,
        text=text,
        created_at=now,
    )


def _guard(message: MessageModel, now: datetime) -> ClientMessageIdModel:
    return ClientMessageIdModel(
        client_key(message.project_id, message.author_id, message.client_id),
        chat_id=message.chat_id,
        message_id=message.message_id,
        expires_at=now + CLIENT_ID_RETENTION,
    )


def _chat_actions(message: MessageModel) -> list:
    stamp = iso(message.created_at)
    unread = (
        ChatModel.unread_by_team
        if message.author_type == AUTHOR_VISITOR
        else ChatModel.unread_by_visitor
    )
    return [
        ChatModel.last_activity_at.set(stamp),
        ChatModel.activity_key.set(activity_key(stamp, message.chat_id)),
        ChatModel.last_message.set(_last_message(message)),
        ChatModel.open_project_id.set(message.project_id),
        unread.add(1),
    ]


def _failed_items(error: TransactWriteError) -> list[int]:
    reasons = error.cancellation_reasons or []
    return [
        i for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"
    ]


def _stored_duplicate(message: MessageModel) -> MessageModel:
    guard = ClientMessageIdModel.get(
        client_key(message.project_id, message.author_id, message.client_id),
        consistent_read=True,
    )
    return MessageModel.get(
        chat_key(message.project_id, guard.chat_id), guard.message_id, consistent_read=True
    )


def _append(message: MessageModel, chat_condition, now: datetime) -> Posted | None:
    """Store ``message`` in its existing dialogue. None when the dialogue's condition
    failed (it is missing, closed or someone else's)."""
    chat = ChatModel(message.project_id, message.chat_id)
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(
                _guard(message, now), condition=ClientMessageIdModel.client_key.does_not_exist()
            )
            transaction.save(message)
            transaction.update(chat, actions=_chat_actions(message), condition=chat_condition)
    except TransactWriteError as error:
        failed = _failed_items(error)
        if 0 in failed:
            return Posted(_stored_duplicate(message), duplicate=True)
        if 2 in failed:
            return None
        raise
    return Posted(message, duplicate=False)


def _open_new_dialogue(identity: VisitorIdentity, message: MessageModel, now: datetime) -> Posted:
    """Start the visitor's next dialogue with ``message``. Two tabs racing here collide
    on the dialogue's deterministic id; the loser retries and appends instead."""
    for _ in range(_NEW_DIALOGUE_ATTEMPTS):
        try:
            visitor = VisitorModel.get(
                identity.project_id, identity.visitor_id, consistent_read=True
            )
        except DoesNotExist:
            raise Forbidden("unknown visitor: start a new session") from None
        current = visitor.current_chat_id
        if current:
            message.chat_id = current
            message.chat_key = chat_key(message.project_id, current)
            posted = _append(message, _visitor_may_write(identity), now)
            if posted:
                return posted
        sequence = int(visitor.chat_count or 0) + 1
        chat_id = ids.chat_id_for(identity.visitor_id, sequence)
        message.chat_id = chat_id
        message.chat_key = chat_key(message.project_id, chat_id)
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
            open_project_id=identity.project_id,
            last_message=_last_message(message),
            unread_by_team=1,
            unread_by_visitor=0,
        )
        visitor_update = [
            VisitorModel.current_chat_id.set(chat_id),
            VisitorModel.chat_count.set(sequence),
        ]
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(
                    _guard(message, now),
                    condition=ClientMessageIdModel.client_key.does_not_exist(),
                )
                transaction.save(message)
                transaction.save(chat, condition=ChatModel.chat_id.does_not_exist())
                transaction.update(
                    visitor,
                    actions=visitor_update,
                    condition=VisitorModel.chat_count == visitor.chat_count,
                )
        except TransactWriteError as error:
            failed = _failed_items(error)
            if 0 in failed:
                return Posted(_stored_duplicate(message), duplicate=True)
            if failed:
                continue  # another tab won the race: read again and append
            raise
        return Posted(message, duplicate=False)
    raise Conflict("the dialogue is changing too fast; send again")


def _visitor_may_write(identity: VisitorIdentity):
    return (ChatModel.visitor_id == identity.visitor_id) & (ChatModel.status != STATUS_CLOSED)


def post_visitor_message(
    identity: VisitorIdentity,
    chat_id: str | None,
    client_id: str,
    text: str,
    now: datetime,
    fanout: Fanout,
    origin_connection: str | None = None,
) -> Posted:
    if chat_id is not None and not (
        isinstance(chat_id, str) and chat_id.startswith(identity.visitor_id + "-")
    ):
        raise Forbidden("not your dialogue")
    message = _new_message(
        identity.project_id,
        chat_id or "",
        AUTHOR_VISITOR,
        identity.visitor_id,
        display_name(identity.visitor_id),
        text,
        client_id,
        now,
    )
    posted = None
    if chat_id:
        posted = _append(message, _visitor_may_write(identity), now)
    if posted is None:
        posted = _open_new_dialogue(identity, message, now)
    _announce(posted.message, identity.visitor_id, fanout, origin_connection)
    return posted


def post_operator_message(
    member: MemberModel,
    chat_id: str,
    client_id: str,
    text: str,
    now: datetime,
    fanout: Fanout,
    origin_connection: str | None = None,
) -> Posted:
    visitor_id = ids.visitor_of_chat(chat_id)
    if visitor_id is None:
        raise NotFound("no such dialogue")
    message = _new_message(
        member.project_id,
        chat_id,
        AUTHOR_OPERATOR,
        member.user_id,
        member.name,
        text,
        client_id,
        now,
    )
    posted = _append(message, ChatModel.chat_id.exists(), now)
    if posted is None:
        raise NotFound("no such dialogue")
    _announce(posted.message, visitor_id, fanout, origin_connection)
    return posted


def _announce(message: MessageModel, visitor_id: str, fanout: Fanout, origin: str | None):
    """Fan a stored message out. A duplicate is announced again too: the first attempt
    may have died between storing and announcing, and clients de-duplicate by id."""
    view = message_view(message)
    fanout.deliver(
        [
            (
                visitor_audience(message.project_id, visitor_id),
                {"type": "message", "message": view},
            ),
            (
                team_audience(message.project_id),
                {
                    "type": "message",
                    "message": view,
                    "chat": summary_after(message, message.chat_id, visitor_id),
                },
            ),
        ],
        origin_connection=origin,
        origin_frame={"type": "ack", "client_id": message.client_id, "message": view},
    )


def list_messages(
    project_id: str, chat_id: str, after: str | None, limit: int, before: str | None = None
) -> dict:
    """Messages oldest first: those after a cursor (resync), those before one (scrolling
    back), or the latest ``limit``. ``has_older`` says whether scrolling back can go on."""
    key = chat_key(project_id, chat_id)
    has_older = False
    if after:
        floor = ids.cursor_floor(after, CURSOR_OVERLAP_MS)
        items = list(
            MessageModel.query(
                key, MessageModel.message_id > floor, limit=limit, consistent_read=True
            )
        )
    else:
        condition = MessageModel.message_id < before if before else None
        items = list(
            MessageModel.query(
                key, condition, scan_index_forward=False, limit=limit, consistent_read=True
            )
        )
        items.reverse()
        has_older = len(items) == limit
    messages = [message_view(m) for m in items]
    cursor = messages[-1]["id"] if messages else after
    if after and cursor and cursor < after:
        cursor = after
    return {"messages": messages, "cursor": cursor, "has_older": has_older}


def visitor_history(identity: VisitorIdentity, after: str | None, limit: int) -> dict:
    try:
        visitor = VisitorModel.get(identity.project_id, identity.visitor_id)
    except DoesNotExist:
        raise Forbidden("unknown visitor: start a new session") from None
    if not visitor.current_chat_id:
        return {"chat_id": None, "messages": [], "cursor": after}
    history = list_messages(identity.project_id, visitor.current_chat_id, after, limit)
    return {"chat_id": visitor.current_chat_id, **history}


def get_chat(project_id: str, chat_id: str) -> ChatModel:
    if not isinstance(chat_id, str) or not chat_id or len(chat_id) > 100:
        raise NotFound("no such dialogue")
    try:
        return ChatModel.get(project_id, chat_id)
    except DoesNotExist:
        raise NotFound("no such dialogue") from None
