"""The widget tells a visitor waiting in the queue their place (issue 15): with automatic
distribution and the team online but full, the status line says "All our team is busy –
you are next" or their number in line, keeps it across a reload, moves up as the queue
does, and names who answers once an operator takes the chat."""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _panel, _visitor_writes

pytestmark = pytest.mark.browser

BUSY = "All our team is busy \u2013 you are "


def _status(page):
    return page.locator("#lc-root .lc-status")


def test_a_waiting_visitor_sees_their_place_and_who_takes_the_chat(new_page, stack):
    account = Account(stack, "Queue shop")
    settings = {"distribution": "least_busy", "max_active_chats": 1}
    patched = requests.patch(
        f"{account.api}/projects/{account.project_id}",
        json=settings,
        headers=account.auth,
        timeout=10,
    )
    assert patched.status_code == 200, patched.text
    _panel(new_page, stack, account.email)  # online, with room for one chat

    first = _visitor_writes(new_page, stack, account.project_id, "First question")
    expect(_status(first)).to_have_text(f"{account.name} is answering")
    second = _visitor_writes(new_page, stack, account.project_id, "Second question")
    expect(_status(second)).to_have_text(BUSY + "next")
    third = _visitor_writes(new_page, stack, account.project_id, "Third question")
    expect(_status(third)).to_have_text(BUSY + "number 2 in line")

    # A reload keeps the place (the history answers it)
    third.reload()
    third.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(third.locator("#lc-root")).to_have_attribute("data-lc-state", "connected")
    expect(_status(third)).to_have_text(BUSY + "number 2 in line")

    # When the operator takes the second visitor's chat, it names who answers, and the
    # third visitor is next
    chats = {c["last_message"]["text"]: c["id"] for c in account.get(
        f"/projects/{account.project_id}/chats")["chats"]}  # fmt: skip
    taken = account.post(
        f"/projects/{account.project_id}/chats/{chats['Second question']}/assign", {}
    )
    assert taken.status_code == 200, taken.text
    expect(_status(second)).to_have_text(f"{account.name} is answering")
    expect(_status(third)).to_have_text(BUSY + "next")
