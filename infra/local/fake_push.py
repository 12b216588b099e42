"""A fake Web Push service (what FCM or Mozilla's autopush are for browsers), strict
where the real ones are, so the app's push requests are checked end to end.

It makes "test devices" (a P-256 key pair and an auth secret, as a browser's
PushManager does), and for ``POST /push/<device>`` it:
- requires VAPID (RFC 8292): ``Authorization: vapid t=<JWT>, k=<key>``; the JWT must be
  ES256, verify with ``k``, have ``aud`` = this service's origin, an ``exp`` in the future
  and at most 24 h away, and a ``sub`` (mailto: or https:). Missing or bad: 401; a key
  other than the one the device subscribed with: 403 (as FCM answers);
- requires ``TTL``, ``Content-Encoding: aes128gcm``, a valid ``Urgency`` and ``Topic``;
- decrypts the body (RFC 8291, with ``http_ece`` and the device's private key) and keeps
  the message, replacing a pending one with the same ``Topic``;
- answers 201, or what it was told to answer for a device (410 gone, 429 with
  Retry-After).
The HTTP side and its page are infra/local/fake_push_server.py.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field

import http_ece
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAX_EXP = 24 * 3600
URGENCIES = ("very-low", "low", "normal", "high")
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_ids = itertools.count(1)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    id: str
    member: str
    label: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    server_key: str | None  # the applicationServerKey it subscribed with
    answer: tuple[int, int | None] | None = None  # (status, retry_after) to answer
    inbox: list[dict] = field(default_factory=list)  # pending messages, newest last
    requests: int = 0

    def subscription(self, origin: str) -> dict:
        point = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{origin}/push/{self.id}",
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }


class Refused(Exception):
    def __init__(self, status: int, reason: str, retry_after: int | None = None):
        super().__init__(reason)
        self.status, self.reason, self.retry_after = status, reason, retry_after


class FakePushService:
    def __init__(self, origin: str, clock=time.time):
        self.origin = origin.rstrip("/")
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.devices: dict[str, Device] = {}

    # --- devices ---------------------------------------------------------------------
    def create_device(self, member: str = "", label: str = "", server_key=None) -> dict:
        device = Device(
            id=f"d{next(_ids)}-{b64url(os.urandom(6))}",
            member=member[:200],
            label=label[:80] or "Test device",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
            server_key=server_key or None,
        )
        with self._lock:
            self.devices[device.id] = device
        return {"id": device.id, **device.subscription(self.origin)}

    def set_answer(self, device_id: str, status: int | None, retry_after: int | None = None):
        with self._lock:
            device = self.devices[device_id]
            device.answer = (status, retry_after) if status and status != 201 else None

    def state(self) -> list[dict]:
        with self._lock:
            return [
                {
                    "id": d.id,
                    "member": d.member,
                    "label": d.label,
                    "answer": d.answer[0] if d.answer else 201,
                    "requests": d.requests,
                    "inbox": list(reversed(d.inbox)),
                }
                for d in self.devices.values()
            ]

    def wait_for(self, predicate, timeout: float = 10.0):
        """Block until ``predicate(self)`` is truthy (tests, the latency bench)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (result := predicate(self)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return result
                self._changed.wait(left)
            return result

    # --- a push request --------------------------------------------------------------
    def receive(self, device_id: str, headers: dict, body: bytes) -> dict:
        """Check and keep one push; raises Refused with the status a real service gives."""
        headers = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            device = self.devices.get(device_id)
        if device is None:
            raise Refused(404, "no such subscription")
        with self._lock:
            device.requests += 1
            self._changed.notify_all()
        key = self._check_vapid(headers.get("authorization", ""))
        if device.server_key and key != device.server_key:
            raise Refused(403, "the VAPID key is not the one this device subscribed with")
        if device.answer:
            status, retry_after = device.answer
            raise Refused(status, "told to answer so", retry_after)
        message = self._message(device, headers, body)
        with self._changed:
            replaced = [m for m in device.inbox if m["topic"] and m["topic"] == message["topic"]]
            message["replaced"] = sum(1 + m["replaced"] for m in replaced)
            device.inbox = [m for m in device.inbox if m not in replaced] + [message]
            self._changed.notify_all()
        return message

    def _check_vapid(self, authorization: str) -> str:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise Refused(401, "Authorization must be 'vapid t=..., k=...'")
        parts = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part.strip())
        token, key = parts.get("t"), parts.get("k")
        if not token or not key:
            raise Refused(401, "VAPID needs both t= and k=")
        try:
            point = b64url_decode(key)
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            if jwt.get_unverified_header(token).get("alg") != "ES256":
                raise Refused(401, "the VAPID JWT must be ES256")
            claims = jwt.decode(
                token, public, algorithms=["ES256"], audience=self.origin,
                options={"require": ["exp", "aud", "sub"]},
            )  # fmt: skip
        except jwt.ExpiredSignatureError:
            raise Refused(403, "the VAPID JWT has expired") from None
        except jwt.InvalidAudienceError:
            raise Refused(403, f"the VAPID JWT's aud must be {self.origin}") from None
        except (jwt.PyJWTError, ValueError) as error:
            raise Refused(401, f"bad VAPID JWT: {error}") from None
        if int(claims["exp"]) > self._clock() + MAX_EXP:
            raise Refused(403, "the VAPID JWT's exp is more than 24 h away")
        if not str(claims["sub"]).startswith(("mailto:", "https:")):
            raise Refused(401, "the VAPID JWT's sub must be mailto: or https:")
        return key

    def _message(self, device: Device, headers: dict, body: bytes) -> dict:
        ttl = headers.get("ttl")
        if ttl is None or not ttl.isdigit():
            raise Refused(400, "a TTL header (seconds) is required")
        urgency = headers.get("urgency", "normal")
        if urgency not in URGENCIES:
            raise Refused(400, f"Urgency must be one of {', '.join(URGENCIES)}")
        topic = headers.get("topic")
        if topic is not None and not _TOPIC.fullmatch(topic):
            raise Refused(400, "Topic must be at most 32 base64url characters")
        if headers.get("content-encoding") != "aes128gcm":
            raise Refused(415, "Content-Encoding must be aes128gcm (RFC 8291)")
        try:
            plain = http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm"
            )
        except Exception as error:  # noqa: BLE001 - any failure is the sender's fault
            raise Refused(400, f"the body does not decrypt: {type(error).__name__}") from None
        text = plain.decode("utf-8", "replace")
        try:
            payload = json.loads(text)
        except ValueError:
            payload = text
        return {
            "received_at": self._clock(),
            "ttl": int(ttl),
            "urgency": urgency,
            "topic": topic,
            "payload": payload,
            "bytes": len(body),
            "replaced": 0,
        }
