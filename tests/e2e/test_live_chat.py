"""A visitor and an operator chat live in two real browsers, and nothing is lost when the
visitor's socket is cut."""

import re
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from playwright.sync_api import expect

pytestmark = __import__("pytest").mark.browser


class SocketCutter:
    """Sits between the widget and the WebSocket API (Playwright's WebSocket routing):
    can drop every live socket and refuse new ones until restored."""

    def __init__(self, page):
        self.down = False
        self.routes = []
        page.route_web_socket(re.compile(r"^ws://"), self._route)

    def _route(self, ws):
        if self.down:
            ws.close(code=1011, reason="network down")
            return
        server = ws.connect_to_server()
        self.routes.append((ws, server))

    def cut(self):
        self.down = True
        for ws, server in self.routes:
            server.close()
            ws.close(code=1011, reason="network down")
        self.routes.clear()

    def restore(self):
        self.down = False


def _open_widget(page, stack):
    page.goto(stack.info["demo_site"])
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    return page.get_by_role("textbox", name="Message", exact=True)


def _widget_send(page, text):
    page.get_by_role("textbox", name="Message", exact=True).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def _panel_login(page, stack):
    page.goto(stack.info["panel"])
    page.get_by_label("Email", exact=True).fill(stack.info["login"]["email"])
    page.get_by_label("Password", exact=True).fill(stack.info["login"]["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    # Other tests give the demo login more projects: switch to the demo shop's one
    # (the switcher shows only when there is a choice).
    switch = page.get_by_label("Project")
    if switch.is_visible():
        switch.select_option(stack.info["project_id"])
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")


def _panel_reply(page, text):
    box = page.get_by_role("textbox", name="Message", exact=True)
    box.fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def _widget_messages(page):
    return page.locator("#lc-root .lc-msg")


def test_visitor_and_operator_chat_live_and_nothing_is_lost_on_a_cut(stack, new_page):
    tag = uuid.uuid4().hex[:6]
    visitor = new_page(viewport={"width": 390, "height": 780})
    cutter = SocketCutter(visitor)
    operator = new_page(viewport={"width": 1280, "height": 800})

    # Given the operator is logged in to the panel
    _panel_login(operator, stack)

    # When a visitor opens the widget on the customer's site and writes
    _open_widget(visitor, stack)
    first = f"Hi, do you ship to Norway? {tag}"
    _widget_send(visitor, first)

    # Then the operator sees the dialogue arrive live, with its last message
    dialogue = operator.get_by_role("button", name=re.compile(re.escape(first)))
    expect(dialogue).to_be_visible()
    dialogue.click()
    expect(operator.get_by_text(first, exact=True)).to_be_visible()

    # When the operator replies, the visitor sees it live
    _panel_reply(operator, f"Yes, in 3 days. {tag}")
    expect(visitor.get_by_text(f"Yes, in 3 days. {tag}", exact=True)).to_be_visible()

    # When the visitor's socket is cut while the operator writes twice
    cutter.cut()
    expect(visitor.locator("#lc-root")).not_to_have_attribute("data-lc-state", "connected")
    _panel_reply(operator, f"First while you were away {tag}")
    _panel_reply(operator, f"Second while you were away {tag}")
    # (stored, not just drawn: the panel shows a reply before the server has it)
    stored = operator.locator("#messages .msg-operator[data-id]")
    expect(stored.filter(has_text=f"Second while you were away {tag}")).to_have_count(1)
    cutter.restore()

    # Then after reconnecting the visitor has both, once each
    expect(visitor.locator("#lc-root")).to_have_attribute(
        "data-lc-state", "connected", timeout=40_000
    )
    for text in (f"First while you were away {tag}", f"Second while you were away {tag}"):
        expect(visitor.get_by_text(text, exact=True)).to_have_count(1, timeout=15_000)
    texts = _widget_messages(visitor).all_inner_texts()
    assert sum(f"while you were away {tag}" in t for t in texts) == 2


def _zone_at_seven_oclock() -> str:
    """A time zone where it is now about 7 o'clock: a one-digit hour, where "07:51" and
    "7:51" differ."""
    hour = datetime.now(UTC).hour
    offset = (7 - hour + 12) % 24 - 12  # -12..11 hours from UTC
    return f"Etc/GMT{-offset:+d}"  # (the Etc/GMT zones' signs are inverted)


def test_html_in_messages_is_shown_as_text_in_widget_and_panel(stack, new_page):
    tag = uuid.uuid4().hex[:6]
    hostile = f'<img src=x onerror="window.__pwned=1"><b>bold {tag}</b>'
    viewer = {"locale": "en-US", "timezone_id": _zone_at_seven_oclock()}
    visitor = new_page(**viewer)
    operator = new_page(viewport={"width": 1280, "height": 800}, **viewer)
    _panel_login(operator, stack)
    _open_widget(visitor, stack)

    _widget_send(visitor, hostile)
    operator.get_by_role("button", name=re.compile(re.escape(f"bold {tag}"))).click()

    expect(operator.get_by_text(hostile, exact=True)).to_be_visible()
    expect(visitor.get_by_text(hostile, exact=True)).to_be_visible()
    assert visitor.evaluate("window.__pwned === undefined")
    assert operator.evaluate("window.__pwned === undefined")
    assert operator.locator("b", has_text=f"bold {tag}").count() == 0

    # A web address in an operator's reply is a link in the widget; markup still is not
    _panel_reply(
        operator, f'Sizes: https://shop.example/sizes?t={tag}. <a href="javascript:x">no</a>'
    )
    link = visitor.locator("#lc-root .lc-msg.lc-operator a.lc-link")
    expect(link).to_have_attribute("href", f"https://shop.example/sizes?t={tag}")
    assert link.get_attribute("rel") == "noopener nofollow"
    expect(visitor.locator("#lc-root .lc-msg.lc-operator .lc-bubble")).to_have_text(
        f'Sizes: https://shop.example/sizes?t={tag}. <a href="javascript:x">no</a>'
    )
    assert visitor.locator("#lc-root a[href^='javascript']").count() == 0

    # Both show a message's time alike, in the viewer's locale
    sent = visitor.locator("#lc-root .lc-msg.lc-visitor[data-id]").first
    in_widget = sent.locator(".lc-bubble").get_attribute("title")
    message_id = sent.get_attribute("data-id")
    in_panel = operator.locator(f'#messages .msg[data-id="{message_id}"] .msg-time').inner_text()
    assert in_widget == in_panel
    assert re.fullmatch(r"[1-9]:[0-5][0-9]\s?[AP]M", in_panel), in_panel


def test_the_visitor_keeps_identity_and_history_across_reloads_and_tabs(stack, new_page):
    tag = uuid.uuid4().hex[:6]
    visitor = new_page()
    _open_widget(visitor, stack)
    _widget_send(visitor, f"remember me {tag}")
    expect(visitor.locator("#lc-root .lc-msg[data-id]")).to_have_count(1)

    second_tab = visitor.context.new_page()
    _open_widget(second_tab, stack)
    expect(second_tab.get_by_text(f"remember me {tag}", exact=True)).to_be_visible()

    visitor.reload()
    visitor.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(visitor.get_by_text(f"remember me {tag}", exact=True)).to_be_visible()


def test_the_widget_loads_its_chat_ui_only_when_needed_and_survives_host_css(stack, new_page):
    page = new_page()
    scripts, preflights, sessions = [], [], []
    page.on("request", lambda r: scripts.append(r.url) if r.url.endswith(".js") else None)
    page.on("request", lambda r: preflights.append(r.url) if r.method == "OPTIONS" else None)
    page.on(
        "request",
        lambda r: sessions.append(r.url) if r.url.endswith("/widget/session") else None,
    )
    page.goto(stack.info["demo_site"])
    launcher = page.get_by_role("button", name=re.compile("chat", re.I))
    expect(launcher).to_be_visible()
    assert not any("chat.js" in url for url in scripts)
    # The demo site paints every <button> hot pink; the launcher must not be.
    color = launcher.evaluate("el => getComputedStyle(el).backgroundColor")
    assert color != "rgb(255, 105, 180)"

    launcher.click()
    expect(page.get_by_role("textbox", name="Message", exact=True)).to_be_visible()
    assert any("chat.js" in url for url in scripts)
    # The page view's session call is a CORS simple request: no preflight round trip.
    assert not [url for url in preflights if url.endswith("/widget/session")]
    # One session per page view: the chat UI reuses the loader's.
    expect(page.locator("#lc-root")).to_have_attribute("data-lc-state", "connected")
    assert len(sessions) == 1


def test_the_api_answers_cross_origin_from_the_demo_site(stack):
    preflight = requests.options(
        stack.info["api"] + "/widget/session",
        headers={
            "Origin": stack.info["demo_site"],
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_the_panel_scrolls_back_past_the_latest_hundred_messages(stack, new_page):
    tag = uuid.uuid4().hex[:6]
    visitor = new_page()
    _open_widget(visitor, stack)
    _widget_send(visitor, f"long talk {tag}")
    expect(visitor.locator("#lc-root .lc-msg[data-id]")).to_have_count(1)
    api = stack.info["api"]
    token = requests.post(f"{api}/auth/login", json=stack.info["login"], timeout=10).json()[
        "access_token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    project = stack.info["project_id"]
    chats = requests.get(f"{api}/projects/{project}/chats", headers=auth, timeout=10).json()
    chat_id = next(
        c["id"] for c in chats["chats"] if c["last_message"]["text"] == f"long talk {tag}"
    )
    with requests.Session() as http:
        for n in range(104):
            reply = http.post(
                f"{api}/projects/{project}/chats/{chat_id}/messages",
                json={"client_id": f"bulk-{tag}-{n:03d}", "text": f"r{n} {tag}"},
                headers=auth,
                timeout=10,
            )
            assert reply.status_code == 201

    operator = new_page(viewport={"width": 1280, "height": 800})
    _panel_login(operator, stack)
    operator.locator(f'[data-chat-id="{chat_id}"]').click()
    expect(operator.get_by_text(f"r103 {tag}", exact=True)).to_be_visible()
    expect(operator.get_by_text(f"long talk {tag}", exact=True)).to_have_count(0)

    operator.get_by_role("button", name="Load older messages").click()

    expect(operator.get_by_text(f"long talk {tag}", exact=True)).to_have_count(1)
    expect(operator.locator("#messages .msg[data-id]")).to_have_count(105)


def test_the_widget_names_its_dialogue_so_a_message_costs_three_requests(stack, new_page):
    """The server's 3-request path needs the dialogue id (and assignee hint) in each send
    frame after the first; without them every message would take the first-message path."""
    tag = uuid.uuid4().hex[:6]
    page = new_page()
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    _open_widget(page, stack)
    _widget_send(page, f"first {tag}")
    expect(page.locator("#lc-root .lc-msg[data-id]")).to_have_count(1)
    _widget_send(page, f"second {tag}")
    expect(page.locator("#lc-root .lc-msg[data-id]")).to_have_count(2)

    import json

    # By text: on a slow machine the first may be sent again (same client id) before its ack.
    sends = [json.loads(p) for p in sent if '"send"' in p]
    first = [s for s in sends if s["text"] == f"first {tag}"]
    second = [s for s in sends if s["text"] == f"second {tag}"]
    assert first and all("chat_id" not in s for s in first)
    assert second and all(
        s["chat_id"].startswith("v_") and s["chat_id"].endswith("-1") for s in second
    )


def test_the_consent_step_holds_the_first_message_until_the_visitor_agrees(stack, new_page):
    api = stack.info["api"]
    # An account and project of its own, so the shared demo login is left as it is
    email = f"consent-{uuid.uuid4().hex[:8]}@example.com"
    signed_up = requests.post(
        f"{api}/auth/signup",
        timeout=10,
        json={
            "email": email,
            "password": "consent-pass-2026",
            "name": "Cora",
            "project_name": "Consent shop",
            "domain": urlsplit(stack.info["demo_site"]).netloc,
        },
    )
    assert signed_up.status_code == 201
    stack.confirm(email)
    project = signed_up.json()["project"]["id"]
    login = {"email": email, "password": "consent-pass-2026"}
    token = requests.post(f"{api}/auth/login", json=login, timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    consent = {
        "enabled": True,
        "text": "We keep this chat to answer you.",
        "privacy_url": "https://shop.example/privacy",
    }
    assert (
        requests.patch(
            f"{api}/projects/{project}", json={"consent": consent}, headers=auth, timeout=10
        ).status_code
        == 200
    )
    page = new_page()
    # The demo site shows another project's widget with ?project= (and a new origin
    # path, so this visitor is new): another origin than the API, as on a real site.
    page.goto(f"{stack.info['demo_site']}/?project={project}")
    page.get_by_role("button", name=re.compile("chat", re.I)).click()

    # Asked before the visitor writes (the session brought the text), not after a Send
    agree = page.get_by_role("button", name="I agree")
    expect(agree).to_be_visible(timeout=15_000)
    expect(page.get_by_text(consent["text"])).to_be_visible()
    box = page.get_by_role("textbox", name="Message", exact=True)
    expect(box).to_have_accessible_description(re.compile(re.escape(consent["text"])))

    _widget_send(page, "Is this in stock?")

    # The message says at once why it waits (not "Sending...")
    expect(page.locator("#lc-root .lc-msg.lc-visitor")).to_contain_text("Waiting for your consent")
    expect(page.locator("#lc-root .lc-msg[data-id]")).to_have_count(0)

    agree.click()

    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1)
    expect(agree).to_have_count(0)
    stored = requests.get(f"{api}/projects/{project}/chats", headers=auth, timeout=10).json()
    assert stored["chats"][0]["last_message"]["text"] == "Is this in stock?"


def test_the_operator_assigns_closes_and_reopens_a_dialogue_from_the_panel(stack, new_page):
    tag = uuid.uuid4().hex[:6]
    visitor = new_page()
    _open_widget(visitor, stack)
    _widget_send(visitor, f"please help {tag}")
    operator = new_page(viewport={"width": 1280, "height": 800})
    _panel_login(operator, stack)
    operator.get_by_role("button", name=re.compile(re.escape(f"please help {tag}"))).click()
    actions = operator.get_by_role("group", name="Dialogue actions")
    expect(actions.get_by_text("Unassigned")).to_be_visible()

    actions.get_by_role("button", name="Assign to me").click()
    expect(actions.get_by_text("Assigned to you")).to_be_visible()

    actions.get_by_role("button", name="Close").click()
    expect(actions.get_by_text("Closed")).to_be_visible()

    actions.get_by_role("button", name="Reopen").click()
    expect(actions.get_by_text("Assigned to you")).to_be_visible()


def test_a_message_sent_into_a_half_open_socket_is_resent_on_a_fresh_one(stack, new_page):
    """The first socket swallows everything and answers nothing (a dead link the browser
    has not noticed): the widget gives up on it after ten silent seconds, not at the
    next ping minutes later, and the message arrives once."""
    page = new_page()
    sockets = []

    def route(ws):
        sockets.append(ws)
        if len(sockets) == 1:
            ws.on_message(lambda message: None)  # swallowed; nothing comes back
        else:
            ws.connect_to_server()

    page.route_web_socket(re.compile(r"^ws://"), route)
    tag = uuid.uuid4().hex[:8]
    _open_widget(page, stack)
    _widget_send(page, f"into the void {tag}")

    sent = page.locator("#lc-root .lc-msg.lc-visitor[data-id]")
    expect(sent).to_have_count(1, timeout=25_000)
    assert len(sockets) >= 2
    operator = new_page(viewport={"width": 1280, "height": 800})
    _panel_login(operator, stack)
    chat = operator.get_by_role("button", name=re.compile(re.escape(f"into the void {tag}")))
    chat.click()
    expect(operator.locator("#messages .msg-visitor")).to_have_count(1)
