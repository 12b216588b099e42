"""Conversations that continue by e-mail, by hand on the local stack: the visitor (a
logged-in user of the site) leaves, the operator's reply goes unseen, the clock's job
e-mails it (moto's SES, the local mailbox), "reply as the visitor" on the mailbox page
sends a real MIME reply through moto's S3 into the receiving Lambda's handler, and the
reply appears in the panel's chat, live; the team e-mails the transcript; the mailbox
page's "Bounce" (SES's feedback, through an SNS event to the app) shows on the visitor's
facts and takes the transcript button away; a one-click unsubscribe and a complaint show
there too.

Time is not faked: the unseen reply is made two minutes old in the stack's DynamoDB
(moto), as test_local_clock.py ages dialogues; everything else goes through the widget,
the API, the clock page and the mailbox page."""

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _open_chat, _panel

pytestmark = pytest.mark.browser


def _age_unseen_reply(stack, project_id, chat_id, minutes):
    stamp = (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    stack.table("chats").update_item(
        Key={"project_id": project_id, "chat_id": chat_id},
        UpdateExpression="SET unseen_reply_at = :t",
        ExpressionAttributeValues={":t": stamp},
    )


def test_an_unseen_reply_is_emailed_and_the_visitors_answer_lands_in_the_panel(stack, new_page):
    account = Account(stack, project_name="Mail Shop")
    secret = account.get(f"/projects/{account.project_id}/identity-secret")["identity_secret"]
    address = f"jane-{account.project_id[-6:].lower()}@example.org"
    site = new_page()
    site.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    expect(site.get_by_role("button", name=re.compile("chat", re.I))).to_be_visible()
    signed = hmac.new(secret.encode(), b"jane-1", hashlib.sha256).hexdigest()
    status = site.evaluate(
        "async ([hash, email]) => (await LiveChat.identify("
        "{user_id: 'jane-1', name: 'Jane', email, hash})).status",
        [signed, address],
    )
    assert status == 200
    site.get_by_role("button", name=re.compile("chat", re.I)).click()
    site.get_by_role("textbox", name="Message", exact=True).fill("Where is my tent?")
    site.get_by_role("button", name="Send", exact=True).click()
    expect(site.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1)
    site.close()  # the visitor is gone: the reply will not be seen in the widget

    panel = _panel(new_page, stack, account.email)
    _open_chat(panel, "Where is my tent?")
    [chat] = account.get(f"/projects/{account.project_id}/chats")["chats"]
    sent = account.post(
        f"/projects/{account.project_id}/chats/{chat['id']}/messages",
        {"client_id": "e2e-mail-reply-1", "text": "It ships on Tuesday."},
    )
    assert sent.status_code == 201, sent.text
    _age_unseen_reply(stack, account.project_id, chat["id"], minutes=3)

    clock = new_page()
    clock.goto(stack.info["clock"])
    row = clock.locator('tr[data-job="email_unseen_replies"]')
    row.get_by_role("button", name="Run email_unseen_replies now").click()
    expect(row.locator(".result")).to_contain_text(re.compile(r"sent: [1-9]"))

    mailbox = new_page()
    mailbox.goto(stack.info["mailbox"])
    mail = mailbox.locator(f'article.mail[data-to="{address}"]')
    expect(mail).to_contain_text("[Mail Shop]")
    expect(mail).to_contain_text("It ships on Tuesday.")
    expect(mail).to_contain_text("Where is my tent?")  # the chat so far
    mail.get_by_label("Reply as the visitor").fill("Tuesday is perfect, thank you!")
    mail.get_by_role("button", name="Send reply").click()
    expect(mailbox).to_have_url(re.compile(r"/local-mailbox/$"))

    # In the panel, live: the visitor's words only (the quoted original was cut).
    bubble = panel.locator(".msg-bubble.msg-text", has_text="Tuesday is perfect")
    expect(bubble).to_have_text("Tuesday is perfect, thank you!", timeout=10_000)
    texts = [m["text"] for m in account.get(
        f"/projects/{account.project_id}/chats/{chat['id']}/messages")["messages"]]  # fmt: skip
    assert texts[-1] == "Tuesday is perfect, thank you!"

    # The team e-mails the transcript from the visitor's facts.
    panel.get_by_role("button", name="E-mail transcript").click()
    expect(panel.get_by_role("status").filter(has_text="Transcript sent to")).to_be_visible()
    mailbox.reload()
    sent_transcript = mailbox.locator(f'article.mail[data-to="{address}"]').filter(
        has_text="Your chat transcript"
    )
    expect(sent_transcript).to_contain_text("Tuesday is perfect, thank you!")

    # SES reports the transcript as bounced for good (the mailbox page's button): the
    # visitor's facts say so and the team can no longer e-mail them.
    sent_transcript.get_by_role("button", name="Bounce").click()
    expect(mailbox).to_have_url(re.compile(r"/local-mailbox/$"))
    expect(
        mailbox.locator(f'article.mail[data-to="{address}"]').filter(
            has_text="Your chat transcript"
        )
    ).to_contain_text("SES told the app: bounced")
    panel.reload()
    _open_chat(panel, "Tuesday is perfect")
    expect(panel.locator("#conv-facts")).to_contain_text("e-mails bounced")
    expect(panel.get_by_role("button", name="E-mail transcript")).to_have_count(0)

    # One click on the e-mail's List-Unsubscribe (as a mail client does, RFC 8058): the
    # panel's facts about the visitor say so.
    listed = requests.get(f"{stack.info['mailbox']}mails.json", timeout=10).json()["mails"]
    continuity_mail = next(m for m in listed if m["to"] == address and "raw" in m)
    raw = continuity_mail["raw"]
    headers = BytesParser(policy=policy.default).parsebytes(raw.encode())
    link = headers["List-Unsubscribe"].strip("<>")
    assert link.startswith(stack.info["api"])
    click = requests.post(
        link,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert click.status_code == 200, click.text
    # And its reader marks the continuity e-mail as spam (the other button, as a script).
    complained = requests.post(
        f"{stack.info['mailbox']}feedback/{continuity_mail['id']}",
        data={"kind": "complaint"},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert complained.json() == {"outcomes": ["suppressed 1: complained (abuse)"]}
    panel.reload()
    _open_chat(panel, "Tuesday is perfect")
    expect(panel.locator("#conv-facts")).to_contain_text("unsubscribed from e-mails")
    expect(panel.locator("#conv-facts")).to_contain_text("marked our e-mail as spam")
    expect(panel.get_by_role("button", name="E-mail transcript")).to_have_count(0)
