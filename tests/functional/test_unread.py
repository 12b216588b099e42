"""GET /me/unread: each of the caller's projects with its number of chats the team has
not read, as the chat list's badge counts them (services/unread.py)."""

import itertools
import json

from chalicelib.models.chat import ChatModel
from tests.functional.conftest import SITE_DOMAIN

_ids = itertools.count(1)


def _unread(platform, who):
    response = platform.get("/me/unread", who.auth)
    assert response.status_code == 200, response.json_body
    return response.json_body["projects"]


def _write(platform, visitor, tab, text="hello", **extra):
    client_id = f"unread-{next(_ids):04d}"
    platform.frame(
        tab,
        {"action": "send", "token": visitor.token, "client_id": client_id, "text": text, **extra},
    )
    acks = [f for f in platform.sender.frames_for(tab) if f.get("client_id") == client_id]
    assert acks and acks[-1]["type"] == "ack", acks
    return acks[-1]["message"]["chat_id"]


def _visitor_writes(platform, project_id, times=1):
    visitor = platform.visitor(project_id)
    tab, _ = platform.connect(visitor.token)
    chat_id = None
    for _ in range(times):
        chat_id = _write(platform, visitor, tab)
    return visitor, tab, chat_id


def _read(platform, who, chat_id):
    path = f"/projects/{who.project_id}/chats/{chat_id}/read"
    assert platform.post(path, {}, who.auth).status_code == 200


def test_counts_rise_per_chat_not_per_message_and_fall_on_read(platform):
    owner = platform.sign_up()
    assert _unread(platform, owner) == {owner.project_id: 0}

    _, _, first = _visitor_writes(platform, owner.project_id, times=3)
    assert _unread(platform, owner) == {owner.project_id: 1}
    _, _, second = _visitor_writes(platform, owner.project_id)
    assert _unread(platform, owner) == {owner.project_id: 2}

    _read(platform, owner, first)
    assert _unread(platform, owner) == {owner.project_id: 1}
    # The same chat the list shows: read, no badge, and out of the index.
    chat = ChatModel.get(owner.project_id, first)
    assert chat.unread_by_team == 0 and chat.unread_project_id is None

    _read(platform, owner, second)
    assert _unread(platform, owner) == {owner.project_id: 0}


def test_a_new_message_after_the_read_counts_the_chat_again(platform):
    owner = platform.sign_up()
    visitor, tab, chat_id = _visitor_writes(platform, owner.project_id)
    _read(platform, owner, chat_id)

    assert _write(platform, visitor, tab, "one more thing") == chat_id

    assert _unread(platform, owner) == {owner.project_id: 1}


def test_the_socket_read_mark_clears_it_too(platform):
    owner = platform.sign_up()
    _, _, chat_id = _visitor_writes(platform, owner.project_id)
    panel, _ = platform.connect(owner.token, project=owner.project_id)

    read = {"action": "read", "token": owner.token, "chat_id": chat_id, "project": owner.project_id}
    platform.frame(panel, read)

    assert [f for f in platform.sender.frames_for(panel) if f["type"] == "error"] == []
    assert _unread(platform, owner) == {owner.project_id: 0}


def test_each_project_is_counted_apart(platform):
    owner = platform.sign_up(project_name="Shop A")
    second = platform.post("/projects", {"name": "Shop B"}, owner.auth).json_body["project"]
    allow = {"allowed_domains": [SITE_DOMAIN]}
    patched = platform.client.http.patch(
        f"/projects/{second['id']}", headers=owner.auth, body=json.dumps(allow)
    )
    assert patched.status_code == 200, patched.json_body
    _visitor_writes(platform, second["id"])
    _visitor_writes(platform, second["id"])

    assert _unread(platform, owner) == {owner.project_id: 0, second["id"]: 2}


def test_a_member_sees_only_their_projects(platform):
    owner = platform.sign_up()
    stranger = platform.sign_up()
    _visitor_writes(platform, stranger.project_id)

    assert _unread(platform, owner) == {owner.project_id: 0}
    assert _unread(platform, stranger) == {stranger.project_id: 1}


def test_an_operator_counts_only_the_chats_their_list_shows(platform):
    owner = platform.sign_up()
    anna = platform.member(owner, "operator", name="Anna")
    boris = platform.member(owner, "operator", name="Boris")
    _, _, taken = _visitor_writes(platform, owner.project_id)
    _visitor_writes(platform, owner.project_id)  # stays unassigned
    assign = f"/projects/{owner.project_id}/chats/{taken}/assign"
    assert platform.post(assign, {}, boris.auth).status_code == 200

    # Anna's list: the unassigned one only; Boris's: his and the unassigned; the owner: all.
    anna_list = platform.get(f"/projects/{owner.project_id}/chats", anna.auth).json_body
    assert sum(1 for c in anna_list["chats"] if c["unread"] > 0) == 1
    assert _unread(platform, anna) == {owner.project_id: 1}
    assert _unread(platform, boris) == {owner.project_id: 2}
    assert _unread(platform, owner) == {owner.project_id: 2}


def test_a_removed_member_gets_none(platform):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    _visitor_writes(platform, owner.project_id)
    assert _unread(platform, operator) == {owner.project_id: 1}

    removed = platform.client.http.delete(
        f"/projects/{owner.project_id}/members/{operator.user_id}", headers=owner.auth
    )
    assert removed.status_code == 204

    assert _unread(platform, operator) == {}


def test_a_closed_chat_counts_until_read_as_in_the_list(platform):
    owner = platform.sign_up()
    _, _, chat_id = _visitor_writes(platform, owner.project_id)
    closed = platform.post(f"/projects/{owner.project_id}/chats/{chat_id}/close", {}, owner.auth)
    assert closed.status_code == 200

    assert closed.json_body["chat"]["unread"] == 1
    assert _unread(platform, owner) == {owner.project_id: 1}
    _read(platform, owner, chat_id)
    assert _unread(platform, owner) == {owner.project_id: 0}


def test_a_chat_the_team_opened_counts_once_the_visitor_answers(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    started = platform.post(
        f"/projects/{owner.project_id}/visitors/{visitor.visitor_id}/chats",
        {"client_id": "start-0001", "text": "Can I help?"},
        owner.auth,
    )
    assert started.status_code == 201, started.json_body
    assert _unread(platform, owner) == {owner.project_id: 0}

    _write(platform, visitor, tab, "yes please", chat_id=started.json_body["chat"]["id"])

    assert _unread(platform, owner) == {owner.project_id: 1}


def test_no_token_is_a_401(platform):
    assert platform.get("/me/unread").status_code == 401


def test_chats_unread_before_the_index_existed_are_backfilled_once(platform, capsys):
    import boto3

    from chalicelib.config import get_settings
    from infra import backfill

    owner = platform.sign_up()
    _, _, old = _visitor_writes(platform, owner.project_id)
    _, _, read = _visitor_writes(platform, owner.project_id)
    _read(platform, owner, read)
    # As a chat stored before the index: unread, without the attribute.
    ChatModel(owner.project_id, old).update(actions=[ChatModel.unread_project_id.remove()])
    assert _unread(platform, owner) == {owner.project_id: 0}

    client = boto3.client("dynamodb", region_name="us-east-1")
    prefix = get_settings().table_prefix
    assert backfill.main(["unread", "--prefix", prefix], client=client) == 0
    assert capsys.readouterr().out.startswith("1 unread chats")

    assert _unread(platform, owner) == {owner.project_id: 1}  # the read one stays out
    backfill.main(["unread", "--prefix", prefix], client=client)
    assert capsys.readouterr().out.startswith("0 unread chats")
