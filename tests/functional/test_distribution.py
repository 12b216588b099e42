"""Automatic distribution: modes, the per-member limit, the waiting queue, status."""

import json

import pytest

from chalicelib.models.chat import ChatModel
from chalicelib.models.project import MemberModel


def _settings(platform, owner, **settings):
    response = platform.client.http.patch(
        f"/projects/{owner.project_id}", body=json.dumps(settings), headers=owner.auth
    )
    assert response.status_code == 200, response.json_body


def _new_dialogue(platform, owner, n):
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab,
        {
            "action": "send",
            "token": visitor.token,
            "client_id": f"dist-{n:05d}",
            "text": f"question {n}",
        },
    )
    ack = platform.sender.frames_for(tab)[0]
    return ack["message"]["chat_id"], tab


def _assignee(owner, chat_id):
    return ChatModel.get(owner.project_id, chat_id).assignee_id


@pytest.fixture
def desk(platform):
    owner = platform.sign_up()
    anna = platform.member(owner, "operator", name="Anna")
    boris = platform.member(owner, "operator", name="Boris")
    return owner, anna, boris


def _online(platform, *members):
    for member in members:
        _, result = platform.connect(member.token, project=member.project_id)
        assert result["statusCode"] == 200


def test_manual_projects_leave_dialogues_unassigned(platform, desk):
    owner, anna, boris = desk
    _online(platform, anna, boris)
    chat_id, _ = _new_dialogue(platform, owner, 1)
    assert _assignee(owner, chat_id) is None


def test_round_robin_takes_turns_among_online_members(platform, desk):
    owner, anna, boris = desk
    _settings(platform, owner, distribution="round_robin")
    _online(platform, anna, boris)

    got = [_assignee(owner, _new_dialogue(platform, owner, n)[0]) for n in range(4)]

    assert set(got) == {anna.user_id, boris.user_id}
    assert got[0] != got[1] and got[0] == got[2] and got[1] == got[3]


def test_least_busy_picks_whoever_has_fewest(platform, desk):
    owner, anna, boris = desk
    _settings(platform, owner, distribution="least_busy")
    _online(platform, anna)
    first, _ = _new_dialogue(platform, owner, 1)
    assert _assignee(owner, first) == anna.user_id
    _online(platform, boris)
    second, _ = _new_dialogue(platform, owner, 2)
    assert _assignee(owner, second) == boris.user_id


def test_a_full_team_queues_and_a_freed_slot_takes_the_oldest(platform, desk, sender):
    owner, anna, boris = desk
    _settings(platform, owner, distribution="least_busy", max_active_chats=1)
    _online(platform, anna)
    first, _ = _new_dialogue(platform, owner, 1)
    second, second_tab = _new_dialogue(platform, owner, 2)
    third, _ = _new_dialogue(platform, owner, 3)
    assert (_assignee(owner, first), _assignee(owner, second), _assignee(owner, third)) == (
        anna.user_id,
        None,
        None,
    )

    platform.post(f"/projects/{owner.project_id}/chats/{first}/close", {}, anna.auth)

    assert _assignee(owner, second) == anna.user_id  # the oldest waiting one
    assert _assignee(owner, third) is None
    assert MemberModel.get(owner.project_id, anna.user_id).active_chats == 1
    assert {
        "type": "assigned",
        "chat_id": second,
        "assignee": {"id": anna.user_id, "name": "Anna"},
    } in sender.frames_for(second_tab)


def test_someone_coming_online_takes_from_the_queue(platform, desk):
    owner, anna, boris = desk
    _settings(platform, owner, distribution="round_robin")
    waiting, _ = _new_dialogue(platform, owner, 1)
    assert _assignee(owner, waiting) is None

    _online(platform, boris)

    assert _assignee(owner, waiting) == boris.user_id


def test_away_and_offline_members_get_nothing_and_the_last_tab_closing_is_offline(platform, desk):
    owner, anna, boris = desk
    _settings(platform, owner, distribution="least_busy")
    socket, _ = platform.connect(anna.token, project=owner.project_id)
    away = platform.client.http.put(
        f"/projects/{owner.project_id}/status", body='{"status": "away"}', headers=anna.auth
    )
    assert away.json_body["member"]["status"] == "away"
    chat_id, _ = _new_dialogue(platform, owner, 1)
    assert _assignee(owner, chat_id) is None

    back = platform.client.http.put(
        f"/projects/{owner.project_id}/status", body='{"status": "online"}', headers=anna.auth
    )
    assert back.status_code == 200
    assert _assignee(owner, chat_id) == anna.user_id

    platform.disconnect(socket)
    gone = MemberModel.get(owner.project_id, anna.user_id)
    assert gone.presence == "offline"
    later_chat, _ = _new_dialogue(platform, owner, 2)
    assert _assignee(owner, later_chat) is None  # nobody with a panel open


def test_a_reload_keeps_the_status_the_member_chose(platform, desk):
    owner, anna, _ = desk
    first, _ = platform.connect(anna.token, project=owner.project_id)
    platform.client.http.put(
        f"/projects/{owner.project_id}/status", body='{"status": "away"}', headers=anna.auth
    )

    platform.disconnect(first)  # the old tab goes...
    platform.connect(anna.token, project=owner.project_id)  # ...and the reloaded one comes

    member = MemberModel.get(owner.project_id, anna.user_id)
    assert (member.status, member.presence) == ("away", "online")


@pytest.mark.parametrize(
    "body", ['{"distribution": "random"}', '{"max_active_chats": 0}', '{"max_active_chats": "3"}']
)
def test_bad_distribution_settings_are_400(platform, desk, body):
    owner, *_ = desk
    assert (
        platform.client.http.patch(
            f"/projects/{owner.project_id}", body=body, headers=owner.auth
        ).status_code
        == 400
    )


def test_a_bad_status_is_400(platform, desk):
    owner, anna, _ = desk
    assert (
        platform.client.http.put(
            f"/projects/{owner.project_id}/status", body='{"status": "busy"}', headers=anna.auth
        ).status_code
        == 400
    )


def test_racing_distribution_events_never_overshoot_the_limit(
    platform, desk, sender, eager_thread_switching
):
    import concurrent.futures

    from chalicelib.realtime.fanout import Fanout
    from chalicelib.services import distribution

    owner, anna, boris = desk
    waiting = [_new_dialogue(platform, owner, n)[0] for n in range(6)]  # manual: all wait
    _online(platform, anna)
    _settings(platform, owner, distribution="least_busy", max_active_chats=2)
    fanout = Fanout(sender)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: distribution.distribute(owner.project_id, fanout), range(6)))

    assigned = [c for c in waiting if _assignee(owner, c) == anna.user_id]
    assert len(assigned) == 2
    assert MemberModel.get(owner.project_id, anna.user_id).active_chats == 2


def test_a_dialogue_given_back_is_not_handed_straight_back_to_the_same_member(platform, desk):
    owner, anna, boris = desk
    _online(platform, anna)
    _settings(platform, owner, distribution="round_robin", max_active_chats=5)
    chat_id, _ = _new_dialogue(platform, owner, 1)
    assert _assignee(owner, chat_id) == anna.user_id

    given_back = platform.post(
        f"/projects/{owner.project_id}/chats/{chat_id}/unassign", {}, anna.auth
    )

    assert given_back.status_code == 200
    assert _assignee(owner, chat_id) is None  # waits: Anna gave it up
    _online(platform, boris)
    assert _assignee(owner, chat_id) == boris.user_id
