"""The widget's look set in the panel (PATCH /projects/{id}) and sent with each session."""

import json

import pytest

SITE = "https://shop.example"


def _patch(platform, operator, body):
    return platform.client.http.patch(
        f"/projects/{operator.project_id}", headers=operator.auth, body=json.dumps(body)
    )


def _owner(platform):
    """An administrator whose project runs on SITE (widget calls check their origin)."""
    owner = platform.sign_up()
    assert _patch(platform, owner, {"allowed_domains": ["shop.example"]}).status_code == 200
    return owner


def _session_look(platform, project_id):
    response = platform.post(
        "/widget/session",
        {"project_id": project_id, "page_url": f"{SITE}/"},
        headers={"Origin": SITE},
    )
    assert response.status_code == 200, response.json_body
    return response.json_body["look"]


def test_a_new_project_has_the_widgets_default_look(platform):
    owner = _owner(platform)
    project = platform.get(f"/projects/{owner.project_id}", owner.auth).json_body["project"]

    assert (project["widget_color"], project["widget_title"], project["widget_greeting"]) == (
        None,
        None,
        None,
    )
    assert _session_look(platform, owner.project_id) == {}


def test_the_look_set_by_a_lead_is_stored_normalised_and_sent_with_the_session(platform):
    owner = _owner(platform)
    look = {"widget_color": "#0F766E", "widget_title": "  Ask Nora  ", "widget_greeting": "Hej!"}

    response = _patch(platform, owner, look)

    assert response.status_code == 200, response.json_body
    project = response.json_body["project"]
    assert project["widget_color"] == "#0f766e"
    assert project["widget_title"] == "Ask Nora"
    assert _session_look(platform, owner.project_id) == {
        "color": "#0f766e",
        "title": "Ask Nora",
        "greeting": "Hej!",
    }


def test_null_or_empty_puts_a_field_back_to_the_default(platform):
    owner = _owner(platform)
    _patch(platform, owner, {"widget_color": "#112233", "widget_title": "Help"})

    response = _patch(platform, owner, {"widget_color": None, "widget_title": " "})

    assert response.json_body["project"]["widget_color"] is None
    assert response.json_body["project"]["widget_title"] is None
    assert _session_look(platform, owner.project_id) == {}


@pytest.mark.parametrize(
    "body, paths",
    [
        ({"widget_color": "red"}, ["widget_color"]),
        ({"widget_color": "#12345"}, ["widget_color"]),
        ({"widget_color": "#1234567"}, ["widget_color"]),
        ({"widget_color": 123}, ["widget_color"]),
        ({"widget_title": "x" * 41}, ["widget_title"]),
        ({"widget_title": "two\nlines"}, ["widget_title"]),
        ({"widget_greeting": "y" * 201}, ["widget_greeting"]),
        (
            {"widget_color": "blue", "widget_greeting": "z" * 300},
            ["widget_color", "widget_greeting"],
        ),
        # One good field beside a bad one: neither is written.
        ({"widget_title": "Fine", "widget_color": "#zzzzzz"}, ["widget_color"]),
    ],
)
def test_a_bad_look_is_a_400_naming_each_field_and_changes_nothing(platform, body, paths):
    owner = _owner(platform)
    _patch(platform, owner, {"widget_color": "#abcdef", "widget_title": "Before"})

    response = _patch(platform, owner, body)

    assert response.status_code == 400
    assert [e["path"] for e in response.json_body["error"]["errors"]] == paths
    assert _session_look(platform, owner.project_id) == {"color": "#abcdef", "title": "Before"}


def test_titles_and_greetings_at_their_limits_are_accepted(platform):
    owner = _owner(platform)
    response = _patch(platform, owner, {"widget_title": "t" * 40, "widget_greeting": "g" * 200})
    assert response.status_code == 200
    assert _session_look(platform, owner.project_id) == {"title": "t" * 40, "greeting": "g" * 200}


def test_operators_cannot_change_the_look(platform):
    owner = _owner(platform)
    operator = platform.member(owner, "operator")
    manager = platform.member(owner, "manager")

    refused = _patch(platform, operator, {"widget_color": "#000000"})
    allowed = _patch(platform, manager, {"widget_color": "#111111"})

    assert refused.status_code == 403
    assert allowed.status_code == 200
    assert _session_look(platform, owner.project_id) == {"color": "#111111"}
