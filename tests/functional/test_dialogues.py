"""The dialogue workflow: take, give, unassign, close, reopen, rate; who sees what."""

import concurrent.futures
import json

import pytest

from chalicelib.errors import Conflict, Forbidden
from chalicelib.models.chat import ChatModel
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import assignment


@pytest.fixture
def team(platform):
    owner = platform.sign_up()
    manager = platform.member(owner, "manager", name="Mia")
    anna = platform.member(owner, "operator", name="Anna")
    boris = platform.member(owner, "operator", name="Boris")
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab,
        {"action": "send", "token": visitor.token, "client_id": "team-0001", "text": "I need help"},
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    platform.sender.clear()
    return {
        "owner": owner,
        "manager": manager,
        "anna": anna,
        "boris": boris,
        "visitor": visitor,
        "tab": tab,
        "chat_id": chat_id,
    }


def _action(platform, who, chat_id, verb, body=None):
    return platform.post(f"/projects/{who.project_id}/chats/{chat_id}/{verb}", body or {}, who.auth)


def _active(member):
    return MemberModel.get(member.project_id, member.user_id).active_chats


def test_an_operator_takes_a_dialogue_and_others_then_lose_sight_of_it(platform, team):
    anna, boris, chat_id = team["anna"], team["boris"], team["chat_id"]

    taken = _action(platform, anna, chat_id, "assign")

    assert taken.status_code == 200
    assert taken.json_body["chat"]["state"] == "assigned"
    assert taken.json_body["chat"]["assignee"] == {"id": anna.user_id, "name": "Anna"}
    assert _active(anna) == 1
    assert _action(platform, boris, chat_id, "assign").status_code == 403
    boris_list = platform.get(f"/projects/{boris.project_id}/chats", boris.auth).json_body
    assert boris_list["chats"] == []
    assert (
        platform.get(
            f"/projects/{boris.project_id}/chats/{chat_id}/messages", boris.auth
        ).status_code
        == 403
    )
    reply = platform.post(
        f"/projects/{boris.project_id}/chats/{chat_id}/messages",
        {"client_id": "boris-0001", "text": "mine?"},
        boris.auth,
    )
    assert reply.status_code == 403
    manager_list = platform.get(
        f"/projects/{anna.project_id}/chats", team["manager"].auth
    ).json_body
    assert [c["id"] for c in manager_list["chats"]] == [chat_id]


def test_messages_of_an_assigned_dialogue_reach_only_its_operator_and_the_leads(platform, team):
    anna, boris, manager = team["anna"], team["boris"], team["manager"]
    sockets = {
        name: platform.connect(who.token, project=who.project_id)[0]
        for name, who in (("anna", anna), ("boris", boris), ("manager", manager))
    }
    _action(platform, anna, team["chat_id"], "assign")
    platform.sender.clear()

    platform.frame(
        team["tab"],
        {
            "action": "send",
            "token": team["visitor"].token,
            "client_id": "after-take",
            "text": "private question",
            "assignee_id": anna.user_id,
        },
    )

    got = {
        name: [f["type"] for f in platform.sender.frames_for(conn)]
        for name, conn in sockets.items()
    }
    assert got == {"anna": ["message"], "boris": [], "manager": ["message"]}


def test_a_stale_assignee_hint_costs_a_read_but_delivers_correctly(platform, team):
    anna, boris = team["anna"], team["boris"]
    boris_socket, _ = platform.connect(boris.token, project=boris.project_id)
    _action(platform, anna, team["chat_id"], "assign")
    platform.sender.clear()

    # The widget has not heard of the assignment and sends no hint
    platform.frame(
        team["tab"],
        {
            "action": "send",
            "token": team["visitor"].token,
            "client_id": "stale-hint",
            "text": "hello again",
        },
    )

    [ack] = platform.sender.frames_for(team["tab"])
    assert ack["type"] == "ack" and ack["assignee_id"] == anna.user_id
    assert platform.sender.frames_for(boris_socket) == []


def test_exactly_one_of_many_simultaneous_takers_wins(
    platform, team, sender, eager_thread_switching
):
    owner = team["owner"]
    takers = [team["anna"], team["boris"]] + [
        platform.member(owner, "operator", name=f"Op{n}") for n in range(6)
    ]
    members = [MemberModel.get(owner.project_id, t.user_id) for t in takers]
    fanout = Fanout(sender)

    def take(member):
        try:
            assignment.assign(member, team["chat_id"], None, fanout)
            return member.user_id
        except (Conflict, Forbidden):  # lost the race, or read the winner's commit first
            return None

    with concurrent.futures.ThreadPoolExecutor(len(members)) as pool:
        winners = [w for w in pool.map(take, members) if w]

    assert len(winners) == 1
    assert ChatModel.get(owner.project_id, team["chat_id"]).assignee_id == winners[0]
    assert sum(MemberModel.get(owner.project_id, m.user_id).active_chats for m in members) == 1


def test_a_manager_gives_reassigns_and_unassigns(platform, team):
    manager, anna, boris, chat_id = team["manager"], team["anna"], team["boris"], team["chat_id"]

    assert (
        _action(platform, manager, chat_id, "assign", {"user_id": anna.user_id}).status_code == 200
    )
    assert (
        _action(platform, manager, chat_id, "assign", {"user_id": boris.user_id}).status_code == 200
    )
    assert (_active(anna), _active(boris)) == (0, 1)
    assert (
        _action(platform, anna, chat_id, "assign", {"user_id": anna.user_id}).status_code == 403
    )  # now Boris's: not visible
    unassigned = _action(platform, manager, chat_id, "unassign")
    assert unassigned.json_body["chat"]["state"] == "open"
    assert _active(boris) == 0


def test_operators_cannot_give_dialogues_to_others(platform, team):
    response = _action(
        platform, team["anna"], team["chat_id"], "assign", {"user_id": team["boris"].user_id}
    )
    assert response.status_code == 403


def test_closing_tells_the_visitor_who_may_rate_and_then_starts_anew(platform, team):
    anna, chat_id, visitor, tab = team["anna"], team["chat_id"], team["visitor"], team["tab"]
    _action(platform, anna, chat_id, "assign")
    platform.sender.clear()

    closed = _action(platform, anna, chat_id, "close")

    assert closed.json_body["chat"]["state"] == "closed"
    assert _active(anna) == 0
    assert {"type": "closed", "chat_id": chat_id} in platform.sender.frames_for(tab)

    platform.frame(
        tab, {"action": "rate", "token": visitor.token, "chat_id": chat_id, "rating": "great"}
    )
    chat = platform.get(f"/projects/{anna.project_id}/chats/{chat_id}", anna.auth).json_body
    assert chat["chat"]["rating"] == "great"

    platform.sender.clear()
    platform.frame(
        tab,
        {
            "action": "send",
            "token": visitor.token,
            "chat_id": chat_id,
            "client_id": "new-start",
            "text": "one more thing",
        },
    )
    [ack] = platform.sender.frames_for(tab)
    assert ack["message"]["chat_id"] != chat_id  # a new dialogue
    assert ack["message"]["chat_id"].endswith("-2")


def test_reopening_brings_the_dialogue_back_to_its_operator(platform, team):
    anna, chat_id = team["anna"], team["chat_id"]
    _action(platform, anna, chat_id, "assign")
    _action(platform, anna, chat_id, "close")

    reopened = _action(platform, anna, chat_id, "reopen")

    assert reopened.json_body["chat"]["state"] == "assigned"
    assert _active(anna) == 1


def test_the_visitors_history_says_whether_the_team_closed_the_current_dialogue(platform, team):
    # (The widget's "time with no reply from agent" stops there, even for a tab loaded later.)
    anna, chat_id, visitor, tab = team["anna"], team["chat_id"], team["visitor"], team["tab"]

    def closed():
        history = platform.get("/widget/messages", visitor.auth).json_body
        return history["chat_id"], history["closed"]

    assert closed() == (chat_id, False)
    _action(platform, anna, chat_id, "close")
    assert closed() == (chat_id, True)
    _action(platform, anna, chat_id, "reopen")
    assert closed() == (chat_id, False)
    _action(platform, anna, chat_id, "close")
    # When the visitor writes again, a new dialogue opens: open, the old one forgotten
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "again-0001", "text": "hi"}
    )
    second, is_closed = closed()
    assert second.endswith("-2") and is_closed is False
    assert VisitorModel.get(visitor.project_id, visitor.visitor_id).closed_chats is None
    # An older dialogue closed again (reopened meanwhile) does not close the current one
    _action(platform, anna, chat_id, "reopen")
    _action(platform, anna, chat_id, "close")
    assert closed() == (second, False)


def test_a_history_without_a_dialogue_is_not_closed(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)

    history = platform.get("/widget/messages", visitor.auth).json_body

    assert history == {
        "chat_id": None,
        "messages": [],
        "cursor": None,
        "closed": False,
        "has_older": False,
    }


@pytest.mark.parametrize("rating", ["excellent", None, 5])
def test_only_the_three_ratings_are_accepted(platform, team, rating):
    _action(platform, team["anna"], team["chat_id"], "close")
    platform.sender.clear()
    platform.frame(
        team["tab"],
        {
            "action": "rate",
            "token": team["visitor"].token,
            "chat_id": team["chat_id"],
            "rating": rating,
        },
    )
    [error] = platform.sender.frames_for(team["tab"])
    assert error["code"] == "bad_request"


def test_a_rating_reaches_every_tab_of_the_visitor(platform, team):
    anna, chat_id, visitor = team["anna"], team["chat_id"], team["visitor"]
    other_tab, _ = platform.connect(visitor.token)
    _action(platform, anna, chat_id, "assign")
    _action(platform, anna, chat_id, "close")
    platform.sender.clear()

    platform.frame(
        team["tab"],
        {"action": "rate", "token": visitor.token, "chat_id": chat_id, "rating": "poor"},
    )

    assert {"type": "rated", "chat_id": chat_id, "rating": "poor"} in platform.sender.frames_for(
        other_tab
    )


def test_a_visitors_typing_and_reading_reach_only_those_who_see_the_dialogue(platform, team):
    anna, boris, manager = team["anna"], team["boris"], team["manager"]
    sockets = {
        name: platform.connect(who.token, project=who.project_id)[0]
        for name, who in (("anna", anna), ("boris", boris), ("manager", manager))
    }
    _action(platform, anna, team["chat_id"], "assign")
    platform.sender.clear()
    visitor = team["visitor"]

    platform.frame(
        team["tab"],
        {"action": "typing", "token": visitor.token, "typing": True, "assignee_id": anna.user_id},
    )
    platform.frame(team["tab"], {"action": "read", "token": visitor.token})

    heard = {name: platform.sender.frames_for(socket) for name, socket in sockets.items()}
    assert [f["type"] for f in heard["anna"]] == ["typing", "read"]
    assert [f["type"] for f in heard["manager"]] == ["typing", "read"]
    assert heard["boris"] == []


def test_the_team_cannot_reply_into_a_closed_dialogue_but_a_resend_finds_its_reply(platform, team):
    anna, chat_id = team["anna"], team["chat_id"]
    _action(platform, anna, chat_id, "assign")
    path = f"/projects/{anna.project_id}/chats/{chat_id}/messages"
    before = platform.post(path, {"client_id": "before-close", "text": "bye"}, anna.auth)
    _action(platform, anna, chat_id, "close")

    late = platform.post(path, {"client_id": "after-close", "text": "one more"}, anna.auth)
    resend = platform.post(path, {"client_id": "before-close", "text": "bye"}, anna.auth)

    assert late.status_code == 409
    assert "reopen" in late.json_body["error"]["message"]
    assert resend.status_code == 200
    assert resend.json_body["message"]["id"] == before.json_body["message"]["id"]
    assert ChatModel.get(anna.project_id, chat_id).status == "closed"


def test_a_removed_members_open_dialogues_go_back_to_the_team(platform, team):
    anna, manager, chat_id = team["anna"], team["manager"], team["chat_id"]
    _action(platform, anna, chat_id, "assign")
    boris_socket, _ = platform.connect(team["boris"].token, project=anna.project_id)
    platform.sender.clear()

    removed = platform.client.http.delete(
        f"/projects/{anna.project_id}/members/{anna.user_id}", headers=manager.auth
    )

    assert removed.status_code == 204
    chat = ChatModel.get(anna.project_id, chat_id)
    assert chat.assignee_id is None and chat.status == "open"
    assert chat.waiting_project_id == anna.project_id  # queued for distribution
    frames = platform.sender.frames_for(boris_socket)
    assert any(f["type"] == "chat" and f["chat"]["state"] == "open" for f in frames)


def test_the_team_sees_who_took_gave_closed_and_reopened_and_the_visitor_never_does(platform, team):
    manager, anna, boris, chat_id = team["manager"], team["anna"], team["boris"], team["chat_id"]
    visitor, tab = team["visitor"], team["tab"]
    lead_socket, _ = platform.connect(manager.token, project=manager.project_id)
    platform.sender.clear()

    _action(platform, anna, chat_id, "assign")
    _action(platform, manager, chat_id, "assign", {"user_id": boris.user_id})
    _action(platform, boris, chat_id, "close")
    _action(platform, manager, chat_id, "reopen")
    _action(platform, manager, chat_id, "unassign")

    lines = [
        "Anna took the chat",
        "Mia gave the chat to Boris",
        "Closed by Boris",
        "Reopened by Mia",
        "Mia unassigned Boris",
    ]
    # Live, in the team's chat frames.
    live = [f["message"] for f in platform.sender.frames_for(lead_socket) if "message" in f]
    assert [m["text"] for m in live] == lines
    assert {(m["author_type"], m.get("internal")) for m in live} == {("system", True)}
    # After a reload, in the conversation, in order after the visitor's message.
    path = f"/projects/{manager.project_id}/chats/{chat_id}/messages"
    history = platform.get(path, manager.auth).json_body["messages"]
    assert [m["text"] for m in history] == ["I need help", *lines]
    # Never the visitor's: not in their frames, not in their history.
    visitor_frames = json.dumps(platform.sender.frames_for(tab))
    assert not any(line in visitor_frames for line in lines)
    widget = platform.get("/widget/messages", visitor.auth).json_body["messages"]
    assert [m["text"] for m in widget] == ["I need help"]
    # A line does not move the dialogue in the list nor count as unread.
    chat = platform.get(f"/projects/{manager.project_id}/chats/{chat_id}", manager.auth)
    assert chat.json_body["chat"]["last_message"]["text"] == "I need help"


def test_a_refused_change_writes_no_line(platform, team):
    anna, boris, chat_id = team["anna"], team["boris"], team["chat_id"]
    _action(platform, anna, chat_id, "assign")

    assert _action(platform, boris, chat_id, "assign").status_code == 403
    assert _action(platform, anna, chat_id, "reopen").status_code == 409  # not closed

    path = f"/projects/{anna.project_id}/chats/{chat_id}/messages"
    history = platform.get(path, anna.auth).json_body["messages"]
    assert [m["text"] for m in history] == ["I need help", "Anna took the chat"]
