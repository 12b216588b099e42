"""Auto messages reach the widgets they may fire for, with only the conditions the widget
must still check; the widget's reports move the figures and the visitor's facts."""

from collections import Counter

import pytest

from chalicelib.models.base import _shared_botocore_session
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import auto_delivery
from chalicelib.services.identity import signature
from tests.functional.uploads import upload

# DynamoDB requests, counted on the real code path (a botocore client copies its session's
# hooks when it is created, so the hook goes in before any: at import).
CALLS: Counter = Counter()
_shared_botocore_session().register(
    "before-call.dynamodb", lambda model, **_: CALLS.update([model.name])
)

DE = {"CloudFront-Viewer-Country": "DE"}
FR = {"CloudFront-Viewer-Country": "FR"}


@pytest.fixture(autouse=True)
def fresh_caches():
    auto_delivery._messages_cache.clear()
    auto_delivery._team_cache.clear()
    yield
    auto_delivery._messages_cache.clear()
    auto_delivery._team_cache.clear()


@pytest.fixture
def shop(platform):
    return platform.sign_up()


def _auto(platform, owner, **changes):
    body = {
        "name": "German visitors who linger",
        "type": "proactive",
        "content": {"text": "Hallo! Fragen?"},
        "rules": {
            "all": [
                {"field": "country", "op": "equals", "value": "DE"},
                {"field": "time_on_page", "op": "greater", "value": 10},
            ]
        },
        **changes,
    }
    created = platform.post(f"/projects/{owner.project_id}/auto-messages", body, owner.auth)
    assert created.status_code == 201, created.json_body
    return created.json_body["auto_message"]["id"]


def _page_view(platform, owner, headers, token=None):
    body = {"project_id": owner.project_id, "page_view": True, "new_visit": token is None}
    if token:
        body["token"] = token
    response = platform.post("/widget/session", body, headers=headers)
    assert response.status_code == 200, response.json_body
    return response.json_body


def test_the_server_drops_what_cannot_fire_and_leaves_the_widget_its_timers(platform, shop):
    message_id = _auto(platform, shop)

    german = _page_view(platform, shop, DE)
    french = _page_view(platform, shop, FR)

    [held] = german["auto_messages"]
    assert held["id"] == message_id and held["content"]["text"] == "Hallo! Fragen?"
    assert held["rules"] == {
        "all": [{"field": "time_on_page", "op": "greater", "value": 10}],
        "any_groups": [],
    }
    assert french["auto_messages"] == []


@pytest.mark.parametrize(
    "changes",
    [{"enabled": False}, {"team_status": "online"}, {"audience": "users"}],
    ids=["disabled", "team offline", "logged-in users only"],
)
def test_messages_that_do_not_apply_to_the_visitor_are_not_sent(platform, shop, changes):
    _auto(platform, shop, **changes)

    assert _page_view(platform, shop, DE)["auto_messages"] == []


def test_a_logged_in_user_gets_messages_for_users(platform, shop):
    _auto(platform, shop, audience="users")
    secret = platform.get(f"/projects/{shop.project_id}/identity-secret", shop.auth)
    secret = secret.json_body["identity_secret"]
    first = _page_view(platform, shop, DE)
    identified = platform.post(
        "/widget/identify",
        {"token": first["token"], "user_id": "u-7", "hash": signature(secret, "u-7")},
    )
    assert identified.status_code == 200

    again = _page_view(platform, shop, DE, token=first["token"])

    assert len(again["auto_messages"]) == 1


def test_a_shown_message_counts_and_is_not_shown_twice_to_the_same_visitor(platform, shop):
    message_id = _auto(platform, shop)
    first = _page_view(platform, shop, DE)
    path = f"/widget/auto-messages/{message_id}/events"

    sent = platform.post(path, {"token": first["token"], "event": "sent"})
    opened = platform.post(path, {"token": first["token"], "event": "opened"})

    assert sent.status_code == 200
    assert opened.json_body["stats"] == {"sent": 1, "opened": 1, "replied": 0}
    visitor = VisitorModel.get(shop.project_id, first["visitor_id"])
    assert visitor.invitations_sent == 1 and visitor.last_invitation_at is not None
    assert _page_view(platform, shop, DE, token=first["token"])["auto_messages"] == []


@pytest.mark.parametrize(
    "message_id, body, status",
    [
        ("REAL", {"event": "clicked"}, 400),
        ("01HZZZZZZZZZZZZZZZZZZZZZZZ", {"event": "sent"}, 404),
        ("REAL", {"event": "sent", "token": "forged"}, 401),
    ],
)
def test_bad_reports_change_nothing(platform, shop, message_id, body, status):
    real = _auto(platform, shop)
    session = _page_view(platform, shop, DE)
    message_id = real if message_id == "REAL" else message_id

    response = platform.post(
        f"/widget/auto-messages/{message_id}/events", {"token": session["token"], **body}
    )

    assert response.status_code == status
    listed = platform.get(f"/projects/{shop.project_id}/auto-messages/{real}", shop.auth)
    assert listed.json_body["auto_message"]["stats"] == {"sent": 0, "opened": 0, "replied": 0}


def test_a_visitor_of_another_project_cannot_move_this_projects_figures(platform, shop):
    real = _auto(platform, shop)
    elsewhere = platform.sign_up(project_name="Elsewhere")
    outsider = _page_view(platform, elsewhere, DE)

    response = platform.post(
        f"/widget/auto-messages/{real}/events", {"token": outsider["token"], "event": "sent"}
    )

    assert response.status_code == 404  # the token's project has no such message
    listed = platform.get(f"/projects/{shop.project_id}/auto-messages/{real}", shop.auth)
    assert listed.json_body["auto_message"]["stats"] == {"sent": 0, "opened": 0, "replied": 0}
    visitor = VisitorModel.get(elsewhere.project_id, outsider["visitor_id"])
    assert not visitor.invitations_sent and not visitor.shown_auto


def test_a_reply_to_an_auto_message_opens_a_dialogue_that_begins_with_it(platform, shop):
    draft = upload(platform, shop, "Preise.pdf", "application/pdf", b"%PDF Preise")
    message_id = _auto(
        platform,
        shop,
        content={
            "text": "Hallo! Fragen?",
            "image_url": "https://shop.example/welle.gif",
            "attachments": [{"key": draft["key"], "name": "Preisliste"}],
        },
    )
    session = _page_view(platform, shop, DE)
    tab, _ = platform.connect(session["token"])

    platform.frame(
        tab,
        {
            "action": "send",
            "token": session["token"],
            "client_id": "answer-0001",
            "text": "Ja, bitte!",
            "auto_message_id": message_id,
        },
    )

    chats = platform.get(f"/projects/{shop.project_id}/chats", shop.auth).json_body["chats"]
    history = platform.get(
        f"/projects/{shop.project_id}/chats/{chats[0]['id']}/messages", shop.auth
    ).json_body["messages"]
    assert [(m["author_type"], m["text"]) for m in history] == [
        ("operator", "Hallo! Fragen?"),
        ("visitor", "Ja, bitte!"),
    ]
    # The message keeps its picture and files as shown, for the team and the widget
    first = history[0]
    assert first["author_id"] == f"auto.{message_id}"
    assert first["image_url"] == "https://shop.example/welle.gif"
    [file] = first["files"]
    assert file["name"] == "Preisliste" and file["url"].startswith("https://cdn.example.test/")
    widget = platform.get("/widget/messages", {"Authorization": f"Bearer {session['token']}"})
    assert widget.json_body["messages"][0]["files"] == first["files"]
    figures = platform.get(f"/projects/{shop.project_id}/auto-messages/{message_id}", shop.auth)
    assert figures.json_body["auto_message"]["stats"]["replied"] == 1


def test_a_reply_to_an_auto_message_inside_an_open_chat_shows_the_team_what_it_answers(
    platform, shop, sender
):
    """A visitor who already chats sees an auto message and answers it: the chat gets
    the auto message (its picture too) just before the answer, live and in its history,
    once however often the answer is sent again."""
    message_id = _auto(
        platform,
        shop,
        content={"text": "Neu: Winterschlussverkauf", "image_url": "https://shop.example/sale.gif"},
    )
    session = _page_view(platform, shop, DE)
    tab, _ = platform.connect(session["token"])
    platform.frame(
        tab,
        {"action": "send", "token": session["token"], "client_id": "open-0001", "text": "Hallo"},
    )
    [chat] = platform.get(f"/projects/{shop.project_id}/chats", shop.auth).json_body["chats"]
    panel, _ = platform.connect(shop.token, project=shop.project_id)
    sender.clear()

    answer = {
        "action": "send",
        "token": session["token"],
        "chat_id": chat["id"],
        "client_id": "answer-0003",
        "text": "Wie lange noch?",
        "auto_message_id": message_id,
    }
    platform.frame(tab, answer)
    platform.frame(tab, answer)  # sent again: nothing stored twice

    history = platform.get(
        f"/projects/{shop.project_id}/chats/{chat['id']}/messages", shop.auth
    ).json_body["messages"]
    assert [(m["author_type"], m["text"]) for m in history] == [
        ("visitor", "Hallo"),
        ("operator", "Neu: Winterschlussverkauf"),
        ("visitor", "Wie lange noch?"),
    ]
    assert history[1]["author_id"] == f"auto.{message_id}"
    assert history[1]["image_url"] == "https://shop.example/sale.gif"
    live = [f["message"] for f in sender.frames_for(panel) if f.get("type") == "message"]
    assert live[0]["id"] == history[1]["id"] and live[0]["image_url"] == history[1]["image_url"]
    assert {m["id"] for m in live} == {history[1]["id"], history[2]["id"]}
    figures = platform.get(f"/projects/{shop.project_id}/auto-messages/{message_id}", shop.auth)
    assert figures.json_body["auto_message"]["stats"]["replied"] == 1


def test_an_unknown_auto_message_id_does_not_stop_the_visitors_message(platform, shop):
    session = _page_view(platform, shop, DE)
    tab, _ = platform.connect(session["token"])

    platform.frame(
        tab,
        {
            "action": "send",
            "token": session["token"],
            "client_id": "answer-0002",
            "text": "Hello",
            "auto_message_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ",
        },
    )

    [ack] = [f for f in platform.sender.frames_for(tab) if f["type"] == "ack"]
    assert ack["message"]["text"] == "Hello"


ADDED_TO_CART = {"field": "custom_event", "op": "happened", "value": "added_to_cart"}
NOT_ADDED = {"field": "custom_event", "op": "not_happened", "value": "added_to_cart"}


def _event(platform, session, name):
    sent = platform.post("/widget/events", {"token": session["token"], "name": name})
    assert sent.status_code == 200, sent.json_body


def _held_rules(session):
    return [held["rules"] for held in session["auto_messages"]]


def test_an_event_the_server_has_not_seen_is_left_to_the_widget_and_one_it_has_decides(
    platform, shop
):
    _auto(platform, shop, rules={"all": [{**ADDED_TO_CART}]})
    _auto(platform, shop, name="Not yet in the cart", rules={"all": [{**NOT_ADDED}]})
    first = _page_view(platform, shop, DE)

    # Without the event: both may still fire, the widget decides with this page's events
    assert _held_rules(first) == [{"all": [ADDED_TO_CART], "any_groups": []},
                                  {"all": [NOT_ADDED], "any_groups": []}]  # fmt: skip

    # An event of another name, or of another case, decides nothing
    _event(platform, first, "Added_To_Cart")
    _event(platform, first, "signup")
    again = _page_view(platform, shop, DE, token=first["token"])
    assert _held_rules(again) == _held_rules(first)

    # Once the server has seen it (an earlier page view sent it): "happened" fires now,
    # "not happened" can never fire
    _event(platform, again, "added_to_cart")
    later = _page_view(platform, shop, DE, token=first["token"])
    assert _held_rules(later) == [{"all": [], "any_groups": []}]


def test_an_event_condition_the_server_settles_leaves_only_the_rest_to_the_widget(platform, shop):
    timer = {"field": "time_on_page", "op": "greater", "value": 10}
    _auto(
        platform,
        shop,
        rules={"all": [{"field": "country", "op": "equals", "value": "DE"}, ADDED_TO_CART, timer]},
    )
    german, french = _page_view(platform, shop, DE), _page_view(platform, shop, FR)
    _event(platform, german, "added_to_cart")
    _event(platform, french, "added_to_cart")

    german_again = _page_view(platform, shop, DE, token=german["token"])
    french_again = _page_view(platform, shop, FR, token=french["token"])

    assert _held_rules(german_again) == [{"all": [timer], "any_groups": []}]
    assert _held_rules(french_again) == []  # the event cannot make up for the country


@pytest.mark.parametrize("value", ["added to cart", "-cart", "x" * 65, 7, ""])
def test_a_rule_on_an_event_name_the_site_could_not_send_is_refused(platform, shop, value):
    rules = {"all": [{"field": "custom_event", "op": "happened", "value": value}]}
    created = platform.post(
        f"/projects/{shop.project_id}/auto-messages",
        {"name": "Bad event", "type": "proactive", "content": {"text": "Hi"}, "rules": rules},
        shop.auth,
    )

    assert created.status_code == 400
    [problem] = created.json_body["error"]["errors"]
    assert problem["path"] == "rules.all[0].value"
    assert "event name" in problem["message"]


def test_a_known_visitors_page_view_with_event_rules_stays_one_write_and_one_read(platform, shop):
    _auto(platform, shop, rules={"all": [ADDED_TO_CART]})
    session = _page_view(platform, shop, DE)
    _event(platform, session, "added_to_cart")
    _page_view(platform, shop, DE, token=session["token"])  # the auto messages are cached
    CALLS.clear()

    held = _page_view(platform, shop, DE, token=session["token"])

    # The visitor's events come back with the page view's one UpdateItem: no read of them
    assert dict(CALLS) == {"UpdateItem": 1, "GetItem": 1}  # the visitor, the project
    assert _held_rules(held) == [{"all": [], "any_groups": []}]
