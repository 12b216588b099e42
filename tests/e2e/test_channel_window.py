"""Above the reply box of a Messenger chat, the panel says how long Messenger's window has
left, that replies go with the Human agent tag past 24 hours once a lead turned it on,
that the window is closed past that, and that the messenger quota stopped replies (with
the way to billing). The real local stack; the customer writes on the fake Facebook, and
the clock is moved by moving the stored customer's last message back."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from boto3.dynamodb.conditions import Key
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _panel, _section

pytestmark = pytest.mark.browser


def _fake(stack, action, **params):
    answer = requests.post(f"{stack.info['messengers']}/ui/{action}", json=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _messenger_chat(stack, account):
    page = _fake(stack, "pages", name="Tent Shop Page")
    connected = account.post(
        f"/projects/{account.project_id}/channels/messenger",
        {k: page[k] for k in ("page_id", "page_token", "app_secret")},
    )
    assert connected.status_code == 201, connected.text
    channel = connected.json()["channel"]
    _fake(
        stack,
        "app-webhook",
        page_id=page["page_id"],
        callback_url=channel["webhook_url"],
        verify_token=channel["verify_token"],
    )
    said = _fake(stack, "say", target="messenger:" + page["page_id"], name="Bob Stone", text="Hi?")
    assert said["results"][0]["status"] == 200, said


def _customer_wrote(stack, account, ago):
    chats = stack.table("chats").query(
        KeyConditionExpression=Key("project_id").eq(account.project_id)
    )
    [chat] = chats["Items"]
    when = (datetime.now(UTC) - ago).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    stack.table("chats").update_item(
        Key={"project_id": account.project_id, "chat_id": chat["chat_id"]},
        UpdateExpression="SET customer_last_at = :t",
        ExpressionAttributeValues={":t": when},
    )


def _open_chat(panel):
    panel.reload()
    _section(panel, "Inbox")
    panel.locator("#chat-list .chat-item", has_text="Bob Stone").click()
    return panel.locator("#channel-window")


def test_the_composer_shows_the_messenger_window_the_tag_and_the_quota(stack, new_page):
    account = Account(stack, "Tent Shop")
    # Privacy consent on: a new Messenger chat's first answer is the notice, sent to them.
    consent = {"enabled": True, "text": "We keep your messages to answer you."}
    turned = requests.patch(
        f"{account.api}/projects/{account.project_id}",
        json={"consent": consent},
        headers=account.auth,
        timeout=10,
    )
    assert turned.status_code == 200, turned.text
    _messenger_chat(stack, account)
    panel = _panel(new_page, stack, account.email)

    line = _open_chat(panel)
    notice = panel.locator("#messages .msg-system-line", has_text="We keep your messages")
    expect(notice).to_contain_text("By continuing this conversation you agree to it.")
    expect(notice.locator(".msg-delivery")).to_contain_text("sent to the customer", timeout=20_000)
    expect(line).to_have_text(re.compile(r"Messenger window: 2[34] h \d+ min left to reply\."))
    # The customer's picture, copied from the profile to our bucket, is the avatar.
    picture = panel.locator("#conv-avatar img.avatar-picture")
    expect(picture).to_have_attribute("src", re.compile(r"/channels/customers/v_\w+\.png$"))
    panel.wait_for_function(
        "() => document.querySelector('#conv-avatar img').naturalWidth > 0", timeout=10000
    )
    expect(panel.locator("#chat-list .chat-item img.avatar-picture")).to_have_count(1)

    _customer_wrote(stack, account, timedelta(hours=25))
    line = _open_chat(panel)
    expect(line).to_contain_text("Window closed: Messenger lets a Page answer within 24 h")
    expect(line).to_contain_text("Human agent tag once Meta approved it")
    expect(line).to_have_text(re.compile(r"customer writes\.$"))  # nothing after the words
    expect(panel.locator("#mode-reply")).to_be_disabled()
    expect(panel.locator("#mode-note")).to_be_enabled()  # notes always work

    # A lead turns the tag on in Settings -> Channels: past 24 h, replies go with it.
    _section(panel, "Settings")
    tag = panel.get_by_label(re.compile("reply with the Human agent tag"))
    expect(panel.locator("#human-agent-tag-note")).to_contain_text("Meta approved your app")
    tag.check()
    expect(panel.locator("#toasts .toast").last).to_contain_text("Human agent tag")
    line = _open_chat(panel)
    expect(line).to_contain_text("Past 24 h: replies go with the Human agent tag (until ")

    _customer_wrote(stack, account, timedelta(days=8))
    line = _open_chat(panel)
    expect(line).to_contain_text("last wrote over 7 days ago")

    # The plan's messenger messages are used up: replies stop on every channel chat.
    usage = stack.table("usage")
    [item] = usage.query(KeyConditionExpression=Key("project_id").eq(account.project_id))["Items"]
    usage.update_item(
        Key={"project_id": account.project_id, "period": item["period"]},
        UpdateExpression="SET messenger_messages = :n",
        ExpressionAttributeValues={":n": 100},
    )
    line = _open_chat(panel)
    expect(line).to_contain_text("cannot reply on Telegram or Messenger")
    expect(line).to_contain_text("Billing page")
    line.get_by_role("button", name="Open billing").click()
    expect(panel.locator("#view-billing")).to_be_visible()
