"""Page views record the visit's facts in the visitor's one write: visits, page views,
where the visit landed, device, location, campaign; and mark the visitor online."""

import pytest

from bench.dynamo_calls import install
from chalicelib.models.visitor import VisitorModel

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
CLOUDFRONT = {"CloudFront-Viewer-Country": "DE", "CloudFront-Viewer-City": "Berlin"}
# DynamoDB requests, counted by a botocore hook installed before any client exists.
CALLS = install()


@pytest.fixture
def shop(platform):
    return platform.sign_up()


def _page_view(platform, project_id, token=None, new_visit=False, headers=None, **facts):
    body = {"project_id": project_id, "page_view": True, "new_visit": new_visit, **facts}
    if token:
        body["token"] = token
    response = platform.post(
        "/widget/session", body, headers={"User-Agent": IPHONE, **CLOUDFRONT, **(headers or {})}
    )
    assert response.status_code == 200, response.json_body
    return response.json_body


def _counted(platform, session):
    """The widget's first heartbeat after a new visitor's page view: it counts them and
    lists them online. The session, with the renewed token."""
    beat = platform.post("/widget/heartbeat", {"token": session["token"]})
    assert beat.status_code == 200, beat.json_body
    return {**session, "token": beat.json_body["token"]}


def _stored(project_id, visitor_id):
    return VisitorModel.get(project_id, visitor_id, consistent_read=True)


def test_a_first_page_view_records_the_visit_device_and_location(platform, shop):
    session = _page_view(
        platform,
        shop.project_id,
        new_visit=True,
        page_url="https://shop.example/pricing?utm_source=ads",
        utm={"source": "ads", "campaign": "winter"},
        language="de-DE",
    )

    visitor = _stored(shop.project_id, session["visitor_id"])
    assert (visitor.visits, visitor.page_views) == (1, 1)
    assert visitor.source_url == "https://shop.example/pricing?utm_source=ads"
    assert (visitor.os, visitor.browser, visitor.platform) == (
        "iOS 17.4",
        "Mobile Safari 17.4",
        "mobile",
    )
    assert (visitor.country, visitor.city) == ("DE", "Berlin")
    assert visitor.utm.as_dict() == {"source": "ads", "campaign": "winter"}
    # Not listed (nor counted) until their page comes back (tests/functional/test_origins.py).
    assert visitor.online_project_id is None
    _counted(platform, session)
    visitor = _stored(shop.project_id, session["visitor_id"])
    assert visitor.online_project_id == shop.project_id and visitor.online_seen_at
    assert (visitor.visits, visitor.page_views, visitor.country) == (1, 1, "DE")


def test_a_known_visitors_next_page_view_is_one_write_and_counts_the_page(platform, shop):
    first = _counted(
        platform,
        _page_view(platform, shop.project_id, new_visit=True, page_url="https://shop.example/"),
    )
    CALLS.clear()

    _page_view(platform, shop.project_id, token=first["token"], page_url="https://shop.example/tea")

    writes = {k: v for k, v in CALLS.items() if k not in {"GetItem", "Query"}}
    assert writes == {"UpdateItem": 1}
    visitor = _stored(shop.project_id, first["visitor_id"])
    assert (visitor.visits, visitor.page_views) == (1, 2)
    assert visitor.source_url == "https://shop.example/"  # where the visit landed
    assert visitor.page_url == "https://shop.example/tea"


def test_a_new_visit_counts_a_visit_and_starts_its_page_views_and_campaign_afresh(platform, shop):
    first = _page_view(
        platform, shop.project_id, new_visit=True, page_url="https://shop.example/a",
        utm={"source": "ads"},
    )  # fmt: skip
    _page_view(platform, shop.project_id, token=first["token"], page_url="https://shop.example/b")

    _page_view(
        platform, shop.project_id, token=first["token"], new_visit=True,
        page_url="https://shop.example/c",
    )  # fmt: skip

    visitor = _stored(shop.project_id, first["visitor_id"])
    assert (visitor.visits, visitor.page_views) == (2, 1)
    assert visitor.source_url == "https://shop.example/c"
    assert visitor.utm is None


def test_a_session_that_is_not_a_page_view_only_marks_the_visitor_online(platform, shop):
    first = _page_view(platform, shop.project_id, new_visit=True, page_url="https://shop.example/")
    response = platform.post(
        "/widget/session", {"project_id": shop.project_id, "token": first["token"]}
    )

    assert response.status_code == 200
    assert _stored(shop.project_id, first["visitor_id"]).page_views == 1


def test_local_viewer_headers_are_not_trusted_outside_the_local_stand_in(platform, shop):
    session = _page_view(
        platform,
        shop.project_id,
        new_visit=True,
        headers={"X-Local-Viewer-Country": "FR", "CloudFront-Viewer-Country": "NL"},
    )

    assert _stored(shop.project_id, session["visitor_id"]).country == "NL"


def _online(platform, owner):
    response = platform.get(f"/projects/{owner.project_id}/visitors/online", owner.auth)
    assert response.status_code == 200, response.json_body
    return response.json_body


def test_the_online_list_shows_visitors_seen_lately_latest_first(platform, shop):
    first = _page_view(platform, shop.project_id, new_visit=True, page_url="https://shop.example/a")
    second = _page_view(
        platform, shop.project_id, new_visit=True, page_url="https://shop.example/b"
    )
    assert _online(platform, shop)["visitors"] == []  # listed once their page comes back
    _counted(platform, first)
    _counted(platform, second)

    listed = _online(platform, shop)

    assert [v["id"] for v in listed["visitors"]] == [second["visitor_id"], first["visitor_id"]]
    top = listed["visitors"][0]
    assert (top["page_url"], top["country"], top["platform"], top["visits"]) == (
        "https://shop.example/b",
        "DE",
        "mobile",
        1,
    )
    assert top["chatting"] is False
    assert listed["limit"] == 10 and listed["more"] is False  # Free tracks 10


def test_a_heartbeat_keeps_a_visitor_listed_and_the_sweep_drops_quiet_ones(platform, shop):
    from datetime import timedelta

    from chalicelib.clock import utcnow
    from chalicelib.services import online_visitors

    staying = _counted(platform, _page_view(platform, shop.project_id, new_visit=True))
    leaving = _counted(platform, _page_view(platform, shop.project_id, new_visit=True))
    later = utcnow() + timedelta(minutes=3)
    identity = platform_identity(staying["token"])
    online_visitors.heartbeat(identity, later)

    swept = online_visitors.sweep_quiet(later + timedelta(minutes=2))

    assert swept == 1
    assert _stored(shop.project_id, leaving["visitor_id"]).online_project_id is None
    assert _stored(shop.project_id, staying["visitor_id"]).online_project_id == shop.project_id
    assert online_visitors.sweep_quiet(later + timedelta(minutes=2)) == 0  # a rerun: nothing


def platform_identity(token):
    from chalicelib import deps

    return deps.visitor_tokens().verify(token)


@pytest.mark.parametrize(
    "body, status",
    [({}, 400), ({"token": "forged"}, 401), ({"token": 5}, 400)],
)
def test_a_heartbeat_needs_a_valid_visitor_token(platform, body, status):
    response = platform.post("/widget/heartbeat", body)

    assert response.status_code == status


def test_a_heartbeat_over_http_answers_ok(platform, shop):
    session = _counted(platform, _page_view(platform, shop.project_id, new_visit=True))

    response = platform.post(
        "/widget/heartbeat",
        raw=f'{{"token": "{session["token"]}"}}',
        headers={"Content-Type": "text/plain"},
    )

    assert response.status_code == 200
    assert response.json_body == {"ok": True, "chat_id": None, "beat": 90}


def test_an_operator_starts_a_chat_with_a_visitor_on_the_site(platform, shop, sender):
    session = _page_view(platform, shop.project_id, new_visit=True)
    tab, _ = platform.connect(session["token"])
    sender.clear()

    started = platform.post(
        f"/projects/{shop.project_id}/visitors/{session['visitor_id']}/chats",
        {"client_id": "hello-0001", "text": "Hi! Looking for anything?"},
        shop.auth,
    )

    assert started.status_code == 201, started.json_body
    chat = started.json_body["chat"]
    assert chat["assignee"]["id"] == shop.user_id and chat["state"] == "assigned"
    [frame] = [f for f in sender.frames_for(tab) if f["type"] == "message"]
    assert frame["message"]["text"] == "Hi! Looking for anything?"
    visitor = _stored(shop.project_id, session["visitor_id"])
    assert (visitor.current_chat_id, visitor.invitations_sent) == (chat["id"], 1)
    assert visitor.last_invitation_at is not None
    # A widget without a socket learns of it from its next heartbeat.
    beat = platform.post("/widget/heartbeat", {"token": session["token"]})
    assert beat.json_body["chat_id"] == chat["id"]
    # The visitor's reply lands in that dialogue.
    platform.frame(
        tab, {"action": "send", "token": session["token"], "client_id": "reply-0001", "text": "yes"}
    )
    [ack] = [f for f in sender.frames_for(tab) if f["type"] == "ack"]
    assert ack["message"]["chat_id"] == chat["id"]


def test_a_visitor_in_an_open_dialogue_is_not_given_a_second(platform, shop):
    session = _page_view(platform, shop.project_id, new_visit=True)
    path = f"/projects/{shop.project_id}/visitors/{session['visitor_id']}/chats"
    first = platform.post(path, {"client_id": "first-0001", "text": "Hi"}, shop.auth)

    second = platform.post(path, {"client_id": "second-0001", "text": "Hello?"}, shop.auth)

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json_body["error"]["chat_id"] == first.json_body["chat"]["id"]


@pytest.mark.parametrize("visitor_id", ["v_nobody", "nope"])
def test_starting_a_chat_with_an_unknown_visitor_is_404(platform, shop, visitor_id):
    response = platform.post(
        f"/projects/{shop.project_id}/visitors/{visitor_id}/chats",
        {"client_id": "unknown-0001", "text": "Hi"},
        shop.auth,
    )

    assert response.status_code == 404


def test_the_team_sees_who_it_is_talking_to(platform, shop, sender):
    session = _page_view(
        platform, shop.project_id, new_visit=True, page_url="https://shop.example/pricing"
    )
    tab, _ = platform.connect(session["token"])
    platform.frame(
        tab, {"action": "send", "token": session["token"], "client_id": "hi-000001", "text": "hi"}
    )
    [ack] = [f for f in sender.frames_for(tab) if f["type"] == "ack"]

    response = platform.get(
        f"/projects/{shop.project_id}/chats/{ack['message']['chat_id']}/visitor", shop.auth
    )

    assert response.status_code == 200
    visitor = response.json_body["visitor"]
    assert (visitor["country"], visitor["platform"], visitor["page_url"]) == (
        "DE",
        "mobile",
        "https://shop.example/pricing",
    )
    assert visitor["online"] is True and visitor["user"] is None
