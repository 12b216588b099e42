"""Auto messages through the REST API: create, list, read, change; every validation rule
with the path it names."""

import pytest

from chalicelib.services import auto_messages
from tests.functional.auto_message_helpers import (
    PRICING_RULES,
    _create,
    _email,
    _listed,
    _patch,
    _path,
    _proactive,
    _with_content,
)
from tests.functional.uploads import upload


@pytest.fixture
def owner(platform):
    return platform.sign_up(project_name="Shop")


def test_a_manager_creates_an_auto_message_and_gets_it_back_normalised(platform, owner):
    # Given a manager of the project
    manager = platform.member(owner, "manager", name="Mia")

    # When they create a proactive auto message with two rules and a button
    created = _create(platform, manager, _proactive())

    # Then it is stored with the defaults, normalised rules and zero figures
    assert created.status_code == 201, created.json_body
    message = created.json_body["auto_message"]
    assert message["name"] == "Pricing help"
    assert message["type"] == "proactive"
    assert message["enabled"] is True and message["once_per_user"] is True
    assert message["channels"] == ["widget"]
    assert message["team_status"] == "any" and message["audience"] == "both"
    assert message["content"] == {
        "text": "Questions about our plans?",
        "subject": None,
        "image_url": None,
        "buttons": [{"label": "See plans", "action": "link", "url": "https://shop.example/p"}],
        "attachments": [],
    }
    assert message["rules"] == {
        "all": [
            {"field": "page_url", "op": "contains", "value": "Pricing"},
            {"field": "time_on_page", "op": "greater", "value": 10},
        ],
        "any_groups": [],
    }
    assert message["stats"] == {"sent": 0, "opened": 0, "replied": 0}
    assert message["created_by"] == manager.user_id
    assert message["created_at"] == message["updated_at"]
    # And the list and a read by id return the same
    assert _listed(platform, owner) == [message]
    read = platform.get(_path(owner, f"/{message['id']}"), owner.auth)
    assert read.status_code == 200 and read.json_body["auto_message"] == message


def test_an_email_with_attachments_and_a_targeted_chat_are_stored(platform, owner):
    draft = upload(platform, owner, "Price list.pdf", "Application/PDF", b"%PDF-1.7 prices")
    attachment = {"key": draft["key"], "name": "Price list.pdf"}
    email = _create(platform, owner, _with_content(_email(), attachments=[attachment]))
    targeted = _create(
        platform,
        owner,
        {
            "name": "Returning users",
            "type": "targeted",
            "team_status": "online",
            "once_per_user": False,
            "content": {
                "text": "Welcome back!",
                "image_url": "https://cdn.example/wave.gif",
                "buttons": [{"label": "Talk to us", "action": "reply"}],
            },
        },
    )

    assert email.status_code == 201, email.json_body
    [stored] = email.json_body["auto_message"]["content"]["attachments"]
    published = stored["key"]
    assert published.startswith(f"attachments/{owner.project_id}/")
    assert published.endswith("/Price_list.pdf")
    assert email.json_body["auto_message"]["content"]["attachments"] == [
        {
            "key": published,
            "name": "Price list.pdf",
            "url": f"https://cdn.example.test/{published}",
            "content_type": "application/pdf",
            "size": len(b"%PDF-1.7 prices"),
        }
    ]
    assert email.json_body["auto_message"]["channels"] == []
    assert targeted.status_code == 201, targeted.json_body
    stored = targeted.json_body["auto_message"]
    assert stored["audience"] == "users" and stored["team_status"] == "online"
    assert stored["content"]["buttons"] == [{"label": "Talk to us", "action": "reply", "url": None}]
    assert [m["type"] for m in _listed(platform, owner)] == ["email", "targeted"]


BAD_INPUTS = [
    ("no name", {k: v for k, v in _proactive().items() if k != "name"}, "name"),
    ("empty name", _proactive(name="   "), "name"),
    ("long name", _proactive(name="n" * 101), "name"),
    ("name with a control character", _proactive(name="a\x07b"), "name"),
    ("unknown type", _proactive(type="popup"), "type"),
    ("enabled not a flag", _proactive(enabled="yes"), "enabled"),
    ("once_per_user not a flag", _proactive(once_per_user=1), "once_per_user"),
    ("unknown channel", _proactive(channels=["sms"]), "channels"),
    ("a messenger channel: website only", _proactive(channels=["telegram"]), "channels"),
    ("channels not a list", _proactive(channels="widget"), "channels"),
    ("a chat without a channel", _proactive(channels=[]), "channels"),
    ("a channel twice", _proactive(channels=["widget", "widget"]), "channels"),
    ("an e-mail in a channel", _email(channels=["widget"]), "channels"),
    ("unknown team status", _proactive(team_status="busy"), "team_status"),
    ("unknown audience", _proactive(audience="everyone"), "audience"),
    ("a targeted chat to visitors", _proactive(type="targeted", audience="visitors"), "audience"),
    ("an e-mail to both", _email(audience="both"), "audience"),
    ("no content", {k: v for k, v in _proactive().items() if k != "content"}, "content"),
    ("content not an object", _proactive(content="hi"), "content"),
    ("unknown content key", _with_content(_proactive(), html="<b>x</b>"), "content.html"),
    ("no text", _proactive(content={"buttons": []}), "content.text"),
    ("blank text", _with_content(_proactive(), text=" \x01 "), "content.text"),
    ("long text", _with_content(_proactive(), text="t" * 4001), "content.text"),
    ("text not text", _with_content(_proactive(), text=42), "content.text"),
    ("a subject on a chat", _with_content(_proactive(), subject="Hi"), "content.subject"),
    ("an e-mail without subject", _email(content={"text": "x"}), "content.subject"),
    ("a long subject", _with_content(_email(), subject="s" * 201), "content.subject"),
    ("a subject on two lines", _with_content(_email(), subject="a\nb"), "content.subject"),
    ("http image", _with_content(_proactive(), image_url="http://cdn.example/a.gif"), "content.image_url"),
    ("script image", _with_content(_proactive(), image_url="javascript:alert(1)"), "content.image_url"),
    ("long image URL", _with_content(_proactive(), image_url="https://a.example/" + "x" * 2048), "content.image_url"),
    ("six buttons", _with_content(_proactive(), buttons=[{"label": "b", "action": "reply"}] * 6), "content.buttons"),
    ("buttons not a list", _with_content(_proactive(), buttons={"label": "b"}), "content.buttons"),
    ("button not an object", _with_content(_proactive(), buttons=["Yes"]), "content.buttons[0]"),
    ("unknown button key", _with_content(_proactive(), buttons=[{"label": "b", "action": "reply", "style": "red"}]), "content.buttons[0].style"),
    ("empty button label", _with_content(_proactive(), buttons=[{"label": " ", "action": "reply"}]), "content.buttons[0].label"),
    ("long button label", _with_content(_proactive(), buttons=[{"label": "l" * 61, "action": "reply"}]), "content.buttons[0].label"),
    ("unknown button action", _with_content(_proactive(), buttons=[{"label": "b", "action": "call"}]), "content.buttons[0].action"),
    ("a link without url", _with_content(_proactive(), buttons=[{"label": "b", "action": "link"}]), "content.buttons[0].url"),
    ("an http link", _with_content(_proactive(), buttons=[{"label": "b", "action": "link", "url": "http://x.example"}]), "content.buttons[0].url"),
    ("a reply with a url", _with_content(_proactive(), buttons=[{"label": "b", "action": "reply", "url": "https://x.example"}]), "content.buttons[0].url"),
    ("a reply button in an e-mail", _with_content(_email(), buttons=[{"label": "b", "action": "reply"}]), "content.buttons[0].action"),
    ("six attachments", _with_content(_proactive(), attachments=[{"name": "a", "key": "drafts/p_x/01JD0000000000000000000000/a.png"}] * 6), "content.attachments"),
    ("attachment without name", _with_content(_proactive(), attachments=[{"key": "drafts/p_x/01JD0000000000000000000000/a.png"}]), "content.attachments[0].name"),
    ("attachment without key", _with_content(_proactive(), attachments=[{"name": "a", "url": "https://a.example/a"}]), "content.attachments[0].key"),
    ("attachment key not from an upload", _with_content(_proactive(), attachments=[{"name": "a", "key": "../etc/passwd"}]), "content.attachments[0].key"),
    ("the same file twice", _with_content(_proactive(), attachments=[{"name": "a", "key": "drafts/p_x/01JD0000000000000000000000/a.png"}] * 2), "content.attachments"),
    ("unknown attachment key", _with_content(_proactive(), attachments=[{"name": "a", "key": "drafts/p_x/01JD0000000000000000000000/a.png", "data": "x"}]), "content.attachments[0].data"),
    ("an e-mail with a timer", _email(rules={"all": [{"field": "time_on_page", "op": "greater", "value": 10}]}), "rules.all[0].field"),
    ("an e-mail with exit intent in a group", _email(rules={"any_groups": [[{"field": "country", "op": "equals", "value": "DE"}], [{"field": "widget_open", "op": "is", "value": True}]]}), "rules.any_groups[1][0].field"),
    ("a read-only field", _proactive(stats={"sent": 5}), "stats"),
    ("an unknown field", _proactive(color="red"), "color"),
    # The rules validator's problems come through with their own paths.
    ("rules not an object", _proactive(rules=[]), "rules"),
    ("unknown rule field", _proactive(rules={"all": [{"field": "mood", "op": "is", "value": True}]}), "rules.all[0].field"),
    ("operator the field does not allow", _proactive(rules={"all": [{"field": "country", "op": "greater", "value": 1}]}), "rules.all[0].op"),
    ("seconds typed as text", _proactive(rules={"all": [{"field": "time_on_page", "op": "greater", "value": "abc"}]}), "rules.all[0].value"),
    ("a pattern", _proactive(rules={"all": [{"field": "page_url", "op": "contains", "value": "*pricing*"}]}), "rules.all[0].value"),
    ("an empty group", _proactive(rules={"any_groups": [[]]}), "rules.any_groups[0]"),
    ("a value for exists", _proactive(rules={"any_groups": [[{"field": "chat_history", "op": "exists", "value": 1}]]}), "rules.any_groups[0][0].value"),
]  # fmt: skip


@pytest.mark.parametrize("body, path", [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_with_the_path_of_the_bad_field(platform, owner, body, path):
    # When a lead sends an invalid auto message
    response = _create(platform, owner, body)

    # Then it is a 400 naming the bad field by its path, and nothing is stored
    assert response.status_code == 400, response.json_body
    error = response.json_body["error"]
    assert error["code"] == "bad_request"
    assert path in [e["path"] for e in error["errors"]], error
    assert error["message"].startswith("In " + error["errors"][0]["path"] + ": ")
    assert _listed(platform, owner) == []


def test_every_problem_is_listed_and_the_first_named_in_the_message(platform, owner):
    body = _proactive(
        name="",
        audience="all",
        rules={"all": [{"field": "time_on_page", "op": "greater", "value": "abc"}]},
    )

    response = _create(platform, owner, body)

    assert response.status_code == 400
    error = response.json_body["error"]
    assert [e["path"] for e in error["errors"]] == ["name", "audience", "rules.all[0].value"]
    assert error["message"] == "In name: must not be empty (and 2 more)"


def test_patch_changes_only_what_it_names_and_merges_content(platform, owner):
    # Given an auto message with a button
    message = _create(platform, owner, _proactive()).json_body["auto_message"]

    # When a lead disables it and changes its text alone
    changed = _patch(
        platform, owner, message["id"], {"enabled": False, "content": {"text": "Need help?"}}
    )

    # Then those change and everything else stays
    assert changed.status_code == 200, changed.json_body
    after = changed.json_body["auto_message"]
    assert after["enabled"] is False
    assert after["content"]["text"] == "Need help?"
    assert after["content"]["buttons"] == message["content"]["buttons"]
    assert after["rules"] == message["rules"] and after["name"] == message["name"]
    assert after["updated_at"] >= message["updated_at"]
    assert _listed(platform, owner) == [after]


def test_patch_validates_the_merged_result(platform, owner):
    # Given a proactive chat (in the widget channel, to visitors and users)
    message = _create(platform, owner, _proactive()).json_body["auto_message"]

    # When it is switched to e-mail alone, then the merged message is incomplete
    refused = _patch(platform, owner, message["id"], {"type": "email"})
    assert refused.status_code == 400
    paths = [e["path"] for e in refused.json_body["error"]["errors"]]
    # (and its "time on page" rule could never hold for an e-mail)
    assert paths == ["channels", "audience", "content.subject", "rules.all[1].field"]
    assert _listed(platform, owner) == [message]

    # And with what an e-mail needs it is accepted
    accepted = _patch(
        platform,
        owner,
        message["id"],
        {
            "type": "email",
            "channels": [],
            "audience": "users",
            "content": {"subject": "Plans"},
            "rules": {"all": [PRICING_RULES["all"][0]]},
        },
    )
    assert accepted.status_code == 200, accepted.json_body
    assert accepted.json_body["auto_message"]["content"]["subject"] == "Plans"


@pytest.mark.parametrize(
    "body, path",
    [
        ({"rules": {"all": [{"field": "page_url", "op": "equals", "value": "a|b"}]}}, "rules.all[0].value"),
        ({"content": {"text": ""}}, "content.text"),
        ({"id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "id"),
    ],
)  # fmt: skip
def test_a_bad_patch_changes_nothing(platform, owner, body, path):
    message = _create(platform, owner, _proactive()).json_body["auto_message"]

    response = _patch(platform, owner, message["id"], body)

    assert response.status_code == 400
    assert path in [e["path"] for e in response.json_body["error"]["errors"]]
    assert _listed(platform, owner) == [message]


def test_an_edit_over_a_version_changed_meanwhile_is_a_conflict(platform, owner, monkeypatch):
    from chalicelib.models.auto_message import AutoMessageModel

    # Given an editor who read the auto message before someone else changed it
    message = _create(platform, owner, _proactive()).json_body["auto_message"]
    stale = AutoMessageModel.get(owner.project_id, message["id"])
    assert _patch(platform, owner, message["id"], {"name": "Theirs"}).status_code == 200
    monkeypatch.setattr(auto_messages, "_find", lambda member, message_id: stale)

    # When the editor's change lands
    response = _patch(platform, owner, message["id"], {"name": "Mine"})

    # Then it is refused rather than silently undoing the other change
    assert response.status_code == 409
    monkeypatch.undo()
    assert _listed(platform, owner)[0]["name"] == "Theirs"


def test_an_empty_patch_is_refused(platform, owner):
    message = _create(platform, owner, _proactive()).json_body["auto_message"]

    response = _patch(platform, owner, message["id"], {})

    assert response.status_code == 400
    assert "Nothing to change" in response.json_body["error"]["message"]
