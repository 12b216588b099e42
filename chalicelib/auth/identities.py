"""The two kinds of caller, as established by a verified token."""

from dataclasses import dataclass


@dataclass(frozen=True)
class VisitorIdentity:
    project_id: str
    visitor_id: str


@dataclass(frozen=True)
class OperatorIdentity:
    user_id: str  # the Cognito ``sub``
    username: str
    expires_at: float = 0  # the access token's ``exp``
