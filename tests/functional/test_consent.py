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


# --- dialogues the team opens (Visitors -> Start chat) --------------------------------


def _operator_starts(platform, owner, visitor, client_id="start-0001", text="Can I help?"):
    started = platform.post(
        f"/projects/{owner.project_id}/visitors/{visitor.visitor_id}/chats",
        {"client_id": client_id, "text": text},
        owner.auth,
    )
    assert started.status_code == 201, started.json_body
    return started.json_body["chat"]["id"]


def _history(platform, visitor):
    return platform.get("/widget/messages", visitor.auth).json_body["messages"]


@pytest.mark.parametrize("names_the_dialogue", [True, False])
def test_a_reply_to_an_operator_started_chat_waits_for_agreement(platform, names_the_dialogue):
    # Given consent on, and an operator who starts a chat with a new visitor
    owner = platform.sign_up()
    _configure(platform, owner, CONSENT)
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    chat_id = _operator_starts(platform, owner, visitor)
    where = {"chat_id": chat_id} if names_the_dialogue else {}

    # When the visitor replies without agreeing
    refused = _send(platform, visitor, tab, "reply-0001", "yes please", **where)

    # Then the reply is refused with the text to show, and nothing is stored
    assert refused["type"] == "error" and refused["code"] == "consent_required"
    assert refused["client_id"] == "reply-0001"
    assert refused["consent"] == {
        "text": CONSENT["text"],
        "privacy_url": CONSENT["privacy_url"],
        "version": 1,
    }
    assert [m["author_type"] for m in _history(platform, visitor)] == ["operator"]
    assert ChatModel.get(owner.project_id, chat_id).last_message.text == "Can I help?"

    # When they agree, the reply goes into the operator's dialogue after the consent line
    accepted = _send(platform, visitor, tab, "reply-0001", "yes please", consent_version=1, **where)

    assert accepted["type"] == "ack" and accepted["message"]["chat_id"] == chat_id
    history = _history(platform, visitor)
    assert [m["author_type"] for m in history] == ["operator", "system", "visitor"]
    assert (
        history[1]["text"].startswith(CONSENT["text"])
        and CONSENT["privacy_url"] in (history[1]["text"])
    )
    chat = ChatModel.get(owner.project_id, chat_id)
    assert chat.consent_version == 1 and chat.consent_at is not None
    assert chat.consent_wanted is None and chat.assignee_id == owner.user_id
    # and later replies go in as usual, without asking again
    later = _send(platform, visitor, tab, "reply-0002", "and another thing", chat_id=chat_id)
    assert later["type"] == "ack"
    assert [m["author_type"] for m in _history(platform, visitor)][-2:] == ["visitor", "visitor"]


def test_a_resent_agreed_reply_is_not_stored_twice(platform):
    owner = platform.sign_up()
    _configure(platform, owner, CONSENT)
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    chat_id = _operator_starts(platform, owner, visitor)
    first = _send(platform, visitor, tab, "reply-0003", "hi", chat_id=chat_id, consent_version=1)

    again = _send(platform, visitor, tab, "reply-0003", "hi", chat_id=chat_id, consent_version=1)

    assert again["type"] == "ack" and again["message"]["id"] == first["message"]["id"]
    assert [m["author_type"] for m in _history(platform, visitor)] == [
        "operator",
        "system",
        "visitor",
    ]


def test_an_agreement_to_an_older_text_does_not_open_an_operator_started_chat(platform):
    owner = platform.sign_up()
    _configure(platform, owner, CONSENT)
    _configure(platform, owner, {"text": "New wording."})
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    chat_id = _operator_starts(platform, owner, visitor)

    refused = _send(platform, visitor, tab, "reply-0004", "hi", chat_id=chat_id, consent_version=1)

    assert refused["code"] == "consent_required" and refused["consent"]["version"] == 2
    assert len(_history(platform, visitor)) == 1


@pytest.mark.parametrize(
    "change", [{"excluded_channels": ["widget"]}, {"enabled": False}], ids=["excluded", "off"]
)
def test_no_consent_step_when_the_widget_is_excluded_or_consent_is_off(platform, change):
    owner = platform.sign_up()
    _configure(platform, owner, CONSENT)
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    if "excluded_channels" in change:  # excluded before the chat: it never asks
        _configure(platform, owner, change)
    chat_id = _operator_starts(platform, owner, visitor)
    if "enabled" in change:  # switched off after the chat began: the reply goes in
        _configure(platform, owner, change)

    reply = _send(platform, visitor, tab, "reply-0005", "hi", chat_id=chat_id)

    assert reply["type"] == "ack" and reply["message"]["chat_id"] == chat_id
    assert [m["author_type"] for m in _history(platform, visitor)] == ["operator", "visitor"]
    assert ChatModel.get(owner.project_id, chat_id).consent_wanted is None
