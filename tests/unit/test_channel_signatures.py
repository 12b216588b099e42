"""The Messenger signature is checked on the bytes Facebook sent, also when API Gateway
hands the body over base64-encoded (Chalice's raw_body decodes it)."""

import base64
import json

from chalice.app import Request

from chalicelib.services import messenger
from infra.local.fake_messengers import facebook_signature

SECRET = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"


def _event(body: bytes, encoded: bool) -> dict:
    return {
        "multiValueQueryStringParameters": None,
        "headers": {"content-type": "application/json"},
        "pathParameters": {},
        "requestContext": {"httpMethod": "POST", "resourcePath": "/"},
        "stageVariables": None,
        "body": base64.b64encode(body).decode() if encoded else body.decode(),
        "isBase64Encoded": encoded,
    }


def test_a_base64_flagged_body_is_checked_on_its_decoded_bytes():
    body = json.dumps({"object": "page", "entry": [], "text": "Grüße"}, ensure_ascii=False)
    raw = body.encode()
    header = facebook_signature(raw, SECRET)
    for encoded in (False, True):
        request = Request(_event(raw, encoded))
        assert request.raw_body == raw
        assert messenger.signature_ok(request.raw_body, header, SECRET)


def test_wrong_missing_or_malformed_signatures_fail():
    raw = b'{"object":"page"}'
    good = facebook_signature(raw, SECRET)
    assert messenger.signature_ok(raw, good, SECRET)
    assert not messenger.signature_ok(raw, good, "another-secret")
    assert not messenger.signature_ok(raw + b" ", good, SECRET)
    assert not messenger.signature_ok(raw, None, SECRET)
    assert not messenger.signature_ok(raw, good.replace("sha256=", "sha1="), SECRET)
    assert not messenger.signature_ok(raw, good, "")
