"""The widget's heartbeat cadence: long (90 s) while nobody on the team looks at the
Visitors list, short (15 s) while someone does, so a proactive chat reaches a visitor
whose widget has no socket within seconds of "Start chat" (services/heartbeat_cadence.py).

The list read marks the project watched (at most one write per ~15-20 s however many
polls); the heartbeat learns it from a per-container memory, so it stays one UpdateItem.
"""

from datetime import timedelta

import pytest

from bench.dynamo_calls import install
from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.models.project import MemberModel
from chalicelib.services import online_visitors, visitors

CALLS = install()  # DynamoDB requests, by operation (botocore hook)
LONG, SHORT, FIRST = 90, 15, 10


@pytest.fixture
def shop(platform):
    return platform.sign_up()


def _page_view(platform, shop, token=None):
    body = {"project_id": shop.project_id, "page_view": True, "new_visit": token is None}
    if token:
        body["token"] = token
    response = platform.post("/widget/session", body)
    assert response.status_code == 200, response.json_body
    return response.json_body


def _beat(platform, token):
    response = platform.post("/widget/heartbeat", {"token": token})
    assert response.status_code == 200, response.json_body
    return response.json_body


def _counted_visitor(platform, shop):
    """A new visitor's page view and the first beat that counts them: their token."""
    session = _page_view(platform, shop)
    assert session["beat"] == FIRST  # a new visitor's first beat counts them
    counted = _beat(platform, session["token"])
    return session["visitor_id"], counted["token"], counted


def _look_at_visitors(platform, shop):
    listed = platform.get(f"/projects/{shop.project_id}/visitors/online", shop.auth)
    assert listed.status_code == 200, listed.json_body
    return listed.json_body


def _member(shop):
    return MemberModel.get(shop.project_id, shop.user_id)


def _identity(token):
    return deps.visitor_tokens().verify(token)


def test_the_beat_is_long_while_nobody_watches_the_visitors_list(platform, shop):
    _, token, counting = _counted_visitor(platform, shop)

    assert counting["beat"] == LONG
    assert _beat(platform, token)["beat"] == LONG
    assert _page_view(platform, shop, token)["beat"] == LONG


def test_a_look_at_the_visitors_list_shortens_the_beat_and_then_it_lengthens_again(platform, shop):
    _, token, _ = _counted_visitor(platform, shop)

    _look_at_visitors(platform, shop)

    assert _beat(platform, token)["beat"] == SHORT
    assert _page_view(platform, shop, token)["beat"] == SHORT  # a page view is told too
    # Nobody has read the list for longer than the window (30 s): long again.
    later = utcnow() + timedelta(seconds=31 + SHORT)
    assert online_visitors.heartbeat(_identity(token), later)["beat"] == LONG


def test_polls_of_the_list_within_the_window_mark_the_project_at_most_once(platform, shop):
    member = _member(shop)
    start = utcnow()
    CALLS.clear()

    for seconds in (0, 5, 10):  # the panel polls every 10 s; two tabs poll out of step
        online_visitors.list_online(member, start + timedelta(seconds=seconds))

    assert CALLS["UpdateItem"] == 1
    # Half the window left: the next poll extends it, so the beat never falls back to
    # long between two polls.
    online_visitors.list_online(member, start + timedelta(seconds=20))
    assert CALLS["UpdateItem"] == 2


def test_a_heartbeat_stays_one_dynamodb_request_in_steady_state(platform, shop):
    _, token, _ = _counted_visitor(platform, shop)
    identity = _identity(token)
    start = utcnow()

    # Nobody watching: the container remembers that for a short while.
    online_visitors.heartbeat(identity, start)
    CALLS.clear()
    assert online_visitors.heartbeat(identity, start + timedelta(seconds=5))["beat"] == LONG
    assert dict(CALLS) == {"UpdateItem": 1}

    # Watched: the list's poll every 10 s, the beat every 15 s, for a minute.
    member = _member(shop)
    beats = []
    for second in range(20, 80):
        now = start + timedelta(seconds=second)
        if second % 10 == 0:
            online_visitors.list_online(member, now)
        if second % SHORT == 0:
            CALLS.clear()
            beats.append((online_visitors.heartbeat(identity, now)["beat"], dict(CALLS)))

    assert beats == [(SHORT, {"UpdateItem": 1})] * 4


def test_a_cold_container_reads_the_projects_mark_once(platform, shop):
    _, token, _ = _counted_visitor(platform, shop)
    identity = _identity(token)
    later = utcnow() + timedelta(minutes=5)  # the container's memory is stale by now

    CALLS.clear()
    online_visitors.heartbeat(identity, later)
    assert dict(CALLS) == {"UpdateItem": 1, "GetItem": 1}
    CALLS.clear()
    online_visitors.heartbeat(identity, later + timedelta(seconds=1))
    assert dict(CALLS) == {"UpdateItem": 1}


def test_the_operator_is_told_how_soon_the_chat_reaches_a_widget_without_a_socket(platform, shop):
    # A visitor whose widget beat before the team looked: their next beat is 90 s away.
    visitor_id, token, _ = _counted_visitor(platform, shop)
    path = f"/projects/{shop.project_id}/visitors/{visitor_id}/chats"

    started = platform.post(path, {"client_id": "hello-0001", "text": "Hi!"}, shop.auth)

    assert started.status_code == 201, started.json_body
    assert LONG - 5 <= started.json_body["reaches_in"] <= LONG

    # Another visitor, who beat while the list was open: within the short beat.
    _look_at_visitors(platform, shop)
    other_id, other_token, _ = _counted_visitor(platform, shop)
    assert _beat(platform, other_token)["beat"] == SHORT
    path = f"/projects/{shop.project_id}/visitors/{other_id}/chats"

    started = platform.post(path, {"client_id": "hello-0002", "text": "Hi!"}, shop.auth)

    assert 1 <= started.json_body["reaches_in"] <= SHORT
    # The widget learns of it at that beat.
    assert _beat(platform, other_token)["chat_id"] == started.json_body["chat"]["id"]


def test_a_visitor_whose_beat_is_overdue_is_reached_when_their_page_is_back(platform, shop):
    visitor_id, token, _ = _counted_visitor(platform, shop)
    # Their page was hidden (no beats) for five minutes: the beat they were told is past.
    online_visitors.heartbeat(_identity(token), utcnow() - timedelta(minutes=5))
    path = f"/projects/{shop.project_id}/visitors/{visitor_id}/chats"

    started = platform.post(path, {"client_id": "hello-0003", "text": "Hi!"}, shop.auth)

    assert started.json_body["reaches_in"] is None


def test_the_cadences_are_settings(monkeypatch, platform, shop):
    from chalicelib.config import get_settings

    monkeypatch.setenv("HEARTBEAT_SECONDS", "60")
    monkeypatch.setenv("HEARTBEAT_WATCHED_SECONDS", "3")
    get_settings.cache_clear()
    try:
        _, token, counting = _counted_visitor(platform, shop)
        assert counting["beat"] == 60
        _look_at_visitors(platform, shop)
        assert visitors.heartbeat(deps.visitor_tokens(), _identity(token), utcnow())["beat"] == 3
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
