"""A site owner connects a Telegram bot in Settings -> Channels, a customer writes to it
on the fake Telegram's page, and the chat appears live in the panel's inbox with its
channel shown (the real local stack: the fake platform calls the app's webhook)."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _panel, _section

pytestmark = pytest.mark.browser


def test_a_telegram_customer_writes_and_the_chat_appears_in_the_inbox(stack, new_page):
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
        "Replies to Telegram/Messenger chats are not sent yet"
    )
    expect(panel.locator("#mode-reply")).to_be_disabled()

    # The filter: Website hides it, Telegram shows it.
    panel.locator("#inbox-channel").select_option("website")
    expect(panel.locator("#chat-list .chat-item", has_text="Ada Lovelace")).to_have_count(0)
    panel.locator("#inbox-channel").select_option("telegram")
    expect(panel.locator("#chat-list .chat-item", has_text="Ada Lovelace")).to_have_count(1)
