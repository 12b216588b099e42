"""The inbox: listing a project's dialogues, read marks, typing indicators."""

from __future__ import annotations

import base64
import binascii
import json

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import ids
from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import utcnow
from chalicelib.errors import BadRequest, Forbidden, NotFound
from chalicelib.models.base import is_condition_failure
from chalicelib.models.chat import ChatModel
from chalicelib.models.connection import team_audience, visitor_audience
from chalicelib.models.message import AUTHOR_OPERATOR, AUTHOR_VISITOR
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime import frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import channel_gate, permissions
from chalicelib.services.chat_reads import chat_view, visible_chat

_CURSOR_KEYS = {"project_id", "chat_id", "activity_key"}


def _encode_cursor(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str, project_id: str) -> dict:
    invalid = BadRequest("'cursor' is not a cursor this API returned")
    if not isinstance(cursor, str) or len(cursor) > 1024:
        raise invalid
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, RecursionError):
        raise invalid from None
    # Exactly the key of the activity index, each a bounded string: anything else would
    # reach DynamoDB as an invalid ExclusiveStartKey.
    if not isinstance(key, dict) or set(key) != _CURSOR_KEYS:
        raise invalid
    for value in key.values():
        if not (
            isinstance(value, dict)
            and set(value) == {"S"}
            and isinstance(value["S"], str)
            and 0 < len(value["S"]) <= 200
        ):
            raise invalid
    if key["project_id"]["S"] != project_id:
        raise BadRequest("'cursor' belongs to another listing")
    return key


def list_chats(member: MemberModel, cursor: str | None, limit: int, channel=None) -> dict:
    """One Query on the activity index, newest first, whatever the number of chats.
    Operators without the right to see all get their own and the unassigned ones."""
    project_id = member.project_id
    start = _decode_cursor(cursor, project_id) if cursor else None
    mine_or_open = None
    if not permissions.allows(member, "chats.see_all"):
        mine_or_open = ChatModel.assignee_id.does_not_exist() | (
            ChatModel.assignee_id == member.user_id
        )
    if channel is not None:  # the inbox's channel filter (services/channels.py: chat_filter)
        mine_or_open = channel if mine_or_open is None else mine_or_open & channel
    page = ChatModel.by_activity.query(
        project_id,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
        filter_condition=mine_or_open,
    )
    found = list(page)
    chats = [chat_view(chat) for chat in found]
    channel_gate.add_windows(found, chats, project_id, utcnow())
    next_key = page.last_evaluated_key
    return {"chats": chats, "next_cursor": _encode_cursor(next_key) if next_key else None}


def get_chat(member: MemberModel, chat_id: str) -> dict:
    """One chat as the list shows it (a Messenger chat with its reply window)."""
    chat = visible_chat(member, chat_id)
    view = chat_view(chat)
    channel_gate.add_windows([chat], [view], member.project_id, utcnow())
    return view


def mark_read_by_team(member: MemberModel, chat_id: str, fanout: Fanout) -> dict:
    visitor_id = ids.visitor_of_chat(chat_id)
    if visitor_id is None:
        raise NotFound("no such dialogue")
    chat = ChatModel(member.project_id, chat_id)
    try:
        # Leaves the ``unread`` index in the same write (GET /me/unread counts it no more).
        chat.update(
            actions=[ChatModel.unread_by_team.set(0), ChatModel.unread_project_id.remove()],
            condition=ChatModel.chat_id.exists(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("no such dialogue") from None
        raise
    frame = frames.read(chat_id, AUTHOR_OPERATOR)
    fanout.deliver(
        [
            (visitor_audience(member.project_id, visitor_id), frame),
            (
                team_audience(member.project_id),
                frame,
                permissions.team_sockets_for(chat.assignee_id),
            ),
        ]
    )
    return chat_view(chat)


def _visitor_chat(identity: VisitorIdentity, chat_id: str | None) -> str | None:
    if chat_id is None:
        try:
            visitor = VisitorModel.get(
                identity.project_id, identity.visitor_id, consistent_read=True
            )
            return visitor.current_chat_id
        except DoesNotExist:
            return None
    if ids.visitor_of_chat(chat_id) != identity.visitor_id:
        raise Forbidden("not your dialogue")
    return chat_id


def mark_read_by_visitor(identity: VisitorIdentity, chat_id: str | None, fanout: Fanout) -> None:
    chat_id = _visitor_chat(identity, chat_id)
    if chat_id is None:
        return
    chat = ChatModel(identity.project_id, chat_id)
    try:
        chat.update(  # returns the dialogue's attributes: its assignee, for the fan-out
            # Seen: the replies are not e-mailed (services/continuity.py).
            actions=[ChatModel.unread_by_visitor.set(0), ChatModel.unseen_reply_at.remove()],
            condition=ChatModel.visitor_id == identity.visitor_id,
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("no such dialogue") from None
        raise
    frame = frames.read(chat_id, AUTHOR_VISITOR)
    fanout.deliver(
        [
            (
                team_audience(identity.project_id),
                frame,
                permissions.team_sockets_for(chat.assignee_id),
            )
        ]
    )


def visitor_typing(
    identity: VisitorIdentity,
    chat_id: str | None,
    typing: bool,
    fanout: Fanout,
    assignee_hint: str | None = None,
):
    """Typing costs no write and no read: one Query for the team's sockets. Only those
    who may see the dialogue hear it; the widget says whose it is (``assignee_hint``, as
    with messages). A false hint only misroutes the visitor's own typing indicator."""
    if chat_id is not None and ids.visitor_of_chat(chat_id) != identity.visitor_id:
        raise Forbidden("not your dialogue")
    if assignee_hint is not None and not isinstance(assignee_hint, str):
        raise BadRequest("'assignee_id' must be a member id")
    frame = frames.visitor_typing(chat_id, identity.visitor_id, typing)
    fanout.deliver(
        [(team_audience(identity.project_id), frame, permissions.team_sockets_for(assignee_hint))]
    )


def operator_typing(member: MemberModel, chat_id: str, typing: bool, fanout: Fanout):
    visitor_id = ids.visitor_of_chat(chat_id)
    if visitor_id is None:
        raise NotFound("no such dialogue")
    if not permissions.allows(member, "chats.see_all"):  # (those who see all: no read)
        visible_chat(member, chat_id, consistent=False)
    frame = frames.operator_typing(chat_id, member.name, typing)
    fanout.deliver([(visitor_audience(member.project_id, visitor_id), frame)])
