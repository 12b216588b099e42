"""The panel as a support team uses it, in real Chromium against the local stack: project
switcher, inviting and assigning, saved-reply shortcut, internal notes and team chat,
chats switched off, the pop-up display, the status selector, reloads and an unreachable API.

Each test signs up an account of its own, so tests share nothing but the stack.
"""

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import (
    Account,
    _open_chat,
    _panel,
    _section,
    _visitor_writes,
)

pytestmark = pytest.mark.browser


def test_the_project_switcher_changes_project_in_one_click_and_remembers_it(stack, new_page):
    account = Account(stack, "First shop")
    second = account.post(
        "/projects", {"name": "Second shop", "domain": urlsplit(stack.info["demo_site"]).netloc}
    )
    assert second.status_code == 201
    second_id = second.json()["project"]["id"]
    _visitor_writes(new_page, stack, account.project_id, "question for shop one")
    _visitor_writes(new_page, stack, second_id, "question for shop two")
    panel = _panel(new_page, stack, account.email)

    panel.get_by_label("Project").select_option(second_id)

    expect(panel.get_by_role("button", name=re.compile("question for shop two"))).to_be_visible()
    expect(panel.get_by_role("button", name=re.compile("question for shop one"))).to_have_count(0)
    panel.reload()
    expect(panel.locator("body")).to_have_attribute("data-state", "ready")
    expect(panel.get_by_label("Project")).to_have_value(second_id)
    expect(panel.get_by_role("button", name=re.compile("question for shop two"))).to_be_visible()
    panel.get_by_label("Project").select_option(account.project_id)
    expect(panel.get_by_role("button", name=re.compile("question for shop one"))).to_be_visible()


def test_an_invited_operator_joins_is_given_a_dialogue_and_chats_with_the_team(stack, new_page):
    account = Account(stack)
    admin = _panel(new_page, stack, account.email)
    operator_email = f"olga-{uuid.uuid4().hex[:8]}@example.com"

    # The administrator invites an operator from the Team section.
    _section(admin, "Team")
    admin.get_by_label("Their email").fill(operator_email)
    admin.get_by_label("Their name").fill("Olga")
    admin.get_by_role("button", name="Send invitation").click()
    temporary = admin.locator(".temp-password")
    expect(temporary).to_be_visible()
    expect(admin.locator("#members-body")).to_contain_text(operator_email)

    # Her first login sets her own password.
    olga = new_page(viewport={"width": 1400, "height": 900})
    olga.goto(stack.info["panel"])
    olga.get_by_label("Email", exact=True).fill(operator_email)
    olga.get_by_label("Password", exact=True).fill(temporary.inner_text())
    olga.get_by_role("button", name="Log in").click()
    olga.get_by_label("New password").fill("olga-own-pass-2026")
    olga.get_by_role("button", name="Log in").click()
    expect(olga.locator("body")).to_have_attribute("data-ws", "connected")

    # A visitor writes; the administrator gives the dialogue to Olga.
    _visitor_writes(new_page, stack, account.project_id, "where is my parcel?")
    _section(admin, "Inbox")
    actions = _open_chat(admin, "where is my parcel?")
    expect(actions.get_by_text("Unassigned")).to_be_visible()
    actions.get_by_label("Assign to").select_option(label="Olga")
    expect(actions.get_by_text("Assigned to Olga")).to_be_visible()

    # Olga's panel shows it as hers, live.
    mine = olga.get_by_role("button", name=re.compile("where is my parcel"))
    expect(mine.locator(".chat-state")).to_have_text("Mine")
    olga_actions = _open_chat(olga, "where is my parcel?")
    expect(olga_actions.get_by_text("Assigned to you")).to_be_visible()
    chat_id = mine.get_attribute("data-chat-id")
    stored = account.get(f"/projects/{account.project_id}/chats/{chat_id}")["chat"]
    assert stored["assignee"]["name"] == "Olga"

    # The team chat is live between them.
    _section(admin, "Team chat")
    _section(olga, "Team chat")
    olga.get_by_label("Message to the team").fill("I have the parcel one")
    olga.get_by_label("Message to the team").press("Enter")
    expect(admin.locator("#team-messages")).to_contain_text("I have the parcel one")


def test_the_saved_reply_shortcut_inserts_a_reply_with_its_variables_filled(stack, new_page):
    account = Account(stack, "Tea House")
    visitor = _visitor_writes(new_page, stack, account.project_id, "do you ship abroad?")
    panel = _panel(new_page, stack, account.email)

    _section(panel, "Saved replies")
    panel.get_by_label("Shortcut").fill("ship")
    panel.get_by_label("Title").fill("Shipping")
    panel.get_by_label("Text", exact=True).fill(
        "Hi {visitor_name}, {operator_name} from {project_name} here: we ship worldwide."
    )
    panel.get_by_role("button", name="Save reply").click()
    expect(panel.locator("#reply-list")).to_contain_text("/ship")

    _open_chat(panel, "do you ship abroad?")
    visitor_name = panel.locator("#conv-title").inner_text()
    box = panel.get_by_role("textbox", name="Message", exact=True)
    box.press_sequentially("/sh")
    suggestions = panel.get_by_role("listbox", name="Saved replies")
    expect(suggestions.get_by_role("option")).to_have_count(1)
    box.press("Enter")

    expected = f"Hi {visitor_name}, Alma Admin from Tea House here: we ship worldwide."
    expect(box).to_have_value(expected)
    expect(suggestions).to_be_hidden()
    panel.get_by_role("button", name="Send", exact=True).click()
    expect(visitor.locator("#lc-root .lc-msg.lc-operator")).to_have_text(re.compile(expected))


def test_an_internal_note_reaches_the_team_live_and_never_the_visitor(stack, new_page):
    account = Account(stack)
    visitor = _visitor_writes(new_page, stack, account.project_id, "is the blue one back?")
    writer = _panel(new_page, stack, account.email)
    reader = _panel(new_page, stack, account.email)  # another tab of the team
    actions = _open_chat(writer, "is the blue one back?")
    _open_chat(reader, "is the blue one back?")
    # Taking it writes a line for the team, live in the other tab.
    actions.get_by_role("button", name="Assign to me").click()
    line = reader.locator("#messages .msg-system")
    expect(line).to_contain_text("Alma Admin took the chat")

    writer.get_by_role("radio", name="Internal note").click()
    box = writer.get_by_role("textbox", name="Message", exact=True)
    box.fill("secret: restock on Friday")
    writer.get_by_role("button", name="Add note").click()
    expect(reader.locator("#messages .msg-note")).to_contain_text("secret: restock on Friday")

    writer.get_by_role("radio", name="Reply").click()
    box.fill("It is back on Friday!")
    writer.get_by_role("button", name="Send", exact=True).click()

    # The reply arrives live, after the note: had the note been sent, it would be there.
    expect(visitor.locator("#lc-root .lc-msg.lc-operator")).to_have_count(1)
    expect(visitor.locator("#lc-root")).not_to_contain_text("restock")
    actions.get_by_role("button", name="Close").click()
    expect(line.last).to_contain_text("Closed by Alma Admin")
    expect(visitor.locator("#lc-root")).not_to_contain_text("took the chat")
    visitor.reload()
    visitor.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(visitor.locator("#lc-root .lc-msg.lc-operator")).to_have_count(1)
    expect(visitor.locator("#lc-root")).not_to_contain_text("restock")
    expect(visitor.locator("#lc-root")).not_to_contain_text("Closed by")
    reader.reload()  # the lines are kept
    expect(reader.locator("#messages .msg-system")).to_have_text(
        [re.compile("Alma Admin took the chat"), re.compile("Closed by Alma Admin")]
    )
    # The team's history keeps the note, marked internal.
    chats = account.get(f"/projects/{account.project_id}/chats")["chats"]
    history = account.get(f"/projects/{account.project_id}/chats/{chats[0]['id']}/messages")
    notes = [m for m in history["messages"] if m.get("internal") and m["author_type"] != "system"]
    assert [m["text"] for m in notes] == ["secret: restock on Friday"]


def test_chats_switched_off_hide_the_widget_and_the_panel_says_why(stack, new_page):
    account = Account(stack)
    panel = _panel(new_page, stack, account.email)

    _section(panel, "Settings")
    panel.get_by_label("Chats are on").uncheck()
    panel.get_by_role("button", name="Save settings").click()

    banner = panel.locator("#banner")
    expect(banner).to_contain_text("Chats are switched off")
    assert account.get(f"/projects/{account.project_id}")["project"]["chats_enabled"] is False
    site = new_page()
    site.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    site.wait_for_load_state("networkidle")
    expect(site.get_by_role("button", name=re.compile("chat", re.I))).to_have_count(0)

    banner.get_by_role("button", name="Switch chats on").click()
    expect(banner).to_be_hidden()
    site.reload()
    expect(site.get_by_role("button", name=re.compile("chat", re.I))).to_be_visible()


def test_the_pop_up_display_draws_the_chat_over_the_work_area_and_is_kept(stack, new_page):
    account = Account(stack)
    _visitor_writes(new_page, stack, account.project_id, "pop-up question")
    panel = _panel(new_page, stack, account.email)
    _section(panel, "Settings")
    panel.get_by_label("As a pop-up over the work area").check()

    _section(panel, "Team")
    _open_chat(panel, "pop-up question")

    popup = panel.get_by_role("dialog", name="Conversation")
    expect(popup).to_be_visible()
    expect(panel.get_by_role("heading", name="Team", exact=True)).to_be_visible()  # still there
    panel.get_by_role("button", name="Close pop-up").click()
    expect(popup).to_have_count(0)

    panel.reload()
    expect(panel.locator("body")).to_have_attribute("data-display", "popup")


def test_the_status_selector_sets_the_members_status(stack, new_page):
    account = Account(stack)
    panel = _panel(new_page, stack, account.email)
    status = panel.get_by_label("Your status")
    expect(status).to_have_value("online")  # opening the panel made them online

    status.select_option("away")

    def my_status():
        members = account.get(f"/projects/{account.project_id}/members")["members"]
        return members[0]["status"]

    expect(status).to_have_attribute("data-status", "away")
    for _ in range(20):
        if my_status() == "away":
            break
        panel.wait_for_timeout(100)
    assert my_status() == "away"


def test_a_reload_comes_back_to_the_same_project_section_and_dialogue(stack, new_page):
    account = Account(stack)
    _visitor_writes(new_page, stack, account.project_id, "first question")
    _visitor_writes(new_page, stack, account.project_id, "second question")
    panel = _panel(new_page, stack, account.email)
    _open_chat(panel, "first question")
    expect(panel.locator("#messages")).to_contain_text("first question")

    panel.reload()

    expect(panel.locator("body")).to_have_attribute("data-state", "ready")
    expect(panel.locator("#messages")).to_contain_text("first question")
    selected = panel.locator(".chat-item.selected")
    expect(selected).to_contain_text("first question")
    _section(panel, "Saved replies")
    panel.reload()
    expect(panel.get_by_role("heading", name="Saved replies")).to_be_visible()


def test_a_reply_sent_while_the_api_is_unreachable_is_kept_across_a_reload(stack, new_page):
    account = Account(stack)
    visitor = _visitor_writes(new_page, stack, account.project_id, "are you there?")
    panel = _panel(new_page, stack, account.email)
    _open_chat(panel, "are you there?")
    api = stack.info["api"]
    panel.route(re.compile(re.escape(api) + r"/projects/.*/messages$"), lambda route: route.abort())

    panel.get_by_role("textbox", name="Message", exact=True).fill("yes, one moment")
    panel.get_by_role("button", name="Send", exact=True).click()
    expect(panel.locator("#messages .msg-pending")).to_have_count(1)
    panel.reload()  # with the reply still unsent
    panel.unroute(re.compile(re.escape(api) + r"/projects/.*/messages$"))

    expect(visitor.locator("#lc-root .lc-msg.lc-operator")).to_have_text(
        re.compile("yes, one moment")
    )
    expect(panel.locator("#messages .msg-operator[data-id]")).to_have_count(1)
    expect(panel.locator("#messages .msg-pending")).to_have_count(0)
