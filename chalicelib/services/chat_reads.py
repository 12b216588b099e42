"""Reads and views of a chat (the docstrings' "dialogue"): a leaf every service may
import (it imports no other service but the permission table and validation).

The views are what the REST answers and the socket frames carry (docs/API.md: "Message
object", "Chat summary object"); ``visible_chat`` is the one check of "may this member
see this chat" (operators their own and unassigned ones; leads and chat administrators
all).
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib import ids
from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import iso
from chalicelib.errors import BadRequest, Forbidden, NotFound
from chalicelib.models.chat import STATUS_OPEN, ChatModel, state_of
from chalicelib.models.message import MessageModel, chat_key
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import permissions, validation

# Ids are stamped right before their write, so a commit lands well within this of its
# id's time; reading this far back from a cursor catches any that landed out of order.
CURSOR_OVERLAP_MS = 10_000


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
        **(delivery_of(message) if message.delivery else {}),
    }


def delivery_of(message: MessageModel) -> dict:
    """A team reply to a Telegram/Messenger chat: how far it got (services/channel_outbox)."""
    return {"delivery": message.delivery, "delivery_reason": message.delivery_reason}


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
        "channel": channel_of(chat),
        # A messenger customer who blocked the bot (services/channel_health.py).
        "unreachable_reason": chat.unreachable_reason,
        # A messenger customer's picture (our bucket), where the panel draws the avatar.
        **({"visitor_picture_url": chat.visitor_picture_url} if chat.visitor_picture_url else {}),
    }


def channel_of(chat: ChatModel) -> dict | None:
    """Where the chat happens: None for the website, else the messenger channel."""
    if not chat.channel:
        return None
    return {
        "kind": chat.channel,
        "id": chat.channel_id,
        "name": chat.channel_name,
        # The customer's last message (Messenger's 24-hour window counts from it).
        "customer_last_at": iso(chat.customer_last_at) if chat.customer_last_at else None,
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


def get_chat(project_id: str, chat_id: str, consistent: bool = False) -> ChatModel:
    chat_id = validation.chat_id(chat_id)
    try:
        return ChatModel.get(project_id, chat_id, consistent_read=consistent)
    except DoesNotExist:
        raise NotFound("no such dialogue") from None


def visible_chat(member: MemberModel, chat_id: str, consistent: bool = True) -> ChatModel:
    """The dialogue, if this member may see it (consistent by default: it may have just
    changed)."""
    chat = get_chat(member.project_id, chat_id, consistent=consistent)
    if not permissions.can_see_chat(member, chat.assignee_id):
        raise Forbidden("this dialogue is assigned to someone else")
    return chat


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
