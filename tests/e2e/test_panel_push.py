"""The panel's Web Push client in real Chromium against the local stack: Settings'
"Notifications on this device" card (subscribe, this device's choices, the other devices,
logout forgetting this one, why push is unavailable), and the `viewing` frame telling the
server which chat the window shows.

The card's calls (GET /push/key, /me/push-subscriptions) are answered with page.route
here, from the contract (docs/API.md, "Web Push"): their server side is built separately;
once it is in, these routes can go and the real server answer. Headless Chromium has no
push service: pushManager.subscribe is replaced by a stand-in returning a subscription to
a made-up endpoint (the real one is exercised where it fails: the "unavailable" test).
"""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_panel_pwa import _login, _until
from tests.e2e.test_panel_workflow import Account, _section, _visitor_writes

pytestmark = pytest.mark.browser


def _fake_push_service(page):
    """Headless Chromium has no push service: subscribe() answers with a made-up one, kept
    across reloads (sessionStorage) as a browser keeps its subscription."""
    page.add_init_script("""(() => {
      const KEY = 'test:fake-push-key';
      const make = (key) => ({
        endpoint: 'https://push.example/send/device-1',
        options: { applicationServerKey: key.buffer, userVisibleOnly: true },
        toJSON() { return { endpoint: this.endpoint, keys: { p256dh: 'BPk', auth: 'au' } }; },
        unsubscribe() {
          sessionStorage.removeItem(KEY);
          window.__unsubscribed = (window.__unsubscribed || 0) + 1;
          return Promise.resolve(true);
        },
      });
      PushManager.prototype.subscribe = function (o) {
        const key = new Uint8Array(o.applicationServerKey);
        sessionStorage.setItem(KEY, JSON.stringify(Array.from(key)));
        return Promise.resolve(make(key));
      };
      PushManager.prototype.getSubscription = function () {
        const kept = sessionStorage.getItem(KEY);
        return Promise.resolve(kept ? make(Uint8Array.from(JSON.parse(kept))) : null);
      };
    })()""")


class PushRoutes:
    """The contract's REST routes for this member's devices, answered in the page."""

    def __init__(self, page, api):
        self.calls = []
        self.devices = [
            {
                "id": "b" * 32,
                "label": "Firefox on Android",
                "created_at": "2026-12-01T10:00:00Z",
                "last_sent_at": None,
                "prefs": {},
            },
        ]
        page.route(f"{api}/push/key", self._key)
        page.route(re.compile(re.escape(api) + r"/me/push-subscriptions(/.*)?$"), self._subs)

    def _key(self, route):
        self.calls.append((route.request.method, "/push/key", None))
        route.fulfill(json={"public_key": "BAAA" + "A" * 82})

    def _subs(self, route):
        request = route.request
        path = request.url.split("/me/push-subscriptions", 1)[1]
        body = request.post_data_json if request.post_data else None
        auth = request.headers.get("authorization", "")
        self.calls.append((request.method, path, body))
        if request.method == "OPTIONS":
            route.fulfill(status=204)
        elif not auth.startswith("Bearer "):
            route.fulfill(
                status=401, json={"error": {"code": "unauthorized", "message": "No token"}}
            )
        elif request.method == "GET":
            route.fulfill(json={"subscriptions": self.devices})
        elif request.method == "PUT":
            mine = {
                "id": "a" * 32,
                "label": body["label"],
                "created_at": "2026-12-04T21:00:00Z",
                "last_sent_at": None,
                "prefs": {
                    "new_chats": True,
                    "my_chats": True,
                    "assigned": True,
                    "mentions": True,
                    "when_offline": False,
                },
            }
            self.devices = [d for d in self.devices if d["id"] != mine["id"]] + [mine]
            route.fulfill(json={"subscription": mine})
        elif request.method == "PATCH":
            device = next(d for d in self.devices if d["id"] == path[1:])
            device["prefs"] = {**device["prefs"], **body["prefs"]}
            route.fulfill(json={"subscription": device})
        elif request.method == "DELETE":
            self.devices = [d for d in self.devices if d["id"] != path[1:]]
            route.fulfill(status=204)


def test_settings_subscribe_this_device_choose_and_remove_devices(new_page, stack):
    account = Account(stack)
    page = new_page(viewport={"width": 1400, "height": 900})
    _fake_push_service(page)
    routes = PushRoutes(page, stack.info["api"])
    page.context.grant_permissions(["notifications"])
    logged_out = []
    page.on(
        "request",
        lambda r: (
            (logged_out.append(1), routes.calls.append(("POST", "/auth/logout", None)))
            if r.url.endswith("/auth/logout")
            else None
        ),
    )
    _login(page, stack, account.email)
    _section(page, "Settings")
    card = page.get_by_role("region", name="Notifications on this device")
    other = card.locator(f'li[data-subscription-id="{"b" * 32}"]')
    expect(other).to_contain_text("Firefox on Android")
    card.get_by_role("button", name="Notify me on this device").click()
    expect(card.get_by_role("status")).to_contain_text("This device (Chrome on Linux) is notified")
    put = next(c for c in routes.calls if c[0] == "PUT")
    assert put[2] == {
        "endpoint": "https://push.example/send/device-1",
        "keys": {"p256dh": "BPk", "auth": "au"},
        "label": "Chrome on Linux",
    }
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('lc-panel:push:'))")
    # This device's choices: as the server has them; a change is sent at once.
    expect(card.get_by_label("New chats I may take")).to_be_checked()
    expect(card.get_by_label("Also while my status is offline")).not_to_be_checked()
    card.get_by_label("Team chat messages that name me").uncheck()
    _until(page, lambda: [c for c in routes.calls if c[0] == "PATCH"])
    assert [c for c in routes.calls if c[0] == "PATCH"] == [
        ("PATCH", "/" + "a" * 32, {"prefs": {"mentions": False}})
    ]
    # The other device is removed; this one is not listed among "other devices".
    expect(card.locator(f'li[data-subscription-id="{"a" * 32}"]')).to_have_count(0)
    other.get_by_role("button", name="Remove Firefox on Android").click()
    expect(other).to_have_count(0)
    assert ("DELETE", "/" + "b" * 32, None) in routes.calls
    # A reload remembers this device's subscription.
    page.reload()
    _section(page, "Settings")
    expect(card.get_by_role("status")).to_contain_text("is notified")
    # Logout: this device's subscription is deleted before the session is.
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("body")).to_have_attribute("data-state", "login")
    _until(page, lambda: page.evaluate("() => window.__unsubscribed === 1"))
    deletes = [c for c in routes.calls if c[0] == "DELETE"]
    assert deletes[-1] == ("DELETE", "/" + "a" * 32, None)
    _until(page, lambda: logged_out)
    order = [c[:2] for c in routes.calls]
    assert order.index(("DELETE", "/" + "a" * 32)) < order.index(("POST", "/auth/logout"))
    assert (
        page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('lc-panel:push:'))")
        == []
    )


def test_settings_explain_when_push_is_not_available(new_page, stack):
    account = Account(stack)
    page = new_page(viewport={"width": 1400, "height": 900})
    PushRoutes(page, stack.info["api"])
    page.context.grant_permissions(["notifications"])
    _login(page, stack, account.email)
    _section(page, "Settings")
    card = page.get_by_role("region", name="Notifications on this device")
    # The real pushManager.subscribe: headless Chromium reaches no push service.
    card.get_by_role("button", name="Notify me on this device").click()
    expect(card.get_by_role("status")).to_contain_text("could not reach its push service")
    expect(card.get_by_role("status")).to_contain_text("headless browser")
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
    """Between the panel and the WebSocket API: records what the panel sends, and can cut
    the connection (the panel reconnects). The `viewing` frames stop here, answered by
    ``viewing_answer`` (None: nothing, as the contract's server does): the server side of
    the frame is built separately, and a server without it answers "unknown action"."""

    def __init__(self, page, viewing_answer=None):
        self.sent, self.live, self.answer = [], [], viewing_answer
        page.route_web_socket(re.compile(r"^ws://"), self._route)

    def _route(self, ws):
        server = ws.connect_to_server()

        def from_panel(message):
            self.sent.append(message)
            if '"action":"viewing"' in message.replace(" ", ""):
                if self.answer:
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


def test_the_panel_tells_the_server_which_chat_it_shows(new_page, stack):
    account = Account(stack)
    _visitor_writes(new_page, stack, account.project_id, "Is this in stock?")
    page = new_page(viewport={"width": 1400, "height": 900})
    tap = SocketTap(page)
    _login(page, stack, account.email)
    item = page.locator("button.chat-item").first
    chat_id = item.get_attribute("data-chat-id")
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")
    page.wait_for_timeout(300)
    assert tap.viewing() == []  # a new connection is "not looking" already: no frame
    item.click()
    _until(page, lambda: tap.viewing() == [chat_id])
    frame = json.loads(next(m for m in reversed(tap.sent) if '"viewing"' in m))
    assert frame["project"] == account.project_id and frame["token"]  # as every operator frame
    assert frame["client_id"] == "viewing"  # the server's error frame for it names it
    # The tab hidden: not looking any more; shown again: looking again. Nothing twice.
    hide = """(state) => {
      Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }"""
    page.evaluate(hide, "hidden")
    _until(page, lambda: tap.viewing() == [chat_id, None])
    page.evaluate(hide, "hidden")
    page.evaluate(hide, "visible")
    _until(page, lambda: tap.viewing() == [chat_id, None, chat_id])
    # Another section: the chat is not on the screen.
    _section(page, "Team")
    _until(page, lambda: tap.viewing()[-1:] == [None])
    _section(page, "Inbox")
    _until(page, lambda: tap.viewing()[-1:] == [chat_id])
    # After a reconnect the new connection is told again.
    count = len(tap.viewing())
    tap.cut()
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")
    _until(page, lambda: len(tap.viewing()) > count and tap.viewing()[-1] == chat_id)


def test_a_server_without_the_viewing_frame_costs_the_member_nothing(new_page, stack):
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
