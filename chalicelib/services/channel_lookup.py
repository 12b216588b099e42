"""The connected channel a webhook names, and its secret, kept by the container for a
minute: a known customer's message then costs no read of the channel (issue 11: a
customer's message must not cost more than a website message plus the quota write).

What the message path reads of a channel does not change while it is connected (its
project, kind, name, id; health marks are not read here), so the only staleness that
matters is the secret and the status:

- a reconnect (a new secret) or a disconnect in this container forgets the entry at
  once (services/channels.py);
- elsewhere, a check that fails against a cached secret is tried once more against a
  fresh read before it is refused, so a new secret never refuses a real delivery;
- a disconnect made in another container may still accept a message for up to a minute
  (Telegram's webhook is deleted at once; Facebook stops within about as long). The chat
  history is kept after a disconnect, so such a message is stored, not lost.

The customer (their visitor record: their current chat and how many they had) is kept
the same way. A stale one cannot misfile a message: the append is conditional on the
chat being open, and a new chat is a conditional put on the id that follows the count,
so a customer record behind the truth fails a condition and is read again
(services/channel_inbound.py); a message that opened a chat updates the kept copy.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import Forbidden, NotFound
from chalicelib.models.channel import CONNECTED, ChannelModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import channel_secrets

TTL_SECONDS = 60.0
MAX_ENTRIES = 1024  # a container serves a few channels; this only bounds a flood of ids
_cache: dict[str, tuple[float, ChannelModel, dict]] = {}
_customers: dict[tuple[str, str], tuple[float, VisitorModel]] = {}


def reset() -> None:
    """Tests: a new moto, new channels (the fake platforms reuse ids)."""
    _cache.clear()
    _customers.clear()


def customer(project_id: str, visitor_id: str, clock=time.monotonic) -> VisitorModel | None:
    kept = _customers.get((project_id, visitor_id))
    if kept and clock() - kept[0] < TTL_SECONDS:
        return kept[1]
    return None


def keep_customer(visitor: VisitorModel, clock=time.monotonic) -> VisitorModel:
    if len(_customers) >= MAX_ENTRIES:
        _customers.clear()
    _customers[(visitor.project_id, visitor.visitor_id)] = (clock(), visitor)
    return visitor


def forget_customer(project_id: str, visitor_id: str) -> None:
    _customers.pop((project_id, visitor_id), None)


def forget(channel_id: str) -> None:
    _cache.pop(channel_id, None)


def _connected(channel_id: str, kind: str, fresh: bool, clock) -> tuple[ChannelModel, dict, bool]:
    if not isinstance(channel_id, str) or len(channel_id) > 40:
        raise NotFound("no such channel")
    cached = None if fresh else _cache.get(channel_id)
    if cached and clock() - cached[0] < TTL_SECONDS and cached[1].kind == kind:
        return cached[1], cached[2], True
    try:
        channel = ChannelModel.get(channel_id)
    except DoesNotExist:
        forget(channel_id)
        raise NotFound("no such channel") from None
    if channel.kind != kind or channel.status != CONNECTED or not channel.secret_version:
        # A disconnected channel erased its secret: nothing could be checked.
        forget(channel_id)
        raise NotFound("no such channel")
    secret = channel_secrets.load(channel_id, channel.secret_version)
    if len(_cache) >= MAX_ENTRIES:
        _cache.clear()
    _cache[channel_id] = (clock(), channel, secret)
    return channel, secret, False


def connected(
    channel_id: str,
    kind: str,
    check: Callable[[dict], None] | None = None,
    fresh: bool = False,
    clock=time.monotonic,
) -> tuple[ChannelModel, dict]:
    """A connected channel of this kind and its secret, passed through ``check`` (which
    raises Forbidden for a wrong signature or token); anything else is "no such channel"."""
    channel, secret, cached = _connected(channel_id, kind, fresh, clock)
    if check is None:
        return channel, secret
    try:
        check(secret)
    except Forbidden:
        if not cached:
            raise
        channel, secret, _ = _connected(channel_id, kind, True, clock)
        check(secret)
    return channel, secret
