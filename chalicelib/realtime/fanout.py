"""Fan-out: one Query per audience, one postToConnection per connection found.

A connection that answers 410 is gone; its record is removed on the spot. One failing
recipient never stops the others, and the sender's ack is always attempted: the message
is already stored, so the worst a delivery error may do is leave one socket to resync.
"""

from __future__ import annotations

import logging
import time

from chalicelib.realtime import connections
from chalicelib.realtime.sender import ConnectionSender

log = logging.getLogger(__name__)


class Fanout:
    def __init__(self, sender: ConnectionSender, clock=time.time):
        self._sender = sender
        self._clock = clock

    def _post(self, connection_id: str, frame: dict) -> bool | None:
        """True sent, False gone, None failed for another reason (logged)."""
        try:
            return self._sender.post(connection_id, frame)
        except Exception:
            log.exception("postToConnection failed for %s", connection_id)
            return None

    def deliver(
        self,
        frames_by_audience: list[tuple],
        origin_connection: str | None = None,
        origin_frame: dict | None = None,
    ) -> int:
        """Send each audience its frame: entries are ``(audience, frame)`` or
        ``(audience, frame, may_receive)`` where ``may_receive(record)`` filters the
        audience's connections. The origin connection gets ``origin_frame`` (an ack)
        instead. Returns the number of frames posted."""
        posted = 0
        origin_served = origin_connection is None or origin_frame is None
        now = self._clock()
        for audience, frame, *rest in frames_by_audience:
            may_receive = rest[0] if rest else None
            for record in connections.audience_connections(audience):
                if may_receive is not None and not may_receive(record):
                    continue
                if record.expires_epoch < now:
                    # Its token expired (operators) or API Gateway's 2 h passed: it must
                    # not receive anything more. The sweep closes it if still open.
                    connections.forget(record)
                    continue
                payload = frame
                if record.connection_id == origin_connection and origin_frame is not None:
                    payload, origin_served = origin_frame, True
                posted += 1
                if self._post(record.connection_id, payload) is False:
                    connections.forget(record)
        if not origin_served:
            # The sender's record is not where we looked (a stale tab): ack it anyway.
            posted += 1
            self._post(origin_connection, origin_frame)
        return posted

    def reply(self, connection_id: str, frame: dict) -> None:
        """A frame for the calling connection only (errors, pongs)."""
        self._post(connection_id, frame)

    def close(self, connection_id: str) -> None:
        """Close a socket from our side (logout, expired credentials)."""
        try:
            self._sender.close(connection_id)
        except Exception:
            log.exception("DeleteConnection failed for %s", connection_id)
