"""Signed visitor tokens: a visitor id bound to one project.

The widget keeps the token (not a bare id) in the host page's localStorage, so a visitor
id cannot be claimed by someone who merely guessed it. An expired but authentic token
still identifies its visitor when a new session is requested, so a returning visitor
keeps their history.
"""

from __future__ import annotations

import time

import jwt

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.errors import Unauthorized

_ALGORITHM = "HS256"
_TOKEN_TYPE = "visitor"
TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600
RENEWABLE_FOR_SECONDS = 400 * 24 * 3600


class VisitorTokens:
    def __init__(self, secret: str, clock=time.time):
        if len(secret) < 32:
            raise ValueError("the visitor-token secret must be at least 32 characters")
        self._secret = secret
        self._clock = clock

    def issue(
        self,
        project_id: str,
        visitor_id: str,
        counted_until: float | None = None,
        origin: str | None = None,
    ) -> str:
        now = int(self._clock())
        claims = {
            "typ": _TOKEN_TYPE,
            "pid": project_id,
            "sub": visitor_id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
        }
        if counted_until is not None:
            # The end of the billing period the visitor was counted in: a message after
            # it counts them in the new one, with no request while it has not passed.
            # 0: not counted yet (a new visitor is counted when the token comes back).
            claims["cnt"] = int(counted_until)
        if origin is not None:
            claims["org"] = origin  # calls with this token must come from this page origin
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> VisitorIdentity:
        return self._decode(token, check_expiry=True)

    def verify_for_renewal(self, token: str) -> VisitorIdentity:
        """Accept an expired token if authentic and not older than the renewal window."""
        return self._decode(token, check_expiry=False)

    def _decode(self, token: str, check_expiry: bool) -> VisitorIdentity:
        if not isinstance(token, str) or not token:
            raise Unauthorized("a visitor token is required")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                # Times are checked below against the injected clock.
                options={
                    "require": ["exp", "iat", "sub", "pid"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as error:
            raise Unauthorized("invalid visitor token") from error
        now = self._clock()
        if claims.get("typ") != _TOKEN_TYPE:
            raise Unauthorized("not a visitor token")
        if check_expiry and claims["exp"] < now:
            raise Unauthorized("visitor token expired")
        if claims["iat"] < now - RENEWABLE_FOR_SECONDS:
            raise Unauthorized("visitor token too old")
        counted_until = claims.get("cnt")
        origin = claims.get("org")
        return VisitorIdentity(
            project_id=str(claims["pid"]),
            visitor_id=str(claims["sub"]),
            counted_until=float(counted_until) if isinstance(counted_until, int) else None,
            origin=origin if isinstance(origin, str) else None,
        )
