"""The clock on the local stack: its page lists the clock app's jobs, "Run now" runs one
through the same handler as in AWS; auto-close closes an idle dialogue and the queue
moves; an e-mail auto message lands in the local mailbox (through moto's SES).

Time is not faked: the dialogue is made idle by moving its last activity back in the
stack's DynamoDB (moto), the one thing a browser cannot do; everything else goes
through the panel, the widget, the API and the clock page."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from chalicelib.services.identity import signature
from tests.e2e.panel_workflow_helpers import Account, _panel, _section, _visitor_writes

pytestmark = pytest.mark.browser


def _age_dialogue(stack, project_id, chat_id, minutes):
    """Its last activity ``minutes`` ago (chalicelib.models.chat: the two keys the
    idle index and the activity index read)."""
    stamp = (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    stack.table("chats").update_item(
        Key={"project_id": project_id, "chat_id": chat_id},
        UpdateExpression="SET last_activity_at = :t, activity_key = :k",
        ExpressionAttributeValues={":t": stamp, ":k": f"{stamp}#{chat_id}"},
    )


def _logged_in_user(stack, account, email):
    """A logged-in user of the site (a page view, then LiveChat.identify), from Germany."""
    site = {"Origin": stack.info["demo_site"]}
    session = requests.post(
        f"{stack.info['api']}/widget/session",
        json={"project_id": account.project_id, "page_view": True, "new_visit": True},
        headers={**site, "X-Local-Viewer-Country": "DE"},
        timeout=10,
    ).json()
    secret = account.get(f"/projects/{account.project_id}/identity-secret")["identity_secret"]
    identified = requests.post(
        f"{stack.info['api']}/widget/identify",
        json={
            "token": session["token"],
            "user_id": "u-42",
            "email": email,
            "hash": signature(secret, "u-42"),
        },
        headers=site,
        timeout=10,
    )
    assert identified.status_code == 200, identified.text


def _run_now(page, job):
    row = page.locator(f'tr[data-job="{job}"]')
    row.get_by_role("button", name=f"Run {job} now").click()
    return page.locator(f'tr[data-job="{job}"]')


def _scheduled_jobs() -> int:
    source = (Path(__file__).parents[2] / "scheduled" / "app.py").read_text()
    return len(re.findall(r"^@app\.schedule\(", source, re.M))


def test_the_clock_page_runs_auto_close_the_queue_moves_and_mail_arrives(new_page, stack):
    account = Account(stack)
    settings = {"auto_close_minutes": 1, "distribution": "least_busy", "max_active_chats": 1}
    patched = requests.patch(
        f"{account.api}/projects/{account.project_id}",
        json=settings,
        headers=account.auth,
        timeout=10,
    )
    assert patched.status_code == 200, patched.text
    panel = _panel(new_page, stack, account.email)  # online: distribution hands her chats
    _visitor_writes(new_page, stack, account.project_id, "First question")
    _visitor_writes(new_page, stack, account.project_id, "Second question")
    chats = {c["last_message"]["text"]: c for c in account.get(
        f"/projects/{account.project_id}/chats")["chats"]}  # fmt: skip
    first, second = chats["First question"], chats["Second question"]
    assert first["assignee"]["name"] == account.name and second["assignee"] is None
    _age_dialogue(stack, account.project_id, first["id"], minutes=3)

    clock = new_page()
    clock.goto(stack.info["clock"])
    # Every job of the clock app, with its own rate
    for job, rate in [("close_idle_dialogues", "rate(1 minute)"),
                      ("send_email_auto_messages", "rate(15 minutes)"),
                      ("check_channel_tokens", "rate(1 day)")]:  # fmt: skip
        expect(clock.locator(f'tr[data-job="{job}"]')).to_contain_text(rate)
    # As many as the clock app schedules (scheduled/app.py), none left out.
    expect(clock.locator("tr[data-job]")).to_have_count(_scheduled_jobs())

    row = _run_now(clock, "close_idle_dialogues")

    expect(row.locator(".result")).to_contain_text(re.compile(r"closed: [1-9]"))
    expect(row.locator(".result")).to_contain_text(re.compile(r"assigned: [1-9]"))
    expect(row.locator(".last-run")).not_to_have_text("never")
    after = {c["id"]: c for c in account.get(f"/projects/{account.project_id}/chats")["chats"]}
    assert after[first["id"]]["state"] == "closed"
    assert after[second["id"]]["assignee"]["name"] == account.name  # the queue moved
    # and the panel heard both, live: the waiting dialogue is in her list as hers
    listed = panel.locator(f'.chat-item[data-chat-id="{second["id"]}"]')
    expect(listed.first).to_contain_text("Second question")

    # An e-mail auto message to a logged-in user, sent by the clock through moto's SES
    created = account.post(
        f"/projects/{account.project_id}/auto-messages",
        {
            "name": "Welcome back",
            "type": "email",
            "channels": [],
            "audience": "users",
            "content": {"subject": "We saved your cart", "text": "Come back for 10% off."},
            "rules": {"all": [{"field": "country", "op": "equals", "value": "DE"}]},
        },
    )
    assert created.status_code == 201, created.text
    address = f"shopper-{account.project_id[-6:].lower()}@example.com"
    _logged_in_user(stack, account, address)

    row = _run_now(clock, "send_email_auto_messages")

    expect(row.locator(".result")).to_contain_text(re.compile(r"sent: [1-9]"))
    mailbox = new_page()
    mailbox.goto(stack.info["mailbox"])
    mail = mailbox.locator(f'article.mail[data-to="{address}"]')
    expect(mail).to_contain_text("We saved your cart")
    expect(mail).to_contain_text("Come back for 10% off.")


def _age_wait(stack, project_id, chat_id, minutes):
    """The visitor's wait started ``minutes`` ago (chalicelib.models.chat's
    ``unanswered_key``, the escalation index's range key)."""
    stamp = (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    stack.table("chats").update_item(
        Key={"project_id": project_id, "chat_id": chat_id},
        UpdateExpression="SET unanswered_key = :t",
        ExpressionAttributeValues={":t": stamp},
    )


def test_escalation_set_in_settings_run_on_the_clock_lands_in_the_mailbox(new_page, stack):
    account = Account(stack, project_name="Escalation Shop")
    panel = _panel(new_page, stack, account.email)
    _section(panel, "Settings")
    field = panel.get_by_label(re.compile("E-mail someone when a chat waits"))
    expect(field).to_have_value("3")  # the default
    field.fill("2")
    panel.get_by_role("button", name="Save settings").click()
    expect(panel.locator("#settings-result")).to_have_text("Settings saved.")
    assert account.get(f"/projects/{account.project_id}")["project"]["escalation_minutes"] == 2
    expect(panel.get_by_label("E-mail me when a visitor waits for a reply")).to_be_checked()
    # Push previews: on by default; off, lock screens get "New message" (services/push_payload.py).
    previews = panel.get_by_label(re.compile("Show message text in notifications"))
    expect(previews).to_be_checked()
    previews.uncheck()
    panel.get_by_role("button", name="Save settings").click()
    expect(panel.locator("#settings-result")).to_have_text("Settings saved.")
    assert account.get(f"/projects/{account.project_id}")["project"]["push_previews"] is False

    _visitor_writes(new_page, stack, account.project_id, "Is the <blue> one in stock?")
    [chat] = account.get(f"/projects/{account.project_id}/chats")["chats"]
    _age_wait(stack, account.project_id, chat["id"], minutes=3)

    clock = new_page()
    clock.goto(stack.info["clock"])
    expect(clock.locator('tr[data-job="escalate_waiting_chats"]')).to_contain_text("rate(1 minute)")
    row = _run_now(clock, "escalate_waiting_chats")
    expect(row.locator(".result")).to_contain_text(re.compile(r"sent: [1-9]"))

    mailbox = new_page()
    mailbox.goto(stack.info["mailbox"])
    mail = mailbox.locator(f'article.mail[data-to="{account.email}"]').filter(
        has_text="is waiting for a reply"
    )
    expect(mail).to_contain_text("[Escalation Shop]")
    expect(mail).to_contain_text("Is the <blue> one in stock?")  # quoted as text
    expect(mail).to_contain_text(f"#/{account.project_id}/inbox/{chat['id']}")
