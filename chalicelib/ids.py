"""Identifier builders. Message ids are ULIDs: sortable by time, so they are cursors too."""

from __future__ import annotations

import secrets
from datetime import datetime

from ulid import ULID


def message_id(now: datetime) -> str:
    return str(ULID.from_datetime(now))


def cursor_floor(cursor: str, overlap_ms: int) -> str:
    """The smallest ULID written ``overlap_ms`` before ``cursor``.

    Two Lambdas can generate ids in one order and commit them in the other; reading a
    little before the cursor (clients de-duplicate by id) means a late commit is not
    skipped by a client that already moved past it.
    """
    stamp = ULID.from_str(cursor).milliseconds
    floor = ULID.from_timestamp(max(0, stamp - overlap_ms) / 1000)
    return str(floor)[:10] + "0" * 16  # the time part, with the lowest random part


def new_visitor_id() -> str:
    return "v_" + secrets.token_hex(10)


def new_project_id() -> str:
    return "p_" + secrets.token_hex(6)


def chat_id_for(visitor_id: str, sequence: int) -> str:
    """A visitor's n-th dialogue. Deterministic, so two tabs racing to open a first
    dialogue collide on one conditional put instead of creating two."""
    return f"{visitor_id}-{sequence}"


def visitor_of_chat(chat_id: str) -> str | None:
    """The visitor a dialogue id belongs to (the inverse of ``chat_id_for``)."""
    if not isinstance(chat_id, str) or "-" not in chat_id:
        return None
    visitor_id, _, sequence = chat_id.rpartition("-")
    return visitor_id if visitor_id.startswith("v_") and sequence.isdigit() else None
