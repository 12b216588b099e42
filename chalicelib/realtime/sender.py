"""The seam between our code and API Gateway's ``postToConnection``.

``ApiGatewaySender`` is the real one (a boto3 ``apigatewaymanagementapi`` client pointed
at the WebSocket API, or at the local gateway's ``@connections``). Tests that count or
inspect frames hand in their own object with the same ``post`` method.
"""

from __future__ import annotations

import json
from typing import Protocol

from botocore.exceptions import ClientError


class ConnectionSender(Protocol):
    def post(self, connection_id: str, frame: dict) -> bool:
        """Send one frame. False when the connection is gone (HTTP 410)."""

    def close(self, connection_id: str) -> None:
        """Close the socket (a gone one is fine)."""


class ApiGatewaySender:
    def __init__(self, client):
        self._client = client

    def post(self, connection_id: str, frame: dict) -> bool:
        data = json.dumps(frame, separators=(",", ":")).encode()
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as error:
            if _is_gone(error):
                return False
            raise
        return True

    def close(self, connection_id: str) -> None:
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except ClientError as error:
            if not _is_gone(error):
                raise


def _is_gone(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code == "GoneException" or status == 410
