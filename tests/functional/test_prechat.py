"""Knowing who to answer: the pre-chat form's setting, and what the visitor gives in it."""

import json

import pytest

from chalicelib.models.chat import ChatModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import auto_delivery
from chalicelib.services.identity import signature

FORM = {"mode": "before", "name": "optional", "email": "required"}


def _configure(platform, member, prechat):
    return platform.client.http.patch(
        f"/projects/{member.project_id}", body=json.dumps({"prechat": prechat}), headers=member.auth
    )


def _give(platform, visitor, **fields):
    return platform.post("/widget/contact", {"token": visitor.token, **fields})


def _stored(owner, visitor):
    return VisitorModel.get(owner.project_id, visitor.visitor_id)


def test_the_form_is_off_until_set_and_the_widget_session_carries_it(platform):
    owner = platform.sign_up()
    base = f"/projects/{owner.project_id}"
    assert platform.get(base, owner.auth).json_body["project"]["prechat"] == {
        "mode": "off",
        "name": "off",
        "email": "off",
    }
    before = platform.post("/widget/session", {"project_id": owner.project_id}).json_body
    assert before["prechat"] is None and before["email_known"] is False

    manager = platform.member(owner, "manager")
    response = _configure(platform, manager, FORM)

    assert response.status_code == 200 and response.json_body["project"]["prechat"] == FORM
    assert platform.get(base, owner.auth).json_body["project"]["prechat"] == FORM
    after = platform.post("/widget/session", {"project_id": owner.project_id}).json_body
    assert after["prechat"] == FORM
    # Fields left out are off.
    assert _configure(platform, owner, {"mode": "inline", "name": "required"}).json_body["project"][
        "prechat"
    ] == {"mode": "inline", "name": "required", "email": "off"}


@pytest.mark.parametrize(
    "prechat, named",
    [
        ("before", "'prechat' field must be an object"),
        (
            {"mode": "always", "email": "required"},
            "'prechat.mode' field must be off, before or inline",
        ),
        (
            {"mode": "before", "email": "yes"},
            "'prechat.email' field must be off, optional or required",
        ),
        (
            {"mode": "before", "name": True},
            "'prechat.name' field must be off, optional or required",
        ),
        ({"mode": "before"}, "asks for nothing"),
        ({"mode": "before", "email": "required", "phone": "optional"}, "no field 'phone'"),
    ],
)
def test_a_bad_setting_is_a_clear_400_and_changes_nothing(platform, prechat, named):
    owner = platform.sign_up()
    assert _configure(platform, owner, FORM).status_code == 200

    response = _configure(platform, owner, prechat)

    assert response.status_code == 400 and named in response.json_body["error"]["message"]
    project = platform.get(f"/projects/{owner.project_id}", owner.auth).json_body["project"]
    assert project["prechat"] == FORM


def test_operators_cannot_change_the_form(platform):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    assert _configure(platform, operator, FORM).status_code == 403
    project = platform.get(f"/projects/{owner.project_id}", owner.auth).json_body["project"]
    assert project["prechat"]["mode"] == "off"


def test_what_the_visitor_gives_is_kept_and_counts_as_known(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)

    response = _give(platform, visitor, name="  Ada Lovelace ", email="ada@example.com")

    assert response.status_code == 200
    assert response.json_body == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "email_known": True,
        "email_usable": True,
    }
    stored = _stored(owner, visitor)
    assert (stored.given_name, stored.given_email, stored.name) == (
        "Ada Lovelace",
        "ada@example.com",
        "Ada Lovelace",
    )
    assert stored.user_email is None  # the visitor's word, not a verified identity
    again = platform.post(
        "/widget/session", {"project_id": owner.project_id, "token": visitor.token}
    ).json_body
    assert again["email_known"] is True
    # An e-mail alone keeps the name given before.
    assert _give(platform, visitor, email="ada@work.example").status_code == 200
    stored = _stored(owner, visitor)
    assert (stored.given_name, stored.given_email) == ("Ada Lovelace", "ada@work.example")


def test_a_verified_identity_counts_as_a_known_email(platform):
    owner = platform.sign_up()
    secret = platform.get(f"/projects/{owner.project_id}/identity-secret", owner.auth)
    visitor = platform.visitor(owner.project_id)
    platform.post(
        "/widget/identify",
        {
            "token": visitor.token,
            "user_id": "u-1",
            "email": "grace@example.com",
            "hash": signature(secret.json_body["identity_secret"], "u-1"),
        },
    )
    session = platform.post(
        "/widget/session", {"project_id": owner.project_id, "token": visitor.token}
    ).json_body
    assert session["email_known"] is True


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"name": "  ", "email": ""},
        {"email": "not-an-address"},
        {"email": "ada@localhost"},
        {"email": "a@x.test<img src=x>"},
        {"email": "a@x.test\nBcc: b@y.test"},
        {"name": "A" * 101},
        {"name": "Ada\nLovelace"},
        {"name": 7},
        {"name": "Ada", "email": "nope"},  # one bad field: the good one is not kept either
    ],
)
def test_bad_shapes_are_400_and_change_nothing(platform, fields):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    assert _give(platform, visitor, name="Grace", email="grace@example.com").status_code == 200

    response = _give(platform, visitor, **fields)

    assert response.status_code == 400, response.json_body
    stored = _stored(owner, visitor)
    assert (stored.given_name, stored.given_email, stored.name) == (
        "Grace",
        "grace@example.com",
        "Grace",
    )


def test_an_address_over_254_characters_is_refused_and_changes_nothing(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)

    response = _give(platform, visitor, email="a" * 250 + "@x.test")

    assert response.status_code == 413 and response.json_body["error"]["code"] == "too_large"
    assert _stored(owner, visitor).given_email is None


def test_bad_or_missing_tokens_are_401(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    assert platform.post("/widget/contact", {"email": "a@example.com"}).status_code in (400, 401)
    assert (
        _give(
            platform,
            type(visitor)("forged", visitor.visitor_id, owner.project_id),
            email="a@example.com",
        ).status_code
        == 401
    )
    assert _stored(owner, visitor).given_email is None


def test_another_projects_visitor_token_reaches_only_its_own_visitor(platform):
    """A token names its project and visitor: it can never write another project's."""
    owner = platform.sign_up()
    other = platform.sign_up(project_name="Other")
    ours = platform.visitor(owner.project_id)
    theirs = platform.visitor(other.project_id)

    assert _give(platform, theirs, email="mallory@example.com").status_code == 200

    assert _stored(owner, ours).given_email is None
    assert _stored(other, theirs).given_email == "mallory@example.com"


def test_a_name_given_renames_the_open_chat_for_the_team(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "c-000001", "text": "hi"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    team_socket, _ = platform.connect(owner.token, project=owner.project_id)
    platform.sender.clear()

    assert _give(platform, visitor, name="Ada", email="ada@example.com").status_code == 200

    [renamed] = platform.sender.frames_for(team_socket)
    assert renamed["type"] == "chat" and renamed["chat"]["visitor_name"] == "Ada"
    assert ChatModel.get(owner.project_id, chat_id).visitor_name == "Ada"
    facts = platform.get(f"/projects/{owner.project_id}/chats/{chat_id}/visitor", owner.auth)
    assert facts.json_body["visitor"]["given"] == {"name": "Ada", "email": "ada@example.com"}
    # An e-mail alone renames nothing.
    platform.sender.clear()
    assert _give(platform, visitor, email="ada@work.example").status_code == 200
    assert platform.sender.frames_for(team_socket) == []


def test_saved_replies_fill_in_the_visitors_email(platform):
    owner = platform.sign_up()
    base = f"/projects/{owner.project_id}"
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "c-000002", "text": "hi"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    created = platform.post(
        f"{base}/replies",
        {
            "shortcut": "mail",
            "title": "Mail",
            "text": "We'll write to {visitor_email}.",
            "shared": True,
        },
        owner.auth,
    )
    assert created.status_code == 201, created.json_body

    def filled():
        replies = platform.get(f"{base}/replies?chat_id={chat_id}", owner.auth).json_body
        return [r["filled"] for r in replies["replies"]]

    assert filled() == ["We'll write to ."]
    _give(platform, visitor, email="ada@example.com")
    assert filled() == ["We'll write to ada@example.com."]


def test_an_auto_message_for_visitors_without_an_email_stops_once_one_is_given(platform):
    owner = platform.sign_up()
    created = platform.post(
        f"/projects/{owner.project_id}/auto-messages",
        {
            "name": "Ask the unknown",
            "type": "proactive",
            "content": {"text": "Want a reply by e-mail?"},
            "rules": {"all": [{"field": "email_known", "op": "none"}]},
        },
        owner.auth,
    )
    assert created.status_code == 201, created.json_body
    auto_delivery._messages_cache.clear()
    visitor = platform.visitor(owner.project_id)

    def held():
        body = {"project_id": owner.project_id, "token": visitor.token, "page_view": True}
        return platform.post("/widget/session", body).json_body["auto_messages"]

    assert [m["content"]["text"] for m in held()] == ["Want a reply by e-mail?"]
    _give(platform, visitor, email="ada@example.com")
    assert held() == []
