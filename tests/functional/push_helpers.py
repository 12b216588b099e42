"""Web Push test helpers: a browser's subscription (real P-256 keys), a recording push
sender, and a queue that keeps what the message path puts on it."""

from __future__ import annotations

import base64
import json
import os

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib.webpush import PushResult


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_keys() -> tuple[ec.EllipticCurvePrivateKey, dict]:
    """What a browser's PushManager makes: a P-256 key pair and a 16-byte auth secret."""
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return private, {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}


def subscription_body(endpoint: str, **extra) -> dict:
    return {"endpoint": endpoint, "keys": browser_keys()[1], **extra}


class RecordingPush:
    """Stands in for pywebpush: records each push; endpoints in ``answers`` get that
    status (410, 429...) instead of 201."""

    def __init__(self):
        self.sent: list[dict] = []
        self.answers: dict[str, PushResult] = {}

    def send(self, subscription, payload, ttl, urgency, topic):
        answer = self.answers.get(subscription["endpoint"], PushResult(201))
        self.sent.append(
            {
                "endpoint": subscription["endpoint"],
                "payload": payload,
                "ttl": ttl,
                "urgency": urgency,
                "topic": topic,
                "status": answer.status,
            }
        )
        return answer

    def to(self, endpoint: str) -> list[dict]:
        return [push for push in self.sent if push["endpoint"] == endpoint]


class ListQueue:
    """The notifier's queue as a list of (event, delay); ``drain()`` empties it."""

    def __init__(self):
        self.events: list[tuple[dict, int]] = []

    def send(self, event: dict, delay_seconds: int = 0) -> None:
        self.events.append((json.loads(json.dumps(event)), delay_seconds))

    def drain(self) -> list[tuple[dict, int]]:
        events, self.events = self.events, []
        return events
