"""Pushes through the real sender (pywebpush) to the local fake push service
(infra/local/fake_push.py, on a port of its own), which verifies the VAPID JWT (ES256
with the k= key, aud, exp), requires TTL, decrypts the aes128gcm body with the device's
private key, and keeps one pending message per Topic."""

import json
import socket
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.services.push_payload import topic_of
from chalicelib.webpush import PyWebPushSender, b64url, new_vapid_secret, vapid_key_from
from infra.local.fake_push import FakePushService, Refused
from infra.local.fake_push_server import serve
from tests.functional.push_helpers import ListQueue
from tests.functional.test_notify import set_status, visitor_writes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fake(monkeypatch):
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    service = FakePushService(origin)
    server = serve(service, "127.0.0.1", port, "http://api.invalid", {})
    monkeypatch.setenv("PUSH_HTTP_ORIGIN", origin)
    get_settings.cache_clear()
    yield service
    server.shutdown()
    server.server_close()
    monkeypatch.delenv("PUSH_HTTP_ORIGIN")
    get_settings.cache_clear()


def deliver(platform, queue):
    for event, _delay in queue.drain():
        sqs = platform.client.events.generate_sqs_event(message_bodies=[json.dumps(event)])
        platform.client.lambda_.invoke("push_notifier", sqs)


def test_a_visitor_message_reaches_the_device_signed_encrypted_and_by_topic(platform, fake):
    queue = ListQueue()
    deps.override(push_queue=queue)  # the real sender: pywebpush, to the fake over HTTP
    owner = platform.sign_up(project_name="Acme Outdoor")
    set_status(platform, owner, "online")
    key = platform.client.http.get("/push/key", headers=owner.auth).json_body["public_key"]
    device = fake.create_device(owner.email, "Test phone", server_key=key)
    put = platform.client.http.put(
        "/me/push-subscriptions",
        headers=owner.auth,
        body=json.dumps({"endpoint": device["endpoint"], "keys": device["keys"]}),
    )
    assert put.status_code == 200, put.json_body

    visitor, chat_id = visitor_writes(platform, owner.project_id, "Do you ship to Norway?")
    deliver(platform, queue)
    [state] = fake.state()
    [message] = state["inbox"]
    assert message["payload"]["body"] == "Do you ship to Norway?"  # decrypted
    assert message["payload"]["kind"] == "new_chat"
    assert message["payload"]["title"].startswith("Acme Outdoor · ")
    assert (message["ttl"], message["urgency"]) == (3600, "high")
    assert message["topic"] == topic_of(f"chat-{chat_id}")

    # The same chat again: the pending one is replaced, not stacked.
    visitor_writes(platform, owner.project_id, "Or to Iceland?", visitor, chat_id)
    deliver(platform, queue)
    [state] = fake.state()
    [message] = state["inbox"]
    assert message["payload"]["body"] == "Or to Iceland?" and message["replaced"] == 1

    # The device is gone (the browser unsubscribed): 410, and the subscription goes.
    fake.set_answer(device["id"], 410)
    visitor_writes(platform, owner.project_id, "Hello?", visitor, chat_id)
    deliver(platform, queue)
    listed = platform.client.http.get("/me/push-subscriptions", headers=owner.auth)
    assert listed.json_body["subscriptions"] == []


def _subscription(fake, server_key=None):
    device = fake.create_device("m", "d", server_key=server_key)
    return device, {"endpoint": device["endpoint"], "keys": device["keys"]}


def test_the_fake_refuses_what_a_push_service_refuses(fake):
    key = vapid_key_from(new_vapid_secret())
    device, subscription = _subscription(fake, server_key=key.public_key)
    sender = PyWebPushSender(key, "mailto:ops@example.test")
    assert sender.send(subscription, {"a": 1}, 60, "high", "abc").status == 201
    # Another server's key than the one the device subscribed with: 403, as FCM says.
    other = PyWebPushSender(vapid_key_from(new_vapid_secret()), "mailto:ops@example.test")
    assert other.send(subscription, {"a": 1}, 60, "high", "abc").status == 403
    assert sender.send(subscription, {"a": 1}, 60, "urgent!", "abc").status == 400
    assert sender.send(subscription, {"a": 1}, 60, "high", "x" * 33).status == 400
    fake.set_answer(device["id"], 429, 7)
    assert sender.send(subscription, {"a": 1}, 60, "high", "abc").retry_after == 7


def _token(private, claims):
    return jwt.encode(claims, private, algorithm="ES256")


def _headers(private, claims, ttl="60"):
    point = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    headers = {"Authorization": f"vapid t={_token(private, claims)}, k={b64url(point)}"}
    if ttl is not None:
        headers["TTL"] = ttl
    return headers


@pytest.mark.parametrize(
    "change, status",
    [
        ({"aud": "https://elsewhere.example"}, 403),
        ({"exp": int(time.time()) - 10}, 403),
        ({"exp": int(time.time()) + 25 * 3600}, 403),
        ({"sub": "ops@example.test"}, 401),
    ],
)
def test_the_fake_checks_the_vapid_claims(fake, change, status):
    private = ec.generate_private_key(ec.SECP256R1())
    device, _ = _subscription(fake)
    claims = {"aud": fake.origin, "exp": int(time.time()) + 3600, "sub": "mailto:a@b.c"}
    with pytest.raises(Refused) as refused:
        fake.receive(device["id"], _headers(private, {**claims, **change}), b"")
    assert refused.value.status == status


def test_the_fake_wants_a_signature_that_verifies_and_a_ttl(fake):
    private, stranger = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    device, _ = _subscription(fake)
    claims = {"aud": fake.origin, "exp": int(time.time()) + 3600, "sub": "mailto:a@b.c"}
    headers = _headers(private, claims)
    forged = dict(headers, Authorization=headers["Authorization"].split(", k=")[0] + ", k="
                  + _headers(stranger, claims)["Authorization"].split(", k=")[1])  # fmt: skip
    for bad, status in (({}, 401), (forged, 401), (_headers(private, claims, ttl=None), 400)):
        with pytest.raises(Refused) as refused:
            fake.receive(device["id"], bad, b"")
        assert refused.value.status == status
