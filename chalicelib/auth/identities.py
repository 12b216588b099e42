"""The two kinds of caller, as established by a verified token."""

from dataclasses import dataclass


@dataclass(frozen=True)
class VisitorIdentity:
    project_id: str
    visitor_id: str
    # Until when (epoch seconds) the visitor is counted as a unique visitor of the
    # project's billing period; activity after it counts them again (None: not said).
    counted_until: float | None = None
    # The page origin the token was issued to (services/origins.py; None: an older
    # token, checked against the project's list instead).
    origin: str | None = None


@dataclass(frozen=True)
class OperatorIdentity:
    user_id: str  # the Cognito ``sub``
    username: str
    expires_at: float = 0  # the access token's ``exp``
