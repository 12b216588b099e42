"""The auto-message teaser in real Chromium against the local stack: dismissed with its
close button or Escape, capped in height, opened by the launcher too, and the message,
its picture, files and reply buttons carried into the chat, with no failed request.

Each test signs up an account of its own, so tests share nothing but the stack.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account

pytestmark = pytest.mark.browser


def _auto_message(account, **content):
    created = account.post(
        f"/projects/{account.project_id}/auto-messages",
        {
            "name": "Welcome",
            "type": "proactive",
            "once_per_user": False,
            "content": {"text": "Hello there!", **content},
        },
    )
    assert created.status_code == 201, created.text
    return created.json()["auto_message"]["id"]


def _teaser(site):
    return site.get_by_role("dialog", name=re.compile("Message from"))


def test_the_visitor_dismisses_a_teaser_and_a_long_one_scrolls(stack, new_page):
    account = Account(stack, "Teaser shop")
    _auto_message(account, text="A long story. " * 280)  # 3,920 characters
    site = new_page()
    site.goto(f"{stack.info['demo_site']}/?project={account.project_id}")

    teaser = _teaser(site)
    expect(teaser).to_be_visible(timeout=15_000)
    box = teaser.bounding_box()
    assert box["height"] <= 420 and box["y"] >= 0  # capped: on screen, scrolls inside
    # scrolled to its end, the message still shows its close button at its top
    teaser.locator(".lc-tb").evaluate("b => { b.scrollTop = b.scrollHeight; }")
    dismiss = teaser.get_by_role("button", name="Dismiss")
    site.wait_for_timeout(400)  # the pop-in animation moves the whole teaser
    top, close = teaser.bounding_box()["y"], dismiss.bounding_box()["y"]
    assert top <= close <= top + 40
    dismiss.click()
    expect(teaser).to_have_count(0)

    site.reload()
    expect(_teaser(site)).to_be_visible(timeout=15_000)
    site.keyboard.press("Escape")
    expect(_teaser(site)).to_have_count(0)


def test_the_launcher_opens_the_message_into_the_chat_with_its_buttons(stack, new_page):
    account = Account(stack, "Launcher shop")
    message_id = _auto_message(
        account,
        image_url="https://shop.example/wave.gif",
        buttons=[{"label": "Yes please", "action": "reply"}],
    )
    site = new_page()
    failed = []
    site.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    site.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    expect(_teaser(site)).to_be_visible(timeout=15_000)

    # When the visitor opens the chat with the launcher instead of the teaser
    site.get_by_role("button", name="Open chat").click()

    # Then the message is in the chat with its picture and reply button, and answering works
    expect(_teaser(site)).to_have_count(0)
    operator = site.locator("#lc-root .lc-msg.lc-operator")
    expect(operator).to_contain_text("Hello there!")
    expect(operator.locator("img.lc-img")).to_have_attribute("src", "https://shop.example/wave.gif")
    operator.get_by_role("button", name="Yes please").click()
    expect(site.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_contain_text("Yes please")
    # its buttons are spent; after a reload the stored message shows, once, with its picture
    expect(operator.get_by_role("button", name="Yes please")).to_have_count(0)
    expect(operator).to_have_count(1)
    site.reload()
    expect(_teaser(site)).to_be_visible(timeout=15_000)  # not once per user: shown again
    site.keyboard.press("Escape")
    site.get_by_role("button", name=re.compile("Open chat")).click()
    expect(operator).to_have_count(1)
    expect(operator).to_have_attribute("data-id", re.compile("^01"))
    expect(operator.locator("img.lc-img")).to_have_attribute("src", "https://shop.example/wave.gif")
    stats = account.get(f"/projects/{account.project_id}/auto-messages/{message_id}")
    assert stats["auto_message"]["stats"]["opened"] == 1
    assert [url for url in failed if "wave.gif" not in url] == []
