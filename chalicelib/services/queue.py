"""The distribution queue as a waiting visitor sees it: their place in line.

A chat waits in the sparse ``queue`` index (in the order its visitor began to wait: a
visitor who writes again keeps their place) while it is open and
unassigned; in a project with automatic distribution (services/distribution.py) its
visitor is told their place: 1 is next. Distribution tells the visitors it already read
(the head of the queue) their new place as it hands chats out; a visitor whose chat it
handed out hears who took it (the ``assigned`` frame), not a place.

Cost: a place is one COUNT Query on the index (the chats ahead of this one), and telling a
visitor one Query of their tabs; neither happens unless the chat really waits. The
history answer carries the place only when the widget asks (it was told one): the chat and
the project read, then the COUNT.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib import ids
from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import iso
from chalicelib.models.chat import STATUS_OPEN, ChatModel, queued_key
from chalicelib.models.connection import visitor_audience
from chalicelib.models.message import MessageModel
from chalicelib.models.project import ProjectModel
from chalicelib.realtime import frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import chat_reads

AUTOMATIC = ("round_robin", "least_busy")


def key_of_opened(message: MessageModel) -> tuple[str, str]:
    """``(chat id, queue key)`` of the chat a visitor's message just opened: its index
    range key is the message's time (services/messaging.py, ``_new_chat``), so no read."""
    return message.chat_id, queued_key(iso(message.created_at), message.chat_id)


def requeued_key(chat: ChatModel, now) -> str:
    """The place of a chat going back in the queue (given back, its member removed,
    reopened): a visitor still waiting for a first answer keeps the time they began to
    wait (``unanswered_key``, unless escalation already marked it "sent ..."), so a
    hand-back does not send them to the end of the line; anyone else queues from now."""
    since = chat.unanswered_key
    if not since or since.startswith("sent "):
        since = iso(now)
    return queued_key(since, chat.chat_id)


def place(project_id: str, queue_key: str) -> int:
    """The place in line of the waiting chat with this index range key (1: next): one
    COUNT Query of the chats ahead of it."""
    return 1 + ChatModel.waiting.count(project_id, ChatModel.queued_key < queue_key)


def tell(project_id: str, places: list[tuple[str, int]], fanout: Fanout) -> None:
    """Each ``(chat id, place)`` to its visitor's tabs: one Query of the tabs a visitor."""
    fanout.deliver(
        [
            (
                visitor_audience(project_id, ids.visitor_of_chat(chat_id)),
                frames.queue(chat_id, position),
            )
            for chat_id, position in places
        ]
    )


def moved(project_id: str, left_key: str, fanout: Fanout, most: int = 20) -> None:
    """A waiting chat (queue key ``left_key``) was taken out of the queue by hand: the
    visitors behind it among the first ``most`` learn their new place (the project read,
    one Query of the head, one Query of each one's tabs). Manual projects: nothing more."""
    try:
        project = ProjectModel.get(project_id)
    except DoesNotExist:
        return
    if project.distribution not in AUTOMATIC:
        return
    # (the index may still list the taken chat for a moment: it holds no place)
    head = [w for w in ChatModel.waiting.query(project_id, limit=most) if w.queued_key != left_key]
    behind = [
        (waiting.chat_id, rank)
        for rank, waiting in enumerate(head, 1)
        if waiting.queued_key > left_key
    ]
    if behind:
        tell(project_id, behind, fanout)


def visitor_history(
    identity: VisitorIdentity,
    after: str | None,
    limit: int,
    before: str | None = None,
    asked: bool = False,
) -> dict:
    """The widget's history (services/chat_reads.py), with ``queue``: the current chat's
    place when the widget ``asked`` (it was told one) and the chat still waits in a
    project that distributes automatically. Asking costs the chat and project reads;
    a chat that waits adds the COUNT."""
    history = chat_reads.visitor_history(identity, after, limit, before=before)
    if asked and history["chat_id"] and not history["closed"]:
        position = _waiting_place(identity.project_id, history["chat_id"])
        if position is not None:
            history["queue"] = position
    return history


def _waiting_place(project_id: str, chat_id: str) -> int | None:
    try:
        chat = ChatModel.get(project_id, chat_id, consistent_read=True)
    except DoesNotExist:
        return None
    if chat.status != STATUS_OPEN or chat.assignee_id or not chat.waiting_project_id:
        return None
    try:
        project = ProjectModel.get(project_id)
    except DoesNotExist:
        return None
    if project.distribution not in AUTOMATIC:
        return None  # manual: the team picks from the inbox, no line to stand in
    return place(project_id, chat.queued_key or "")
