"""A member's Web Push devices: subscribe (PUT, an upsert keyed by the endpoint), list,
change prefs, unsubscribe; and the VAPID public key browsers subscribe with.

A subscription belongs to the Cognito user, not to a project: one device hears about
every project of theirs. The device id is derived from the endpoint, so the panel never
has to remember anything but the id it was given. The keys are checked here, so a bad
subscription is refused at once (400) rather than failing at every push later.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import deps
from chalicelib.auth.identities import OperatorIdentity
from chalicelib.clock import iso
from chalicelib.config import get_settings
from chalicelib.errors import BadRequest, NotFound, Unavailable
from chalicelib.models.base import is_condition_failure
from chalicelib.models.push_subscription import PushPrefs, PushSubscriptionModel
from chalicelib.webpush import b64url_decode

# What a device is told about unless its member chose otherwise (docs/API.md).
DEFAULT_PREFS = {
    "new_chats": True,
    "my_chats": True,
    "assigned": True,
    "mentions": True,
    "when_offline": False,
}
# A device the panel was not opened on for this long is dropped (its endpoint is most
# likely dead, and it would only cost a failing request per push).
SILENCE = timedelta(days=60)
MAX_LABEL = 80
MAX_ENDPOINT = 2048
MAX_DEVICES = 20  # per member: a loop re-subscribing with new endpoints stops here
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def device_id(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()[:32]


def public_key() -> dict:
    key = deps.vapid_key()
    if key is None:
        raise Unavailable("Web Push is not configured on this server")
    return {"public_key": key.public_key}


def view(item: PushSubscriptionModel) -> dict:
    """What the panel sees: never the endpoint nor its keys."""
    return {
        "id": item.device_id,
        "label": item.label,
        "created_at": iso(item.created_at),
        "last_sent_at": iso(item.last_sent_at) if item.last_sent_at else None,
        "prefs": prefs_of(item),
    }


def prefs_of(item: PushSubscriptionModel) -> dict:
    stored = item.prefs.as_dict() if item.prefs is not None else {}
    return {name: bool(stored.get(name, default)) for name, default in DEFAULT_PREFS.items()}


def list_subscriptions(operator: OperatorIdentity) -> dict:
    items = PushSubscriptionModel.query(operator.user_id)
    return {"subscriptions": [view(item) for item in items]}


def _endpoint(body: dict) -> str:
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not 0 < len(endpoint) <= MAX_ENDPOINT:
        raise BadRequest(f"'endpoint' must be the push service's URL (up to {MAX_ENDPOINT})")
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        raise BadRequest("'endpoint' is not a URL") from None
    origin = f"{parts.scheme}://{parts.netloc}"
    local = get_settings().push_http_origin
    if not parts.hostname or not (parts.scheme == "https" or (local and origin == local)):
        raise BadRequest("'endpoint' must be an https URL of a push service")
    return endpoint


def _key(keys: dict, name: str, size: int | None = None) -> bytes:
    value = keys.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise BadRequest(f"'keys.{name}' must be base64url text")
    try:
        raw = b64url_decode(value.strip())
    except ValueError:
        raise BadRequest(f"'keys.{name}' is not base64url") from None
    if size is not None and len(raw) != size:
        raise BadRequest(f"'keys.{name}' must be {size} bytes")
    return raw


def _keys(body: dict) -> tuple[str, str]:
    keys = body.get("keys")
    if not isinstance(keys, dict):
        raise BadRequest('\'keys\' must be {"p256dh": ..., "auth": ...}')
    point = _key(keys, "p256dh", 65)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise BadRequest("'keys.p256dh' must be an uncompressed point on P-256") from None
    _key(keys, "auth", 16)
    return keys["p256dh"].strip(), keys["auth"].strip()


def _label(body: dict) -> str | None:
    label = body.get("label")
    if label is None:
        return None
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        raise BadRequest(f"'label' must be text up to {MAX_LABEL} characters")
    # One line of printable text: it is shown in the panel's list of devices.
    return " ".join(_CONTROL.sub(" ", label).split()) or None


def _prefs(body: dict, current: dict | None = None) -> dict | None:
    if "prefs" not in body:
        return None
    prefs = body["prefs"]
    if not isinstance(prefs, dict):
        raise BadRequest("'prefs' must be an object of true/false values")
    unknown = sorted(set(prefs) - set(DEFAULT_PREFS))
    if unknown:
        raise BadRequest(f"unknown pref {unknown[0]!r}: use {', '.join(DEFAULT_PREFS)}"[:200])
    if any(not isinstance(value, bool) for value in prefs.values()):
        raise BadRequest("every pref must be true or false")
    return {**(current or DEFAULT_PREFS), **prefs}


def subscribe(operator: OperatorIdentity, body: dict, now: datetime) -> dict:
    """Upsert by endpoint: the same device re-subscribing (or the panel's PUT on each
    load) keeps its prefs and created_at, refreshes its keys, label and silence TTL."""
    endpoint = _endpoint(body)
    p256dh, auth = _keys(body)
    label = _label(body)
    prefs = _prefs(body)
    device = device_id(endpoint)
    try:
        item = PushSubscriptionModel.get(operator.user_id, device, consistent_read=True)
    except DoesNotExist:
        if PushSubscriptionModel.count(operator.user_id) >= MAX_DEVICES:
            raise BadRequest(f"at most {MAX_DEVICES} devices: remove one first") from None
        item = PushSubscriptionModel(operator.user_id, device, created_at=now)
    item.endpoint, item.p256dh, item.auth = endpoint, p256dh, auth
    if label is not None or "label" in body:
        item.label = label
    if prefs is not None:
        item.prefs = PushPrefs(**prefs)
    item.expires_at = now + SILENCE
    item.save()
    return {"subscription": view(item)}


def _own(operator: OperatorIdentity, subscription_id) -> PushSubscriptionModel:
    """The caller's device, or 404 (another member's id answers the same as none)."""
    if not isinstance(subscription_id, str) or len(subscription_id) != 32:
        raise NotFound("no such subscription")
    try:
        return PushSubscriptionModel.get(operator.user_id, subscription_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("no such subscription") from None


def change(operator: OperatorIdentity, subscription_id, body: dict) -> dict:
    item = _own(operator, subscription_id)
    if "prefs" not in body:
        raise BadRequest("give 'prefs'")
    prefs = _prefs(body, prefs_of(item))
    try:
        item.update(
            actions=[PushSubscriptionModel.prefs.set(PushPrefs(**prefs))],
            condition=PushSubscriptionModel.device_id.exists(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("no such subscription") from None
        raise
    return {"subscription": view(item)}


def unsubscribe(operator: OperatorIdentity, subscription_id) -> None:
    _own(operator, subscription_id).delete()
