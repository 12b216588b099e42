"""Closing idle dialogues: per-project limits, the closing message, a month for the
unassigned, idempotence, and never closing a dialogue that just moved. The clock is moved
by handing the job a later ``now``."""

from datetime import timedelta

import pytest

from chalicelib.clock import utcnow
from chalicelib.models.chat import ChatModel
from chalicelib.models.message import MessageModel
from chalicelib.models.project import MemberModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import auto_close


@pytest.fixture
def setup(platform, sender):
    owner = platform.sign_up(project_name="Shop")
    platform.client.http.patch(
        f"/projects/{owner.project_id}",
        body='{"auto_close_minutes": 15, "auto_close_message": "Closed for now, write any time!"}',
        headers=owner.auth,
    )
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "idle-0001", "text": "hello?"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    sender.clear()
    return owner, visitor, tab, chat_id, Fanout(sender)


def _assign(platform, owner, chat_id):
    assert (
        platform.post(
            f"/projects/{owner.project_id}/chats/{chat_id}/assign", {}, owner.auth
        ).status_code
        == 200
    )


def test_an_assigned_dialogue_closes_after_the_idle_limit_with_the_message(platform, setup, sender):
    owner, visitor, tab, chat_id, fanout = setup
    _assign(platform, owner, chat_id)
    team_socket, _ = platform.connect(owner.token, project=owner.project_id)

    early = auto_close.run(utcnow() + timedelta(minutes=10), fanout)
    late = auto_close.run(utcnow() + timedelta(minutes=16), fanout)

    assert early["closed"] == 0 and late["closed"] == 1
    chat = ChatModel.get(owner.project_id, chat_id)
    assert chat.status == "closed" and chat.open_shard is None
    assert MemberModel.get(owner.project_id, owner.user_id).active_chats == 0
    texts = [m.text for m in MessageModel.query(f"{owner.project_id}#{chat_id}")]
    why = "Closed automatically after 15 minutes idle"
    assert texts == ["hello?", "Olga took the chat", "Closed for now, write any time!", why]
    frames = sender.frames_for(tab)
    assert frames[-1] == {"type": "closed", "chat_id": chat_id}
    assert frames[-2]["message"]["text"] == "Closed for now, write any time!"
    assert why not in str(frames)
    # The team hears why, live; the visitor's history has the closing message only.
    [team_frame] = sender.frames_for(team_socket)
    assert team_frame["chat"]["state"] == "closed" and team_frame["message"]["text"] == why
    # A widget loaded later (no tab was open) learns it from its history read
    history = platform.get("/widget/messages", visitor.auth).json_body
    assert history["chat_id"] == chat_id and history["closed"] is True
    assert [m["text"] for m in history["messages"]] == ["hello?", texts[2]]


def test_a_rerun_closes_nothing_twice(platform, setup):
    owner, visitor, tab, chat_id, fanout = setup
    _assign(platform, owner, chat_id)
    later = utcnow() + timedelta(minutes=16)
    assert auto_close.run(later, fanout)["closed"] == 1
    assert auto_close.run(later, fanout) == {"examined": 0, "closed": 0, "freed_slots_in": []}
    # hello?, the take's line, the closing message and the team's line: once each
    assert MessageModel.count(f"{owner.project_id}#{chat_id}") == 4


def test_a_dialogue_that_moved_since_it_was_found_stays_open(platform, setup):
    owner, visitor, tab, chat_id, fanout = setup
    _assign(platform, owner, chat_id)
    [candidate] = list(
        ChatModel.open_idle.query(ChatModel.get(owner.project_id, chat_id).open_shard)
    )
    platform.frame(
        tab,
        {
            "action": "send",
            "token": visitor.token,
            "chat_id": chat_id,
            "client_id": "idle-0002",
            "text": "still here",
        },
    )

    project = __import__("chalicelib.models.project", fromlist=["ProjectModel"]).ProjectModel
    closed = auto_close.close_idle(
        candidate, project.get(owner.project_id), utcnow() + timedelta(hours=1), fanout
    )

    assert closed is False
    assert ChatModel.get(owner.project_id, chat_id).status == "open"


def test_unassigned_dialogues_are_kept_a_month(platform, setup):
    owner, visitor, tab, chat_id, fanout = setup
    assert auto_close.run(utcnow() + timedelta(days=29), fanout)["closed"] == 0
    assert auto_close.run(utcnow() + timedelta(days=31), fanout)["closed"] == 1
    texts = [m.text for m in MessageModel.query(f"{owner.project_id}#{chat_id}")]
    assert texts == ["hello?", "Closed automatically after 30 days idle"]


def test_projects_without_a_limit_keep_assigned_dialogues_open(platform, setup):
    owner, visitor, tab, chat_id, fanout = setup
    platform.client.http.patch(
        f"/projects/{owner.project_id}", body='{"auto_close_minutes": null}', headers=owner.auth
    )
    _assign(platform, owner, chat_id)
    assert auto_close.run(utcnow() + timedelta(days=400), fanout)["closed"] == 0


@pytest.mark.parametrize(
    "body",
    [
        '{"auto_close_minutes": 0}',
        '{"auto_close_minutes": "5"}',
        '{"auto_close_minutes": true}',
        '{"auto_close_message": 12}',
    ],
)
def test_bad_auto_close_settings_are_400(platform, setup, body):
    owner, *_ = setup
    response = platform.client.http.patch(
        f"/projects/{owner.project_id}", body=body, headers=owner.auth
    )
    assert response.status_code == 400


def test_operators_cannot_change_auto_close_settings(platform, setup):
    owner, *_ = setup
    operator = platform.member(owner, "operator")
    response = platform.client.http.patch(
        f"/projects/{owner.project_id}", body='{"auto_close_minutes": 5}', headers=operator.auth
    )
    assert response.status_code == 403
