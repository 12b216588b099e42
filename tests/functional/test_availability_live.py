"""A widget already open hears the team come and go (issue 13, "Availability"): when the
first member's panel connects, the last one's closes, or a member changes their status,
the project's visitors with a socket open get an ``availability`` frame (the session's
``availability``). Bounded: only visitors with a live socket, and nothing when the state
cannot have changed (another member is still there). The requests are counted: one
GetItem and one Query of the online index per operator event, one Query per visitor
told; none for a visitor's message or page view."""

import json

import pytest

from bench.dynamo_calls import install
from chalicelib.clock import utcnow
from chalicelib.services import availability

CALLS = install()  # DynamoDB requests, by operation (botocore hook)


def _availability_frames(platform, connection_id):
    return [
        f["availability"]
        for f in platform.sender.frames_for(connection_id)
        if f.get("type") == "availability"
    ]


def _set_status(platform, who, status):
    response = platform.client.http.put(
        f"/projects/{who.project_id}/status",
        body=json.dumps({"status": status}),
        headers=who.auth,
    )
    assert response.status_code == 200, response.json_body


@pytest.fixture
def shop(platform):
    owner = platform.sign_up()
    # A visitor with the widget open (a socket), and one who only looks at a page.
    open_widget = platform.visitor(owner.project_id)
    tab, _ = platform.connect(open_widget.token)
    platform.visitor(owner.project_id)
    return owner, tab


def test_an_open_widget_hears_the_team_come_change_status_and_go(platform, shop):
    owner, tab = shop
    # When the owner's panel connects (nobody was there)
    panel, _ = platform.connect(owner.token, project=owner.project_id)
    # Then the open widget is told "online", with what the header needs
    [online] = _availability_frames(platform, tab)
    assert online["state"] == "online"
    assert {"closes_at", "opens_at", "email_replies"} <= online.keys()
    # When they set themselves away, then back online
    _set_status(platform, owner, "away")
    _set_status(platform, owner, "online")
    assert [f["state"] for f in _availability_frames(platform, tab)] == [
        "online",
        "away",
        "online",
    ]
    # When their last panel closes
    platform.disconnect(panel)
    assert _availability_frames(platform, tab)[-1]["state"] == "away"


def test_nothing_is_announced_while_another_member_stays_online(platform, shop):
    owner, tab = shop
    colleague = platform.member(owner, "operator")
    owner_panel, _ = platform.connect(owner.token, project=owner.project_id)
    assert [f["state"] for f in _availability_frames(platform, tab)] == ["online"]
    # When a colleague's panel connects, and the owner's closes
    colleague_panel, _ = platform.connect(colleague.token, project=owner.project_id)
    platform.disconnect(owner_panel)
    # Then the widget heard nothing more: someone was there all along
    assert [f["state"] for f in _availability_frames(platform, tab)] == ["online"]
    # And when the colleague's closes too, it is away
    platform.disconnect(colleague_panel)
    assert [f["state"] for f in _availability_frames(platform, tab)] == ["online", "away"]


def test_the_requests_an_announcement_costs(platform, shop):
    owner, tab = shop
    more = [platform.visitor(owner.project_id) for _ in range(2)]
    tabs = [platform.connect(v.token)[0] for v in more]
    platform.connect(owner.token, project=owner.project_id)
    CALLS.clear()
    # When presence changes with three visitors holding a socket
    posted = availability.announce(
        owner.project_id, platform_fanout(), utcnow(), joined=owner.user_id
    )
    # Then: the project (1 GetItem), the online index (1 Query), each visitor's sockets
    assert posted == 3
    assert CALLS == {"GetItem": 1, "Query": 1 + 3}
    assert all(_availability_frames(platform, t) for t in [tab, *tabs])


def platform_fanout():
    from chalicelib import deps

    return deps.fanout()


def test_a_visitors_message_and_page_view_announce_nothing(platform, shop, monkeypatch):
    owner, tab = shop
    told = []
    monkeypatch.setattr(availability, "announce", lambda *a, **k: told.append(a) or 0)
    visitor = platform.visitor(owner.project_id)
    writer, _ = platform.connect(visitor.token)
    platform.frame(
        writer,
        {"action": "send", "token": visitor.token, "client_id": "live-0001", "text": "Hi"},
    )
    platform.visitor(owner.project_id, token=visitor.token)
    platform.disconnect(writer)  # a visitor's socket closing is no change of presence
    assert told == []


def test_saving_business_hours_tells_the_open_widgets_at_once(platform, shop):
    owner, tab = shop
    panel, _ = platform.connect(owner.token, project=owner.project_id)
    assert [f["state"] for f in _availability_frames(platform, tab)] == ["online"]
    # Hours that are closed right now: every day from 2 to 3 hours from now (a range may
    # run past midnight).
    now = utcnow()
    start, end = (now.hour + 2) % 24, (now.hour + 3) % 24
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    hours = {
        "time_zone": "UTC",
        "weekly": {d: [{"start": f"{start:02d}:00", "end": f"{end:02d}:00"}] for d in days},
    }

    saved = platform.client.http.put(
        f"/projects/{owner.project_id}/business-hours",
        body=json.dumps({"business_hours": hours}),
        headers=owner.auth,
    )

    assert saved.status_code == 200, saved.json_body
    frames = _availability_frames(platform, tab)
    assert [f["state"] for f in frames] == ["online", "offline"]
    assert frames[-1]["opens_at"]  # "We're back at ..." without a reload
    # And back to always open: the widget hears "online" again.
    platform.client.http.put(
        f"/projects/{owner.project_id}/business-hours",
        body=json.dumps({"business_hours": None}),
        headers=owner.auth,
    )
    assert _availability_frames(platform, tab)[-1]["state"] == "online"
