"""Availability (issue 13): business hours and the away message through the API, the
widget's three states in its session answer, distribution outside hours, and the away
message sent once per chat, never after an auto message's opening."""

import json
import pathlib
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.models.chat import ChatModel
from chalicelib.models.project import ProjectModel

AWAY = "We're away right now: leave a message and we'll reply here soon."


def _every_day(start: str, end: str) -> dict:
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {day: [{"start": start, "end": end}] for day in days}


def _hours_from_now(first: int, last: int) -> tuple[dict, datetime]:
    """A UTC schedule open every day from the hour ``first`` hours from now to ``last``
    hours from now, and the instant it opens next (when ``first`` > 0)."""
    now = datetime.now(UTC)
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=first)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=last)
    hours = {"time_zone": "UTC", "weekly": _every_day(f"{start:%H:00}", f"{end:%H:00}")}
    return hours, start


CLOSED_NOW, OPENS_AT = _hours_from_now(2, 4)
OPEN_NOW = {"time_zone": "UTC", "weekly": _every_day("00:00", "24:00")}


def _put(platform, who, body):
    return platform.client.http.put(
        f"/projects/{who.project_id}/business-hours", body=json.dumps(body), headers=who.auth
    )


def _get(platform, who):
    response = platform.get(f"/projects/{who.project_id}/business-hours", who.auth)
    assert response.status_code == 200, response.json_body
    return response.json_body


def _session(platform, owner):
    response = platform.post(
        "/widget/session", {"project_id": owner.project_id, "page_url": "https://shop.example/"}
    )
    assert response.status_code == 200, response.json_body
    return response.json_body["availability"]


def _first_message(platform, owner, text="Hello?", client_id="avail-0001", extra=None):
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    frame = {"action": "send", "token": visitor.token, "client_id": client_id, "text": text}
    platform.frame(tab, {**frame, **(extra or {})})
    return visitor, tab, frame


def _chat_texts(platform, visitor):
    response = platform.get("/widget/messages", visitor.auth)
    return [(m["author_id"], m["text"]) for m in response.json_body["messages"]]


@pytest.fixture
def owner(platform):
    return platform.sign_up(project_name="Night shop")


def test_a_project_starts_always_open_with_no_away_message(platform, owner):
    got = _get(platform, owner)
    assert got["business_hours"] is None and got["away_message"] is None
    assert got["now"] == {
        "state": "away",  # nobody has the panel open
        "open": True,
        "closes_at": None,
        "opens_at": None,
        "label": "Always open (no business hours set)",
    }
    # No replies by e-mail here (no inbound domain): the widget asks for no address.
    assert _session(platform, owner) == {
        "state": "away",
        "closes_at": None,
        "opens_at": None,
        "email_replies": False,
    }


def test_the_widget_asks_for_an_address_only_where_replies_go_by_email(
    platform, owner, monkeypatch
):
    from chalicelib.config import get_settings

    assert get_settings().mail_from  # the tests' SES sender
    monkeypatch.setenv("MAIL_TOKEN_SECRET", "k" * 32)
    get_settings.cache_clear()
    assert _session(platform, owner)["email_replies"] is False  # nowhere to reply to
    monkeypatch.setenv("INBOUND_MAIL_DOMAIN", "reply.example.com")
    get_settings.cache_clear()
    assert _session(platform, owner)["email_replies"] is True
    monkeypatch.delenv("MAIL_FROM")
    get_settings.cache_clear()
    assert _session(platform, owner)["email_replies"] is False  # no sender
    get_settings.cache_clear()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_leads_set_hours_and_the_preview_says_when_it_opens(platform, owner):
    manager = platform.member(owner, "manager")
    saved = _put(platform, manager, {"business_hours": CLOSED_NOW, "away_message": f"  {AWAY} "})
    assert saved.status_code == 200, saved.json_body
    body = saved.json_body
    assert body["business_hours"]["time_zone"] == "UTC"
    assert body["business_hours"]["exceptions"] == []
    assert body["away_message"] == AWAY
    assert body["now"]["open"] is False and body["now"]["state"] == "offline"
    assert body["now"]["opens_at"] == OPENS_AT.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    when = "at" if OPENS_AT.date() == datetime.now(UTC).date() else "tomorrow"
    assert body["now"]["label"] == f"Closed \u00b7 opens {when} {OPENS_AT:%H}:00"
    assert _get(platform, owner) == body  # what the GET says too
    assert _session(platform, owner) == {
        "state": "offline",
        "closes_at": None,
        "opens_at": body["now"]["opens_at"],
        "email_replies": False,
    }
    # Back to always open, the message removed
    cleared = _put(platform, owner, {"business_hours": None, "away_message": ""})
    assert cleared.json_body["business_hours"] is None and cleared.json_body["away_message"] is None


def test_open_now_says_when_it_closes(platform, owner):
    hours, _ = _hours_from_now(-1, 2)
    body = _put(platform, owner, {"business_hours": hours}).json_body
    closes = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    assert body["now"]["open"] is True
    assert body["now"]["closes_at"] == closes.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert body["now"]["label"].startswith("Open now \u00b7 closes ")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "give 'business_hours'"),
        ({"business_hours": {"time_zone": "Nowhere/City"}}, "IANA time zone"),
        (
            {
                "business_hours": {
                    "time_zone": "UTC",
                    "weekly": {"mon": [{"start": "9", "end": "5"}]},
                }
            },
            "HH:MM",
        ),  # fmt: skip
        (
            {
                "business_hours": {
                    "time_zone": "UTC",
                    "weekly": {
                        "mon": [
                            {"start": "09:00", "end": "12:00"},
                            {"start": "11:00", "end": "13:00"},
                        ]
                    },
                }
            },
            "ranges overlap",
        ),  # fmt: skip
        ({"business_hours": "always"}, "must be an object or null"),
        ({"away_message": 5}, "must be text up to 1000"),
        ({"away_message": "x" * 1001}, "up to 1000"),
        ({"away_message": "ok", "colour": "red"}, "unknown fields: colour"),
        # One bad field: nothing is written, the good one neither.
        ({"away_message": "fine", "business_hours": {"time_zone": "Mars"}}, "IANA"),
    ],
)
def test_bad_input_is_a_clear_400_and_changes_nothing(platform, owner, body, says):
    before = _get(platform, owner)
    refused = _put(platform, owner, body)
    assert refused.status_code == 400, refused.json_body
    assert says.lower() in refused.json_body["error"]["message"].lower()
    assert _get(platform, owner) == before


def test_an_operator_may_read_but_not_change_the_hours(platform, owner):
    operator = platform.member(owner, "operator")
    assert _put(platform, operator, {"away_message": "x"}).status_code == 403
    assert _get(platform, operator)["business_hours"] is None


def test_the_widget_is_online_only_while_a_member_who_may_take_chats_is_there(platform, owner):
    assert _put(platform, owner, {"business_hours": OPEN_NOW}).status_code == 200
    assert _session(platform, owner)["state"] == "away"
    panel, _ = platform.connect(owner.token, project=owner.project_id)
    assert _session(platform, owner)["state"] == "online"
    # Their status "away": nobody to take a chat
    status = platform.client.http.put(
        f"/projects/{owner.project_id}/status", body=json.dumps({"status": "away"}),
        headers=owner.auth)  # fmt: skip
    assert status.status_code == 200
    assert _session(platform, owner)["state"] == "away"
    platform.client.http.put(
        f"/projects/{owner.project_id}/status", body=json.dumps({"status": "online"}),
        headers=owner.auth)  # fmt: skip
    assert _session(platform, owner)["state"] == "online"
    # The last panel tab closes
    platform.disconnect(panel)
    assert _session(platform, owner)["state"] == "away"
    # Outside hours the team being there does not matter: offline
    platform.connect(owner.token, project=owner.project_id)
    _put(platform, owner, {"business_hours": CLOSED_NOW})
    assert _session(platform, owner)["state"] == "offline"


def test_a_removed_member_is_no_longer_online(platform, owner):
    operator = platform.member(owner, "operator")
    platform.connect(operator.token, project=owner.project_id)
    assert _session(platform, owner)["state"] == "online"
    removed = platform.client.http.delete(
        f"/projects/{owner.project_id}/members/{operator.user_id}", headers=owner.auth
    )
    assert removed.status_code == 204
    assert _session(platform, owner)["state"] == "away"


def test_distribution_mends_a_wrong_online_list(platform, owner):
    ProjectModel(owner.project_id).update(
        actions=[ProjectModel.available_members.add({"ghost"})]
    )  # a member long gone, left by a lost write
    assert _session(platform, owner)["state"] == "online"
    platform.client.http.patch(
        f"/projects/{owner.project_id}", body=json.dumps({"distribution": "least_busy"}),
        headers=owner.auth)  # fmt: skip
    _first_message(platform, owner)  # distribution reads the team, consistently
    assert _session(platform, owner)["state"] == "away"


def test_the_away_message_is_sent_once_when_a_chat_starts_while_away(platform, owner):
    _put(platform, owner, {"away_message": AWAY})
    visitor, tab, frame = _first_message(platform, owner)
    sent = platform.sender.frames_for(tab)
    assert [f["type"] for f in sent] == ["ack", "message"]
    away = sent[1]["message"]
    assert (away["author_type"], away["author_id"], away["text"]) == ("operator", "away", AWAY)
    assert away["author_name"] == "Night shop"
    assert away["id"] > sent[0]["message"]["id"]  # after the visitor's words
    # The resend of the same message, and a second message: no second away message
    platform.frame(tab, frame)
    platform.frame(tab, {**frame, "client_id": "avail-0002", "text": "Anyone?"})
    texts = _chat_texts(platform, visitor)
    assert texts.count(("away", AWAY)) == 1
    assert [t for _, t in texts] == ["Hello?", AWAY, "Anyone?"]
    # The team's list keeps the visitor's question as the chat's last words
    chat = ChatModel.get(owner.project_id, away["chat_id"])
    assert chat.last_message.text == "Anyone?"
    assert chat.unanswered_key is not None  # an away message is no reply


def test_the_away_message_goes_outside_hours_too_but_not_while_online(platform, owner):
    _put(platform, owner, {"away_message": AWAY, "business_hours": CLOSED_NOW})
    visitor, _, _ = _first_message(platform, owner)
    assert ("away", AWAY) in _chat_texts(platform, visitor)
    _put(platform, owner, {"business_hours": OPEN_NOW})
    platform.connect(owner.token, project=owner.project_id)
    visitor, _, _ = _first_message(platform, owner, client_id="avail-0003")
    assert [a for a, _ in _chat_texts(platform, visitor)] == [visitor.visitor_id]


def test_no_away_message_on_top_of_an_auto_messages_opening(platform, owner):
    _put(platform, owner, {"away_message": AWAY})
    created = platform.post(
        f"/projects/{owner.project_id}/auto-messages",
        {"name": "Hi", "type": "proactive", "content": {"text": "Need a hand?"}},
        owner.auth,
    ).json_body["auto_message"]["id"]
    visitor, _, _ = _first_message(platform, owner, extra={"auto_message_id": created})
    assert [t for _, t in _chat_texts(platform, visitor)] == ["Need a hand?", "Hello?"]


def test_nobody_is_handed_a_chat_outside_hours_and_the_visitor_hears_their_place(platform, owner):
    platform.client.http.patch(
        f"/projects/{owner.project_id}", body=json.dumps({"distribution": "round_robin"}),
        headers=owner.auth)  # fmt: skip
    platform.connect(owner.token, project=owner.project_id)
    _put(platform, owner, {"business_hours": CLOSED_NOW})
    _, first, _ = _first_message(platform, owner)
    _, second, _ = _first_message(platform, owner, client_id="avail-0004")
    queued = [f for f in platform.sender.frames_for(second) if f["type"] == "queue"]
    assert [f["position"] for f in queued] == [2]
    chats = list(ChatModel.waiting.query(owner.project_id))
    assert len(chats) == 2  # both wait, unassigned
    # Within hours the next message hands out the queue, oldest first
    _put(platform, owner, {"business_hours": OPEN_NOW})
    _first_message(platform, owner, client_id="avail-0005")
    assert list(ChatModel.waiting.query(owner.project_id)) == []
    assert any(f["type"] == "assigned" for f in platform.sender.frames_for(first))


def test_when_the_hours_open_the_clock_hands_out_the_chats_that_waited(platform, owner):
    from chalicelib import deps
    from chalicelib.services import hours_opening

    platform.client.http.patch(
        f"/projects/{owner.project_id}", body=json.dumps({"distribution": "least_busy"}),
        headers=owner.auth)  # fmt: skip
    platform.connect(owner.token, project=owner.project_id)  # online all night
    _put(platform, owner, {"business_hours": CLOSED_NOW})
    project = ProjectModel.get(owner.project_id)
    assert project.opens_next_key == OPENS_AT.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    _, tab, _ = _first_message(platform, owner)
    assert len(list(ChatModel.waiting.query(owner.project_id))) == 1

    # Before the opening the run finds nothing; at it, the chat is handed out, once
    before = hours_opening.run(OPENS_AT - timedelta(minutes=1), deps.fanout())
    assert before == {"examined": 0, "opened": 0, "assigned": 0}
    at = OPENS_AT + timedelta(seconds=30)
    assert hours_opening.run(at, deps.fanout()) == {"examined": 1, "opened": 1, "assigned": 1}
    assert list(ChatModel.waiting.query(owner.project_id)) == []
    assert any(f["type"] == "assigned" for f in platform.sender.frames_for(tab))
    # The key moved on to the next day's opening: a rerun finds nothing due
    assert ProjectModel.get(owner.project_id).opens_next_key == (
        OPENS_AT + timedelta(days=1)
    ).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert hours_opening.run(at, deps.fanout())["examined"] == 0
    # No hours: out of the index
    _put(platform, owner, {"business_hours": None})
    assert ProjectModel.get(owner.project_id).opens_next_key is None


@pytest.fixture
def clock_app(aws):
    """The clock app, as tests/functional/test_scheduled.py loads it."""
    import importlib.util

    from chalice.test import Client

    root = pathlib.Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("scheduled_app", root / "scheduled" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with Client(module.app, project_dir=str(root / "scheduled")) as client:
        yield client, root


def test_the_clock_app_runs_the_opening_job(clock_app):
    client, root = clock_app
    event = json.loads((root / "tests" / "events" / "scheduled.json").read_text())
    result = client.lambda_.invoke("open_business_hours", event).payload
    assert result == {"examined": 0, "opened": 0, "assigned": 0}


def test_two_panel_tabs_the_member_stays_online_until_the_last_closes(platform, owner):
    hours, _ = _hours_from_now(-1, 2)
    _put(platform, owner, {"business_hours": hours})
    first, _ = platform.connect(owner.token, project=owner.project_id)
    second, _ = platform.connect(owner.token, project=owner.project_id)
    shown = _session(platform, owner)
    assert shown["state"] == "online" and shown["closes_at"] is not None
    assert shown["opens_at"] > shown["closes_at"]  # the next day's opening, for later
    platform.disconnect(first)
    assert _session(platform, owner)["state"] == "online"
    platform.disconnect(second)
    assert _session(platform, owner)["state"] == "away"
