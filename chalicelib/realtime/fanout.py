"""Fan-out: one Query per audience, one postToConnection per connection found.

A connection that answers 410 is gone; its record is removed on the spot.
"""

from __future__ import annotations

from chalicelib.realtime import connections
from chalicelib.realtime.sender import ConnectionSender


class Fanout:
    def __init__(self, sender: ConnectionSender):
        self._sender = sender

    def deliver(
        self,
        frames_by_audience: list[tuple[str, dict]],
        origin_connection: str | None = None,
        origin_frame: dict | None = None,
    ) -> int:
        """Send each audience its frame; the origin connection gets ``origin_frame``
        (an ack) instead. Returns the number of frames posted."""
        posted = 0
        origin_served = origin_connection is None or origin_frame is None
        for audience, frame in frames_by_audience:
            for record in connections.audience_connections(audience):
                payload = frame
                if record.connection_id == origin_connection and origin_frame is not None:
                    payload, origin_served = origin_frame, True
                posted += 1
                if not self._sender.post(record.connection_id, payload):
                    connections.forget(record)
        if not origin_served:
            # The sender's record is not where we looked (a stale tab): ack it anyway.
            posted += 1
            self._sender.post(origin_connection, origin_frame)
        return posted

    def reply(self, connection_id: str, frame: dict) -> None:
        """A frame for the calling connection only (errors, pongs)."""
        self._sender.post(connection_id, frame)
