"""Signed tokens in the e-mails of conversations that continue by e-mail.

Reply tokens ride in the ``Reply-To`` address, ``reply+<token>@<inbound domain>``, whose
local part SMTP limits to 64 characters, so they are not JWTs (like the visitor tokens
of visitor_tokens.py, whose style they follow otherwise: a secret of at least 32
characters, an injected clock, ``Unauthorized`` for anything not authentic or expired).
A reply token is packed binary: the project id's 6 bytes, the visitor id's 10, the
chat's sequence (3 bytes), the expiry (4 bytes, epoch seconds) and the first 10 bytes of
an HMAC-SHA256 over them, in lower-case base32 (mail systems may change a local part's
case): 53 characters. 80 bits of MAC: a forger must guess online, one e-mail a try.

Unsubscribe tokens go in a URL, so they are JWTs: the project and the address.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

import jwt

from chalicelib.errors import Unauthorized

REPLY_LIFETIME_SECONDS = 30 * 24 * 3600
_MAC_BYTES = 10
_PROJECT = re.compile(r"p_([0-9a-f]{12})")
_VISITOR = re.compile(r"v_([0-9a-f]{20})")
_UNSUBSCRIBE_TYPE = "unsubscribe"


@dataclass(frozen=True)
class ReplyAddress:
    project_id: str
    visitor_id: str
    chat_id: str


def _mac(secret: bytes, purpose: bytes, payload: bytes) -> bytes:
    # The purpose keeps one token kind from ever verifying as another.
    return hmac.new(secret, purpose + b"\0" + payload, hashlib.sha256).digest()


class MailTokens:
    def __init__(self, secret: str, clock=time.time):
        if len(secret) < 32:
            raise ValueError("the mail-token secret must be at least 32 characters")
        self._secret = secret.encode()
        self._clock = clock

    # --- reply tokens --------------------------------------------------------------

    def reply_token(self, project_id: str, chat_id: str) -> str | None:
        """The token for replies into this chat; None for ids of another shape (none
        this platform makes), which then get no continuity e-mail."""
        project = _PROJECT.fullmatch(project_id)
        visitor_id, _, sequence = chat_id.rpartition("-")
        visitor = _VISITOR.fullmatch(visitor_id)
        if not (project and visitor and sequence.isdigit() and int(sequence) < 2**24):
            return None
        expires = int(self._clock()) + REPLY_LIFETIME_SECONDS
        payload = (
            bytes.fromhex(project.group(1))
            + bytes.fromhex(visitor.group(1))
            + int(sequence).to_bytes(3, "big")
            + expires.to_bytes(4, "big")
        )
        signed = payload + _mac(self._secret, b"reply", payload)[:_MAC_BYTES]
        return base64.b32encode(signed).decode().rstrip("=").lower()

    def verify_reply(self, token: str) -> ReplyAddress:
        if not isinstance(token, str) or len(token) != 53:
            raise Unauthorized("not a reply token")
        try:
            raw = base64.b32decode(token.upper() + "===")
        except (binascii.Error, ValueError):
            raise Unauthorized("not a reply token") from None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(payload) != 23 or not hmac.compare_digest(
            mac, _mac(self._secret, b"reply", payload)[:_MAC_BYTES]
        ):
            raise Unauthorized("invalid reply token")
        if int.from_bytes(payload[19:23], "big") < self._clock():
            raise Unauthorized("reply token expired")
        visitor_id = "v_" + payload[6:16].hex()
        sequence = int.from_bytes(payload[16:19], "big")
        return ReplyAddress("p_" + payload[:6].hex(), visitor_id, f"{visitor_id}-{sequence}")

    # --- unsubscribe tokens --------------------------------------------------------

    def unsubscribe_token(self, project_id: str, address: str) -> str:
        claims = {"typ": _UNSUBSCRIBE_TYPE, "pid": project_id, "adr": address.lower()}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify_unsubscribe(self, token: str) -> tuple[str, str]:
        """(project id, address). No expiry: an old e-mail's link must still work."""
        if not isinstance(token, str) or not token or len(token) > 2048:
            raise Unauthorized("an unsubscribe token is required")
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["pid", "adr"]}
            )
        except jwt.PyJWTError as error:
            raise Unauthorized("invalid unsubscribe token") from error
        if claims.get("typ") != _UNSUBSCRIBE_TYPE:
            raise Unauthorized("not an unsubscribe token")
        if not isinstance(claims["pid"], str) or not isinstance(claims["adr"], str):
            raise Unauthorized("invalid unsubscribe token")
        return claims["pid"], claims["adr"]
