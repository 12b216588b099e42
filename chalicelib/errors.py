"""Domain errors. They carry a stable code and a human message, and know nothing of HTTP.

``routes/http_errors.py`` maps them to status codes; the WebSocket handler maps them to
error frames. Services raise them; nothing else should reach a client.
"""

import re


class DomainError(Exception):
    code = "bad_request"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        # Extra fields for the client, beside code and message (a challenge session, say).
        self.details = details


class BadRequest(DomainError):
    code = "bad_request"


class TooLarge(DomainError):
    code = "too_large"


class Unauthorized(DomainError):
    """No valid credentials: missing, forged, expired or wrong-audience token."""

    code = "unauthorized"


class Forbidden(DomainError):
    """Valid credentials, but not for this project or this action."""

    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Unavailable(DomainError):
    """The feature is switched off (chats disabled for a project, say)."""

    code = "unavailable"


class RateLimited(DomainError):
    """Too many attempts (Cognito's brute-force protection, say): try later."""

    code = "slow_down"


class TemporarilyUnavailable(DomainError):
    """A dependency did not answer (the pool's keys could not be fetched, say)."""

    code = "retry_later"


class PaymentRequired(DomainError):
    """A plan limit is reached, or the plan is not paid: the details say which
    (``reason``) and how to resume (``resume``)."""

    code = "payment_required"


# A field path leading a message ("rules.all[2].op: ...", "content.text: ...").
_PATH_LED = re.compile(r"([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+|\[\d+\])*): ")
# A quoted field name leading a message ("'name' must be ...").
_QUOTE_LED = re.compile(r"'[^'\s]+' ")


def sentence(text, field_led: bool = True):
    """An error's text as a person reads it: starting with a capital letter. Applied where
    errors leave the API (HTTP bodies, socket frames), so the services' many messages
    need not be rewritten. A leading field name keeps its spelling ("The 'user_id' field
    must ...", "In rules.all[2].op: ..."); ``field_led=False`` for texts whose leading
    quote is a value, not a field (the items of a validator's ``errors`` list)."""
    if not isinstance(text, str) or not text:
        return text
    if field_led and _QUOTE_LED.match(text):
        name, rest = text.split(" ", 1)
        return f"The {name} field {rest}"
    if field_led and _PATH_LED.match(text):
        return f"In {text}"
    if text[0].islower():
        return text[0].upper() + text[1:]
    return text


def public(error: DomainError) -> dict:
    """What a client is told of an error: its code, its message and extra fields, the
    texts in sentence case (the one place both the REST and the socket boundary use)."""
    details = dict(error.details)
    if isinstance(details.get("resume"), str):
        details["resume"] = sentence(details["resume"], field_led=False)
    if isinstance(details.get("errors"), list):
        details["errors"] = [
            {**item, "message": sentence(item.get("message"), field_led=False)}
            if isinstance(item, dict)
            else item
            for item in details["errors"]
        ]
    return {"code": error.code, "message": sentence(error.message), **details}
