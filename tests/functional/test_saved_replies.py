"""Saved replies: personal and shared, shortcuts, variables filled in for a dialogue."""

import pytest

from chalicelib.services.saved_replies import fill


@pytest.fixture
def shop(platform):
    owner = platform.sign_up(project_name="Acme Outdoor", name="Olga")
    operator = platform.member(owner, "operator", name="Ivan")
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "sr-000001", "text": "hi"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    return owner, operator, chat_id


def _create(platform, who, **body):
    return platform.post(f"/projects/{who.project_id}/replies", body, who.auth)


def test_a_shared_reply_is_filled_in_for_the_dialogue(platform, shop):
    owner, operator, chat_id = shop
    created = _create(
        platform,
        owner,
        shortcut="hello",
        title="Greeting",
        shared=True,
        text="Hi {visitor_name}, {operator_name} from {project_name} here.",
    )
    assert created.status_code == 201

    listed = platform.get(
        f"/projects/{owner.project_id}/replies?chat_id={chat_id}", operator.auth
    ).json_body["replies"]

    [reply] = listed
    assert reply["shortcut"] == "hello" and reply["shared"] is True
    visitor_name = platform.get(
        f"/projects/{owner.project_id}/chats/{chat_id}", owner.auth
    ).json_body["chat"]["visitor_name"]
    assert reply["filled"] == f"Hi {visitor_name}, Ivan from Acme Outdoor here."


def test_personal_replies_are_seen_only_by_their_owner(platform, shop):
    owner, operator, chat_id = shop
    mine = _create(platform, operator, shortcut="brb", title="Back soon", text="One moment!")
    assert mine.status_code == 201 and mine.json_body["reply"]["shared"] is False

    assert [
        r["shortcut"]
        for r in platform.get(f"/projects/{owner.project_id}/replies", operator.auth).json_body[
            "replies"
        ]
    ] == ["brb"]
    assert (
        platform.get(f"/projects/{owner.project_id}/replies", owner.auth).json_body["replies"] == []
    )
    reply_id = mine.json_body["reply"]["id"]
    assert (
        platform.client.http.delete(
            f"/projects/{owner.project_id}/replies/{reply_id}", headers=owner.auth
        ).status_code
        == 404
    )


def test_operators_cannot_create_or_edit_shared_replies(platform, shop):
    owner, operator, chat_id = shop
    assert (
        _create(platform, operator, shortcut="x", title="X", text="x", shared=True).status_code
        == 403
    )
    shared = _create(platform, owner, shortcut="y", title="Y", text="y", shared=True)
    reply_id = shared.json_body["reply"]["id"]
    edit = platform.client.http.patch(
        f"/projects/{owner.project_id}/replies/{reply_id}",
        body='{"text": "changed"}',
        headers=operator.auth,
    )
    assert edit.status_code == 403


def test_edit_and_delete(platform, shop):
    owner, operator, chat_id = shop
    reply_id = _create(
        platform, owner, shortcut="bye", title="Bye", text="Bye!", shared=True
    ).json_body["reply"]["id"]
    path = f"/projects/{owner.project_id}/replies/{reply_id}"
    edited = platform.client.http.patch(
        path, body='{"text": "Goodbye {visitor_name}!"}', headers=owner.auth
    )
    assert edited.json_body["reply"]["text"] == "Goodbye {visitor_name}!"
    assert platform.client.http.delete(path, headers=owner.auth).status_code == 204
    assert (
        platform.get(f"/projects/{owner.project_id}/replies", owner.auth).json_body["replies"] == []
    )


@pytest.mark.parametrize(
    "body, status",
    [
        ({"shortcut": "ok", "title": "T", "text": "Hi {visitor_nme}"}, 400),
        ({"shortcut": "has space", "title": "T", "text": "x"}, 400),
        ({"shortcut": "", "title": "T", "text": "x"}, 400),
        ({"shortcut": "ok", "title": "T", "text": "x" * 4001}, 413),
        ({"shortcut": "ok", "title": "T"}, 400),
        ({"shortcut": "ok", "title": "T", "text": "x", "shared": "yes"}, 400),
    ],
)
def test_bad_replies_are_refused(platform, shop, body, status):
    owner, *_ = shop
    assert _create(platform, owner, **body).status_code == status


def test_a_shortcut_is_unique_among_the_replies_one_can_use(platform, shop):
    owner, *_ = shop
    assert (
        _create(platform, owner, shortcut="dup", title="A", text="a", shared=True).status_code
        == 201
    )
    assert _create(platform, owner, shortcut="dup", title="B", text="b").status_code == 409


def test_fill_leaves_unknown_braces_alone():
    assert fill("{visitor_name} {x}", {"visitor_name": "Ann"}) == "Ann {x}"


def test_changes_to_shared_replies_reach_the_teams_open_panels_live(platform, shop, sender):
    owner, operator, chat_id = shop
    ivan_panel, _ = platform.connect(operator.token, project=owner.project_id)
    olga_panel, _ = platform.connect(owner.token, project=owner.project_id)
    visitor = platform.visitor(owner.project_id)
    visitor_tab, _ = platform.connect(visitor.token)
    sender.clear()

    created = _create(platform, owner, shortcut="bye", title="Bye", shared=True, text="Bye!")
    reply_id = created.json_body["reply"]["id"]
    edited = platform.client.http.patch(
        f"/projects/{owner.project_id}/replies/{reply_id}",
        body='{"text": "Goodbye!"}',
        headers={**owner.auth, "Content-Type": "application/json"},
    )
    assert edited.status_code == 200
    deleted = platform.client.http.delete(
        f"/projects/{owner.project_id}/replies/{reply_id}", headers=owner.auth
    )
    assert deleted.status_code == 204

    heard = [(f["change"], f["reply"]["text"]) for f in sender.frames_for(ivan_panel)]
    assert heard == [("created", "Bye!"), ("updated", "Goodbye!"), ("deleted", "Goodbye!")]
    assert all(f["type"] == "saved_reply" for f in sender.frames_for(ivan_panel))
    assert sender.frames_for(ivan_panel)[0]["reply"] == {**created.json_body["reply"]}
    assert len(sender.frames_for(olga_panel)) == 3  # her other tabs too
    assert sender.frames_for(visitor_tab) == []  # never the visitors


def test_a_personal_reply_is_announced_to_its_owner_only(platform, shop, sender):
    owner, operator, chat_id = shop
    ivan_panel, _ = platform.connect(operator.token, project=owner.project_id)
    olga_panel, _ = platform.connect(owner.token, project=owner.project_id)
    sender.clear()

    assert _create(platform, operator, shortcut="mine", title="Mine", text="x").status_code == 201

    assert [f["change"] for f in sender.frames_for(ivan_panel)] == ["created"]
    assert sender.frames_for(olga_panel) == []  # the administrator does not see it either
