"""Auto messages whose rules the widget decides from what happens on the page, in real
Chromium against the local stack: "time with no reply from agent" (the visitor wrote and
nobody answered, across tabs and page loads) and custom events (``LiveChat.event``).

Each test signs up an account of its own, so tests share nothing but the stack.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _panel
from tests.e2e.test_panel_auto_messages import _add_condition, _open_new_editor

pytestmark = pytest.mark.browser

# auto.js checks its rules every second: this long without a teaser means none is coming.
QUIET_MS = 4_000


def _auto_message(account, text, condition, once_per_user=True):
    created = account.post(
        f"/projects/{account.project_id}/auto-messages",
        {
            "name": text,
            "type": "proactive",
            "once_per_user": once_per_user,
            "content": {"text": text},
            "rules": {"all": [condition]},
        },
    )
    assert created.status_code == 201, created.text


def _visit(page, stack, account):
    page.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    expect(page.get_by_role("button", name=re.compile("chat", re.I))).to_be_visible()


def _write(page, text):
    page.get_by_role("button", name=re.compile("Open chat")).click()
    box = page.get_by_role("textbox", name="Message", exact=True)
    box.fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]").last).to_contain_text(text)


def _stays_quiet(page, text):
    page.wait_for_timeout(QUIET_MS)
    expect(page.locator("#lc-root")).not_to_contain_text(text)


def test_time_without_agent_reply_fires_while_the_visitors_message_waits(stack, new_page):
    account = Account(stack, "Waiting shop")
    wait_text = "Sorry for the wait, someone is coming!"
    waited = {"field": "time_without_agent_reply", "op": "greater", "value": 2}
    _auto_message(account, wait_text, waited, once_per_user=False)
    first = new_page()

    # Given a visitor who has written nothing: nothing is unanswered, nothing fires
    _visit(first, stack, account)
    _stays_quiet(first, wait_text)

    # When they write and nobody answers, it fires a few seconds later
    _write(first, "Is anyone there?")
    expect(first.locator("#lc-root .lc-msg.lc-operator")).to_contain_text(wait_text, timeout=15_000)

    # Once an operator has answered, a page loaded afterwards does not count a wait
    [chat] = account.get(f"/projects/{account.project_id}/chats")["chats"]
    path = f"/projects/{account.project_id}/chats/{chat['id']}"
    answered = account.post(
        f"{path}/messages", {"client_id": "answer-0001", "text": "Hi, I'm here"}
    )
    assert answered.status_code == 201, answered.text
    second = first.context.new_page()
    _visit(second, stack, account)
    expect(second.locator("#lc-root .lc-msg.lc-operator[data-id]")).to_contain_text("Hi, I'm here")
    _stays_quiet(second, wait_text)

    # Until the visitor writes again, in this tab
    _write(second, "One more question")
    expect(second.locator("#lc-root")).to_contain_text(wait_text, timeout=15_000)

    # A dialogue the team closed is not waiting either, in a page loaded later
    assert account.post(f"{path}/close", {}).status_code == 200
    third = first.context.new_page()
    _visit(third, stack, account)
    expect(third.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(2)
    _stays_quiet(third, wait_text)


def test_a_custom_event_rule_built_in_the_panel_fires_once_the_page_sends_the_event(
    stack, new_page
):
    account = Account(stack, "Cart shop")
    cart_text = "Need a hand with your cart?"

    # Given a lead who targets "Custom event happened: added_to_cart" in the rules builder
    panel = _panel(new_page, stack, account.email)
    form = _open_new_editor(panel)
    form.get_by_label("Name").fill("Cart helper")
    form.get_by_label("Message text").fill(cart_text)
    row = _add_condition(form, "Custom event", "happened")
    expect(row.get_by_label("Operator").locator("option")).to_have_text(
        ["happened", "has not happened"]
    )
    row.get_by_label("Event name").fill("added_to_cart")
    form.get_by_role("button", name="Save auto message").click()
    expect(panel.locator("#auto-body tr[data-auto-id]")).to_have_count(1)
    [stored] = account.get(f"/projects/{account.project_id}/auto-messages")["auto_messages"]
    assert stored["rules"]["all"] == [
        {"field": "custom_event", "op": "happened", "value": "added_to_cart"}
    ]

    # When a visitor's page sends other events (another name, another case): nothing fires
    site = new_page()
    _visit(site, stack, account)
    statuses = site.evaluate(
        """async () => [(await LiveChat.event('signup')).status,
                        (await LiveChat.event('Added_To_Cart')).status]"""
    )
    assert statuses == [200, 200]
    _stays_quiet(site, cart_text)

    # Then the page sends the event: the teaser shows at the next check, no reload
    site.evaluate("LiveChat.event('added_to_cart')")
    expect(site.locator("#lc-root .lc-teaser")).to_contain_text(cart_text, timeout=5_000)
