"""The panel on a phone (390x844, touch), in real Chromium against the local stack: the chat
list and the conversation are two screens (a back button, and the browser's Back, return
to the list), the reply box and Send stay on the screen, the sections' names fit, every
control is at least 44 px and nothing is wider than the screen, in every section.

Each test signs up an account of its own, so tests share nothing but the stack.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import PASSWORD, Account, _visitor_writes
from tests.e2e.test_onboarding import _shot

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844
SECTIONS = [
    ("Inbox", "inbox"),
    ("Visitors", "visitors"),
    ("Team chat", "team-chat"),
    ("Team", "team"),
    ("Saved replies", "replies"),
    ("Auto messages", "auto"),
    ("Install", "install"),
    ("Settings", "settings"),
    ("Billing", "billing"),
]

# Every visible control on the screen: its box, and whether a tap at its centre reaches it.
# A checkbox or radio is tapped through its label, so the label's box is what counts.
CONTROLS_JS = """() => {
  const out = [];
  const sel = 'button, a[href], input, select, textarea, [role="radio"], [role="tab"]';
  for (const el of document.querySelectorAll(sel)) {
    if (!el.getClientRects().length) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || el.closest('[hidden], .sr-only')) continue;
    let box = el;
    if (el.matches('input[type="checkbox"], input[type="radio"]')) {
      box = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]')) || el;
    }
    const r = box.getBoundingClientRect();
    if (r.width <= 1 && r.height <= 1) continue; // visually hidden (screen readers only)
    const name = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || el.type || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    out.push({ tag: el.tagName.toLowerCase(), id: el.id, cls: String(el.className), name,
      left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height });
  }
  return out;
}"""


def _phone_panel(new_page, stack, email):
    page = new_page(viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True)
    page.goto(stack.info["panel"])
    expect(page.locator("body")).to_have_attribute("data-state", "login")
    _fits_and_tappable(page, "log in")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").tap()
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")
    return page


def _inside_screen(page, locator, height=HEIGHT):
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
    return box


def _tap_section(page, name):
    button = page.get_by_role("navigation", name="Sections").get_by_role(
        "button", name=name, exact=True
    )
    # The row scrolls sideways (a swipe): bring the button in, then it is whole on the screen.
    button.evaluate("b => b.scrollIntoView({block: 'nearest', inline: 'center'})")
    box = _inside_screen(page, button)
    assert box["height"] >= 44 and box["width"] >= 44, (name, box)
    # Its whole name shows (not cut), and a tap at its centre reaches it.
    assert button.evaluate("b => b.scrollWidth <= b.clientWidth"), name
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hit = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y);"
        " return !!e && !!e.closest('#nav .nav-btn') && e.closest('#nav .nav-btn').textContent; }",
        list(centre),
    )
    assert hit and hit.startswith(name), (name, hit)
    button.tap()


def _fits_and_tappable(page, where):
    """Nothing wider than the screen, and every visible control at least 44x44 px and
    within the screen's width (the sections' row scrolls sideways: its buttons are checked
    one by one in _tap_section)."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth,"
        " ...[...document.querySelectorAll('#app .view, #app .sidebar, #conversation')]"
        ".filter(e => e.offsetParent).map(e => e.scrollWidth)]"
    )
    assert max(widths) <= WIDTH, (where, widths)
    small, outside = [], []
    controls = page.evaluate(CONTROLS_JS)
    assert len(controls) >= 3, (where, controls)
    _shot(page, "phone-" + re.sub(r"\W+", "-", where.lower()).strip("-"))
    for c in controls:
        if c["height"] < 44 or c["width"] < 44:
            small.append(c)
        in_nav = "nav-btn" in c["cls"]
        if not in_nav and (c["left"] < 0 or c["right"] > WIDTH):
            outside.append(c)
    assert not small, (where, small)
    assert not outside, (where, outside)


def test_on_a_phone_the_list_and_the_conversation_are_two_screens(stack, new_page):
    account = Account(stack, "Phone shop")
    visitor = _visitor_writes(new_page, stack, account.project_id, "hello from a phone?")
    panel = _phone_panel(new_page, stack, account.email)
    chat = panel.locator("#chat-list .chat-item").first
    expect(chat).to_contain_text("hello from a phone?")
    conversation = panel.get_by_role("region", name="Conversation")

    # The list is the inbox's first screen; no conversation beside it.
    expect(chat).to_be_visible()
    expect(conversation).to_be_hidden()
    _fits_and_tappable(panel, "the chat list")

    # Opening the chat: the conversation takes the whole screen, Send on it.
    chat.tap()
    expect(conversation).to_be_visible()
    expect(chat).to_be_hidden()
    send = panel.get_by_role("button", name="Send", exact=True)
    expect(send).to_be_visible()
    _inside_screen(panel, send)
    _inside_screen(panel, panel.locator("#conv-title"))
    _inside_screen(panel, panel.get_by_role("textbox", name="Message", exact=True))
    box = conversation.bounding_box()
    assert box["x"] == 0 and box["width"] == WIDTH, box
    expect(panel.locator("#messages")).to_contain_text("hello from a phone?")
    _fits_and_tappable(panel, "the conversation")

    # The on-screen keyboard takes the lower part of the screen: the page is resized to
    # what is left (interactive-widget=resizes-content), and the reply box stays on it.
    box = panel.get_by_role("textbox", name="Message", exact=True)
    box.tap()
    panel.set_viewport_size({"width": WIDTH, "height": 460})
    for control in (send, box, panel.locator("#conv-title")):
        expect(control).to_be_visible()
        _inside_screen(panel, control, height=460)
    panel.set_viewport_size({"width": WIDTH, "height": HEIGHT})

    # A reply reaches the visitor.
    box.fill("Yes, from my phone!")
    send.tap()
    expect(visitor.locator("#lc-root .lc-msg.lc-operator")).to_contain_text("Yes, from my phone!")
    expect(panel.locator("#messages .msg-operator[data-id]")).to_have_count(1)

    # Back (the panel's button) returns to the list.
    back = panel.get_by_role("button", name="Back to the inbox")
    _inside_screen(panel, back)
    back.tap()
    expect(chat).to_be_visible()
    expect(conversation).to_be_hidden()

    # The browser's Back does the same.
    chat.tap()
    expect(conversation).to_be_visible()
    panel.go_back()
    expect(chat).to_be_visible()
    expect(conversation).to_be_hidden()
    expect(panel.locator("body")).to_have_attribute("data-state", "ready")


def test_on_a_phone_every_section_fits_and_its_controls_are_tappable(stack, new_page):
    account = Account(stack, "Phone sections")
    visitor = _visitor_writes(new_page, stack, account.project_id, "are you open today?")
    # Rows of their own controls in the lists: an auto message, a saved reply, a team line.
    project = f"/projects/{account.project_id}"
    auto = {"name": "Welcome on the pricing page", "type": "proactive", "content": {"text": "Hi!"}}
    assert account.post(f"{project}/auto-messages", auto).status_code == 201
    reply = {"shortcut": "hours", "title": "Opening hours", "text": "We are open 9 to 5."}
    assert account.post(f"{project}/replies", reply).status_code == 201
    assert (
        account.post(
            f"{project}/team/messages", {"client_id": "c-phone-1", "text": "On my phone today"}
        ).status_code
        < 300
    )
    panel = _phone_panel(new_page, stack, account.email)

    for name, view in SECTIONS:
        _tap_section(panel, name)
        expect(panel.locator("body")).to_have_attribute("data-view", view)
        if view == "visitors":  # the visitor on the demo site is listed (a row of controls)
            expect(panel.locator("#visitors-body tr[data-visitor-id]")).to_have_count(
                1, timeout=25_000
            )
        if view == "team":
            expect(panel.locator("#members-body")).to_contain_text(account.email)
        if view == "auto":
            expect(panel.locator("#auto-body tr[data-auto-id]")).to_have_count(1)
        if view == "replies":
            expect(panel.locator("#reply-list")).to_contain_text("/hours")
        if view == "team-chat":
            expect(panel.locator("#team-messages")).to_contain_text("On my phone today")
        if view == "billing":
            expect(panel.locator("[data-plan]").first).to_be_visible()
        if view == "install":
            expect(panel.locator("#install-tag")).to_be_visible()
        _fits_and_tappable(panel, name)

    # The auto-message editor too (a long form with rows of controls).
    _tap_section(panel, "Auto messages")
    panel.get_by_role("button", name=re.compile("^New")).first.tap()
    expect(panel.locator("#auto-form")).to_be_visible()
    _fits_and_tappable(panel, "the auto-message editor")
    assert visitor.is_closed() is False


def test_on_a_phone_the_pop_up_display_falls_back_to_the_full_screen_conversation(stack, new_page):
    account = Account(stack, "Phone pop-up")
    _visitor_writes(new_page, stack, account.project_id, "a pop-up on a phone?")
    panel = _phone_panel(new_page, stack, account.email)
    _tap_section(panel, "Settings")
    panel.get_by_label("As a pop-up over the work area").check()
    expect(panel.locator("body")).to_have_attribute("data-display", "popup")

    _tap_section(panel, "Inbox")
    panel.get_by_role("button", name=re.compile("a pop-up on a phone")).tap()
    conversation = panel.get_by_role("region", name="Conversation")
    expect(conversation).to_be_visible()
    expect(panel.get_by_role("dialog", name="Conversation")).to_have_count(0)
    box = conversation.bounding_box()
    assert box["x"] == 0 and box["width"] == WIDTH, box
    _inside_screen(panel, panel.get_by_role("button", name="Send", exact=True))
    expect(panel.get_by_role("button", name="Close pop-up")).to_be_hidden()
    panel.get_by_role("button", name="Back to the inbox").tap()
    expect(panel.get_by_role("button", name=re.compile("a pop-up on a phone"))).to_be_visible()


def test_on_a_phone_a_long_project_name_ends_in_an_ellipsis_and_the_sections_row_shows_it_scrolls(
    stack, new_page
):
    long_name = "Müller & Söhne Feinkost und Weinhandel Berlin-Charlottenburg"
    account = Account(stack, long_name)
    panel = _phone_panel(new_page, stack, account.email)

    # The name is cut with an ellipsis inside its box, never pushing the bar off the screen;
    # the whole name is its title.
    name = panel.locator("#project-name")
    _inside_screen(panel, name)
    cut = name.evaluate(
        "e => ({cut: e.scrollWidth > e.clientWidth, overflow: getComputedStyle(e).textOverflow,"
        " title: e.title})"
    )
    assert cut["cut"] and cut["overflow"] == "ellipsis", cut
    assert cut["title"].startswith(long_name)
    _fits_and_tappable(panel, "a long project name")

    # The sections' row says there is more to the right, and to the left once swiped to its end.
    nav = panel.get_by_role("navigation", name="Sections")
    expect(nav).to_have_class(re.compile(r"\bmore-end\b"))
    expect(nav).not_to_have_class(re.compile(r"\bmore-start\b"))
    assert nav.evaluate("n => getComputedStyle(n).maskImage") != "none"
    nav.evaluate("n => n.scrollTo({left: n.scrollWidth})")
    expect(nav).to_have_class(re.compile(r"\bmore-start\b"))
    expect(nav).not_to_have_class(re.compile(r"\bmore-end\b"))
