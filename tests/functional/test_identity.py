"""Logged-in users: identify() is accepted only with the site's HMAC of the user id."""

import pytest

from chalicelib.models.visitor import VisitorModel
from chalicelib.services.identity import signature


@pytest.fixture
def site(platform):
    owner = platform.sign_up()
    secret = platform.get(f"/projects/{owner.project_id}/identity-secret", owner.auth)
    assert secret.status_code == 200
    visitor = platform.visitor(owner.project_id)
    return owner, secret.json_body["identity_secret"], visitor


def _identify(platform, visitor, **fields):
    return platform.post("/widget/identify", {"token": visitor.token, **fields})


def test_a_signed_identity_makes_the_visitor_a_logged_in_user(platform, site):
    owner, secret, visitor = site

    response = _identify(
        platform,
        visitor,
        user_id="u-42",
        name="Ada",
        email="ada@example.com",
        hash=signature(secret, "u-42"),
    )

    assert response.status_code == 200 and response.json_body["identified"] is True
    stored = VisitorModel.get(owner.project_id, visitor.visitor_id)
    assert (stored.user_id, stored.user_name, stored.user_email, stored.name) == (
        "u-42",
        "Ada",
        "ada@example.com",
        "Ada",
    )


@pytest.mark.parametrize(
    "fields, status",
    [
        ({"user_id": "u-42", "hash": "0" * 64}, 403),  # forged
        ({"user_id": "u-43", "hash": "SIGNED-FOR-u-42"}, 403),  # another user's signature
        ({"user_id": "u-42"}, 400),
        ({"user_id": "u-42", "hash": "SIGNED-FOR-u-42", "email": "not-an-address"}, 400),
        ({"user_id": 42, "hash": "x"}, 400),
    ],
)
def test_a_bad_identity_is_refused_and_changes_nothing(platform, site, fields, status):
    owner, secret, visitor = site
    if fields.get("hash") == "SIGNED-FOR-u-42":
        fields = {**fields, "hash": signature(secret, "u-42")}

    response = _identify(platform, visitor, **fields)

    assert response.status_code == status
    assert VisitorModel.get(owner.project_id, visitor.visitor_id).user_id is None


def test_the_secret_is_made_once_and_kept(platform, site):
    owner, secret, _ = site

    again = platform.get(f"/projects/{owner.project_id}/identity-secret", owner.auth)

    assert again.json_body["identity_secret"] == secret and len(secret) == 64


def test_without_a_secret_nobody_is_identified(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)

    response = _identify(platform, visitor, user_id="u-1", hash=signature("guess", "u-1"))

    assert response.status_code == 403
