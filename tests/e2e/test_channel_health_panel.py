"""A Telegram bot's token dies (revoked on the fake Telegram), the clock app's daily
check finds it, and the open panel shows the banner at once (the channel_health frame)
with Reconnect; Settings -> Channels says "Needs reconnecting" and reconnecting with the
new token clears it (the real local stack)."""

import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _open_chat, _panel, _section, _visitor_writes

pytestmark = pytest.mark.browser


def _fake(stack, action: str, **params) -> dict:
    answer = requests.post(f"{stack.info['messengers']}/ui/{action}", json=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_revoked_bot_shows_the_banner_live_and_reconnecting_clears_it(stack, new_page):
    account = Account(stack, "Tent Shop")
    panel = _panel(new_page, stack, account.email)
    username = f"tent_{uuid.uuid4().hex[:6]}_bot"
    token = _fake(stack, "bots", username=username)["token"]
    _section(panel, "Settings")
    card = panel.locator("#channels-card")
    card.get_by_label("Bot token (from @BotFather)").fill(token)
    card.get_by_role("button", name="Connect bot").click()
    expect(card.locator(".channel-item")).to_contain_text("Telegram @" + username)
    _section(panel, "Inbox")
    banner = panel.locator("#channel-banner")
    expect(banner).to_be_hidden()

    # The token dies at Telegram; the daily check runs ("Run now" on the clock page).
    fresh = _fake(stack, "revoke", target="telegram:" + token)["token"]  # @BotFather /revoke
    ran = requests.post(f"{stack.info['clock']}run/check_channel_tokens", timeout=60)
    assert ran.status_code == 200

    expect(banner).to_be_visible()
    expect(banner).to_contain_text(
        f"Telegram @{username} needs reconnecting: the bot token was revoked or the bot was"
        " deleted. Replies are held until you reconnect it."
    )

    # Reconnect from an open chat: Settings -> Channels, that bot's form, asking for the new
    # token, at a clean Settings address (not the open chat's id behind it).
    _visitor_writes(new_page, stack, account.project_id, "Do you ship tents abroad?")
    _open_chat(panel, "Do you ship tents abroad?")
    expect(panel).to_have_url(re.compile(r"/inbox/[^/]+$"))
    banner.get_by_role("button", name=f"Reconnect Telegram @{username}").click()
    expect(panel).to_have_url(re.compile(re.escape(f"#/{account.project_id}/settings") + "$"))
    item = card.locator(".channel-item", has_text="@" + username)
    expect(item).to_contain_text("Needs reconnecting: the bot token was revoked")
    form = item.get_by_role("form", name=f"Reconnect Telegram @{username}")
    new_field = form.get_by_label("New bot token (from @BotFather)")
    expect(new_field).to_be_focused()
    new_field.fill(fresh)
    form.get_by_role("button", name="Reconnect").click()
    expect(item).to_contain_text("Token in use: …" + fresh[-4:])
    expect(item).not_to_contain_text("Needs reconnecting")
    expect(banner).to_be_hidden()
