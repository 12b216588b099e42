"""What happens on the WebSocket: ``$connect``, each frame, ``$disconnect``.

The socket is stateless on our side: every frame carries the token it connected with,
and verifying a signature costs no request, where looking the connection up would cost
one on every message. A bad frame gets an error frame back; the handler never raises, so
a client's mistake never drops its connection.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

import jwt

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.auth.operator_tokens import CognitoTokenVerifier
from chalicelib.auth.visitor_tokens import VisitorTokens
from chalicelib.clock import utcnow
from chalicelib.config import Settings
from chalicelib.errors import (
    BadRequest,
    DomainError,
    Forbidden,
    NotFound,
    TooLarge,
    Unauthorized,
    public,
)
from chalicelib.models.connection import KIND_OPERATOR, KIND_VISITOR
from chalicelib.models.message import TEAM_CHAT_ID
from chalicelib.models.project import MemberModel
from chalicelib.realtime import connections, frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import (
    assignment,
    availability,
    dialogues,
    distribution,
    messaging,
    origins,
    permissions,
    projects,
    queue,
    validation,
)

log = logging.getLogger(__name__)

# API Gateway's own frame limit is 32 KB; a 4,000-character message in UTF-8 fits.
MAX_FRAME_BYTES = 32 * 1024


def _is_visitor_token(token) -> bool:
    try:
        return jwt.get_unverified_header(token).get("alg") == "HS256"
    except (jwt.PyJWTError, TypeError, AttributeError):
        raise Unauthorized("invalid token") from None


def _caller(
    token, project_id, tokens: VisitorTokens, verifier: CognitoTokenVerifier
) -> VisitorIdentity | MemberModel:
    if not isinstance(token, str) or not token:
        raise Unauthorized("a token is required")
    if _is_visitor_token(token):
        return tokens.verify(token)
    return projects.require_member(verifier.verify(token), project_id)


def connect(
    connection_id: str,
    params: dict | None,
    tokens: VisitorTokens,
    verifier: CognitoTokenVerifier,
    settings: Settings,
    now: datetime,
    fanout: Fanout | None = None,
    headers: dict | None = None,
) -> None:
    params = params or {}
    token = params.get("token")
    if not isinstance(token, str) or not token:
        raise Unauthorized("a token is required")
    if _is_visitor_token(token):
        visitor = tokens.verify(token)
        # The browser's Origin on the handshake: the page the token was issued to.
        origins.require_token_origin(visitor, headers or {}, now)
        connections.register(
            connection_id,
            KIND_VISITOR,
            visitor.project_id,
            visitor.visitor_id,
            now,
            settings.connection_ttl_seconds,
        )
        return
    operator = verifier.verify(token)
    member = projects.require_member(operator, params.get("project"))
    connections.register(
        connection_id,
        KIND_OPERATOR,
        member.project_id,
        member.user_id,
        now,
        settings.connection_ttl_seconds,
        # Nothing reaches this socket after its token expires: the panel reconnects
        # with a fresh one (and a logged-out operator stops receiving at once).
        valid_until=operator.expires_at,
        sees_all=permissions.allows(member, "chats.see_all"),
    )
    if fanout is not None:  # the first member's panel: open widgets now say "Online"
        availability.announce(member.project_id, fanout, now, joined=member.user_id)
    if fanout is not None:
        distribution.distribute(member.project_id, fanout)  # someone came online


def handle_frame(
    connection_id: str,
    raw: str | None,
    tokens: VisitorTokens,
    verifier: CognitoTokenVerifier,
    fanout: Fanout,
    settings: Settings,
    now: datetime,
) -> None:
    client_id = None
    try:
        if raw is None or len(raw.encode()) > MAX_FRAME_BYTES:
            raise TooLarge("frame too large")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise BadRequest("frames must be JSON") from None
        body = validation.require_object(body)
        client_id = body.get("client_id") if isinstance(body.get("client_id"), str) else None
        action = body.get("action")
        if action == "ping":
            fanout.reply(connection_id, frames.pong())
            return
        handler = _ACTIONS.get(action) if isinstance(action, str) else None
        if handler is None:
            raise BadRequest(f"unknown action {action!r}"[:120])
        caller = _caller(body.get("token"), body.get("project"), tokens, verifier)
        handler(caller, body, connection_id, fanout, settings, now)
    except DomainError as error:
        fanout.reply(connection_id, frames.error(public(error), client_id))
    except Exception:
        log.exception("frame failed on connection %s", connection_id)
        internal = {"code": "internal", "message": "Please retry"}
        fanout.reply(connection_id, frames.error(internal, client_id))


def _chat_id(body: dict, required: bool) -> str | None:
    try:
        return validation.chat_id(body.get("chat_id"), required)
    except NotFound:
        raise BadRequest("'chat_id' must be a dialogue id") from None


def _send(caller, body, connection_id, fanout, settings, now) -> None:
    text = validation.message_text(body, settings.max_message_chars)
    client_id = validation.client_message_id(body)
    if isinstance(caller, VisitorIdentity):
        posted = messaging.post_visitor_message(
            caller,
            _chat_id(body, required=False),
            client_id,
            text,
            fanout,
            connection_id,
            assignee_hint=body.get("assignee_id"),
            consent_version=body.get("consent_version"),
            auto_message_id=body.get("auto_message_id"),
        )
        if posted.opened:  # a new dialogue: distribution may hand it to someone at once
            opened = queue.key_of_opened(posted.message)  # or tell its place in line
            distribution.distribute(caller.project_id, fanout, opened=opened)
    else:
        messaging.post_operator_message(
            caller, _chat_id(body, required=True), client_id, text, fanout, connection_id
        )


def _typing(caller, body, connection_id, fanout, settings, now) -> None:
    typing = body.get("typing", True)
    if not isinstance(typing, bool):
        raise BadRequest("'typing' must be true or false")
    if isinstance(caller, VisitorIdentity):
        dialogues.visitor_typing(
            caller, _chat_id(body, required=False), typing, fanout, body.get("assignee_id")
        )
    else:
        dialogues.operator_typing(caller, _chat_id(body, required=True), typing, fanout)


def _read(caller, body, connection_id, fanout, settings, now) -> None:
    if isinstance(caller, VisitorIdentity):
        dialogues.mark_read_by_visitor(caller, _chat_id(body, required=False), fanout)
    else:
        dialogues.mark_read_by_team(caller, _chat_id(body, required=True), fanout)


def _rate(caller, body, connection_id, fanout, settings, now) -> None:
    if not isinstance(caller, VisitorIdentity):
        raise Forbidden("only the visitor rates a dialogue")
    assignment.rate(caller, _chat_id(body, required=True), body.get("rating"), fanout)
    fanout.reply(connection_id, frames.rated_ack(body["chat_id"]))


def _viewing(caller, body, connection_id, fanout, settings, now) -> None:
    """The chat this panel tab shows while visible and focused (null: none), so the
    notifier pushes nothing about it to its member meanwhile. One UpdateItem; no answer."""
    if isinstance(caller, VisitorIdentity):
        raise Forbidden("only the team's panel says what it is viewing")
    chat_id = body.get("chat_id")
    if chat_id != TEAM_CHAT_ID:
        chat_id = _chat_id(body, required=False)
    connections.set_viewing(caller.project_id, caller.user_id, connection_id, chat_id)


_ACTIONS = {"send": _send, "typing": _typing, "read": _read, "rate": _rate, "viewing": _viewing}


def disconnect(
    connection_id: str, fanout: Fanout | None = None, now: datetime | None = None
) -> None:
    record = connections.disconnect(connection_id)
    if record is not None and record.kind == KIND_OPERATOR and fanout is not None:
        # The last panel of the last member: open widgets now say "We're away".
        availability.announce(record.project_id, fanout, now or utcnow())
