"""What a push says (docs/API.md, "Push payload"): the JSON the panel's service worker
shows, the tag that makes one notification per chat, and the ``Topic`` header derived
from it (the push service keeps only the newest pending message per topic)."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote

from chalicelib.config import get_settings
from chalicelib.models.message import TEAM_CHAT_ID
from chalicelib.models.project import MemberModel, ProjectModel

KIND_NEW_CHAT = "new_chat"
KIND_MESSAGE = "message"
KIND_ASSIGNED = "assigned"
KIND_MENTION = "mention"
PREVIEW_CHARS = 140
# Which pref of a device lets each kind through (services/push_subscriptions.py).
PREF_OF = {
    KIND_NEW_CHAT: "new_chats",
    KIND_MESSAGE: "my_chats",
    KIND_ASSIGNED: "assigned",
    KIND_MENTION: "mentions",
}
_HIDDEN = {
    KIND_NEW_CHAT: "New chat",
    KIND_MESSAGE: "New message",
    KIND_ASSIGNED: "Chat assigned to you",
}


def previews_shown(project: ProjectModel) -> bool:
    """The project's ``push_previews`` (default true): false keeps message text off
    lock screens."""
    return project.push_previews is not False


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _short(text: str | None) -> str:
    text = _one_line(text)
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"


def tag_of(project_id: str, chat_id: str) -> str:
    return f"team-{project_id}" if chat_id == TEAM_CHAT_ID else f"chat-{chat_id}"


def topic_of(tag: str) -> str:
    """At most 32 characters of the URL-safe base64 alphabet (RFC 8030), from the tag."""
    digest = hashlib.sha256(tag.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:32]


def url_of(project_id: str, chat_id: str) -> str:
    base = get_settings().panel_url or "https://example.invalid/panel/"
    project = quote(project_id, safe="")
    if chat_id == TEAM_CHAT_ID:
        return f"{base}#/{project}/team-chat"
    return f"{base}#/{project}/inbox/{quote(chat_id, safe='')}"


def build(
    project: ProjectModel,
    chat_id: str,
    kind: str,
    at: str,
    who: str,
    text: str | None,
    author_name: str | None = None,
) -> dict:
    """``who``: the visitor's name (chat pushes); ``text``: the message to preview."""
    shown = previews_shown(project)
    if kind == KIND_MENTION:
        author = _one_line(author_name) or "A teammate"
        title = f"{_one_line(project.name)} · Team chat"
        body = f"{author}: {_short(text)}" if shown and text else f"{author} mentioned you"
    else:
        title = f"{_one_line(project.name)} · {_one_line(who) or 'A visitor'}"
        body = _short(text) if shown and text else _HIDDEN[kind]
        if kind == KIND_ASSIGNED and shown and text:
            body = f"Assigned to you: {_short(text)}"
    tag = tag_of(project.project_id, chat_id)
    return {
        "title": title,
        "body": body,
        "tag": tag,
        "url": url_of(project.project_id, chat_id),
        "project_id": project.project_id,
        "chat_id": chat_id,
        "kind": kind,
        "at": at,
    }


def names(member: MemberModel, text: str) -> bool:
    """Does a team-chat message name this member? ``@Full Name`` or ``@First`` (any
    case, not inside a longer word), as the panel's team chat writes them."""
    full = _one_line(member.name)
    if not full:
        return False
    candidates = {full, full.split(" ")[0]}
    for name in sorted(candidates, key=len, reverse=True):
        if re.search(r"(?<![\w@])@" + re.escape(name) + r"(?!\w)", text, re.IGNORECASE):
            return True
    return False
