"""The installable panel and its Web Push client, in real Chromium against the local stack:
Chromium's own installability check (DevTools protocol), the service worker serving the
shell (a repeat load from its cache, offline to the panel's own screen, a new deploy's
worker taking over), pushes delivered through the DevTools protocol and shown as one
notification per chat, a click bringing the panel to that chat. The Settings card and
the `viewing` frame: tests/e2e/test_panel_push.py.
"""

import json
import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.panel_workflow_helpers import PASSWORD, Account, _panel, _section, _visitor_writes

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

    # What the worker answers itself (the shell) and what it leaves to the network.
    [worker] = [w for w in page.context.service_workers if w.url == base + "sw.js"]
    path = lambda url, mode="cors": worker.evaluate(  # noqa: E731
        "([u, m]) => shellPath(u, self.registration.scope, m, SHELL)", [url, mode]
    )
    assert path(base + "views/inbox.js") == "views/inbox.js"
    assert path(base + "#/p_1/inbox", "navigate") == "index.html"
    assert path(base + "index.html?x=1", "navigate") == "index.html"
    assert path(base + "config.json") is None
    assert path(base + "config.json", "navigate") is None
    assert path(stack.info["api"] + "/me") is None
    assert path(base.replace("/panel/", "/widget/loader.js")) is None

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
