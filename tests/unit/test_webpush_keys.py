"""The VAPID key a secret stands for (chalicelib/webpush.py): CloudFormation's generated
string hashes to the same P-256 key in every function; a base64url 32-byte scalar is a
key of one's own, used as it is."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.webpush import b64url_decode, new_vapid_secret, vapid_key_from


def _public_of(private_b64: str) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = ec.derive_private_key(int.from_bytes(b64url_decode(private_b64), "big"), ec.SECP256R1())
    return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def test_a_generated_secret_string_always_gives_the_same_valid_key():
    secret = "q7Vf3kP0aZ" * 6 + "Ab1C"  # 64 characters, as GenerateSecretString makes
    first, again = vapid_key_from(secret), vapid_key_from(secret)
    assert first == again
    assert len(b64url_decode(first.private_key)) == 32
    assert b64url_decode(first.public_key) == _public_of(first.private_key)
    assert vapid_key_from(secret + "x") != first


def test_a_key_of_ones_own_is_used_as_it_is():
    own = new_vapid_secret()
    assert vapid_key_from(own).private_key == own
    assert vapid_key_from(f"  {own}\n").private_key == own


def test_an_empty_secret_is_refused():
    with pytest.raises(ValueError):
        vapid_key_from("  ")
