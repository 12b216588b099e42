"""What every REST view shares: the domain-error-to-HTTP table, body parsing, callers.

The mapping is a decorator on each view because Chalice turns any non-Chalice
exception into a 500 before middleware could see it.
"""

from __future__ import annotations

import functools
import json
import logging

from chalice import Response

from chalicelib import deps
from chalicelib.auth.identities import OperatorIdentity, VisitorIdentity
from chalicelib.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    PaymentRequired,
    RateLimited,
    TemporarilyUnavailable,
    TooLarge,
    Unauthorized,
    Unavailable,
    public,
    sentence,
)

STATUS_BY_ERROR = {
    BadRequest: 400,
    Unauthorized: 401,
    PaymentRequired: 402,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unavailable: 423,
    RateLimited: 429,
    TemporarilyUnavailable: 503,
}
MAX_BODY_BYTES = 64 * 1024
logger = logging.getLogger(__name__)
INTERNAL_ERROR = {"error": {"code": "internal", "message": "Internal error; try again"}}


def error_response(error: DomainError) -> Response:
    status = next(s for cls, s in STATUS_BY_ERROR.items() if isinstance(error, cls))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return Response(
        status_code=status,
        body={"error": public(error)},
        headers=headers,
    )


def json_errors(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DomainError as error:
            return error_response(error)

    return wrapper


def body_of(request) -> dict:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge("request body too large")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def bearer_token(request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    return token.strip()


def operator_of(request) -> OperatorIdentity:
    return deps.operator_verifier().verify(bearer_token(request))


def visitor_of(request) -> VisitorIdentity:
    return deps.visitor_tokens().verify(bearer_token(request))


def query_param(request, name: str):
    return (request.query_params or {}).get(name)


def uniform_errors(event, get_response):
    """HTTP middleware: Chalice's own errors (405 for a method a route lacks, 415 for a
    content type it does not take) and anything unexpected get the same
    ``{"error": {"code", "message"}}`` body as the views' errors, so clients parse one shape.
    """
    try:
        response = get_response(event)
    except Exception:  # noqa: BLE001 - logged with its traceback; the caller learns nothing
        logger.exception("unhandled error")
        return Response(status_code=500, body=INTERNAL_ERROR)
    body = response.body
    if response.status_code >= 400 and isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            return response
    if response.status_code >= 500 and isinstance(body, dict) and "Code" in body:
        response.body = INTERNAL_ERROR  # Chalice caught and logged an exception in a view
    elif response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        response.body = {
            "error": {
                "code": _snake(str(body["Code"])),
                "message": sentence(str(body.get("Message", ""))),
            }
        }
    return response


def _snake(name: str) -> str:
    """'MethodNotAllowedError' -> 'method_not_allowed'."""
    name = name.removesuffix("Error") or name
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
