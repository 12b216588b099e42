"""Strangers cannot burn a project's quota (issue 14): allowed website domains on every
widget call and on the socket, counting on real activity, and what the owner sees.

The attack, as it was found: a script sent ``POST /widget/session`` with the demo
project's id 300 times, and the project's unique visitors rose by 300.
"""

import pytest

from chalicelib.clock import utcnow
from chalicelib.errors import BadRequest
from chalicelib.models import ProjectModel, UsageModel, VisitorModel
from chalicelib.services import origins, quotas
from tests.functional.conftest import SITE_ORIGIN

EVIL = "http://evil.example"


def unique_visitors(project_id):
    project = ProjectModel.get(project_id)
    try:
        usage = UsageModel.get(project_id, quotas.period_of(project, utcnow()).key)
    except UsageModel.DoesNotExist:
        return 0
    return int(usage.unique_visitors or 0)


def stored_visitors(project_id):
    return list(VisitorModel.query(project_id))


def session(platform, project_id, origin=SITE_ORIGIN, **extra):
    headers = {"Origin": origin} if origin else {"Origin": ""}
    return platform.post("/widget/session", {"project_id": project_id, **extra}, headers)


# --- the attack, three ways -------------------------------------------------------------


def test_a_script_from_a_foreign_origin_is_refused_and_counts_nothing(platform):
    owner = platform.sign_up()
    for _ in range(300):
        refused = session(platform, owner.project_id, EVIL)
        assert refused.status_code == 403
    error = refused.json_body["error"]
    assert error["reason"] == "origin_not_allowed"
    assert error["origin"] == EVIL
    assert error["message"].startswith(
        "This page (http://evil.example) is not among this project's allowed website domains"
    )
    assert unique_visitors(owner.project_id) == 0
    assert stored_visitors(owner.project_id) == []

    # The owner sees the refusals, per day and origin.
    status = platform.get(f"/projects/{owner.project_id}/install", owner.auth).json_body
    (today,) = status["refused_by_day"]
    assert today["refused"] == 300
    assert today["origins"][0]["origin"] == EVIL
    assert today["origins"][0]["refused"] == 300


def test_a_forged_allowed_origin_that_never_comes_back_counts_nothing(platform):
    owner = platform.sign_up()
    for _ in range(300):
        answered = session(platform, owner.project_id)
        assert answered.status_code == 200
        assert answered.json_body["counted"] is False
    assert unique_visitors(owner.project_id) == 0
    # Their records are not listed online and expire by themselves.
    records = stored_visitors(owner.project_id)
    assert len(records) == 300
    assert all(r.expires_at is not None and r.online_project_id is None for r in records)
    listed = platform.get(f"/projects/{owner.project_id}/visitors/online", owner.auth)
    assert listed.json_body["visitors"] == []


def test_the_token_coming_back_counts_the_visitor_once(platform):
    owner = platform.sign_up()
    first = session(platform, owner.project_id).json_body

    beat = platform.post("/widget/heartbeat", {"token": first["token"]})
    assert beat.status_code == 200
    assert unique_visitors(owner.project_id) == 1
    renewed = beat.json_body["token"]
    assert renewed != first["token"]

    # The renewed token says they are counted: no more counting, no new token.
    again = platform.post("/widget/heartbeat", {"token": renewed})
    assert again.status_code == 200 and "token" not in again.json_body
    platform.post("/widget/events", {"token": first["token"], "name": "cart"})
    view = session(platform, owner.project_id, token=renewed).json_body
    assert view["counted"] is True and view["visitor_id"] == first["visitor_id"]
    assert unique_visitors(owner.project_id) == 1
    (record,) = stored_visitors(owner.project_id)
    assert record.expires_at is None  # counted: kept
    assert record.online_project_id == owner.project_id


@pytest.mark.parametrize("how", ["event", "page_view", "history"])
def test_any_request_with_the_token_counts_a_real_visitor(platform, how):
    owner = platform.sign_up()
    first = session(platform, owner.project_id).json_body
    if how == "event":
        answered = platform.post("/widget/events", {"token": first["token"], "name": "cart"})
    elif how == "page_view":
        answered = session(platform, owner.project_id, token=first["token"])
    else:
        answered = platform.get("/widget/messages", {"Authorization": f"Bearer {first['token']}"})
    assert answered.status_code == 200, answered.json_body
    assert unique_visitors(owner.project_id) == 1


def test_the_owners_real_visitors_keep_chatting_through_an_attack(platform):
    owner = platform.sign_up()
    for _ in range(50):
        session(platform, owner.project_id, EVIL)
        session(platform, owner.project_id)
    real = platform.visitor(owner.project_id)
    tab, answer = platform.connect(real.token)
    assert answer["statusCode"] == 200
    platform.frame(
        tab, {"action": "send", "token": real.token, "client_id": "real-0001", "text": "hello"}
    )
    (frame,) = platform.sender.frames_for(tab)  # the message, stored and acknowledged
    assert frame["message"]["text"] == "hello"
    assert unique_visitors(owner.project_id) == 1


# --- every call checks its origin ---------------------------------------------------------


def test_a_call_with_no_origin_and_no_referer_is_refused(platform):
    owner = platform.sign_up()
    refused = session(platform, owner.project_id, origin=None)
    assert refused.status_code == 403
    assert "did not say its origin" in refused.json_body["error"]["message"]


def test_the_referer_stands_in_where_a_browser_sends_no_origin(platform):
    owner = platform.sign_up()
    answered = platform.post(
        "/widget/session",
        {"project_id": owner.project_id},
        {"Origin": "", "Referer": "https://shop.example/cart?x=1"},
    )
    assert answered.status_code == 200, answered.json_body


def test_a_project_with_no_domains_runs_the_widget_nowhere(platform):
    owner = platform.sign_up()
    cleared = platform.client.http.patch(
        f"/projects/{owner.project_id}",
        body='{"allowed_domains": []}',
        headers=owner.auth,
    )
    assert cleared.status_code == 200
    assert cleared.json_body["project"]["allowed_domains"] == []
    refused = session(platform, owner.project_id)
    assert refused.status_code == 403
    assert "no allowed website domains yet" in refused.json_body["error"]["message"]


def test_a_token_works_only_from_the_page_it_was_issued_to(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    elsewhere = {"Origin": EVIL}
    for path, body in [
        ("/widget/heartbeat", {"token": visitor.token}),
        ("/widget/events", {"token": visitor.token, "name": "cart"}),
        ("/widget/identify", {"token": visitor.token, "user_id": "1", "hash": "00"}),
    ]:
        refused = platform.post(path, body, elsewhere)
        assert refused.status_code == 403, path
        assert refused.json_body["error"]["reason"] == "origin_not_allowed"
    history = platform.get(
        "/widget/messages", {"Authorization": f"Bearer {visitor.token}", **elsewhere}
    )
    assert history.status_code == 403


def test_the_socket_handshake_checks_the_origin(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    event_origin = {"Origin": EVIL}
    import copy

    from tests.functional.conftest import load_event

    event = copy.deepcopy(load_event("ws_connect.json"))
    event["requestContext"]["connectionId"] = "evil-conn="
    event["queryStringParameters"] = {"token": visitor.token}
    event["headers"] = {**event["headers"], **event_origin}
    answer = platform.client.lambda_.invoke("websocket_connect", event).payload
    assert answer["statusCode"] == 403
    _, ok = platform.connect(visitor.token)
    assert ok["statusCode"] == 200


def test_the_first_page_view_from_an_allowed_domain_marks_the_project_installed(platform):
    owner = platform.sign_up()
    status = platform.get(f"/projects/{owner.project_id}/install", owner.auth).json_body
    assert status["installed"] == {"at": None, "origin": None}
    session(platform, owner.project_id, EVIL)
    assert ProjectModel.get(owner.project_id).installed_at is None

    session(platform, owner.project_id)
    status = platform.get(f"/projects/{owner.project_id}/install", owner.auth).json_body
    assert status["installed"]["origin"] == SITE_ORIGIN
    assert status["installed"]["at"]
    assert status["allowed_domains"] == ["shop.example"]


# --- the owner's list ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry, stored",
    [
        ("Shop.Example.com", "shop.example.com"),
        ("https://shop.example.com/cart?x=1", "shop.example.com"),
        ("*.example.com", "*.example.com"),
        ("localhost:8003", "localhost:8003"),
        ("127.0.0.1:8003", "127.0.0.1:8003"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_domains_are_stored_in_one_form(entry, stored):
    assert origins.normalize_domain(entry) == stored


@pytest.mark.parametrize(
    "entry", ["", "shop", "-bad-.com", "exa mple.com", "shop.example.com:99999", "*.1.2.3.4", 42]
)
def test_bad_domains_are_refused(entry):
    with pytest.raises(BadRequest):
        origins.normalize_domain(entry)


@pytest.mark.parametrize(
    "origin, domains, allowed",
    [
        ("https://shop.example.com", ["shop.example.com"], True),
        ("http://shop.example.com:8080", ["shop.example.com"], True),  # no port: any
        ("https://blog.example.com", ["*.example.com"], True),
        ("https://example.com", ["*.example.com"], True),
        ("https://evil-example.com", ["*.example.com"], False),
        ("https://example.com.evil.test", ["*.example.com"], False),
        ("https://shop.example.com", ["example.com"], False),
        ("http://127.0.0.1:8003", ["127.0.0.1:8003"], True),
        ("http://127.0.0.1:8004", ["127.0.0.1:8003"], False),
        ("https://shop.example.com", [], False),
        (None, ["shop.example.com"], False),
    ],
)
def test_origins_match_allowed_domains(origin, domains, allowed):
    assert origins.matches(origin, domains) is allowed


def test_leads_set_the_domains_and_bad_entries_change_nothing(platform):
    owner = platform.sign_up()
    path = f"/projects/{owner.project_id}"
    saved = platform.client.http.patch(
        path,
        body='{"allowed_domains": ["https://www.shop.example/", "*.shop.example", "www.shop.example"]}',
        headers=owner.auth,
    )
    assert saved.json_body["project"]["allowed_domains"] == ["www.shop.example", "*.shop.example"]
    bad = platform.client.http.patch(
        path, body='{"allowed_domains": ["ok.example", "not a domain"]}', headers=owner.auth
    )
    assert bad.status_code == 400
    assert "not a domain" in bad.json_body["error"]["message"]
    assert ProjectModel.get(owner.project_id).allowed_domains == [
        "www.shop.example",
        "*.shop.example",
    ]
    operator = platform.member(owner, "operator")
    refused = platform.client.http.patch(
        path, body='{"allowed_domains": []}', headers=operator.auth
    )
    assert refused.status_code == 403


def test_sign_up_with_a_bad_domain_creates_no_account(platform):
    answered = platform.post(
        "/auth/signup",
        {
            "email": "bad-domain@example.com",
            "password": "Passw0rd!long",
            "name": "Bo",
            "project_name": "Bo's",
            "domain": "not a domain",
        },
    )
    assert answered.status_code == 400
    login = platform.post(
        "/auth/login", {"email": "bad-domain@example.com", "password": "Passw0rd!long"}
    )
    assert login.status_code != 200


def test_a_header_no_browser_would_send_is_shown_to_the_owner_as_it_came(platform):
    owner = platform.sign_up()
    forged = "http://127.0.0.1:9303.evil.example"
    assert session(platform, owner.project_id, forged).status_code == 403
    (today,) = platform.get(f"/projects/{owner.project_id}/install", owner.auth).json_body[
        "refused_by_day"
    ]
    assert today["origins"][0]["origin"] == f"(unreadable) {forged}"
