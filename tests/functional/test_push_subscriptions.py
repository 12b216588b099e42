"""A member's Web Push devices: /push/key and /me/push-subscriptions (routes,
validation, and that nobody reaches another member's devices)."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.config import get_settings
from chalicelib.models.push_subscription import PushSubscriptionModel
from tests.functional.push_helpers import b64url, browser_keys, subscription_body

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc123"


def put(platform, operator, body, raw=None):
    return platform.client.http.put(
        "/me/push-subscriptions", headers=operator.auth, body=raw or json.dumps(body)
    )


def listed(platform, operator):
    response = platform.client.http.get("/me/push-subscriptions", headers=operator.auth)
    assert response.status_code == 200
    return response.json_body["subscriptions"]


def test_the_public_key_is_an_uncompressed_p256_point(platform):
    owner = platform.sign_up()
    response = platform.client.http.get("/push/key", headers=owner.auth)
    assert response.status_code == 200
    raw = base64.urlsafe_b64decode(response.json_body["public_key"] + "==")
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # a real point


def test_subscribe_is_an_upsert_by_endpoint_that_keeps_prefs(platform):
    owner = platform.sign_up()
    first = put(platform, owner, subscription_body(ENDPOINT, label=" Chrome\x00on\nAndroid"))
    assert first.status_code == 200
    subscription = first.json_body["subscription"]
    assert len(subscription["id"]) == 32 and subscription["label"] == "Chrome on Android"
    assert subscription["prefs"] == {
        "new_chats": True,
        "my_chats": True,
        "assigned": True,
        "mentions": True,
        "when_offline": False,
    }
    assert "endpoint" not in subscription and "keys" not in subscription
    patched = platform.client.http.patch(
        f"/me/push-subscriptions/{subscription['id']}",
        headers=owner.auth,
        body=json.dumps({"prefs": {"when_offline": True}}),
    )
    assert patched.json_body["subscription"]["prefs"]["when_offline"] is True
    again = put(platform, owner, subscription_body(ENDPOINT))  # the panel's PUT on load
    assert again.json_body["subscription"]["id"] == subscription["id"]
    assert again.json_body["subscription"]["prefs"]["when_offline"] is True
    assert again.json_body["subscription"]["created_at"] == subscription["created_at"]
    [only] = listed(platform, owner)
    assert only["id"] == subscription["id"]
    # Secret keys are stored for encryption but never answered.
    assert "p256dh" not in json.dumps(listed(platform, owner))
    item = PushSubscriptionModel.get(owner.user_id, subscription["id"])
    assert item.endpoint == ENDPOINT and item.expires_at is not None
    deleted = platform.client.http.delete(
        f"/me/push-subscriptions/{subscription['id']}", headers=owner.auth
    )
    assert deleted.status_code == 204
    assert listed(platform, owner) == []


def _keys(**changes):
    keys = browser_keys()[1]
    keys.update(changes)
    return keys


NOT_ON_CURVE = b64url(b"\x04" + b"\x01" * 64)


@pytest.mark.parametrize(
    "body, says",
    [
        ({"endpoint": "http://push.example.test/x", "keys": _keys()}, "https"),
        ({"endpoint": "javascript:alert(1)", "keys": _keys()}, "https"),
        ({"endpoint": "https:///nohost", "keys": _keys()}, "https"),
        ({"endpoint": "https://p.example/" + "x" * 3000, "keys": _keys()}, "endpoint"),
        ({"endpoint": 42, "keys": _keys()}, "endpoint"),
        ({"endpoint": ENDPOINT}, "keys"),
        ({"endpoint": ENDPOINT, "keys": _keys(p256dh=NOT_ON_CURVE)}, "P-256"),
        ({"endpoint": ENDPOINT, "keys": _keys(p256dh=b64url(b"\x04" * 33))}, "65 bytes"),
        ({"endpoint": ENDPOINT, "keys": _keys(p256dh="!!!not base64!!!")}, "base64url"),
        ({"endpoint": ENDPOINT, "keys": _keys(auth=b64url(b"x" * 8))}, "16 bytes"),
        ({"endpoint": ENDPOINT, "keys": _keys(auth=None)}, "keys.auth"),
        ({"endpoint": ENDPOINT, "keys": _keys(), "label": "x" * 81}, "label"),
        ({"endpoint": ENDPOINT, "keys": _keys(), "prefs": {"new_chats": "yes"}}, "true or false"),
        ({"endpoint": ENDPOINT, "keys": _keys(), "prefs": {"sms": True}}, "nknown pref"),
        ({"endpoint": ENDPOINT, "keys": _keys(), "prefs": []}, "prefs"),
    ],
)
def test_a_bad_subscription_is_refused_and_nothing_is_stored(platform, body, says):
    owner = platform.sign_up()
    response = put(platform, owner, body)
    assert response.status_code == 400, response.json_body
    assert says in response.json_body["error"]["message"]
    assert listed(platform, owner) == []


def test_the_local_fakes_http_origin_only_when_the_setting_allows_it(platform, monkeypatch):
    owner = platform.sign_up()
    local = "http://127.0.0.1:8006"
    assert put(platform, owner, subscription_body(f"{local}/push/d1")).status_code == 400
    monkeypatch.setenv("PUSH_HTTP_ORIGIN", local)
    get_settings.cache_clear()
    try:
        assert put(platform, owner, subscription_body(f"{local}/push/d1")).status_code == 200
        other = subscription_body("http://127.0.0.1:9999/push/d1")
        assert put(platform, owner, other).status_code == 400
    finally:
        monkeypatch.delenv("PUSH_HTTP_ORIGIN")
        get_settings.cache_clear()


def test_another_members_subscription_cannot_be_seen_changed_or_removed(platform):
    owner = platform.sign_up()
    colleague = platform.member(owner, "manager")
    stranger = platform.sign_up(project_name="Elsewhere")
    mine = put(platform, owner, subscription_body(ENDPOINT)).json_body["subscription"]["id"]
    for other in (colleague, stranger):
        assert listed(platform, other) == []
        patch = platform.client.http.patch(
            f"/me/push-subscriptions/{mine}",
            headers=other.auth,
            body=json.dumps({"prefs": {"new_chats": False}}),
        )
        assert patch.status_code == 404
        gone = platform.client.http.delete(f"/me/push-subscriptions/{mine}", headers=other.auth)
        assert gone.status_code == 404
    [still] = listed(platform, owner)
    assert still["prefs"]["new_chats"] is True
    # Re-subscribing someone else's endpoint makes the caller's own device, not theirs.
    put(platform, colleague, subscription_body(ENDPOINT))
    assert listed(platform, owner)[0]["id"] == mine


def test_bad_changes_are_refused(platform):
    owner = platform.sign_up()
    mine = put(platform, owner, subscription_body(ENDPOINT)).json_body["subscription"]["id"]
    path = f"/me/push-subscriptions/{mine}"
    for body in ({}, {"prefs": {"mentions": 1}}, {"prefs": None}):
        response = platform.client.http.patch(path, headers=owner.auth, body=json.dumps(body))
        assert response.status_code == 400, body
    assert (
        platform.client.http.patch(
            "/me/push-subscriptions/short", headers=owner.auth, body='{"prefs": {}}'
        ).status_code
        == 404
    )
    assert listed(platform, owner)[0]["prefs"]["mentions"] is True


def test_push_previews_is_a_project_setting_for_leads(platform):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    path = f"/projects/{owner.project_id}"
    view = platform.client.http.get(path, headers=owner.auth).json_body["project"]
    assert view["push_previews"] is True
    bad = platform.client.http.patch(path, headers=owner.auth, body='{"push_previews": "no"}')
    assert bad.status_code == 400
    refused = platform.client.http.patch(
        path, headers=operator.auth, body='{"push_previews": false}'
    )
    assert refused.status_code == 403
    ok = platform.client.http.patch(path, headers=owner.auth, body='{"push_previews": false}')
    assert ok.json_body["project"]["push_previews"] is False
