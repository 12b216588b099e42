"""The widget in real Chromium against the local stack (issue 15): the consent step on a
dialogue an operator started, asked before the visitor writes; scrolling back through a
long dialogue; the auto message signed with one name everywhere.

Each test signs up an account of its own, so tests share nothing but the stack.
"""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account

pytestmark = pytest.mark.browser

CONSENT = {
    "enabled": True,
    "text": "We keep this chat to answer you.",
    "privacy_url": "https://shop.example/privacy",
}

# Sends n visitor messages on a socket of the page's own (the loader's session token),
# one after another, each waiting for its ack: a long dialogue in seconds, not by typing.
SEND_MANY = """async ([n, pauseAfter, pauseMs]) => {
  const W = window.__lcWidget;
  while (!W.session) await new Promise((r) => setTimeout(r, 50));
  const url = W.session.ws_url, token = W.session.token;
  const ws = new WebSocket(url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token));
  await new Promise((ok, bad) => { ws.onopen = ok; ws.onerror = bad; });
  let answer = null;
  ws.onmessage = (e) => { const f = JSON.parse(e.data); if (f.type === 'ack' || f.type === 'error') answer(f); };
  for (let i = 1; i <= n; i++) {
    if (i === pauseAfter + 1) await new Promise((r) => setTimeout(r, pauseMs));
    const f = await new Promise((r) => {
      answer = r;
      ws.send(JSON.stringify({action: 'send', token, client_id: 'bulk-' + String(i).padStart(5, '0'), text: 'Message ' + i}));
    });
    if (f.type !== 'ack') throw new Error(JSON.stringify(f));
  }
  ws.close();
}"""


def _visit(page, stack, account):
    page.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    expect(page.get_by_role("button", name=re.compile("chat", re.I))).to_be_visible()


def _visitor_id(page):
    return page.evaluate("() => localStorage.getItem(window.__lcWidget.prefix + 'vid')")


def _history(account, chat_id):
    return account.get(f"/projects/{account.project_id}/chats/{chat_id}/messages")["messages"]


def test_a_reply_to_an_operator_started_chat_waits_for_consent(stack, new_page):
    # Given consent on, and a new visitor with the chat open
    account = Account(stack, "Consent shop")
    assert (
        requests.patch(
            f"{account.api}/projects/{account.project_id}",
            json={"consent": CONSENT},
            headers=account.auth,
            timeout=10,
        ).status_code
        == 200
    )
    site = new_page()
    _visit(site, stack, account)
    site.get_by_role("button", name=re.compile("Open chat")).click()
    expect(site.locator("#lc-root")).to_have_attribute("data-lc-state", "connected", timeout=15_000)

    # When an operator starts a chat with them
    started = account.post(
        f"/projects/{account.project_id}/visitors/{_visitor_id(site)}/chats",
        {"client_id": "start-00001", "text": "Hello! Can we help?"},
    )
    assert started.status_code == 201, started.text
    chat_id = started.json()["chat"]["id"]

    # Then the operator's message shows, and the widget asks for consent before the reply
    expect(site.locator("#lc-root .lc-msg.lc-operator")).to_contain_text("Hello! Can we help?")
    agree = site.get_by_role("button", name="I agree")
    expect(agree).to_be_visible()
    expect(site.get_by_text(CONSENT["text"])).to_be_visible()
    box = site.get_by_role("textbox", name="Message", exact=True)
    box.fill("Yes, which size?")
    site.get_by_role("button", name="Send", exact=True).click()
    pending = site.locator("#lc-root .lc-msg.lc-visitor").last
    expect(pending).to_contain_text("Waiting for your consent")
    site.wait_for_timeout(1_000)  # nothing goes out meanwhile
    assert [m["author_type"] for m in _history(account, chat_id)] == ["operator"]

    agree.click()

    # Then the reply is stored in the operator's dialogue, after the consent line
    expect(site.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_contain_text("Yes, which size?")
    expect(agree).to_have_count(0)
    history = _history(account, chat_id)
    assert [m["author_type"] for m in history] == ["operator", "system", "visitor"]
    assert history[1]["text"].startswith(CONSENT["text"])
    assert history[2]["text"] == "Yes, which size?"
    # and the widget shows the consent line too, after a reload
    site.reload()
    site.get_by_role("button", name=re.compile("Open chat")).click()
    expect(site.locator("#lc-root .lc-msg.lc-system")).to_contain_text(CONSENT["text"])
    expect(site.get_by_role("button", name="I agree")).to_have_count(0)


def test_the_visitor_scrolls_back_through_220_messages(stack, new_page):
    # Given a dialogue of 220 messages
    account = Account(stack, "Long talk shop")
    site = new_page(viewport={"width": 1280, "height": 800})
    _visit(site, stack, account)
    # (in two halves 2.5 s apart, so a reconnect's 2 s overlap reaches the second only)
    site.evaluate(SEND_MANY, [220, 110, 2_500])

    # When the page is reloaded, the widget shows the latest 100 (and any a reconnect's
    # 2 s overlap brings in: on a fast machine all of the second half), in order
    site.reload()
    site.get_by_role("button", name=re.compile("Open chat")).click()
    shown = site.locator("#lc-root .lc-msg[data-id]")
    bubbles = site.locator("#lc-root .lc-msg[data-id] .lc-bubble")
    expect(bubbles.last).to_have_text("Message 220")
    site.wait_for_timeout(1_000)  # the socket's resync
    held = shown.count()
    assert 100 <= held < 200, held  # the first half waits for scrolling back
    assert bubbles.all_inner_texts() == [f"Message {n}" for n in range(221 - held, 221)]
    body = site.locator("#lc-root .lc-body")

    # When the visitor scrolls to the top, older pages of 100 come in, the view staying put
    while held < 220:
        oldest = shown.first.get_attribute("data-id")
        body.evaluate("b => { b.scrollTop = 0; }")
        top = site.locator(f'#lc-root .lc-msg[data-id="{oldest}"]').bounding_box()["y"]
        expect(shown).to_have_count(min(held + 100, 220))
        held = shown.count()
        site.wait_for_timeout(100)  # the scroll position is restored right after the render
        after = site.locator(f'#lc-root .lc-msg[data-id="{oldest}"]').bounding_box()["y"]
        # (a few px: the message that was first is drawn again in its new group)
        assert abs(after - top) <= 4, (top, after)
        assert body.evaluate("b => b.scrollTop") > 0

    # Then every message is there once, in order, from message 1
    texts = site.locator("#lc-root .lc-msg[data-id] .lc-bubble").all_inner_texts()
    assert texts == [f"Message {n}" for n in range(1, 221)]
    body.evaluate("b => { b.scrollTop = 0; }")  # nothing older: no more requests, no change
    site.wait_for_timeout(500)
    expect(shown).to_have_count(220)


def test_the_auto_message_is_signed_with_the_projects_name_everywhere(stack, new_page):
    # Given an auto message fired only by LiveChat.trigger(), and a page whose chat UI
    # already ran its session (the case that said "Team")
    account = Account(stack, "Named shop")
    created = account.post(
        f"/projects/{account.project_id}/auto-messages",
        {
            "name": "Only when triggered",
            "type": "proactive",
            "content": {"text": "Your cart is waiting!"},
            "rules": {"all": [{"field": "time_on_page", "op": "greater", "value": 3600}]},
        },
    )
    message_id = created.json()["auto_message"]["id"]
    site = new_page()
    _visit(site, stack, account)
    site.evaluate("LiveChat.open()")
    expect(site.locator("#lc-root")).to_have_attribute("data-lc-state", "connected", timeout=15_000)
    site.evaluate("LiveChat.close()")

    # When the page triggers it and the visitor opens it from the teaser
    site.evaluate(f"LiveChat.trigger('{message_id}')")
    teaser = site.get_by_role("dialog", name="Message from Named shop")
    expect(teaser).to_contain_text("Your cart is waiting!", timeout=10_000)
    teaser.get_by_role("button", name="Reply").click()

    # Then the widget signs it with the project's name, as the panel's copy is
    auto = site.locator("#lc-root .lc-msg.lc-operator").first
    expect(auto.locator(".lc-name")).to_have_text("Named shop")
    site.get_by_role("textbox", name="Message", exact=True).fill("Is it still there?")
    site.get_by_role("button", name="Send", exact=True).click()
    expect(site.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1)
    [chat] = account.get(f"/projects/{account.project_id}/chats")["chats"]
    history = _history(account, chat["id"])
    assert [(m["author_name"], m["text"]) for m in history][0] == (
        "Named shop",
        "Your cart is waiting!",
    )
    expect(auto.locator(".lc-name")).to_have_text("Named shop")  # the stored copy too
