"""The widget's last gaps of issue 13 (found by hand): the away header promises a reply
by e-mail only once the visitor gave an address the team may write to (`email_usable`);
a closed chat keeps its closed line, rating and transcript button after a reload (the
history's `closed`); the visitor's reply by e-mail (a new dialogue) appears below the
closed block, not above it; and a transcript refused because the address bounced
takes the promise back and asks for another address, which then gets it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _visitor_writes

pytestmark = pytest.mark.browser

AWAY = "We\u2019re away \u00b7 leave a message and we\u2019ll reply "


def test_the_e_mail_promise_the_closed_block_after_a_reload_and_a_bounced_address(new_page, stack):
    account = Account(stack, "Away shop")  # nobody has the panel open: away
    chats = f"/projects/{account.project_id}/chats"
    visitor = _visitor_writes(new_page, stack, account.project_id, "Do you ship to Oslo?")
    status = visitor.locator("#lc-root .lc-status span")
    # No address yet: a reply here, not by e-mail
    expect(status).to_have_text(AWAY + "here soon")
    card = visitor.get_by_role("form", name="Your contact details")
    expect(card).to_contain_text("Leave your e-mail and we\u2019ll reply there")
    card.get_by_label("E-mail (optional)").fill("ada.oslo@example.com")
    card.get_by_role("button", name="Save").click()
    expect(card).to_have_count(0)
    expect(status).to_have_text(AWAY + "by e-mail")

    [chat] = account.get(chats)["chats"]
    reply = account.post(
        f"{chats}/{chat['id']}/messages", {"client_id": "e2e-away-1", "text": "Yes, in 3 days."}
    )
    assert reply.status_code == 201, reply.text
    assert account.post(f"{chats}/{chat['id']}/close", {}).status_code == 200
    closed = visitor.locator("#lc-root .lc-end")
    visitor.get_by_role("button", name="E-mail me this conversation").click()
    expect(closed).to_contain_text("Sent to ada.oslo@example.com")

    # After a reload: the closed line, the rating and the transcript button are back
    visitor.reload()
    visitor.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(closed).to_contain_text("This conversation was closed")
    expect(visitor.get_by_role("group", name="Rate this conversation")).to_be_visible()
    expect(visitor.get_by_role("button", name="E-mail me this conversation")).to_be_visible()

    # The visitor answers the transcript by e-mail (the mailbox page's reply form): a new
    # dialogue, shown live below the closed block
    mailbox = new_page()
    mailbox.goto(stack.info["mailbox"])
    mail = mailbox.locator('article.mail[data-to="ada.oslo@example.com"]')
    expect(mail).to_contain_text("Your chat transcript")
    mail.get_by_label("Reply as the visitor").fill("And to Bergen?")
    mail.get_by_role("button", name="Send reply").click()
    expect(mailbox).to_have_url(re.compile(r"/local-mailbox/$"))
    bergen = visitor.locator("#lc-root .lc-msg", has_text="And to Bergen?")
    expect(bergen).to_have_count(1, timeout=10_000)
    order = visitor.locator("#lc-root .lc-list > *").evaluate_all(
        "nodes => nodes.map(n => n.classList.contains('lc-end') ? 'closed' : n.textContent)"
    )
    assert order.index("closed") < next(i for i, t in enumerate(order) if "Bergen" in t), order

    # SES reports the transcript as bounced; the team closes the new dialogue; the
    # visitor's transcript is refused: the promise goes, another address is asked for
    mailbox.locator('article.mail[data-to="ada.oslo@example.com"]').filter(
        has_text="Your chat transcript"
    ).get_by_role("button", name="Bounce").click()
    expect(mailbox).to_have_url(re.compile(r"/local-mailbox/$"))
    newer = next(c for c in account.get(chats)["chats"] if c["id"] != chat["id"])
    assert account.post(f"{chats}/{newer['id']}/close", {}).status_code == 200
    expect(closed).to_have_count(1)
    visitor.get_by_role("button", name="E-mail me this conversation").click()
    expect(closed).to_contain_text("your address bounced")
    expect(status).to_have_text(AWAY + "here soon")
    card = visitor.get_by_role("form", name="Your contact details")
    expect(card).to_contain_text("Where should we send it?")
    card.get_by_label("E-mail", exact=True).fill("ada@work.example")
    card.get_by_role("button", name="Send", exact=True).click()
    expect(closed).to_contain_text("Sent to ada@work.example")
    expect(status).to_have_text(AWAY + "by e-mail")
