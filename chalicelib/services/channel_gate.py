"""May the team reply on this Telegram/Messenger chat now, and with which Messenger tag.

``reply_tag`` is called before a reply is queued for the platform (channel_outbox). It
raises ``PaymentRequired`` (402, reason ``messenger_messages``) once the period's
messenger messages reached the plan's limit, ``Conflict`` (reason ``window_closed``) when
Messenger's window is closed, and returns the tag the reply must carry (or None).

Messenger's window (Meta's policy): a Page may message a customer within 24 hours of the
customer's last message (a standard RESPONSE); from 24 hours up to 7 days only a person
may answer, and only with the ``HUMAN_AGENT`` tag, which Meta approves per app: so the
project switches it on (``channels.human_agent_tag``, off by default), and automatic
messages never carry it. Telegram has no window. Both count from the chat's
``customer_last_at``, set in the customer's message's own write (services/channel_inbound.py).

The window's edges are exclusive: at exactly 24 hours the standard window is closed
(Meta counts the 24 hours as elapsed), at exactly 7 days the tag's is.

The project's setting lives here too (``PATCH /projects/{id}`` ``{"channels":
{"human_agent_tag": bool}}``, managers and the administrator), beside the rule it drives.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import iso
from chalicelib.errors import BadRequest, Conflict
from chalicelib.models.channel import MESSENGER
from chalicelib.models.chat import ChatModel
from chalicelib.models.project import ProjectModel
from chalicelib.services import messenger_quota

HUMAN_AGENT = "HUMAN_AGENT"
STANDARD_WINDOW = timedelta(hours=24)
TAG_WINDOW = timedelta(days=7)
WINDOW_CLOSED = "window_closed"  # the Conflict's reason: the panel tells it from other 409s

OPEN, TAG, CLOSED = "open", "tag", "closed"

_WHY = "Messenger lets a Page answer within 24 hours of the customer's last message"


def tag_enabled(project: ProjectModel) -> bool:
    return bool(project.human_agent_tag)


def window_view(chat: ChatModel, human_agent_tag: bool, now: datetime) -> dict | None:
    """Messenger's window on this chat as the panel shows it (None: not a Messenger
    chat): ``closes_at`` (24 hours after the customer's last message), ``tag_until`` (7
    days after it, when the project enables the tag; else null) and ``state`` now."""
    if chat.channel != MESSENGER:
        return None
    last = chat.customer_last_at
    if last is None:  # the customer never wrote (a chat the Page opened from its inbox)
        return {"customer_last_at": None, "closes_at": None, "tag_until": None, "state": CLOSED}
    closes_at = last + STANDARD_WINDOW
    tag_until = last + TAG_WINDOW if human_agent_tag else None
    if now < closes_at:
        state = OPEN
    elif tag_until is not None and now < tag_until:
        state = TAG
    else:
        state = CLOSED
    return {
        "customer_last_at": iso(last),
        "closes_at": iso(closes_at),
        "tag_until": iso(tag_until) if tag_until else None,
        "state": state,
    }


def reply_tag(
    project: ProjectModel, chat: ChatModel, now: datetime, *, automatic: bool = False
) -> str | None:
    """The Messenger tag a reply on ``chat`` must carry now (None: none), or why it may
    not go: the quota first (it stops every channel), then the window."""
    if not chat.channel:
        return None  # a website chat: neither the messenger quota nor a window applies
    messenger_quota.require_reply(project, now)
    if chat.channel != MESSENGER:
        return None  # Telegram: a bot may answer a customer at any time
    window = window_view(chat, tag_enabled(project) and not automatic, now)
    if window["state"] == OPEN:
        return None
    if window["state"] == TAG:
        return HUMAN_AGENT
    raise _closed(chat, project, now, automatic)


def _closed(chat: ChatModel, project: ProjectModel, now: datetime, automatic: bool) -> Conflict:
    last = chat.customer_last_at
    details = {
        "reason": WINDOW_CLOSED,
        "closes_at": iso(last + STANDARD_WINDOW) if last else None,
        "tag_until": iso(last + TAG_WINDOW) if last and tag_enabled(project) else None,
    }
    if last is None:
        text = f"The customer has not written on Messenger yet: {_WHY}."
    elif now >= last + TAG_WINDOW:
        text = (
            f"Messenger's reply window is closed: {_WHY} (up to 7 days with the Human agent "
            "tag), and this customer last wrote over 7 days ago. The chat goes on when they "
            "write again."
        )
    elif automatic:
        text = (
            f"Messenger's reply window is closed for automatic messages: {_WHY}; the Human "
            "agent tag is for replies a person writes."
        )
    else:
        text = (
            f"Messenger's reply window is closed: {_WHY}, and this customer last wrote over "
            "24 hours ago. Up to 7 days, replies can go with the Human agent tag: a manager "
            "or the administrator can turn it on in Settings -> Channels once Meta approved "
            "the app for it."
        )
    return Conflict(text, **details)


def add_windows(chats: list[ChatModel], views: list[dict], project_id: str, now: datetime) -> None:
    """Each Messenger chat's ``window`` in a REST answer (the chat list, one chat). The
    project's setting is read once, and only when a Messenger chat is among them, so the
    inbox of a project without Messenger stays one Query."""
    if not any(chat.channel == MESSENGER for chat in chats):
        return
    try:
        human_agent_tag = tag_enabled(ProjectModel.get(project_id))
    except DoesNotExist:
        human_agent_tag = False
    for chat, view in zip(chats, views, strict=True):
        window = window_view(chat, human_agent_tag, now)
        if window is not None:
            view["window"] = window


# --- the project's setting ------------------------------------------------------------


def settings_view(project: ProjectModel) -> dict:
    return {"human_agent_tag": tag_enabled(project)}


def settings_actions(value) -> list:
    """``{"channels": {...}}`` of a PATCH: the update actions, or BadRequest (nothing set)."""
    if not isinstance(value, dict) or not value:
        raise BadRequest("'channels' must be an object: {human_agent_tag}")
    unknown = value.keys() - {"human_agent_tag"}
    if unknown:
        raise BadRequest(f"'channels' has no field '{sorted(unknown)[0]}' (human_agent_tag)")
    if not isinstance(value.get("human_agent_tag"), bool):
        raise BadRequest("'channels.human_agent_tag' must be true or false")
    return [ProjectModel.human_agent_tag.set(value["human_agent_tag"])]
