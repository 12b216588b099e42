"""The project the panel opens: the one the member opened last, kept on the server."""

import json

import pytest


def _open(platform, operator, project_id):
    return platform.client.http.put(
        "/me/last-project", headers=operator.auth, body=json.dumps({"project_id": project_id})
    )


def _me(platform, operator):
    return platform.get("/me", operator.auth).json_body


def test_nothing_is_remembered_before_the_panel_opens_a_project(platform):
    owner = platform.sign_up()
    assert _me(platform, owner)["last_project_id"] is None


def test_the_last_project_opened_is_the_one_me_names(platform):
    owner = platform.sign_up(project_name="Zebra shop")
    second = platform.post("/projects", {"name": "Aardvark shop"}, owner.auth).json_body["project"]

    assert _open(platform, owner, second["id"]).json_body == {"last_project_id": second["id"]}
    assert _me(platform, owner)["last_project_id"] == second["id"]

    assert _open(platform, owner, owner.project_id).status_code == 200
    me = _me(platform, owner)
    assert me["last_project_id"] == owner.project_id
    # The switcher's list still names each project and the member's role in it.
    assert {(p["name"], p["role"]) for p in me["projects"]} == {
        ("Zebra shop", "administrator"),
        ("Aardvark shop", "administrator"),
    }


def test_each_member_has_their_own_last_project(platform):
    owner = platform.sign_up()
    other = platform.post("/projects", {"name": "Other"}, owner.auth).json_body["project"]
    operator = platform.member(owner, "operator")

    _open(platform, owner, other["id"])
    _open(platform, operator, owner.project_id)

    assert _me(platform, owner)["last_project_id"] == other["id"]
    assert _me(platform, operator)["last_project_id"] == owner.project_id


def test_another_tenants_project_is_refused_and_nothing_changes(platform):
    owner = platform.sign_up()
    stranger = platform.sign_up()
    _open(platform, owner, owner.project_id)

    refused = _open(platform, owner, stranger.project_id)

    assert refused.status_code == 403
    assert _me(platform, owner)["last_project_id"] == owner.project_id
    # No membership was made up for the stranger's project either.
    assert [p["id"] for p in _me(platform, owner)["projects"]] == [owner.project_id]


@pytest.mark.parametrize("project_id", [None, "", 42, "p_" + "a" * 80, ["p_1"]])
def test_a_bad_project_id_is_a_400(platform, project_id):
    owner = platform.sign_up()
    response = _open(platform, owner, project_id)
    assert response.status_code == 400
    assert _me(platform, owner)["last_project_id"] is None


def test_a_removed_member_cannot_set_it(platform):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    removed = platform.client.http.delete(
        f"/projects/{owner.project_id}/members/{operator.user_id}", headers=owner.auth
    )
    assert removed.status_code == 204

    assert _open(platform, operator, owner.project_id).status_code == 403
