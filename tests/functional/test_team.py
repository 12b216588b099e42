"""Projects and teams: several projects per account, invitations, roles, removal."""

import pytest

from chalicelib.models.connection import ConnectionModel


def test_an_invited_member_sets_a_password_and_sees_the_project(platform):
    owner = platform.sign_up(project_name="Shop")
    operator = platform.member(owner, "operator", name="Ivan")

    me = platform.get("/me", operator.auth).json_body
    assert me["projects"] == [
        {"id": owner.project_id, "name": "Shop", "role": "operator", "chat_admin": False}
    ]
    members = platform.get(f"/projects/{owner.project_id}/members", operator.auth).json_body
    assert sorted(m["role"] for m in members["members"]) == ["administrator", "operator"]


def test_an_existing_account_is_added_without_a_new_password(platform):
    owner = platform.sign_up(project_name="Shop")
    elsewhere = platform.sign_up(project_name="Own site")
    response = platform.post(
        f"/projects/{owner.project_id}/members",
        {"email": elsewhere.email, "name": "E", "role": "manager"},
        owner.auth,
    )
    assert response.status_code == 201
    assert "temporary_password" not in response.json_body
    projects = platform.get("/me", elsewhere.auth).json_body["projects"]
    assert {p["name"] for p in projects} == {"Shop", "Own site"}


def test_one_account_holds_several_projects(platform):
    owner = platform.sign_up(project_name="First")
    created = platform.post("/projects", {"name": "Second"}, owner.auth)
    assert created.status_code == 201
    names = [p["name"] for p in platform.get("/me", owner.auth).json_body["projects"]]
    assert sorted(names) == ["First", "Second"]


@pytest.mark.parametrize(
    "inviter_role, role, status",
    [
        ("manager", "operator", 201),
        ("manager", "manager", 201),
        ("operator", "operator", 403),
        ("manager", "administrator", 400),
    ],
)
def test_who_may_invite_whom(platform, inviter_role, role, status):
    owner = platform.sign_up()
    inviter = platform.member(owner, inviter_role)
    response = platform.post(
        f"/projects/{owner.project_id}/members",
        {"email": "new@example.com", "name": "N", "role": role},
        inviter.auth,
    )
    assert response.status_code == status


def test_inviting_a_member_twice_is_a_conflict(platform):
    owner = platform.sign_up()
    body = {"email": "twice@example.com", "name": "T", "role": "operator"}
    assert (
        platform.post(f"/projects/{owner.project_id}/members", body, owner.auth).status_code == 201
    )
    assert (
        platform.post(f"/projects/{owner.project_id}/members", body, owner.auth).status_code == 409
    )


def test_roles_and_the_chat_administrator_right_can_change(platform):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    path = f"/projects/{owner.project_id}/members/{operator.user_id}"
    response = platform.client.http.patch(
        path, body='{"role": "manager", "chat_admin": true}', headers=owner.auth
    )
    assert response.status_code == 200
    assert response.json_body["member"]["role"] == "manager"
    assert response.json_body["member"]["chat_admin"] is True


def test_nobody_can_demote_or_remove_the_administrator(platform):
    owner = platform.sign_up()
    manager = platform.member(owner, "manager")
    path = f"/projects/{owner.project_id}/members/{owner.user_id}"
    demote = platform.client.http.patch(path, body='{"role": "operator"}', headers=manager.auth)
    remove = platform.client.http.delete(path, headers=manager.auth)
    assert demote.status_code == 403 and remove.status_code == 403


def test_a_removed_member_stops_receiving_at_once_and_is_refused(platform, sender):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    socket, result = platform.connect(operator.token, project=owner.project_id)
    assert result["statusCode"] == 200

    removed = platform.client.http.delete(
        f"/projects/{owner.project_id}/members/{operator.user_id}", headers=owner.auth
    )

    assert removed.status_code == 204
    assert sender.closed == [socket]
    assert [r for r in ConnectionModel.scan() if r.connection_id == socket] == []
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "after-rm1", "text": "hello"}
    )
    assert sender.frames_for(socket) == []
    assert platform.get(f"/projects/{owner.project_id}/chats", operator.auth).status_code == 403


def test_only_the_administrator_switches_chats_off_and_the_widget_then_stays_hidden(platform):
    owner = platform.sign_up()
    manager = platform.member(owner, "manager")
    path = f"/projects/{owner.project_id}"
    by_manager = platform.client.http.patch(
        path, body='{"chats_enabled": false}', headers=manager.auth
    )
    by_owner = platform.client.http.patch(path, body='{"chats_enabled": false}', headers=owner.auth)
    assert by_manager.status_code == 403 and by_owner.status_code == 200

    session = platform.post("/widget/session", {"project_id": owner.project_id})
    assert session.status_code == 423
    assert session.json_body["error"]["code"] == "unavailable"
    view = platform.get(path, manager.auth).json_body["project"]
    assert view["chats_enabled"] is False


def test_renaming_a_project_renames_it_for_the_whole_team(platform):
    owner = platform.sign_up(project_name="Old")
    manager = platform.member(owner, "manager")
    response = platform.client.http.patch(
        f"/projects/{owner.project_id}", body='{"name": "New"}', headers=manager.auth
    )
    assert response.status_code == 200
    assert platform.get("/me", owner.auth).json_body["projects"][0]["name"] == "New"
