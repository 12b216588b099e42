"""A visitor whose chat waits in the distribution queue is told their place (the `queue`
frame, and the history answer after a reload), told again as the queue moves, and told
who took the chat (the `assigned` frame). Manual projects and a team with nobody online
send no place. Requests are counted with a botocore hook on the real code path."""

import json

import pytest

from bench.dynamo_calls import install
from chalicelib.models.chat import ChatModel

# DynamoDB requests, counted by a botocore hook installed before any client exists.
CALLS = install()


def _settings(platform, owner, **settings):
    response = platform.client.http.patch(
        f"/projects/{owner.project_id}", body=json.dumps(settings), headers=owner.auth
    )
    assert response.status_code == 200, response.json_body


def _online(platform, *members):
    for member in members:
        _, result = platform.connect(member.token, project=member.project_id)
        assert result["statusCode"] == 200


def _queue_frames(platform, tab):
    return [f for f in platform.sender.frames_for(tab) if f["type"] == "queue"]


class Chat:
    def __init__(self, platform, owner, n):
        self.visitor = platform.visitor(owner.project_id)
        self.tab, _ = platform.connect(self.visitor.token)
        platform.frame(
            self.tab,
            {
                "action": "send",
                "token": self.visitor.token,
                "client_id": f"queue-{n:05d}",
                "text": f"question {n}",
            },
        )
        self.chat_id = platform.sender.frames_for(self.tab)[0]["message"]["chat_id"]


@pytest.fixture
def full_desk(platform):
    """A least-busy project whose one operator (Anna, online) has room for one chat, and
    already has it: every later chat waits."""
    owner = platform.sign_up()
    anna = platform.member(owner, "operator", name="Anna")
    _settings(platform, owner, distribution="least_busy", max_active_chats=1)
    _online(platform, anna)
    first = Chat(platform, owner, 0)
    return owner, anna, first


def test_waiting_visitors_are_told_their_place_and_told_again_as_the_queue_moves(
    platform, full_desk
):
    owner, anna, taken = full_desk
    assert _queue_frames(platform, taken.tab) == []  # handed to Anna at once: no place

    second = Chat(platform, owner, 1)
    third = Chat(platform, owner, 2)

    assert _queue_frames(platform, second.tab) == [
        {"type": "queue", "chat_id": second.chat_id, "position": 1}
    ]
    assert _queue_frames(platform, third.tab) == [
        {"type": "queue", "chat_id": third.chat_id, "position": 2}
    ]

    platform.sender.clear()
    closed = platform.post(
        f"/projects/{owner.project_id}/chats/{taken.chat_id}/close", {}, anna.auth
    )
    assert closed.status_code == 200, closed.json_body

    # The oldest waiting chat went to Anna: its visitor hears who answers, and no place.
    assert platform.sender.frames_for(second.tab) == [
        {
            "type": "assigned",
            "chat_id": second.chat_id,
            "assignee": {"id": anna.user_id, "name": "Anna"},
        }
    ]
    # The one behind it is next now.
    assert platform.sender.frames_for(third.tab) == [
        {"type": "queue", "chat_id": third.chat_id, "position": 1}
    ]


def test_after_a_reload_the_history_answers_the_place(platform, full_desk):
    owner, anna, taken = full_desk
    second = Chat(platform, owner, 1)
    third = Chat(platform, owner, 2)

    asked = platform.get("/widget/messages?queue=1", third.visitor.auth).json_body
    assert asked["chat_id"] == third.chat_id
    assert asked["queue"] == 2
    # Not asked (the widget asks only when it was told a place): no place, no extra read.
    assert "queue" not in platform.get("/widget/messages", third.visitor.auth).json_body
    # A chat that does not wait answers none, even when asked.
    assigned = platform.get("/widget/messages?queue=1", taken.visitor.auth).json_body
    assert "queue" not in assigned

    platform.post(f"/projects/{owner.project_id}/chats/{taken.chat_id}/close", {}, anna.auth)
    assert "queue" not in platform.get("/widget/messages?queue=1", second.visitor.auth).json_body
    assert platform.get("/widget/messages?queue=1", third.visitor.auth).json_body["queue"] == 1


def test_manual_projects_send_no_place(platform):
    owner = platform.sign_up()
    anna = platform.member(owner, "operator", name="Anna")
    _online(platform, anna)
    waiting = Chat(platform, owner, 1)

    assert _queue_frames(platform, waiting.tab) == []
    asked = platform.get("/widget/messages?queue=1", waiting.visitor.auth).json_body
    assert "queue" not in asked


def test_nobody_online_sends_no_place(platform):
    owner = platform.sign_up()
    platform.member(owner, "operator", name="Anna")  # never opens the panel
    _settings(platform, owner, distribution="round_robin")
    waiting = Chat(platform, owner, 1)

    assert _queue_frames(platform, waiting.tab) == []


def _send_cost(platform, owner, n):
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    CALLS.clear()
    platform.frame(
        tab,
        {"action": "send", "token": visitor.token, "client_id": f"cost-{n:05d}", "text": "hi"},
    )
    return dict(CALLS), visitor


def test_the_place_costs_two_requests_and_only_when_the_chat_waits(platform, full_desk):
    owner, anna, _ = full_desk
    waits, visitor = _send_cost(platform, owner, 1)  # Anna is full: it waits, next in line

    CALLS.clear()
    platform.get("/widget/messages", visitor.auth)
    plain = dict(CALLS)
    CALLS.clear()
    assert platform.get("/widget/messages?queue=1", visitor.auth).json_body["queue"] == 1
    asked = dict(CALLS)

    _settings(platform, owner, distribution="manual")
    manual, _ = _send_cost(platform, owner, 2)  # waits too, but nobody is told a place

    # The opening message (visitor, project, transaction, its fan-out) and distribution's
    # project and member reads, then the place: one COUNT Query, one Query of the tabs.
    assert waits == {"GetItem": 3, "TransactWriteItems": 1, "Query": 3 + 2}
    assert manual == {"GetItem": 3, "TransactWriteItems": 1, "Query": 2}
    # The place in the history: the chat and the project read, and the COUNT.
    assert plain == {"GetItem": 1, "Query": 1}
    assert asked == {"GetItem": 1 + 2, "Query": 1 + 1}


def _close_cost(platform, owner, anna, chat_id):
    CALLS.clear()
    closed = platform.post(f"/projects/{owner.project_id}/chats/{chat_id}/close", {}, anna.auth)
    assert closed.status_code == 200, closed.json_body
    return dict(CALLS)


def test_telling_the_queue_it_moved_costs_one_query_per_visitor_behind(platform, full_desk):
    owner, anna, taken = full_desk
    alone = Chat(platform, owner, 1)  # the only one waiting: nobody behind it
    nobody_behind = _close_cost(platform, owner, anna, taken.chat_id)

    second, third = Chat(platform, owner, 2), Chat(platform, owner, 3)
    one_behind = _close_cost(platform, owner, anna, alone.chat_id)

    assert ChatModel.get(owner.project_id, second.chat_id).assignee_id == anna.user_id
    assert [f["position"] for f in _queue_frames(platform, third.tab)] == [2, 1]
    assert one_behind == {**nobody_behind, "Query": nobody_behind["Query"] + 1}


def test_an_operator_taking_a_waiting_chat_moves_those_behind_it(platform, full_desk):
    owner, anna, _ = full_desk
    second, third = Chat(platform, owner, 1), Chat(platform, owner, 2)
    platform.sender.clear()

    taken = platform.post(
        f"/projects/{owner.project_id}/chats/{second.chat_id}/assign", {}, anna.auth
    )

    assert taken.status_code == 200, taken.json_body
    assert platform.sender.frames_for(second.tab) == [
        {
            "type": "assigned",
            "chat_id": second.chat_id,
            "assignee": {"id": anna.user_id, "name": "Anna"},
        }
    ]
    assert _queue_frames(platform, third.tab) == [
        {"type": "queue", "chat_id": third.chat_id, "position": 1}
    ]


def _place(platform, chat):
    return platform.get("/widget/messages?queue=1", chat.visitor.auth).json_body.get("queue")


def test_a_waiting_visitor_who_writes_again_keeps_their_place(platform, full_desk):
    owner, anna, taken = full_desk
    second, third = Chat(platform, owner, 1), Chat(platform, owner, 2)

    # The first in line writes again (the chat's activity moves; its place must not).
    again = {"action": "send", "token": second.visitor.token, "client_id": "queue-again"}
    platform.frame(second.tab, {**again, "text": "hello? still there?"})

    assert (_place(platform, second), _place(platform, third)) == (1, 2)
    platform.post(f"/projects/{owner.project_id}/chats/{taken.chat_id}/close", {}, anna.auth)
    # And the one who waited longest is the one handed out.
    assert ChatModel.get(owner.project_id, second.chat_id).assignee_id == anna.user_id
    assert _place(platform, third) == 1


def test_a_chat_given_back_before_its_first_answer_keeps_the_visitors_place(platform, full_desk):
    owner, anna, first = full_desk
    second, third = Chat(platform, owner, 1), Chat(platform, owner, 2)

    # Anna gives back the chat she was handed (unanswered): it goes back in line where its
    # visitor began to wait, the first, and not to her again; the next in line is hers.
    given = platform.post(
        f"/projects/{owner.project_id}/chats/{first.chat_id}/unassign", {}, anna.auth
    )

    assert given.status_code == 200, given.json_body
    assert ChatModel.get(owner.project_id, second.chat_id).assignee_id == anna.user_id
    assert (_place(platform, first), _place(platform, third)) == (1, 2)


def test_chats_waiting_before_the_queue_index_are_backfilled_in_their_old_order(
    platform, full_desk, capsys
):
    import boto3

    from chalicelib.config import get_settings
    from infra import backfill

    owner, anna, taken = full_desk
    second, third = Chat(platform, owner, 1), Chat(platform, owner, 2)
    # As chats queued before the ``queue`` index: waiting, without its key.
    for chat in (second, third):
        ChatModel(owner.project_id, chat.chat_id).update(actions=[ChatModel.queued_key.remove()])
    assert list(ChatModel.waiting.query(owner.project_id)) == []

    client = boto3.client("dynamodb", region_name="us-east-1")
    prefix = get_settings().table_prefix
    assert backfill.main(["queue", "--prefix", prefix], client=client) == 0
    assert capsys.readouterr().out.startswith("2 waiting chats")

    assert [w.chat_id for w in ChatModel.waiting.query(owner.project_id)] == [
        second.chat_id,
        third.chat_id,
    ]
    backfill.main(["queue", "--prefix", prefix], client=client)
    assert capsys.readouterr().out.startswith("0 waiting chats")
