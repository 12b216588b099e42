"""Every frame the server sends on a socket, in one place: the "Server -> client" list of
docs/API.md ("WebSocket"), written as code. A new frame, or a new field in one, is
added here and there together.

Frames are plain dicts built from views the caller already has (``message_view``,
``chat_view``, a summary): building one costs no request, and this module imports
nothing of the application.
"""

from __future__ import annotations

# To the sender's own connection.


def ack(client_id: str, message: dict, assignee_id: str | None) -> dict:
    """A message of the sender's was stored (or already was: a resend)."""
    return {"type": "ack", "client_id": client_id, "message": message, "assignee_id": assignee_id}


def error(fields: dict, client_id: str | None = None) -> dict:
    """A refused frame: ``fields`` are the error's public ``code``, ``message`` and
    details (``errors.public``); ``code`` ``internal``: retry with the same client id."""
    frame = {"type": "error", **fields}
    if client_id:
        frame["client_id"] = client_id[:64]
    return frame


def pong() -> dict:
    return {"type": "pong"}


def rated_ack(chat_id: str) -> dict:
    """The visitor's rating was recorded (to the tab that rated)."""
    return {"type": "rated", "chat_id": chat_id}


# Messages.


def message_to_visitor(message: dict, assignee_id: str | None = None) -> dict:
    """A message in the visitor's dialogue, to their tabs (no dialogue summary)."""
    return {"type": "message", "message": message, "assignee_id": assignee_id}


def closing_message(message: dict) -> dict:
    """The project's closing message, to the visitor's tabs as a dialogue auto-closes
    (no assignee: the ``closed`` frame follows)."""
    return {"type": "message", "message": message}


def message_to_team(message: dict, summary: dict) -> dict:
    """A message, with the dialogue's summary as the write left it, to the team."""
    return {"type": "message", "message": message, "chat": summary}


def note(message: dict) -> dict:
    """An internal note in a dialogue (team only)."""
    return {"type": "note", "message": message}


def delivery(chat_id: str, message_id: str, state: str, reason: str | None) -> dict:
    """How far a team reply to a Telegram/Messenger chat got (team only): sending, sent,
    failed (``reason``: the platform's) or held (the channel needs reconnecting)."""
    return {
        "type": "delivery",
        "chat_id": chat_id,
        "message_id": message_id,
        "delivery": state,
        "reason": reason,
    }


def team_message(message: dict) -> dict:
    """A message of the project's team chat (team only)."""
    return {"type": "team_message", "message": message}


# Dialogue state.


def chat(summary: dict, line: dict | None = None) -> dict:
    """A dialogue's new summary to the team (assignment, close, reopen, rating, a new
    visitor name); ``line``: the change's line for the conversation."""
    frame = {"type": "chat", "chat": summary}
    if line is not None:
        frame["message"] = line
    return frame


def assigned(chat_id: str, assignee: dict | None) -> dict:
    """To the visitor: who answers now (``{id, name}``, or None)."""
    return {"type": "assigned", "chat_id": chat_id, "assignee": assignee}


def queue(chat_id: str, position: int) -> dict:
    """To the visitor: their chat waits for a free member of the team, ``position`` in line
    (1: next). Sent after their opening message and as the queue moves; an ``assigned``
    frame ends it."""
    return {"type": "queue", "chat_id": chat_id, "position": position}


def closed(chat_id: str) -> dict:
    return {"type": "closed", "chat_id": chat_id}


def reopened(chat_id: str) -> dict:
    return {"type": "reopened", "chat_id": chat_id}


def rated(chat_id: str, rating: str) -> dict:
    """To every tab of the visitor's, so none of them keeps asking."""
    return {"type": "rated", "chat_id": chat_id, "rating": rating}


def read(chat_id: str, reader: str) -> dict:
    """The other side's messages were read (``reader``: visitor or operator)."""
    return {"type": "read", "chat_id": chat_id, "reader": reader}


def visitor_typing(chat_id: str | None, visitor_id: str, typing: bool) -> dict:
    return {
        "type": "typing",
        "chat_id": chat_id,
        "visitor_id": visitor_id,
        "author_type": "visitor",
        "typing": bool(typing),
    }


def operator_typing(chat_id: str, author_name: str, typing: bool) -> dict:
    return {
        "type": "typing",
        "chat_id": chat_id,
        "author_type": "operator",
        "author_name": author_name,
        "typing": bool(typing),
    }


# The team's tools.


def saved_reply(change: str, reply: dict) -> dict:
    """A saved reply was created, updated or deleted (team sockets only)."""
    return {"type": "saved_reply", "change": change, "reply": reply}


# Channels.


def channel_health(channel: dict) -> dict:
    """A messenger channel's token health changed (``channel``: ``{id, kind, name,
    health: {state, reason, since}}``), to every team socket: the panel's banner."""
    return {"type": "channel_health", "channel": channel}


# Widgets.


def availability(view: dict) -> dict:
    """To an open widget: the team came or went (services/availability.py ``announce``);
    ``view`` is the session's ``availability``, as ``widget_view`` makes it."""
    return {"type": "availability", "availability": view}
