"""The WebSocket API's three handlers. Authentication happens in ``$connect`` (API
Gateway WebSocket APIs built by Chalice have no authorizer) and again per frame.

They are registered on the app itself in app.py: Chalice blueprints do not wrap
WebSocket handlers in the event class the way the app does.
"""

import logging

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.errors import DomainError, sentence
from chalicelib.services import socket_session

log = logging.getLogger(__name__)


def _endpoint(event) -> str:
    return f"https://{event.domain_name}/{event.stage}"


def websocket_connect(event):
    raw = event.to_dict()
    params = raw.get("queryStringParameters")
    headers = {str(k).lower(): v for k, v in (raw.get("headers") or {}).items()}
    try:
        socket_session.connect(
            event.connection_id,
            params,
            deps.visitor_tokens(),
            deps.operator_verifier(),
            get_settings(),
            utcnow(),
            deps.fanout(_endpoint(event)),
            headers,
        )
    except DomainError as error:
        status = {"unauthorized": 401, "retry_later": 503}.get(error.code, 403)
        return {"statusCode": status, "body": sentence(error.message)}
    except Exception:
        log.exception("$connect failed for %s", event.connection_id)
        return {"statusCode": 500, "body": "please retry"}
    return {"statusCode": 200}


def websocket_message(event):
    socket_session.handle_frame(
        event.connection_id,
        event.body,
        deps.visitor_tokens(),
        deps.operator_verifier(),
        deps.fanout(_endpoint(event)),
        get_settings(),
        utcnow(),
    )


def websocket_disconnect(event):
    socket_session.disconnect(event.connection_id, deps.fanout(_endpoint(event)), utcnow())
