"""A site owner connects a Telegram bot in Settings -> Channels, a customer writes to it
on the fake Telegram's page, the chat appears live in the panel's inbox with its channel
shown, and the operator's answer reaches the customer through Telegram (the real local
stack: the fake platform calls the app's webhook; the reply goes through the channel
queue in moto's SQS, its poller and the sender, to the fake's ``sendMessage``)."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _panel, _section

pytestmark = pytest.mark.browser


def test_a_telegram_customer_and_an_operator_chat_live(stack, new_page):
    account = Account(stack, "Tent Shop")
    panel = _panel(new_page, stack, account.email)

    # BotFather's part, on the fake's page: a new bot and its token.
    fake = new_page()
    fake.goto(stack.info["messengers"])
    username = f"tent_{uuid.uuid4().hex[:6]}_bot"
    fake.locator("form[action='/ui/bots'] input[name=username]").fill(username)
    fake.locator("form[action='/ui/bots']").get_by_role("button", name="Create").click()
    row = fake.locator("tr", has_text="@" + username)
    token = row.locator("code").first.inner_text()
    assert re.fullmatch(r"\d+:[\w-]+", token)

    _section(panel, "Settings")
    card = panel.locator("#channels-card")
    card.get_by_label("Bot token (from @BotFather)").fill(token)
    card.get_by_role("button", name="Connect bot").click()
    item = card.locator(".channel-item")
    expect(item).to_contain_text("Telegram @" + username)
    expect(item).to_contain_text("Token in use: …" + token[-4:])
    expect(card).not_to_contain_text(token)  # the token is never shown back
    fake.reload()
    expect(fake.locator("tr", has_text="@" + username)).to_contain_text("/channels/telegram/")

    # The customer writes on the fake Telegram.
    fake.locator("select[name=target]").select_option(label="Telegram: @" + username)
    fake.locator("input[name=name]").first.fill("Ada Lovelace")
    fake.locator("form[action='/ui/say'] input[name=text]").fill("Is the tent waterproof?")
    fake.locator("form[action='/ui/say']").get_by_role("button", name="Send", exact=True).click()
    expect(fake.locator("table").first).to_contain_text('"status": 200')

    _section(panel, "Inbox")
    chat = panel.locator("#chat-list .chat-item", has_text="Ada Lovelace")
    expect(chat).to_contain_text("Telegram")
    expect(chat).to_contain_text("Is the tent waterproof?")
    chat.click()
    expect(panel.locator("#conv-sub")).to_contain_text("Telegram · @" + username)
    expect(panel.locator("#composer-hint")).to_contain_text(
        "replies go to the customer on Telegram"
    )

    # The operator answers; the customer sees it on their Telegram, the panel says Sent.
    box = panel.get_by_role("textbox", name="Message", exact=True)
    box.fill("Yes, fully waterproof <b>5000 mm</b>")
    box.press("Enter")
    reply = panel.locator("#messages .msg-operator", has_text="Yes, fully waterproof")
    expect(reply.locator(".msg-delivery")).to_have_text("Sent", timeout=20_000)
    expect(reply.locator(".msg-bubble b")).to_have_count(0)  # text, never markup
    fake.reload()
    conversation = fake.locator("section.conv", has_text="Ada Lovelace")
    expect(conversation).to_contain_text("Is the tent waterproof?")
    expect(conversation.locator("li.r")).to_have_text(
        f"@{username}: Yes, fully waterproof <b>5000 mm</b>"
    )

    # The customer writes again: live in the panel, the conversation goes on.
    fake.locator("form[action='/ui/say'] input[name=text]").fill("Great, I'll take it")
    fake.locator("form[action='/ui/say']").get_by_role("button", name="Send", exact=True).click()
    expect(panel.locator("#messages")).to_contain_text("Great, I'll take it")

    # The customer sends a document: the panel links it by its name, from our bucket.
    fake.locator("form[action='/ui/say'] input[name=text]").fill("My order")
    fake.locator("form[action='/ui/say'] input[value=document]").check()
    fake.locator("form[action='/ui/say']").get_by_role("button", name="Send", exact=True).click()
    link = panel.locator("#messages .msg-visitor", has_text="My order").locator("a.msg-file")
    expect(link).to_have_text("order-1234.pdf")
    href = link.get_attribute("href")
    assert "/attachments/" in href and "/channels/" in href and token not in href
    downloaded = panel.request.get(href)
    assert downloaded.ok and downloaded.body().startswith(b"%PDF-")
    assert "attachment" in downloaded.headers.get("content-disposition", "")
    fake.locator("form[action='/ui/say'] input[value=text]").check()
    panel.reload()  # a reload shows the delivery too (the history carries it)
    _section(panel, "Inbox")
    panel.locator("#chat-list .chat-item", has_text="Ada Lovelace").click()
    reply = panel.locator("#messages .msg-operator", has_text="Yes, fully waterproof")
    expect(reply.locator(".msg-delivery")).to_have_text("Sent")

    # The customer blocks the bot (played on the fake): the next reply fails with
    # Telegram's reason, and Retry sends it again (it fails again: still blocked).
    fake.locator("select[name=fault_target]").select_option(label="Telegram: @" + username)
    fake.locator("form[action='/ui/fault'] input[value=block]").check()
    fake.locator("form[action='/ui/fault']").get_by_role("button", name="Play").click()
    expect(fake.locator(".n")).to_contain_text("Fault set: blocked")
    box = panel.get_by_role("textbox", name="Message", exact=True)
    box.fill("Are you still there?")
    box.press("Enter")
    failed = panel.locator("#messages .msg-operator", has_text="Are you still there?")
    status = failed.locator(".msg-delivery")
    expect(status).to_contain_text(
        "Failed: the customer blocked the bot or left Telegram", timeout=20_000
    )
    with panel.expect_response(lambda r: r.url.endswith("/retry")) as retried:
        status.get_by_role("button", name="Retry").click()
    assert retried.value.status == 200 and retried.value.json()["delivery"] == "sending"
    expect(status).to_contain_text("Failed: the customer blocked the bot", timeout=20_000)
    expect(status.get_by_role("button", name="Retry")).to_be_enabled()

    # The filter: Website hides it, Telegram shows it.
    panel.locator("#inbox-channel").select_option("website")
    expect(panel.locator("#chat-list .chat-item", has_text="Ada Lovelace")).to_have_count(0)
    panel.locator("#inbox-channel").select_option("telegram")
    expect(panel.locator("#chat-list .chat-item", has_text="Ada Lovelace")).to_have_count(1)
