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
        ({"user_id": "u-42", "hash": "SIGNED-FOR-u-42", "email": "a@x.test<img src=x>"}, 400),
        ({"user_id": "u-42", "hash": "SIGNED-FOR-u-42", "email": "a@x.test\nBcc: b@y.test"}, 400),
        ({"user_id": "u-42", "hash": "SIGNED-FOR-u-42", "email": "ada@localhost"}, 400),
        ({"user_id": "u-42", "hash": "SIGNED-FOR-u-42", "name": "A" * 101}, 400),
        ({"user_id": "u-42", "hash": "SIGNED-FOR-u-42", "name": "Ada\nLovelace"}, 400),
        ({"user_id": "u-42", "hash": "SIGNED-FOR-u-42", "name": 7}, 400),
        ({"user_id": 42, "hash": "x"}, 400),
    ],
)
def test_a_bad_identity_is_refused_and_changes_nothing(platform, site, fields, status):
    owner, secret, visitor = site
    if fields.get("hash") == "SIGNED-FOR-u-42":
        fields = {**fields, "hash": signature(secret, "u-42")}

    response = _identify(platform, visitor, **fields)

    assert response.status_code == status
    stored = VisitorModel.get(owner.project_id, visitor.visitor_id)
    assert (stored.user_id, stored.user_email) == (None, None)
    assert stored.name.startswith("Visitor ")


def test_a_bad_address_is_named_in_the_error(platform, site):
    _, secret, visitor = site

    response = _identify(
        platform, visitor, user_id="u-42", hash=signature(secret, "u-42"),
        email="a@x.test<img src=x onerror=alert(1)>",
    )  # fmt: skip

    assert response.status_code == 400
    assert "The 'email' field must be an e-mail address" in response.json_body["error"]["message"]


def test_a_name_of_100_characters_is_kept_trimmed(platform, site):
    owner, secret, visitor = site

    response = _identify(
        platform, visitor, user_id="u-42", hash=signature(secret, "u-42"),
        name="  " + "A" * 100 + " ", email=" ada+shop@mail.example.co.uk ",
    )  # fmt: skip

    assert response.status_code == 200
    stored = VisitorModel.get(owner.project_id, visitor.visitor_id)
    assert (stored.name, stored.user_email) == ("A" * 100, "ada+shop@mail.example.co.uk")


def test_after_identify_the_panel_names_the_visitor_alike_everywhere(platform, site):
    """The visitor list, the dialogue (header, list) and the live frames of later messages
    carry the name the site gave; the panel labels visitor messages with the dialogue's
    name (panel/views/messages.js authorLabel), so older messages follow too."""
    owner, secret, visitor = site
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "before-login", "text": "hi"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    team_socket, _ = platform.connect(owner.token, project=owner.project_id)
    platform.sender.clear()

    response = _identify(
        platform, visitor, user_id="u-42", name="Ada Lovelace", hash=signature(secret, "u-42")
    )

    assert response.status_code == 200
    # Live: the team's sockets get the renamed dialogue at once.
    [renamed] = platform.sender.frames_for(team_socket)
    assert renamed["type"] == "chat" and renamed["chat"]["visitor_name"] == "Ada Lovelace"
    assert platform.sender.frames_for(tab) == []
    # The same identity on the next page view tells the team nothing new.
    platform.sender.clear()
    again = _identify(
        platform, visitor, user_id="u-42", name="Ada Lovelace", hash=signature(secret, "u-42")
    )
    assert again.status_code == 200 and platform.sender.frames_for(team_socket) == []
    # After a reload: the dialogue, the list and the visitors online agree.
    base = f"/projects/{owner.project_id}"
    chat = platform.get(f"{base}/chats/{chat_id}", owner.auth).json_body["chat"]
    listed = platform.get(f"{base}/chats", owner.auth).json_body["chats"]
    online = platform.get(f"{base}/visitors/online", owner.auth).json_body["visitors"]
    assert chat["visitor_name"] == "Ada Lovelace"
    assert [c["visitor_name"] for c in listed] == ["Ada Lovelace"]
    assert [v["name"] for v in online] == ["Ada Lovelace"]
    # A later message's frame does not put the default name back over the real one.
    platform.sender.clear()
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "after-login", "text": "me"}
    )
    [live] = [f for f in platform.sender.frames_for(team_socket) if f["type"] == "message"]
    assert "visitor_name" not in live["chat"]  # (the panel keeps the name it holds)


def test_a_dialogue_begun_after_identify_carries_the_name(platform, site):
    owner, secret, visitor = site
    _identify(platform, visitor, user_id="u-7", name="Grace", hash=signature(secret, "u-7"))
    team_socket, _ = platform.connect(owner.token, project=owner.project_id)
    tab, _ = platform.connect(visitor.token)

    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "first-msg1", "text": "hi"}
    )

    [live] = [f for f in platform.sender.frames_for(team_socket) if f["type"] == "message"]
    assert live["chat"]["visitor_name"] == "Grace"


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
