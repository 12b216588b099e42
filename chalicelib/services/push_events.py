"""What the message path hands the notifier: one queue message per event, sent after
the message is stored and fanned out, so pushing never slows a message or a reply.

The event carries what the notifier needs of the message (author, text, time), so the
message path adds no DynamoDB request; the notifier (services/notify.py) reads the rest
on its own time. No queue configured (tests not about pushes, a stack without Web
Push): nothing is queued. A failure to queue is logged and swallowed: the message is
already stored and delivered, a missing push is the lesser harm.
"""

from __future__ import annotations

import logging

from chalicelib import deps
from chalicelib.clock import iso
from chalicelib.models.message import MessageModel

log = logging.getLogger(__name__)

KIND_MESSAGE = "message"  # a message in a chat (the visitor's, or a teammate's)
KIND_ASSIGNED = "assigned"  # a chat was assigned to a member
KIND_TEAM = "team"  # a team-chat message (it may name members)


def _message(message: MessageModel) -> dict:
    return {
        "id": message.message_id,
        "author_type": message.author_type,
        "author_id": message.author_id,
        "author_name": message.author_name,
        "text": message.text,
    }


def send(event: dict, delay_seconds: int = 0) -> bool:
    queue = deps.push_queue()
    if queue is None:
        return False
    try:
        queue.send(event, delay_seconds)
    except Exception:  # noqa: BLE001 - logged; the message itself went through
        log.exception("could not queue a %s push event", event.get("kind"))
        return False
    return True


def message_posted(message: MessageModel, opened: bool, visitor_name: str | None) -> None:
    send(
        {
            "kind": KIND_MESSAGE,
            "project_id": message.project_id,
            "chat_id": message.chat_id,
            "at": iso(message.created_at),
            "opened": opened,
            "visitor_name": visitor_name,
            "message": _message(message),
        }
    )


def chat_assigned(project_id: str, chat_id: str, assignee_id: str, actor_id, at) -> None:
    send(
        {
            "kind": KIND_ASSIGNED,
            "project_id": project_id,
            "chat_id": chat_id,
            "at": iso(at),
            "assignee_id": assignee_id,
            "actor_id": actor_id,
        }
    )


def team_message(message: MessageModel) -> None:
    send(
        {
            "kind": KIND_TEAM,
            "project_id": message.project_id,
            "chat_id": message.chat_id,
            "at": iso(message.created_at),
            "message": _message(message),
        }
    )
