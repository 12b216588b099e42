"""Domain errors. They carry a stable code and a human message, and know nothing of HTTP.

``routes/http_errors.py`` maps them to status codes; the WebSocket handler maps them to
error frames. Services raise them; nothing else should reach a client.
"""


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
