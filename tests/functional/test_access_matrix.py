"""Every REST route and every socket action, tried by every kind of caller.

The tables below must name every route of the app and every socket action: a new one
without a rule fails ``test_every_route_has_a_rule``. Each row says what each caller
gets: the project's administrator, a manager, an operator, an outsider (administrator of
another project), a visitor of the project (visitor token), and nobody (no token).
"""

import json

import pytest

from chalicelib.services.socket_session import _ACTIONS
from tests.functional import push_helpers
from tests.functional.conftest import SITE_ORIGIN

CALLERS = ("administrator", "manager", "operator", "outsider", "visitor", "anonymous")
PUBLIC = "public"  # no caller check: sign-up, login... (their own tests cover them)

OPS = {"visitor": 401, "anonymous": 401}  # operator routes refuse visitor tokens and nobody


def team_only(ok, outsider=403, **overrides):
    return {
        "administrator": ok,
        "manager": ok,
        "operator": ok,
        "outsider": outsider,
        **OPS,
        **overrides,
    }


def leads_only(ok):
    return {"administrator": ok, "manager": ok, "operator": 403, "outsider": 403, **OPS}


def owner_only(ok):
    return {"administrator": ok, "manager": 403, "operator": 403, "outsider": 403, **OPS}


ROUTES = {
    ("POST", "/auth/signup"): PUBLIC,
    ("POST", "/auth/confirm"): PUBLIC,
    ("POST", "/auth/resend-code"): PUBLIC,  # test_signup
    ("POST", "/auth/login"): PUBLIC,
    ("POST", "/auth/refresh"): PUBLIC,
    ("POST", "/auth/new-password"): PUBLIC,
    ("POST", "/widget/session"): PUBLIC,
    # Signed by Stripe, not by a caller (tests/functional/test_billing.py).
    ("POST", "/billing/webhook"): PUBLIC,
    # The signed token in the link is the credential (test_email_continuity).
    ("GET", "/mail/unsubscribe"): PUBLIC,
    ("POST", "/mail/unsubscribe"): PUBLIC,
    # The world's visitor has no known address: members pass the check, then conflict.
    ("POST", "/projects/{project_id}/chats/{chat_id}/transcript"): team_only(409),
    ("POST", "/auth/logout"): team_only(204, outsider=204),
    ("GET", "/me"): team_only(200, outsider=200),
    # The caller's own projects only (an outsider gets theirs, never the target's).
    ("GET", "/me/unread"): team_only(200, outsider=200),
    # The outsider names a project that is not theirs (the target's): refused.
    ("PUT", "/me/last-project"): team_only(200),
    ("POST", "/projects"): team_only(201, outsider=201),
    ("GET", "/projects/{project_id}"): team_only(200),
    ("PATCH", "/projects/{project_id}"): leads_only(200),
    ("GET", "/projects/{project_id}/members"): team_only(200),
    ("POST", "/projects/{project_id}/members"): leads_only(201),
    ("PATCH", "/projects/{project_id}/members/{user_id}"): leads_only(200),
    ("DELETE", "/projects/{project_id}/members/{user_id}"): leads_only(204),
    ("GET", "/projects/{project_id}/chats"): team_only(200),
    ("GET", "/projects/{project_id}/chats/{chat_id}"): team_only(200),
    ("GET", "/projects/{project_id}/chats/{chat_id}/messages"): team_only(200),
    ("POST", "/projects/{project_id}/chats/{chat_id}/messages"): team_only(201),
    ("POST", "/projects/{project_id}/chats/{chat_id}/read"): team_only(200),
    ("POST", "/projects/{project_id}/chats/{chat_id}/assign"): team_only(200),
    ("POST", "/projects/{project_id}/chats/{chat_id}/unassign"): team_only(200),
    ("POST", "/projects/{project_id}/chats/{chat_id}/close"): team_only(200),
    # The dialogue is open: the team passes the access check and meets the conflict.
    ("POST", "/projects/{project_id}/chats/{chat_id}/reopen"): team_only(409),
    ("POST", "/projects/{project_id}/chats/{chat_id}/notes"): team_only(201),
    # Retrying a failed Telegram/Messenger reply (test_channel_replies.py): the world's
    # chat has no such reply, so the team passes the access check and meets the 404.
    ("POST", "/projects/{project_id}/chats/{chat_id}/messages/{message_id}/retry"): team_only(404),
    ("GET", "/projects/{project_id}/team/messages"): team_only(200),
    ("GET", "/projects/{project_id}/replies"): team_only(200),
    ("PUT", "/projects/{project_id}/status"): team_only(200),
    # Each member's own choice, for themselves only.
    ("PUT", "/projects/{project_id}/escalation-emails"): team_only(200),
    # Business hours: every member sees them (and the preview), leads change them.
    ("GET", "/projects/{project_id}/business-hours"): team_only(200),
    ("PUT", "/projects/{project_id}/business-hours"): leads_only(200),
    # Nothing is stored: leads, who edit the schedule, see what it would say first.
    ("POST", "/projects/{project_id}/business-hours/preview"): leads_only(200),
    ("POST", "/projects/{project_id}/replies"): team_only(201),  # personal replies
    ("PATCH", "/projects/{project_id}/replies/{reply_id}"): leads_only(200),  # a shared one
    ("DELETE", "/projects/{project_id}/replies/{reply_id}"): leads_only(204),
    ("POST", "/projects/{project_id}/team/messages"): team_only(201),
    ("GET", "/projects/{project_id}/billing"): team_only(200),
    # Choosing (here: staying on Free) and paying: the administrator only.
    ("POST", "/projects/{project_id}/billing/plan"): owner_only(200),
    # No payment details yet: the administrator passes the check and meets the conflict.
    ("POST", "/projects/{project_id}/billing/portal"): owner_only(409),
    # Nothing waiting for payment: the administrator passes the check and meets the conflict.
    ("DELETE", "/projects/{project_id}/billing/checkout"): owner_only(409),
    ("GET", "/projects/{project_id}/visitors/online"): team_only(200),
    ("GET", "/projects/{project_id}/chats/{chat_id}/visitor"): team_only(200),
    ("GET", "/projects/{project_id}/identity-secret"): leads_only(200),
    ("GET", "/projects/{project_id}/install"): team_only(200),
    # The visitor token travels in the body: test_identity.
    ("POST", "/widget/identify"): PUBLIC,
    ("POST", "/widget/events"): PUBLIC,  # visitor token in the body: test_identity
    ("POST", "/widget/contact"): PUBLIC,  # visitor token in the body: test_prechat
    ("POST", "/widget/transcript"): PUBLIC,  # token in the body: test_widget_transcript
    ("POST", "/widget/auto-messages/{message_id}/events"): PUBLIC,  # token in the body
    # The world's visitor is in a dialogue already: members pass the check, then conflict.
    ("POST", "/projects/{project_id}/visitors/{visitor_id}/chats"): team_only(409),
    # The visitor token travels in the body (a CORS simple request): test_visitor_tracking.
    ("POST", "/widget/heartbeat"): PUBLIC,
    ("GET", "/projects/{project_id}/auto-messages"): leads_only(200),
    ("POST", "/projects/{project_id}/auto-messages"): leads_only(201),
    ("GET", "/projects/{project_id}/auto-messages/{message_id}"): leads_only(200),
    ("PATCH", "/projects/{project_id}/auto-messages/{message_id}"): leads_only(200),
    ("DELETE", "/projects/{project_id}/auto-messages/{message_id}"): leads_only(204),
    ("POST", "/projects/{project_id}/attachments"): leads_only(201),
    # The same for every operator (it is not project data); tokens are still checked.
    ("GET", "/targeting/catalogue"): team_only(200, outsider=200),
    # Web Push: the caller's own devices. The subscription is the administrator's: the
    # others name an id that is not theirs and get the same 404 as for none.
    ("GET", "/push/key"): team_only(200, outsider=200),
    ("GET", "/me/push-subscriptions"): team_only(200, outsider=200),
    ("PUT", "/me/push-subscriptions"): team_only(200, outsider=200),
    ("PATCH", "/me/push-subscriptions/{subscription_id}"): {
        **team_only(404, outsider=404),
        "administrator": 200,
    },
    ("DELETE", "/me/push-subscriptions/{subscription_id}"): {
        **team_only(404, outsider=404),
        "administrator": 204,
    },
    # Messenger channels (test_channel_connect.py): leads only. The body names no real
    # token, so the leads get the 400 that follows the access check; no such channel: 404.
    ("GET", "/projects/{project_id}/channels"): leads_only(200),
    ("POST", "/projects/{project_id}/channels/telegram"): leads_only(400),
    ("POST", "/projects/{project_id}/channels/messenger"): leads_only(400),
    ("GET", "/projects/{project_id}/channels/{channel_id}"): leads_only(404),
    ("DELETE", "/projects/{project_id}/channels/{channel_id}"): leads_only(404),
    # The platforms' webhooks: the secret header or signature is the authentication
    # (test_channel_inbound.py covers missing, wrong and right).
    ("POST", "/channels/telegram/{channel_id}"): PUBLIC,
    ("GET", "/channels/messenger/{channel_id}"): PUBLIC,
    ("POST", "/channels/messenger/{channel_id}"): PUBLIC,
    ("GET", "/widget/messages"): {
        "administrator": 401,
        "manager": 401,
        "operator": 401,
        "outsider": 401,
        "visitor": 200,
        "anonymous": 401,
    },
}

# A device's subscription as a browser makes it (tests/functional/push_helpers.py).
PUSH_SUBSCRIPTION = push_helpers.subscription_body("https://push.example.test/matrix")

BODIES = {
    ("PUT", "/me/push-subscriptions"): PUSH_SUBSCRIPTION,
    ("PATCH", "/me/push-subscriptions/{subscription_id}"): {"prefs": {"mentions": False}},
    ("POST", "/projects/{project_id}/visitors/{visitor_id}/chats"): {
        "client_id": "proactive-0001",
        "text": "Can I help?",
    },
    ("PATCH", "/projects/{project_id}"): {"name": "Renamed"},
    ("PUT", "/me/last-project"): {"project_id": "{project_id}"},  # filled in like paths
    ("POST", "/projects"): {"name": "Another site"},
    ("POST", "/projects/{project_id}/members"): {
        "email": "x@example.com",
        "name": "X",
        "role": "operator",
    },
    ("PATCH", "/projects/{project_id}/members/{user_id}"): {"chat_admin": True},
    ("POST", "/projects/{project_id}/chats/{chat_id}/messages"): {
        "client_id": "matrix-01",
        "text": "hi",
    },
    ("POST", "/projects/{project_id}/chats/{chat_id}/notes"): {
        "client_id": "matrix-02",
        "text": "note",
    },
    ("POST", "/projects/{project_id}/team/messages"): {"client_id": "matrix-03", "text": "hey"},
    ("POST", "/projects/{project_id}/replies"): {"shortcut": "mine", "title": "t", "text": "x"},
    ("PATCH", "/projects/{project_id}/replies/{reply_id}"): {"title": "Greeting"},
    ("PUT", "/projects/{project_id}/status"): {"status": "away"},
    ("PUT", "/projects/{project_id}/escalation-emails"): {"escalation_emails": False},
    ("PUT", "/projects/{project_id}/business-hours"): {"away_message": "Back soon"},
    ("POST", "/projects/{project_id}/business-hours/preview"): {"business_hours": None},
    ("POST", "/projects/{project_id}/billing/plan"): {"plan": "free"},
    ("POST", "/projects/{project_id}/auto-messages"): {
        "name": "Matrix",
        "type": "proactive",
        "content": {"text": "Hi"},
    },
    ("PATCH", "/projects/{project_id}/auto-messages/{message_id}"): {"enabled": False},
    ("POST", "/projects/{project_id}/attachments"): {
        "name": "a.png",
        "content_type": "image/png",
        "size": 10,
    },
}

# Socket actions: what each caller's frame gets. "ok" = no error frame back.
SOCKET_ACTIONS = {
    "send": {
        "administrator": "ok",
        "manager": "ok",
        "operator": "ok",
        "outsider": "forbidden",
        "visitor": "ok",
        "anonymous": "unauthorized",
    },
    "typing": {
        "administrator": "ok",
        "manager": "ok",
        "operator": "ok",
        "outsider": "forbidden",
        "visitor": "ok",
        "anonymous": "unauthorized",
    },
    "read": {
        "administrator": "ok",
        "manager": "ok",
        "operator": "ok",
        "outsider": "forbidden",
        "visitor": "ok",
        "anonymous": "unauthorized",
    },
    # What a panel tab shows (for the notifier): the team's sockets only.
    "viewing": {
        "administrator": "ok",
        "manager": "ok",
        "operator": "ok",
        "outsider": "forbidden",
        "visitor": "forbidden",
        "anonymous": "unauthorized",
    },
    # Only the visitor rates; this dialogue is still open, so the visitor meets a conflict.
    "rate": {
        "administrator": "forbidden",
        "manager": "forbidden",
        "operator": "forbidden",
        "outsider": "forbidden",
        "visitor": "conflict",
        "anonymous": "unauthorized",
    },
}


@pytest.fixture
def world(platform):
    owner = platform.sign_up(project_name="Target")
    manager = platform.member(owner, "manager")
    operator = platform.member(owner, "operator")
    outsider = platform.sign_up(project_name="Elsewhere")
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "world-0001", "text": "hello"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    shared_reply = platform.post(
        f"/projects/{owner.project_id}/replies",
        {"shortcut": "hi", "title": "Hi", "text": "Hello!", "shared": True},
        owner.auth,
    ).json_body["reply"]["id"]
    auto_message = platform.post(
        f"/projects/{owner.project_id}/auto-messages",
        {"name": "Welcome", "type": "proactive", "content": {"text": "Hello!"}},
        owner.auth,
    ).json_body["auto_message"]["id"]
    subscription = platform.client.http.put(
        "/me/push-subscriptions",
        headers=owner.auth,
        body=json.dumps(push_helpers.subscription_body("https://push.example.test/owner")),
    ).json_body["subscription"]["id"]
    platform.sender.clear()
    tokens = {
        "administrator": owner.token,
        "manager": manager.token,
        "operator": operator.token,
        "outsider": outsider.token,
        "visitor": visitor.token,
        "anonymous": None,
    }
    return {
        "owner": owner,
        "operator": operator,
        "chat_id": chat_id,
        "visitor_id": visitor.visitor_id,
        "tokens": tokens,
        "tab": tab,
        "reply_id": shared_reply,
        "auto_message_id": auto_message,
        "subscription_id": subscription,
    }


def test_every_route_has_a_rule():
    import app

    routes = {(method, path) for path, entry in app.app.routes.items() for method in entry}
    assert routes - set(ROUTES) == set(), "add a rule for each new route"
    assert set(ROUTES) - routes == set(), "remove rules of routes that are gone"


def test_every_socket_action_has_a_rule():
    assert set(_ACTIONS) == set(SOCKET_ACTIONS)


CASES = [
    (method, path, caller, expected)
    for (method, path), rule in ROUTES.items()
    if rule != PUBLIC
    for caller, expected in rule.items()
]


@pytest.mark.parametrize(
    "method, path, caller, expected", CASES, ids=[f"{m} {p} as {c}" for m, p, c, _ in CASES]
)
def test_each_caller_gets_the_right_answer(platform, world, method, path, caller, expected):
    url = path.format(
        project_id=world["owner"].project_id,
        chat_id=world["chat_id"],
        user_id=world["operator"].user_id,
        reply_id=world["reply_id"],
        visitor_id=world["visitor_id"],
        message_id=world["auto_message_id"],
        subscription_id=world["subscription_id"],
        channel_id="tg123456",
    )
    token = world["tokens"][caller]
    # Widget calls come from the customer's page (allowed domains: test_origins.py).
    headers = {"Content-Type": "application/json", "Origin": SITE_ORIGIN}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(BODIES.get((method, path), {})).replace(
        "{project_id}", world["owner"].project_id
    )
    http = platform.client.http
    response = {
        "GET": lambda: http.get(url, headers=headers),
        "POST": lambda: http.post(url, headers=headers, body=body),
        "PATCH": lambda: http.patch(url, headers=headers, body=body),
        "PUT": lambda: http.put(url, headers=headers, body=body),
        "DELETE": lambda: http.delete(url, headers=headers),
    }[method]()
    assert response.status_code == expected, response.body[:200]


SOCKET_CASES = [(a, c, e) for a, rule in SOCKET_ACTIONS.items() for c, e in rule.items()]


@pytest.mark.parametrize(
    "action, caller, expected", SOCKET_CASES, ids=[f"{a} as {c}" for a, c, _ in SOCKET_CASES]
)
def test_each_caller_gets_the_right_answer_on_the_socket(platform, world, action, caller, expected):
    frame = {
        "action": action,
        "client_id": "matrix-sock1",
        "text": "hi",
        "typing": True,
        "rating": "great",
        "chat_id": world["chat_id"],
        "project": world["owner"].project_id,
    }
    if world["tokens"][caller]:
        frame["token"] = world["tokens"][caller]
    platform.frame(world["tab"], frame)

    errors = [f for f in platform.sender.frames_for(world["tab"]) if f["type"] == "error"]
    if expected == "ok":
        assert errors == []
    else:
        assert [e["code"] for e in errors] == [expected]
