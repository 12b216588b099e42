"""The visitor e-mails themselves the conversation from the widget (issue 13,
"Transcripts"): after the team closes the chat, "E-mail me this conversation" asks for an
address when none is known, checks it as the contact card does, and the local mailbox
gets the transcript; once sent, the button is gone and the widget says where it went."""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _visitor_writes

pytestmark = pytest.mark.browser


def test_after_a_close_the_visitor_gets_the_conversation_by_email(new_page, stack):
    account = Account(stack, "Transcript shop")
    visitor = _visitor_writes(new_page, stack, account.project_id, "Do you ship to Oslo?")
    [chat] = account.get(f"/projects/{account.project_id}/chats")["chats"]
    reply = account.post(
        f"/projects/{account.project_id}/chats/{chat['id']}/messages",
        {"client_id": "e2e-transcript-1", "text": "Yes, in three days."},
    )
    assert reply.status_code == 201, reply.text
    closed = account.post(f"/projects/{account.project_id}/chats/{chat['id']}/close", {})
    assert closed.status_code == 200, closed.text

    ask = visitor.get_by_role("button", name="E-mail me this conversation")
    ask.click()
    card = visitor.get_by_role("form", name="Your contact details")
    expect(card).to_contain_text("Where should we send it?")
    address = card.get_by_label("E-mail", exact=True)
    address.fill("not an address")
    card.get_by_role("button", name="Send", exact=True).click()
    expect(card.get_by_role("alert")).to_have_text(
        "Please enter an e-mail address such as ada@example.com."
    )
    address.fill("oslo.reader@example.com")
    card.get_by_role("button", name="Send", exact=True).click()
    expect(visitor.locator("#lc-root .lc-end")).to_contain_text("Sent to oslo.reader@example.com")
    expect(ask).to_have_count(0)
    expect(card).to_have_count(0)

    mailbox = new_page()
    mailbox.goto(stack.info["mailbox"])
    mail = mailbox.locator('article.mail[data-to="oslo.reader@example.com"]')
    expect(mail).to_contain_text("Your chat transcript")
    expect(mail).to_contain_text("Do you ship to Oslo?")
    expect(mail).to_contain_text("Yes, in three days.")
    # The address is the visitor's now: the panel's facts show it.
    facts = account.get(f"/projects/{account.project_id}/chats/{chat['id']}/visitor")
    assert facts["visitor"]["given"]["email"] == "oslo.reader@example.com"
    mails = requests.get(f"{stack.info['mailbox']}mails.json", timeout=10).json()["mails"]
    assert [m["to"] for m in mails].count("oslo.reader@example.com") == 1
    assert re.search("Transcript shop", mail.inner_text())
