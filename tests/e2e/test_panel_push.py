"""The panel's Web Push client in real Chromium against the real local stack: Settings'
"Notifications on this device" card (subscribe, this device's choices, the other devices,
logout forgetting this one, why push is unavailable) as the server stores it, the
`viewing` frame keeping pushes away from the chat on the screen, and the whole chain: a
visitor writes, the notifier's push reaches the fake push service (infra/local/fake_push.py,
which checks VAPID and decrypts it), and its payload, delivered to the panel's service
worker, is shown as one notification per chat.

Headless Chromium has no push service, so one stand-in is left: pushManager.subscribe
answers with a test device the fake push service made for the app's VAPID key (as its
page's "Log in and subscribe" does): its endpoint is on the fake, which holds the private
half of its keys, so the real notifier's pushes to it are checked and decrypted there.
"""

import base64
import hashlib
import json
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _section, _visitor_writes
from tests.e2e.push_panel import (
    PUSH_KEYS,
    _device_state,
    _fake_device,
    _listed,
    _push_for,
    _queue_drained,
    _subscribe_in_settings,
    _subscribe_stand_in,
    _viewing_records,
    _visitor_adds,
)
from tests.e2e.test_panel_pwa import (
    CONTROLLED,
    NOTIFICATIONS_JS,
    _login,
    _push,
    _registration_id,
    _until,
)

pytestmark = pytest.mark.browser


def test_settings_subscribe_this_device_choose_and_remove_devices(new_page, stack):
    account = Account(stack)
    # Another device of the member's, subscribed as the fake's page does it.
    other = _fake_device(stack, account, "Firefox on Android")
    put = requests.put(
        f"{account.api}/me/push-subscriptions",
        json={"endpoint": other["endpoint"], "keys": other["keys"], "label": "Firefox on Android"},
        headers=account.auth,
        timeout=10,
    )
    assert put.status_code == 200, put.text
    other_id = put.json()["subscription"]["id"]
    device = _fake_device(stack, account)
    page = new_page(viewport={"width": 1400, "height": 900})
    _subscribe_stand_in(page, device)
    calls = []
    page.on(
        "request",
        lambda r: (
            calls.append((r.method, r.url.split("?")[0]))
            if "/me/push-subscriptions" in r.url or r.url.endswith("/auth/logout")
            else None
        ),
    )
    page.context.grant_permissions(["notifications"])
    _login(page, stack, account.email)
    _section(page, "Settings")
    card = page.get_by_role("region", name="Notifications on this device")
    listed_other = card.locator(f'li[data-subscription-id="{other_id}"]')
    expect(listed_other).to_contain_text("Firefox on Android")
    card.get_by_role("button", name="Notify me on this device").click()
    expect(card.get_by_role("status")).to_contain_text("This device (Chrome on Linux) is notified")
    # The panel subscribed with the app's VAPID key, and the server has this device now.
    assert page.evaluate("window.__subscribedWith") == device["server_key"]
    mine = _listed(stack, account.email)["Chrome on Linux"]
    assert mine["prefs"] == {"new_chats": True, "my_chats": True, "assigned": True,
                             "mentions": True, "when_offline": False}  # fmt: skip
    assert "endpoint" not in mine and "keys" not in mine
    [stored] = page.evaluate(PUSH_KEYS)
    assert page.evaluate("(k) => localStorage.getItem(k)", stored) == mine["id"]
    # This device's choices: as the server has them; a change is stored at once.
    expect(card.get_by_label("New chats I may take")).to_be_checked()
    expect(card.get_by_label("Also while my status is offline")).not_to_be_checked()
    card.get_by_label("Team chat messages that name me").uncheck()
    _until(
        page, lambda: _listed(stack, account.email)["Chrome on Linux"]["prefs"]["mentions"] is False
    )
    assert _listed(stack, account.email)["Chrome on Linux"]["prefs"] == {
        **mine["prefs"],
        "mentions": False,
    }
    # The other device is removed on the server; this one is not among "other devices".
    expect(card.locator(f'li[data-subscription-id="{mine["id"]}"]')).to_have_count(0)
    listed_other.get_by_role("button", name="Remove Firefox on Android").click()
    expect(listed_other).to_have_count(0)
    assert set(_listed(stack, account.email)) == {"Chrome on Linux"}
    # A reload remembers this device's subscription and shows the stored choices.
    page.reload()
    _section(page, "Settings")
    expect(card.get_by_role("status")).to_contain_text("is notified")
    expect(card.get_by_label("Team chat messages that name me")).not_to_be_checked()
    expect(card.get_by_label("New chats I may take")).to_be_checked()
    # Logout: this device's subscription is deleted on the server, before the session is.
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("body")).to_have_attribute("data-state", "login")
    _until(page, lambda: page.evaluate("() => window.__unsubscribed === 1"))
    _until(page, lambda: ("POST", f"{account.api}/auth/logout") in calls)
    delete = ("DELETE", f"{account.api}/me/push-subscriptions/{mine['id']}")
    assert calls.index(delete) < calls.index(("POST", f"{account.api}/auth/logout"))
    assert _listed(stack, account.email) == {}
    assert page.evaluate(PUSH_KEYS) == []


def test_settings_explain_when_push_is_not_available(new_page, stack):
    account = Account(stack)
    page = new_page(viewport={"width": 1400, "height": 900})
    page.context.grant_permissions(["notifications"])
    _login(page, stack, account.email)
    _section(page, "Settings")
    card = page.get_by_role("region", name="Notifications on this device")
    # The real pushManager.subscribe: headless Chromium reaches no push service.
    card.get_by_role("button", name="Notify me on this device").click()
    expect(card.get_by_role("status")).to_contain_text("could not reach its push service")
    expect(card.get_by_role("status")).to_contain_text("headless browser")
    assert _listed(stack, account.email) == {}  # nothing half-subscribed on the server
    # Blocked notifications: said plainly, and no button that cannot work.
    page.context.clear_permissions()
    page.evaluate(
        """() => Object.defineProperty(Notification, 'permission', { get: () => 'denied' })"""
    )
    _section(page, "Inbox")
    _section(page, "Settings")
    expect(card.get_by_role("status")).to_contain_text("Notifications are blocked for this site")
    expect(card.get_by_role("button", name="Notify me on this device")).to_be_hidden()


class SocketTap:
    """Between the panel and the WebSocket API: records what the panel sends and can cut
    the connection (the panel reconnects). Frames go on to the real server, except with
    ``viewing_answer``: then the `viewing` frames stop here and get that answer, as an
    older server (before Web Push) would give it."""

    def __init__(self, page, viewing_answer=None):
        self.sent, self.live, self.answer = [], [], viewing_answer
        page.route_web_socket(re.compile(r"^ws://"), self._route)

    def _route(self, ws):
        server = ws.connect_to_server()

        def from_panel(message):
            self.sent.append(message)
            if self.answer and '"action":"viewing"' in message.replace(" ", ""):
                ws.send(json.dumps(self.answer))
                return
            server.send(message)

        ws.on_message(from_panel)
        server.on_message(lambda message: ws.send(message))
        self.live.append((ws, server))

    def viewing(self):
        frames = [json.loads(m) for m in self.sent if isinstance(m, str) and '"viewing"' in m]
        return [f["chat_id"] for f in frames if f.get("action") == "viewing"]

    def cut(self):
        for ws, server in self.live:
            server.close()
            ws.close(code=1011, reason="network down")
        self.live.clear()


HIDE = """(state) => {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}"""


def test_no_push_for_the_chat_on_the_screen_one_once_it_is_not(new_page, stack):
    account = Account(stack)
    visitor = _visitor_writes(new_page, stack, account.project_id, "Is this in stock?")
    device = _fake_device(stack, account)
    page = new_page(viewport={"width": 1400, "height": 900})
    _subscribe_stand_in(page, device)
    tap = SocketTap(page)
    _login(page, stack, account.email)
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")
    _subscribe_in_settings(page)
    _section(page, "Inbox")
    assert tap.viewing() == []  # a new connection is "not looking" already: no frame
    item = page.locator("button.chat-item").first
    chat_id = item.get_attribute("data-chat-id")
    item.click()
    _until(page, lambda: tap.viewing() == [chat_id])
    frame = json.loads(next(m for m in reversed(tap.sent) if '"viewing"' in m))
    assert frame["project"] == account.project_id and frame["token"]  # as every operator frame
    assert frame["client_id"] == "viewing"  # the server's error frame for it names it
    _until(page, lambda: _viewing_records(stack, account.project_id) == [chat_id])
    expect(page.locator("#toasts .toast-error")).to_have_count(0)  # the server took it

    # The visitor writes in the chat on the screen: the notifier handles it, no push.
    _visitor_adds(visitor, "Do you have it in blue?", 2)
    _until(page, lambda: _queue_drained(stack))
    assert _device_state(stack, device["id"])["requests"] == 0

    # The tab hidden: not looking any more; the next message is pushed.
    page.evaluate(HIDE, "hidden")
    _until(page, lambda: tap.viewing() == [chat_id, None])
    _until(page, lambda: _viewing_records(stack, account.project_id) == [None])
    _visitor_adds(visitor, "Or in green?", 3)
    push = _push_for(page, stack, device["id"], "Or in green?")
    assert push["payload"]["tag"] == f"chat-{chat_id}"
    assert [p["payload"]["body"] for p in _device_state(stack, device["id"])["inbox"]] == [
        "Or in green?"
    ]
    # Shown again: looking again, nothing twice. Another section: not on the screen.
    page.evaluate(HIDE, "hidden")
    page.evaluate(HIDE, "visible")
    _until(page, lambda: tap.viewing() == [chat_id, None, chat_id])
    _section(page, "Team")
    _until(page, lambda: tap.viewing()[-1:] == [None])
    _section(page, "Inbox")
    _until(page, lambda: tap.viewing()[-1:] == [chat_id])
    # After a reconnect the new connection's record is told again.
    count = len(tap.viewing())
    tap.cut()
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")
    _until(page, lambda: len(tap.viewing()) > count and tap.viewing()[-1] == chat_id)
    _until(page, lambda: _viewing_records(stack, account.project_id) == [chat_id])


def test_a_server_without_the_viewing_frame_costs_the_member_nothing(new_page, stack):
    # Simulates an older server (before Web Push): the tap answers the frame as it would.
    account = Account(stack)
    _visitor_writes(new_page, stack, account.project_id, "Hello?")
    page = new_page(viewport={"width": 1400, "height": 900})
    unknown = {
        "type": "error",
        "code": "bad_request",
        "message": "unknown action 'viewing'",
        "client_id": "viewing",
    }
    tap = SocketTap(page, viewing_answer=unknown)
    _login(page, stack, account.email)
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")
    page.locator("button.chat-item").first.click()
    _until(page, lambda: len(tap.viewing()) == 1)
    _section(page, "Team")
    _section(page, "Inbox")
    page.wait_for_timeout(500)
    assert len(tap.viewing()) == 1  # told once, then not asked again
    expect(page.locator("#toasts .toast-error")).to_have_count(0)  # no error for the member


def _topic(tag):
    digest = hashlib.sha256(tag.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:32]


def test_a_visitor_message_is_pushed_decrypted_and_shown_one_notification_per_chat(new_page, stack):
    account = Account(stack)
    device = _fake_device(stack, account)
    page = new_page(viewport={"width": 1400, "height": 900})
    _subscribe_stand_in(page, device)
    _login(page, stack, account.email)
    page.wait_for_function(CONTROLLED)
    _subscribe_in_settings(page)
    cdp = page.context.new_cdp_session(page)
    registration = _registration_id(page, cdp)

    # Demo site -> widget -> SQS -> notifier -> pywebpush -> the fake, which decrypted it.
    visitor = _visitor_writes(new_page, stack, account.project_id, "Do you ship to Norway?")
    push = _push_for(page, stack, device["id"], "Do you ship to Norway?")
    payload = push["payload"]
    chat_id = payload["chat_id"]
    url = f"{stack.info['panel']}#/{account.project_id}/inbox/{chat_id}"
    assert (push["ttl"], push["urgency"]) == (3600, "high")
    assert push["topic"] == _topic(f"chat-{chat_id}")
    assert payload["title"].startswith("Shop · ")
    assert (payload["tag"], payload["url"], payload["kind"]) == (f"chat-{chat_id}", url, "new_chat")
    assert payload["project_id"] == account.project_id
    expect(page.locator(f'button.chat-item[data-chat-id="{chat_id}"]')).to_be_visible()

    # The fake hands the decrypted payload to the panel's worker, as a browser does.
    _push(page, cdp, registration, payload)
    _until(page, lambda: len(page.evaluate(NOTIFICATIONS_JS)) == 1)
    [shown] = page.evaluate(NOTIFICATIONS_JS)
    assert (shown["title"], shown["body"]) == (payload["title"], "Do you ship to Norway?")
    assert shown["tag"] == f"chat-{chat_id}"
    assert shown["data"]["url"] == url and shown["data"]["chat_id"] == chat_id

    # The same chat's next message: the same Topic (the fake replaced the pending push)
    # and the same tag (the worker replaced the notification): still one of each.
    _visitor_adds(visitor, "Or to Iceland?", 2)
    second = _push_for(page, stack, device["id"], "Or to Iceland?")
    assert second["topic"] == push["topic"] and second["replaced"] == 1
    assert [p["payload"]["body"] for p in _device_state(stack, device["id"])["inbox"]] == [
        "Or to Iceland?"
    ]
    _push(page, cdp, registration, second["payload"])
    _until(page, lambda: [n["body"] for n in page.evaluate(NOTIFICATIONS_JS)] == ["Or to Iceland?"])
    [shown] = page.evaluate(NOTIFICATIONS_JS)
    assert shown["tag"] == f"chat-{chat_id}" and shown["data"]["url"] == url
