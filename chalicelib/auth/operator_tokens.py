"""Verification of Cognito access tokens in our own code (REST and WebSocket ``$connect``).

Checks: RS256 signature against the pool's JWKS, issuer, ``client_id`` (access tokens
carry no ``aud``), expiry and ``token_use == "access"``. The JWKS is fetched once per
process and again when a token names a key id we have not seen (key rotation), but at
most once per ``refetch_seconds``: unauthenticated junk tokens must not make us call
Cognito on every request.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable

import jwt

from chalicelib.auth.identities import OperatorIdentity
from chalicelib.errors import TemporarilyUnavailable, Unauthorized

JwksSource = Callable[[], dict]


def jwks_from_url(url: str, timeout: float = 5.0) -> JwksSource:
    def fetch() -> dict:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (config URL)
            return json.loads(response.read())

    return fetch


class CognitoTokenVerifier:
    def __init__(
        self,
        jwks_source: JwksSource,
        issuer: str,
        client_id: str,
        clock: Callable[[], float] = time.time,
        leeway_seconds: int = 30,
        refetch_seconds: float = 300,
        retry_failed_fetch_seconds: float = 5,
    ):
        self._jwks_source = jwks_source
        self._issuer = issuer
        self._client_id = client_id
        self._clock = clock
        self._leeway = leeway_seconds
        self._refetch_seconds = refetch_seconds
        self._retry_failed_fetch_seconds = retry_failed_fetch_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._next_fetch_at = 0.0
        self._lock = threading.Lock()

    def _key_for(self, kid) -> jwt.PyJWK:
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("token names no signing key")
        with self._lock:
            if kid not in self._keys and self._clock() >= self._next_fetch_at:
                self._fetch()
            if kid not in self._keys:
                raise Unauthorized("token signed by an unknown key")
            return self._keys[kid]

    def _fetch(self) -> None:
        try:
            jwk_set = jwt.PyJWKSet.from_dict(self._jwks_source())
        except Exception as error:
            self._next_fetch_at = self._clock() + self._retry_failed_fetch_seconds
            if self._keys:
                return  # keep verifying with the keys we have
            raise TemporarilyUnavailable("sign-in cannot be checked right now") from error
        self._keys = {key.key_id: key for key in jwk_set.keys}
        self._next_fetch_at = self._clock() + self._refetch_seconds

    def verify(self, token: str) -> OperatorIdentity:
        if not isinstance(token, str) or not token:
            raise Unauthorized("an access token is required")
        try:
            header = jwt.get_unverified_header(token)
            key = self._key_for(header.get("kid"))
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                leeway=self._leeway,
                options={
                    "require": ["exp", "iss", "sub", "token_use"],
                    "verify_aud": False,
                    "verify_exp": False,  # checked below against the injected clock
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as error:
            raise Unauthorized("invalid access token") from error
        if claims.get("token_use") != "access":
            raise Unauthorized("not an access token")
        if claims.get("client_id") != self._client_id:
            raise Unauthorized("token issued to another client")
        if claims["exp"] + self._leeway < self._clock():
            raise Unauthorized("access token expired")
        return OperatorIdentity(
            user_id=claims["sub"],
            username=claims.get("username", ""),
            expires_at=float(claims["exp"]),
        )
