"""Knowing who to answer (issue 13), in Chromium: the pre-chat form before the first
message (a required e-mail blocks sending until it is a real address), the inline card
after it, the away card asking for an e-mail when nobody is there, and the panel showing
what the visitor gave in the chat's facts."""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _open_chat, _panel, _section

pytestmark = pytest.mark.browser


def _set_prechat(account, prechat):
    response = requests.patch(
        f"{account.api}/projects/{account.project_id}",
        json={"prechat": prechat},
        headers=account.auth,
        timeout=10,
    )
    assert response.status_code == 200, response.text


def _widget(new_page, stack, project_id):
    page = new_page()
    page.goto(f"{stack.info['demo_site']}/?project={project_id}")
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(page.locator("#lc-root")).to_have_attribute("data-lc-state", "connected")
    return page


def _card(page):
    return page.get_by_role("form", name="Your contact details")


def _send(page, text):
    page.get_by_role("textbox", name="Message", exact=True).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def _given(account, chat_id):
    return account.get(f"/projects/{account.project_id}/chats/{chat_id}/visitor")["visitor"][
        "given"
    ]


def _chat_id(page):
    return page.evaluate("localStorage.getItem(window.__lcWidget.prefix + 'chat')")


def test_the_form_before_the_first_message_blocks_sending_until_the_email_is_valid(new_page, stack):
    account = Account(stack, "Form shop")
    _set_prechat(account, {"mode": "before", "name": "optional", "email": "required"})
    page = _widget(new_page, stack, account.project_id)
    card = _card(page)
    expect(card).to_contain_text("Before we start, please tell us who you are:")
    message_box = page.get_by_role("textbox", name="Message", exact=True)
    expect(message_box).to_be_hidden()  # nothing can be sent yet
    expect(card.get_by_role("button", name="Skip")).to_have_count(0)  # the e-mail is required
    save, error = card.get_by_role("button", name="Save"), card.get_by_role("alert")

    save.click()
    expect(error).to_have_text("Please enter your e-mail.")
    card.get_by_label("E-mail").fill("ada@example")
    save.click()
    expect(error).to_have_text("Please enter an e-mail address such as ada@example.com.")
    card.get_by_label("E-mail").fill("a" * 250 + "@x.test")
    save.click()
    expect(error).to_have_text("Your e-mail is too long (max 254 characters).")
    card.get_by_label("Name (optional)").fill("A" * 101)
    card.get_by_label("E-mail").fill("ada@example.com")
    save.click()
    expect(error).to_have_text("Your name is too long (max 100 characters).")
    expect(message_box).to_be_hidden()

    card.get_by_label("Name (optional)").fill("  Ada  ")
    save.click()
    expect(card).to_have_count(0)
    expect(message_box).to_be_visible()
    _send(page, "Hello, I have a question")
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1)
    assert _given(account, _chat_id(page)) == {"name": "Ada", "email": "ada@example.com"}
    # Remembered: a reload does not ask again (and the away card knows the e-mail).
    page.reload()
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1)
    expect(message_box).to_be_visible()
    _send(page, "Still there?")
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(2)
    expect(_card(page)).to_have_count(0)


def test_the_inline_card_after_the_first_message_and_the_panel_shows_what_was_given(
    new_page, stack
):
    account = Account(stack, "Inline shop")
    panel = _panel(new_page, stack, account.email)  # online: no away card
    # Settings -> Pre-chat form
    _section(panel, "Settings")
    panel.get_by_label("Ask the visitor who they are").select_option("inline")
    panel.locator("#set-prechat-name").select_option("required")
    panel.locator("#set-prechat-email").select_option("optional")
    panel.get_by_role("button", name="Save settings").click()
    expect(panel.locator("#settings-result")).to_have_text("Settings saved.")
    stored = account.get(f"/projects/{account.project_id}")["project"]["prechat"]
    assert stored == {"mode": "inline", "name": "required", "email": "optional"}
    _section(panel, "Inbox")
    page = _widget(new_page, stack, account.project_id)
    expect(_card(page)).to_have_count(0)  # not before the first message
    _send(page, "Do you ship to Norway?")
    card = _card(page)
    expect(card).to_contain_text("So we know who we\u2019re talking to:")
    expect(card.get_by_role("button", name="Skip")).to_have_count(0)  # the name is required
    card.get_by_label("E-mail (optional)").fill("ada@example.com")
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("alert")).to_have_text("Please enter your name.")
    card.get_by_label("Name", exact=True).fill("Ada Lovelace")
    card.get_by_role("button", name="Save").click()
    expect(card).to_have_count(0)

    # The panel: the chat takes the name, its facts show the name and address given.
    conversation = _open_chat(panel, "Ada Lovelace")
    expect(conversation).to_be_visible()
    expect(panel.locator("#conv-facts")).to_contain_text("Ada Lovelace \u00b7 ada@example.com")
    # Asked once: the next message brings no card.
    _send(page, "And to Sweden?")
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(2)
    expect(_card(page)).to_have_count(0)


def test_away_the_widget_asks_for_an_email_after_the_first_message(new_page, stack):
    account = Account(stack, "Night shop")  # the form is off; nobody has the panel open
    page = _widget(new_page, stack, account.project_id)
    expect(_card(page)).to_have_count(0)
    _send(page, "Anyone there?")
    card = _card(page)
    expect(card).to_contain_text("Leave your e-mail and we\u2019ll reply there")
    card.get_by_label("E-mail (optional)").fill("night owl@example.com")
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("alert")).to_have_text(
        "Please enter an e-mail address such as ada@example.com."
    )
    card.get_by_label("E-mail (optional)").fill("owl@example.com")
    card.get_by_role("button", name="Save").click()
    expect(card).to_have_count(0)
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1)
    chat_id = _chat_id(page)
    assert _given(account, chat_id) == {"name": None, "email": "owl@example.com"}
    _send(page, "Thanks")
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(2)
    expect(_card(page)).to_have_count(0)

    panel = _panel(new_page, stack, account.email)
    _open_chat(panel, "Thanks")
    expect(panel.locator("#conv-facts")).to_contain_text("owl@example.com (given)")


def test_away_a_skipped_card_is_not_shown_again(new_page, stack):
    account = Account(stack, "Skipped shop")
    page = _widget(new_page, stack, account.project_id)
    _send(page, "Hello")
    _card(page).get_by_role("button", name="Skip").click()
    expect(_card(page)).to_have_count(0)
    page.reload()
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    _send(page, "Hello again")
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(2)
    expect(_card(page)).to_have_count(0)
