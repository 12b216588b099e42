"""The auto message a visitor answers, as the team's message in their chat: a new chat
begins with it, and one answered inside an existing chat gets it just before the answer
(services/messaging.py), so the team sees what was answered. Its "replied" figure too.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import NotFound
from chalicelib.models.auto_message import AutoMessageModel
from chalicelib.models.message import AUTHOR_OPERATOR
from chalicelib.services import auto_messages
from chalicelib.services.message_store import Draft


def count_reply(project_id: str, auto_message_id: str) -> None:
    """The auto message's "replied" figure: once, when the dialogue it began is stored."""
    with contextlib.suppress(NotFound):  # deleted meanwhile: the dialogue stands
        auto_messages.record(project_id, auto_message_id, "replied")


def prompt(project, chat_id: str, auto_message_id, now: datetime):
    """The auto message a visitor answers, as the first message of their new dialogue
    (None for an unknown one: the visitor's words still go in)."""
    found = draft(project, chat_id, auto_message_id)
    return found.at(now) if found is not None else None


def draft(project, chat_id: str, auto_message_id) -> Draft | None:
    """The auto message as the team's message in the chat (its picture and files as
    shown); one per auto message and chat (the client id)."""
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
    )
