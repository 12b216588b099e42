"""The seams of Web Push: the VAPID key, the push sender and the notification queue.

Built lazily by ``deps`` (``vapid_key``, ``web_push``, ``push_queue``): the message path
only ever touches the queue, and only the notifier and the push routes read the key.
``pywebpush`` is imported here, on the first push, so no other handler's cold start pays
for it (nor for its ``requests``/``aiohttp``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

log = logging.getLogger(__name__)

# The order of P-256: a private scalar is 1 .. n-1.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKey:
    private_key: str  # base64url of the 32-byte scalar (what pywebpush takes)
    public_key: str  # base64url of the uncompressed point (applicationServerKey)


def vapid_key_from(secret: str) -> VapidKey:
    """The key a secret stands for: a base64url 32-byte scalar as it is (bring your own
    key), or any other text (CloudFormation's generated secret string) hashed to one, so
    every Lambda derives the same key and the stack needs no key-making step."""
    secret = secret.strip()
    if not secret:
        raise ValueError("the VAPID secret is empty")
    try:
        raw = b64url_decode(secret)
    except ValueError:
        raw = b""
    if len(raw) != 32 or not 0 < int.from_bytes(raw, "big") < _P256_ORDER:
        digest = int.from_bytes(hashlib.sha256(secret.encode()).digest(), "big")
        raw = (digest % (_P256_ORDER - 1) + 1).to_bytes(32, "big")
    key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return VapidKey(private_key=b64url(raw), public_key=b64url(point))


def new_vapid_secret() -> str:
    """A fresh key (the local stand-in makes one per run)."""
    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return b64url(scalar.to_bytes(32, "big"))


@dataclass(frozen=True)
class PushResult:
    status: int  # the push service's HTTP status (0: it could not be reached)
    retry_after: int | None = None  # seconds, on a 429

    @property
    def delivered(self) -> bool:
        return 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)


def _retry_after(headers) -> int | None:
    value = (headers or {}).get("Retry-After") if headers is not None else None
    try:
        return max(0, int(value)) if value is not None else None
    except (TypeError, ValueError):
        return None  # an HTTP date: the caller's default back-off


class PyWebPushSender:
    """Encrypts (aes128gcm) and signs (VAPID) with pywebpush, one request per device."""

    def __init__(self, key: VapidKey, subject: str, timeout: float = 5.0):
        self._key = key
        self._subject = subject
        self._timeout = timeout
        self._http = None  # one requests.Session per container: connections are reused

    def _session(self):
        if self._http is None:
            import requests  # lazily, with pywebpush

            self._http = requests.Session()
        return self._http

    def send(self, subscription: dict, payload: dict, ttl: int, urgency: str, topic: str):
        from pywebpush import WebPushException, webpush  # lazily: the notifier only

        try:
            response = webpush(
                subscription_info=subscription,
                data=json.dumps(payload, separators=(",", ":")),
                vapid_private_key=self._key.private_key,
                # A fresh dict each time: pywebpush writes aud and exp into it.
                vapid_claims={"sub": self._subject},
                ttl=ttl,
                headers={"Urgency": urgency, "Topic": topic},
                timeout=self._timeout,
                requests_session=self._session(),
            )
        except WebPushException as error:
            response = error.response
            if response is None:
                log.warning("push not sent: %s", error.message.split("\n")[0][:200])
                return PushResult(0)
            return PushResult(response.status_code, _retry_after(response.headers))
        except Exception as error:  # noqa: BLE001 - network trouble: logged, no secrets
            log.warning("push service unreachable: %s", type(error).__name__)
            return PushResult(0)
        return PushResult(response.status_code, _retry_after(response.headers))


class SqsPushQueue:
    """Where the message path leaves one event for the notifier (after fan-out)."""

    def __init__(self, client, url: str):
        self._client = client
        self._url = url

    def send(self, event: dict, delay_seconds: int = 0) -> None:
        self._client.send_message(
            QueueUrl=self._url,
            MessageBody=json.dumps(event, separators=(",", ":")),
            DelaySeconds=max(0, min(int(delay_seconds), 900)),
        )
