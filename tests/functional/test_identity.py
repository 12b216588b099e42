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


def test_custom_events_are_kept_with_the_visitor(platform, site):
    owner, _, visitor = site

    first = platform.post("/widget/events", {"token": visitor.token, "name": "added-to-cart"})
    second = platform.post("/widget/events", {"token": visitor.token, "name": "checkout"})

    assert first.status_code == second.status_code == 200
    stored = VisitorModel.get(owner.project_id, visitor.visitor_id)
    assert stored.event_names == {"added-to-cart", "checkout"}
    assert stored.last_event == "checkout"


@pytest.mark.parametrize("name", ["", "has space", "-leading", "x" * 65, 7])
def test_a_bad_event_name_is_refused(platform, site, name):
    owner, _, visitor = site

    response = platform.post("/widget/events", {"token": visitor.token, "name": name})

    assert response.status_code == 400
    assert VisitorModel.get(owner.project_id, visitor.visitor_id).last_event is None


def test_the_event_names_kept_are_capped_but_the_last_event_always_counts(
    platform, site, monkeypatch
):
    from chalicelib.services import visitor_events

    monkeypatch.setattr(visitor_events, "MAX_NAMES", 2)
    owner, _, visitor = site
    for name in ("a1", "b2", "c3"):
        assert (
            platform.post("/widget/events", {"token": visitor.token, "name": name}).status_code
            == 200
        )

    stored = VisitorModel.get(owner.project_id, visitor.visitor_id)
    assert stored.event_names == {"a1", "b2"} and stored.last_event == "c3"
