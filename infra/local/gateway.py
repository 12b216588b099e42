"""A small stand-in for the API Gateway WebSocket API.

Each socket gets a connection id (base64, so it may end in ``=``, like AWS's); the
handshake runs the app's ``$connect`` handler and is refused with its status code if
that is not 200; each text frame runs ``$default``; a close runs ``$disconnect``.
``POST``/``GET``/``DELETE /@connections/{id}`` work as the management API does,
answering 410 with ``x-amzn-ErrorType: GoneException`` for a connection that is gone.
Handlers run in worker threads, as separate Lambda invocations would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
from collections.abc import Callable
from urllib.parse import unquote

from aiohttp import WSMsgType, web

log = logging.getLogger("gateway")
# API Gateway refuses frames over 128 KB; our handler answers >32 KB with an error frame.
MAX_FRAME_BYTES = 128 * 1024


class WebsocketGateway:
    def __init__(
        self,
        on_connect: Callable[[dict, object], dict],
        on_message: Callable[[dict, object], dict],
        on_disconnect: Callable[[dict, object], dict],
        host: str,
        port: int,
        stage: str = "api",
    ):
        self._handlers = {"connect": on_connect, "message": on_message, "disconnect": on_disconnect}
        self._domain = f"{host}:{port}"
        self._stage = stage
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self._connected_at: dict[str, float] = {}

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self._websocket),
            web.post("/{stage}/@connections/{connection_id}", self._post),
            web.post("/@connections/{connection_id}", self._post),
            web.get("/@connections/{connection_id}", self._info),
            web.delete("/@connections/{connection_id}", self._delete),
        ]

    # -- the WebSocket side -----------------------------------------------------
    def _event(self, route_key: str, event_type: str, connection_id: str, **extra) -> dict:
        now = int(time.time() * 1000)
        return {
            "requestContext": {
                "routeKey": route_key,
                "eventType": event_type,
                "stage": self._stage,
                "domainName": self._domain,
                "connectionId": connection_id,
                "apiId": "local",
                "requestTimeEpoch": now,
                "connectedAt": int(self._connected_at.get(connection_id, now / 1000) * 1000),
                "messageDirection": "IN",
                "identity": {"sourceIp": "127.0.0.1"},
                "requestId": base64.b32encode(os.urandom(5)).decode(),
            },
            "isBase64Encoded": False,
            **extra,
        }

    async def _invoke(self, kind: str, event: dict) -> dict:
        handler = self._handlers[kind]
        return await asyncio.to_thread(handler, event, None) or {"statusCode": 200}

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        connection_id = base64.b64encode(os.urandom(10)).decode()  # 16 chars, ends in "="
        self._connected_at[connection_id] = time.time()
        connect = self._event(
            "$connect",
            "CONNECT",
            connection_id,
            headers=dict(request.headers),
            queryStringParameters=dict(request.query) or None,
        )
        result = await self._invoke("connect", connect)
        if result.get("statusCode", 200) != 200:
            self._connected_at.pop(connection_id, None)
            return web.Response(status=result["statusCode"], text=result.get("body", ""))

        socket = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, autoping=True)
        await socket.prepare(request)
        self.sockets[connection_id] = socket
        try:
            async for frame in socket:
                if frame.type == WSMsgType.TEXT:
                    event = self._event("$default", "MESSAGE", connection_id, body=frame.data)
                    await self._invoke("message", event)
                elif frame.type == WSMsgType.ERROR:
                    break
        finally:
            self.sockets.pop(connection_id, None)
            event = self._event("$disconnect", "DISCONNECT", connection_id)
            await self._invoke("disconnect", event)
            self._connected_at.pop(connection_id, None)
        return socket

    # -- the management API ------------------------------------------------------
    @staticmethod
    def _gone(connection_id: str) -> web.Response:
        return web.Response(
            status=410,
            headers={"x-amzn-ErrorType": "GoneException", "Content-Type": "application/json"},
            text=json.dumps({"message": f"connection {connection_id} is gone"}),
        )

    def _live(self, request: web.Request) -> tuple[str, web.WebSocketResponse | None]:
        connection_id = unquote(request.match_info["connection_id"])
        socket = self.sockets.get(connection_id)
        if socket is None or socket.closed:
            return connection_id, None
        return connection_id, socket

    async def _post(self, request: web.Request) -> web.Response:
        connection_id, socket = self._live(request)
        if socket is None:
            return self._gone(connection_id)
        data = await request.read()
        try:
            await socket.send_str(data.decode())
        except ConnectionError:
            return self._gone(connection_id)
        return web.Response(status=200)

    async def _info(self, request: web.Request) -> web.Response:
        connection_id, socket = self._live(request)
        if socket is None:
            return self._gone(connection_id)
        stamp = self._connected_at.get(connection_id, time.time())
        return web.json_response(
            {"ConnectedAt": stamp, "LastActiveAt": stamp, "Identity": {"SourceIp": "127.0.0.1"}}
        )

    async def _delete(self, request: web.Request) -> web.Response:
        connection_id, socket = self._live(request)
        if socket is None:
            return self._gone(connection_id)
        await socket.close()
        return web.Response(status=204)
