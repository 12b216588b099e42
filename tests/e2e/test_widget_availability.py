"""The widget says honestly whether the team is there (issue 13): "Online" while a member
has the panel open within hours ("Typically replies in N min" once the team has real
first replies), "We're away" when nobody is (a reply here: these visitors gave no
address), and outside hours when the team is back, in the visitor's own time zone and
language; the status dot follows (green, amber, grey), and an open widget follows the
team coming and going without a reload. The away message arrives once. And Settings ->
Business hours previews the edited schedule, then saves it with the server's preview."""

import json
import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _panel, _section, _visitor_writes

pytestmark = pytest.mark.browser

# The local stack sends replies by e-mail (availability.email_replies), but these visitors
# gave no address (email_usable false), so the widget promises a reply here, not by e-mail
# (test_widget_away_email_and_reload.py: the promise once an address is given).
AWAY_LINE = "We\u2019re away \u00b7 leave a message and we\u2019ll reply here soon"
# The status dot's colours (widget/chat/2-panel.js): online, away, offline.
GREEN, AMBER, GREY = "rgb(52, 211, 153)", "rgb(251, 191, 36)", "rgb(209, 213, 219)"
AWAY_MESSAGE = "Thanks! Nobody is here right now; we'll answer as soon as we are back."
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _put_hours(account, body):
    response = requests.put(
        f"{account.api}/projects/{account.project_id}/business-hours",
        json=body,
        headers=account.auth,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _wait_until(condition, seconds=10.0):
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.2)


def _status(page):
    return page.locator("#lc-root .lc-status")


def _dot(page):
    return page.locator("#lc-root .lc-status i")


def _set_status(panel, account, status):
    panel.get_by_label("Your status").select_option(status)
    expect(panel.get_by_label("Your status")).to_have_attribute("data-status", status)
    _wait_until(
        lambda: (
            account.get(f"/projects/{account.project_id}/members")["members"][0]["status"] == status
        )
    )


def _seed_first_replies(stack, project_id, seconds, count=5):
    """The project's recent first-reply samples (services/reply_times.py keeps them on the
    project as [[seconds, epoch], ...]): as if the team had answered ``count`` chats."""
    now = int(time.time())
    samples = [[seconds, now - 60 * n] for n in range(count)]
    stack.table("projects").update_item(
        Key={"project_id": project_id},
        UpdateExpression="SET reply_samples = :s",
        ExpressionAttributeValues={":s": json.dumps(samples)},
    )


def _open_widget(new_page, stack, project_id, **options):
    page = new_page(**options)
    page.goto(f"{stack.info['demo_site']}/?project={project_id}")
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(page.locator("#lc-root")).to_have_attribute("data-lc-state", "connected")
    return page


def test_an_open_widget_follows_the_team_and_says_how_soon_it_replies(new_page, stack):
    account = Account(stack, "Live shop")
    _seed_first_replies(stack, account.project_id, seconds=170)  # a median of 3 min
    panel = _panel(new_page, stack, account.email)
    _set_status(panel, account, "away")
    # Given a visitor with the widget open while nobody is there: away, by e-mail, amber
    visitor = _open_widget(new_page, stack, account.project_id)
    expect(_status(visitor)).to_have_text(AWAY_LINE)
    expect(_dot(visitor)).to_have_css("background-color", AMBER)
    # When the member goes online: the open widget says so without a reload
    _set_status(panel, account, "online")
    expect(_status(visitor)).to_have_text("Typically replies in 3 min")
    expect(_dot(visitor)).to_have_css("background-color", GREEN)
    # When their panel closes (the last one): away again, still without a reload
    panel.close()
    expect(_status(visitor)).to_have_text(AWAY_LINE, timeout=10_000)
    expect(_dot(visitor)).to_have_css("background-color", AMBER)


def test_online_while_a_member_has_the_panel_open_and_settings_save_hours(new_page, stack):
    account = Account(stack, "Day shop")
    panel = _panel(new_page, stack, account.email)  # online, within (no) hours
    visitor = _open_widget(new_page, stack, account.project_id)
    expect(_status(visitor)).to_have_text("Online")  # no first replies yet: no figure
    expect(_dot(visitor)).to_have_css("background-color", GREEN)

    # Settings -> Business hours: the server's preview, then a Monday-Friday schedule
    _section(panel, "Settings")
    form = panel.get_by_role("form", name="Business hours")
    expect(form.locator("#hours-preview")).to_have_text("Always open (no business hours set)")
    form.get_by_label("Use business hours (off: always open)").check()
    form.get_by_label("Time zone").select_option("UTC")
    monday = form.locator("[data-day=mon]")
    expect(monday.get_by_label("Opens at")).to_have_value("09:00")
    monday.get_by_role("button", name="Add range: Monday").click()
    monday.get_by_label("Opens at").nth(1).fill("22:00")
    monday.get_by_label("Closes at").nth(1).fill("02:00")  # past midnight, Monday's
    # Each range's Remove button says which day it removes from (screen readers).
    expect(monday.get_by_role("button", name="Remove range: Monday")).to_have_count(2)
    form.get_by_role("button", name="Add a date").click()
    form.get_by_label("Date", exact=True).fill("2026-12-25")
    form.get_by_label("Away message").fill(AWAY_MESSAGE)
    # Before Save, the preview is the edited schedule's (the server's rules), not the saved
    expect(form.locator("#hours-preview")).to_have_text(
        re.compile(r"^With these changes: (Open now \u00b7 closes|Closed \u00b7 opens) ")
    )
    assert account.get(f"/projects/{account.project_id}/business-hours")["business_hours"] is None
    form.get_by_role("button", name="Save business hours").click()
    expect(form.locator("#hours-result")).to_have_text("Business hours saved.")
    expect(form.locator("#hours-preview")).to_have_text(
        re.compile(r"^(Open now \u00b7 closes|Closed \u00b7 opens) ")
    )
    stored = account.get(f"/projects/{account.project_id}/business-hours")
    assert stored["business_hours"]["time_zone"] == "UTC"
    assert stored["business_hours"]["weekly"]["mon"] == [
        {"start": "09:00", "end": "17:00"},
        {"start": "22:00", "end": "02:00"},
    ]
    assert stored["business_hours"]["weekly"]["sat"] == []
    assert stored["business_hours"]["exceptions"] == [{"date": "2026-12-25", "closed": True}]
    assert stored["away_message"] == AWAY_MESSAGE
    expect(form.locator("#hours-preview")).to_have_text(stored["now"]["label"])
    # Beside it, what the widget says in that state (closed: not "Typically replies...").
    says = "We\u2019re back" if stored["now"]["state"] == "offline" else "not enough chats yet"
    expect(form.locator("#hours-reply")).to_contain_text(says)
    if stored["now"]["state"] == "offline":
        expect(form.locator("#hours-reply")).not_to_contain_text("Typically replies")

    # A bad range: the server's words, nothing saved
    monday.get_by_label("Opens at").nth(1).fill("16:00")
    monday.get_by_label("Closes at").nth(1).fill("18:00")
    form.get_by_role("button", name="Save business hours").click()
    expect(form.locator("#hours-result")).to_contain_text("ranges overlap")
    assert account.get(f"/projects/{account.project_id}/business-hours") == stored


def test_away_within_hours_with_nobody_online_and_the_away_message_once(new_page, stack):
    account = Account(stack, "Quiet shop")
    _put_hours(account, {"away_message": AWAY_MESSAGE})  # no hours: always within them
    # The panel open but the member away: nobody may take chats, and the list is watched.
    panel = _panel(new_page, stack, account.email)
    panel.get_by_label("Your status").select_option("away")
    expect(panel.get_by_label("Your status")).to_have_attribute("data-status", "away")
    _wait_until(
        lambda: (
            account.get(f"/projects/{account.project_id}/members")["members"][0]["status"] == "away"
        )
    )
    visitor = _open_widget(new_page, stack, account.project_id)
    expect(_status(visitor)).to_have_text(AWAY_LINE)

    box = visitor.get_by_role("textbox", name="Message", exact=True)
    box.fill("Is anyone there?")
    visitor.get_by_role("button", name="Send", exact=True).click()
    away = visitor.locator("#lc-root .lc-msg.lc-operator", has_text=AWAY_MESSAGE)
    expect(away).to_have_count(1)
    expect(away.locator(".lc-name")).to_have_text("Quiet shop")
    # The team's list keeps the visitor's words as the chat's line, not the away message
    # (nor a team reply's arrow): the chat still looks unanswered.
    item = panel.locator("#chat-list .chat-item")
    expect(item).to_contain_text("Is anyone there?")
    expect(item).not_to_contain_text(AWAY_MESSAGE[:20])
    box.fill("Hello?")
    visitor.get_by_role("button", name="Send", exact=True).click()
    expect(visitor.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(2)
    # After the visitor's first words, once; still once after a reload
    rows = visitor.locator("#lc-root .lc-list .lc-msg")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text(AWAY_MESSAGE)
    visitor.reload()
    visitor.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(visitor.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(2)
    expect(away).to_have_count(1)


def test_offline_outside_hours_says_when_the_team_is_back_in_the_visitors_zone(new_page, stack):
    account = Account(stack, "Closed shop")
    _panel(new_page, stack, account.email)  # the team being there changes nothing now
    berlin, tokyo = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")
    # Open only on the Berlin weekday three days from now, 09:00-17:00
    opening_day = datetime.now(berlin).date() + timedelta(days=3)
    opens = datetime.combine(opening_day, datetime.min.time().replace(hour=9), berlin)
    weekly = {day: [] for day in DAYS}
    weekly[DAYS[opening_day.weekday()]] = [{"start": "09:00", "end": "17:00"}]
    saved = _put_hours(
        account, {"business_hours": {"time_zone": "Europe/Berlin", "weekly": weekly}}
    )
    assert saved["now"]["opens_at"] == opens.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    visitor = _open_widget(
        new_page, stack, account.project_id, locale="en-US", timezone_id="Asia/Tokyo"
    )
    there = opens.astimezone(tokyo)
    days = (there.date() - datetime.now(tokyo).date()).days
    day = {0: "today", 1: "tomorrow"}.get(days, there.strftime("%A"))
    hour = there.hour % 12 or 12
    clock = f"{hour}:{there.minute:02d}[\\s\u202f]{'AM' if there.hour < 12 else 'PM'}"
    expect(_status(visitor)).to_have_text(re.compile(f"^We\u2019re back {day} at {clock}$"))
    expect(_dot(visitor)).to_have_css("background-color", GREY)

    # A visitor who writes waits in line, and is told so with when the team is back
    requests.patch(
        f"{account.api}/projects/{account.project_id}",
        json={"distribution": "least_busy"},
        headers=account.auth,
        timeout=10,
    ).raise_for_status()
    writer = _visitor_writes(new_page, stack, account.project_id, "Open tomorrow?")
    expect(_status(writer)).to_have_text(re.compile(r"^We\u2019re back .* \u2013 you are next$"))
