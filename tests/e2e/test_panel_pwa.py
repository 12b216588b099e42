"""The installable panel and its Web Push client, in real Chromium against the local stack:
Chromium's own installability check (DevTools protocol), the service worker serving the
shell (a repeat load from its cache, offline to the panel's own screen, a new deploy's
worker taking over), pushes delivered through the DevTools protocol and shown as one
notification per chat, a click bringing the panel to that chat, and the `viewing` frame.

The Settings card's calls (GET /push/key, /me/push-subscriptions) are answered with
page.route here: their server side is built separately (docs/API.md, "Web Push"), and
headless Chromium has no push service to subscribe with (pushManager.subscribe is
replaced by a stand-in that returns a subscription to a made-up endpoint).
"""

import json
import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.test_panel_workflow import PASSWORD, Account, _panel, _section, _visitor_writes

pytestmark = pytest.mark.browser

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
NOTIFICATIONS_JS = """() => navigator.serviceWorker.ready
  .then((r) => r.getNotifications())
  .then((ns) => ns.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })))"""


def _registration_id(page, cdp):
    """The worker's registration id, from the DevTools protocol's ServiceWorker events."""
    found = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: found.extend(r for r in event["registrations"] if not r["isDeleted"]),
    )
    cdp.send("ServiceWorker.enable")
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    for _ in range(50):  # the events arrive while Playwright waits
        match = [r["registrationId"] for r in found if r["scopeURL"] == scope]
        if match:
            return match[-1]
        page.wait_for_timeout(100)
    raise AssertionError(f"no ServiceWorker.workerRegistrationUpdated for {scope}: {found}")


def _push(page, cdp, registration_id, payload):
    before = len(page.evaluate(NOTIFICATIONS_JS))
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": page.evaluate("location.origin"),
            "registrationId": registration_id,
            "data": json.dumps(payload),
        },
    )
    return before


def _until(page, check, seconds=10):
    """Waits (letting Playwright deliver events) until check() is truthy."""
    for _ in range(int(seconds * 10)):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError("timed out waiting")


def _login(page, stack, email):
    page.goto(stack.info["panel"])
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("body")).to_have_attribute("data-state", "ready")


def test_chromium_finds_the_panel_installable(browser, stack, tmp_path):
    # A persistent profile: Chromium never offers to install from an incognito one, and
    # every new_context() is one ("in-incognito" is then the only error).
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(stack.info["panel"])
        page.wait_for_function(CONTROLLED)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == stack.info["panel"] + "manifest.webmanifest"
        assert manifest["errors"] == []
        data = json.loads(manifest["data"])
        assert data["display"] == "standalone" and data["start_url"] == "index.html"
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        # The icons Chromium would install are the ones the manifest names, as PNGs.
        for icon in data["icons"]:
            response = page.request.get(stack.info["panel"] + icon["src"])
            assert response.ok and response.headers["content-type"] == "image/png"
    finally:
        context.close()


def test_the_shell_comes_from_the_worker_and_the_panel_opens_offline(new_page, stack):
    account = Account(stack)
    page = _panel(new_page, stack, account.email)
    page.wait_for_function(CONTROLLED)  # clients.claim(): the first load is controlled too
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == (
        stack.info["panel"] + "sw.js"
    )
    version = page.evaluate("caches.keys()")
    assert len(version) == 1 and re.fullmatch(r"lc-panel-shell-[0-9a-f]{16}", version[0])

    # A repeat load: every shell file from the worker's cache, config.json from the network.
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")
    base = stack.info["panel"]
    shell = {r.url[len(base) :] or "index.html": r for r in responses if r.url.startswith(base)}
    for name in ("index.html", "main.js", "core/dom.js", "views/push.js", "core.css"):
        assert shell[name].from_service_worker, name
    assert [n for n, r in shell.items() if not r.from_service_worker] == ["config.json"]
    assert not any(r.from_service_worker for r in responses if r.url.startswith(stack.info["api"]))

    # Offline: the panel's own screen (not the browser's error page), then back by itself.
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-state", "offline")
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    expect(
        page.get_by_role("status").filter(has_text="We reconnect when the network is back.")
    ).to_be_visible()
    assert page.url.startswith(base) and page.locator("#app").is_hidden()
    page.context.set_offline(False)
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")
    expect(page.locator("#offline")).to_be_hidden()


def test_a_new_worker_takes_over_at_once_and_drops_older_caches(new_page, stack):
    page = new_page()
    page.goto(stack.info["panel"])
    page.wait_for_function(CONTROLLED)
    [current] = page.evaluate("caches.keys()")
    served = page.request.get(stack.info["panel"] + "sw.js").text()
    assert f'const VERSION = "{current[len("lc-panel-shell-") :]}";' in served
    # An older deploy's cache, and a new worker (another script URL is one, as new bytes
    # are): it activates without waiting for the tab to close, controls the open page and
    # deletes every older shell cache (the version itself is tests/unit/test_panel_shell.py's).
    took_over = page.evaluate("""() => caches.open('lc-panel-shell-0000000000000000')
      .then(() => new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), 10000);
        navigator.serviceWorker.addEventListener('controllerchange', () => { clearTimeout(timer); resolve(true); }, { once: true });
        navigator.serviceWorker.register('sw.js?next', { scope: './' });
      }))""")
    assert took_over, "the new worker waited"
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("sw.js?next")
    _until(page, lambda: page.evaluate("caches.keys()") == [current])
    page.context.set_offline(True)
    page.reload()  # the new worker serves the shell it precached
    expect(page.locator("body")).to_have_attribute("data-state", "offline")


def test_a_push_shows_one_notification_per_chat_and_its_click_opens_that_chat(new_page, stack):
    account = Account(stack)
    _visitor_writes(new_page, stack, account.project_id, "Do you ship to Norway?")
    page = _panel(new_page, stack, account.email)
    page.wait_for_function(CONTROLLED)
    chat_id = page.locator("button.chat-item").first.get_attribute("data-chat-id")
    page.context.grant_permissions(["notifications"])
    cdp = page.context.new_cdp_session(page)
    registration = _registration_id(page, cdp)
    url = f"{stack.info['panel']}#/{account.project_id}/inbox/{chat_id}"
    payload = {
        "title": "Shop · Visitor",
        "body": "Do you ship to Norway?",
        "tag": f"chat-{chat_id}",
        "url": url,
        "project_id": account.project_id,
        "chat_id": chat_id,
        "kind": "new_chat",
        "at": "2026-12-04T21:00:00Z",
    }
    _push(page, cdp, registration, payload)
    _until(page, lambda: len(page.evaluate(NOTIFICATIONS_JS)) == 1)
    [shown] = page.evaluate(NOTIFICATIONS_JS)
    assert shown["title"] == "Shop · Visitor" and shown["body"] == "Do you ship to Norway?"
    assert shown["tag"] == f"chat-{chat_id}"
    assert shown["data"] == {
        "url": url,
        "chat_id": chat_id,
        "project_id": account.project_id,
        "kind": "new_chat",
    }
    # The next message of that chat replaces it: still one notification, the new text.
    _push(page, cdp, registration, {**payload, "body": "And to Iceland?", "kind": "message"})
    _until(
        page, lambda: [n["body"] for n in page.evaluate(NOTIFICATIONS_JS)] == ["And to Iceland?"]
    )
    # Another chat is a notification of its own; a URL off the panel is never followed.
    _push(page, cdp, registration, {**payload, "tag": "chat-other", "url": "https://evil.example/"})
    _until(page, lambda: len(page.evaluate(NOTIFICATIONS_JS)) == 2)
    other = next(n for n in page.evaluate(NOTIFICATIONS_JS) if n["tag"] == "chat-other")
    assert other["data"]["url"] == stack.info["panel"] + "index.html"

    # The click, with the panel on another section: it shows that chat, no reload.
    _section(page, "Settings")
    page.evaluate("window.__sameDocument = true")
    [worker] = [w for w in page.context.service_workers if w.url.endswith("/panel/sw.js")]
    worker.evaluate(
        """(tag) => self.registration.getNotifications({ tag }).then(([n]) =>
          self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n })))""",
        f"chat-{chat_id}",
    )
    expect(page.locator("body")).to_have_attribute("data-view", "inbox")
    expect(page.locator(f'button.chat-item.selected[data-chat-id="{chat_id}"]')).to_be_visible()
    expect(page.get_by_role("region", name="Conversation")).to_contain_text(
        "Do you ship to Norway?"
    )
    assert page.evaluate("window.__sameDocument") is True
    _until(page, lambda: [n["tag"] for n in page.evaluate(NOTIFICATIONS_JS)] == ["chat-other"])

    # Which window a click goes to, as the worker decides it (clients.openWindow and
    # focus() need a real click, which the DevTools protocol cannot make).
    scope = stack.info["panel"]
    target = lambda windows, to: worker.evaluate(  # noqa: E731
        "([w, u, s]) => clickTarget(w, u, s)", [windows, to, scope]
    )
    here = {
        "url": f"{scope}#/{account.project_id}/inbox",
        "focused": False,
        "visibilityState": "hidden",
    }
    elsewhere = {"url": f"{scope}#/p_other/inbox", "focused": True, "visibilityState": "visible"}
    foreign = {"url": "http://127.0.0.1:1/other/", "focused": True, "visibilityState": "visible"}
    assert target([], url) == -1  # no panel window: open one
    assert target([foreign], url) == -1
    assert target([elsewhere, here], url) == 1  # already on that project: no reload
    assert (
        target([elsewhere, {**here, "url": f"{scope}#/p_third/inbox"}], url) == 0
    )  # the focused one
    # No window at all: the worker opens one at the chat's address.
    worker.evaluate(
        """(tag) => {
      self.__opened = [];
      Clients.prototype.matchAll = () => Promise.resolve([]);
      Clients.prototype.openWindow = (u) => { self.__opened.push(u); return Promise.resolve(null); };
      return self.registration.getNotifications({ tag }).then(([n]) =>
        self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n })));
    }""",
        "chat-other",
    )
    _until(page, lambda: worker.evaluate("self.__opened.length"))
    assert worker.evaluate("self.__opened") == [scope + "index.html"]


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
    the connection (the panel reconnects)."""

    def __init__(self, page):
        self.sent, self.live = [], []
        page.route_web_socket(re.compile(r"^ws://"), self._route)

    def _route(self, ws):
        server = ws.connect_to_server()
        ws.on_message(lambda message: (self.sent.append(message), server.send(message)))
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
    _until(page, lambda: tap.viewing() == [None])  # a new connection: nothing open
    item = page.locator("button.chat-item").first
    chat_id = item.get_attribute("data-chat-id")
    item.click()
    _until(page, lambda: tap.viewing() == [None, chat_id])
    frame = json.loads(next(m for m in reversed(tap.sent) if '"viewing"' in m))
    assert frame["project"] == account.project_id and frame["token"]  # as every operator frame
    # The tab hidden: not looking any more; shown again: looking again. Nothing twice.
    hide = """(state) => {
      Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }"""
    page.evaluate(hide, "hidden")
    _until(page, lambda: tap.viewing() == [None, chat_id, None])
    page.evaluate(hide, "hidden")
    page.evaluate(hide, "visible")
    _until(page, lambda: tap.viewing() == [None, chat_id, None, chat_id])
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
