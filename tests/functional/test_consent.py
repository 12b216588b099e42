"""Privacy-policy consent before a new dialogue."""

import json

import pytest

from chalicelib.models.chat import ChatModel

CONSENT = {
    "enabled": True,
    "text": "We store this chat to answer you.",
    "privacy_url": "https://shop.example/privacy",
}


def _configure(platform, owner, consent):
    return platform.client.http.patch(
        f"/projects/{owner.project_id}", body=json.dumps({"consent": consent}), headers=owner.auth
    )


def _send(platform, visitor, tab, client_id, text, **extra):
    platform.frame(
        tab,
        {"action": "send", "token": visitor.token, "client_id": client_id, "text": text, **extra},
    )
    return platform.sender.frames_for(tab)[-1]


def test_a_new_dialogue_waits_for_agreement_then_begins_with_the_consent(platform):
    owner = platform.sign_up()
    assert _configure(platform, owner, CONSENT).status_code == 200
    session = platform.post("/widget/session", {"project_id": owner.project_id}).json_body
    assert session["consent"]["version"] == 1
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)

    refused = _send(platform, visitor, tab, "consent-01", "hello")
    assert refused["type"] == "error" and refused["code"] == "consent_required"
    assert refused["consent"]["text"] == CONSENT["text"]
    assert platform.get("/widget/messages", visitor.auth).json_body["messages"] == []

    accepted = _send(platform, visitor, tab, "consent-01", "hello", consent_version=1)

    assert accepted["type"] == "ack"
    history = platform.get("/widget/messages", visitor.auth).json_body["messages"]
    assert [m["author_type"] for m in history] == ["system", "visitor"]
    assert history[0]["text"].startswith(CONSENT["text"])
    chat = ChatModel.get(owner.project_id, accepted["message"]["chat_id"])
    assert chat.consent_version == 1 and chat.consent_at is not None


def test_an_agreement_to_an_older_text_is_not_enough(platform):
    owner = platform.sign_up()
    _configure(platform, owner, CONSENT)
    _configure(platform, owner, {"text": "New wording."})
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    refused = _send(platform, visitor, tab, "consent-02", "hi", consent_version=1)
    assert refused["code"] == "consent_required" and refused["consent"]["version"] == 2


def test_existing_dialogues_are_not_affected(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    first = _send(platform, visitor, tab, "before-01", "hi")
    _configure(platform, owner, CONSENT)

    again = _send(
        platform, visitor, tab, "before-02", "still here", chat_id=first["message"]["chat_id"]
    )

    assert again["type"] == "ack"


def test_excluded_channels_skip_the_step(platform):
    owner = platform.sign_up()
    _configure(platform, owner, {**CONSENT, "excluded_channels": ["widget"]})
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    assert _send(platform, visitor, tab, "excluded-1", "hi")["type"] == "ack"


@pytest.mark.parametrize(
    "consent",
    [
        {"enabled": "yes"},
        {"enabled": True, "text": ""},
        {"privacy_url": "javascript:alert(1)"},
        {"excluded_channels": "widget"},
        "on",
    ],
)
def test_bad_consent_settings_are_400(platform, consent):
    owner = platform.sign_up()
    assert _configure(platform, owner, consent).status_code == 400


def test_operators_cannot_change_consent(platform):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    response = platform.client.http.patch(
        f"/projects/{owner.project_id}",
        body=json.dumps({"consent": CONSENT}),
        headers=operator.auth,
    )
    assert response.status_code == 403
