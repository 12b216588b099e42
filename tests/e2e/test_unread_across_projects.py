"""Unread chats across projects, in real Chromium against the local stack: a member of two
projects looks at project A while a visitor writes in project B; the switcher, the tab
title, the app badge and an in-page notification say so, and opening B and reading the
chat clears them (panel/views/unread.js, views/notifications.js, views/project.js)."""

import re
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "unread-pass-2026"

# Desktop notifications and the app badge, recorded: Notification as a stub that is
# "granted" (headless Chromium shows none), navigator.setAppBadge wrapped.
RECORDERS = """
window.__notes = [];
window.__badges = [];
class RecordedNotification {
  constructor(title, options) {
    this.title = title;
    this.body = (options && options.body) || '';
    this.tag = (options && options.tag) || '';
    window.__notes.push(this);
  }
  close() {}
}
RecordedNotification.permission = 'granted';
RecordedNotification.requestPermission = () => Promise.resolve('granted');
window.Notification = RecordedNotification;
Object.defineProperty(Navigator.prototype, 'setAppBadge', {
  configurable: true,
  value: function (n) { window.__badges.push(n); return Promise.resolve(); },
});
Object.defineProperty(Navigator.prototype, 'clearAppBadge', {
  configurable: true,
  value: function () { window.__badges.push(0); return Promise.resolve(); },
});
"""

NOTES = "window.__notes.map((n) => ({title: n.title, body: n.body, tag: n.tag}))"


def _api(stack, path, auth, body=None, method="post"):
    response = getattr(requests, method)(
        f"{stack.info['api']}{path}", json=body, headers=auth, timeout=10
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def _member_of_two_projects(stack):
    api = stack.info["api"]
    email = f"unread-{uuid.uuid4().hex[:8]}@example.com"
    domain = urlsplit(stack.info["demo_site"]).netloc
    signed_up = requests.post(
        f"{api}/auth/signup",
        json={
            "email": email,
            "password": PASSWORD,
            "name": "Una",
            "project_name": "Shop A",
            "domain": domain,
        },
        timeout=10,
    )
    assert signed_up.status_code == 201, signed_up.text
    stack.confirm(email)
    login = requests.post(
        f"{api}/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    ).json()
    auth = {"Authorization": f"Bearer {login['access_token']}"}
    a = signed_up.json()["project"]["id"]
    b = _api(stack, "/projects", auth, {"name": "Shop B", "domain": domain})["project"]["id"]
    _api(stack, "/me/last-project", auth, {"project_id": a}, method="put")  # the panel opens A
    return email, auth, a, b


def _visitor_writes(new_page, stack, project_id, text):
    page = new_page()
    page.goto(f"{stack.info['demo_site']}/?project={project_id}")
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    page.get_by_role("textbox", name="Message", exact=True).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1)
    return page


def _wait_for_unread(stack, auth, projects, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        got = _api(stack, "/me/unread", auth, method="get")["projects"]
        if got == projects or time.monotonic() > deadline:
            assert got == projects
            return
        time.sleep(0.2)


def _the_tab_shows_again(panel):
    # What the browser fires when the member comes back to the tab: an immediate poll.
    panel.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


def test_a_new_chat_in_another_project_shows_in_the_switcher_title_badge_and_notifies(
    stack, new_page
):
    email, auth, a, b = _member_of_two_projects(stack)
    panel = new_page(viewport={"width": 1400, "height": 900})
    panel.add_init_script(RECORDERS)
    panel.goto(stack.info["panel"])
    panel.get_by_label("Email", exact=True).fill(email)
    panel.get_by_label("Password", exact=True).fill(PASSWORD)
    panel.get_by_role("button", name="Log in").click()
    expect(panel.locator("body")).to_have_attribute("data-state", "ready")
    expect(panel.locator("body")).to_have_attribute("data-ws", "connected")
    expect(panel.get_by_label("Project")).to_have_value(a)
    option_b = panel.locator(f"#project-select option[value='{b}']")
    expect(option_b).to_have_text("Shop B — Administrator")
    expect(panel).to_have_title("Shop A · Inbox")

    # A visitor writes in the open project A: today's alert, tagged with the chat's id
    # (the service worker's pushes use the same tag, so the two replace each other).
    _visitor_writes(new_page, stack, a, "a question in shop A")
    expect(panel).to_have_title("(1) Shop A · Inbox")
    chat_a = panel.locator(".chat-item[data-chat-id]").first.get_attribute("data-chat-id")
    panel.wait_for_function("window.__notes.length === 1")
    assert panel.evaluate(NOTES)[0]["tag"] == f"chat-{chat_a}"

    # A visitor writes in project B while the panel shows A.
    _visitor_writes(new_page, stack, b, "a question in shop B")
    assert _api(stack, "/me/unread", auth, method="get") == {"projects": {a: 1, b: 1}}
    _the_tab_shows_again(panel)

    expect(option_b).to_have_text("Shop B — Administrator · 1 unread")
    expect(panel.locator("#project-unread")).to_be_visible()
    expect(panel.locator("#project-unread")).to_contain_text("1 unread in your other projects")
    expect(panel).to_have_title("(2) Shop A · Inbox")
    panel.wait_for_function("window.__notes.length === 2")
    elsewhere = panel.evaluate(NOTES)[1]
    assert elsewhere == {
        "title": "New conversation · Shop B",
        "body": "1 unread chat in Shop B",
        "tag": f"project-{b}",
    }
    assert panel.evaluate("window.__badges")[-1] == 2
    assert 1 in panel.evaluate("window.__badges")  # A's chat alone, before B's came

    # Its notification opens project B; reading the chat there clears every count.
    panel.evaluate("window.__notes[1].onclick()")
    expect(panel.get_by_label("Project")).to_have_value(b)
    panel.get_by_role("button", name=re.compile("a question in shop B")).click()
    expect(panel).to_have_title("(1) Shop B · Inbox")  # A's chat is still unread
    option_a = panel.locator(f"#project-select option[value='{a}']")
    expect(option_a).to_have_text("Shop A — Administrator · 1 unread")
    panel.wait_for_function("window.__badges[window.__badges.length - 1] === 1")
    _wait_for_unread(stack, auth, {a: 1, b: 0})  # the read mark went out on the socket

    # Back in A, reading its chat too: nothing unread anywhere, the badge cleared.
    panel.get_by_label("Project").select_option(a)
    panel.get_by_role("button", name=re.compile("a question in shop A")).click()
    expect(panel).to_have_title("Shop A · Inbox")
    expect(option_b).to_have_text("Shop B — Administrator")
    expect(panel.locator("#project-unread")).to_be_hidden()
    panel.wait_for_function("window.__badges[window.__badges.length - 1] === 0")
    _wait_for_unread(stack, auth, {a: 0, b: 0})
