"""The widget follows the dialogue's state live: who answers it, its closing, the
visitor's rating, and a new dialogue when the visitor writes after the close."""

import json
import re
import uuid
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
# The header's default: whether the demo team is online depends on the tests before.
# (Online: with the team's reply time once it has one; away: by e-mail where replies go there.)
TEAM_THERE_OR_NOT = re.compile(
    "^(Online|Typically replies in \\d+ (min|hours)"
    "|We\u2019re away \u00b7 leave a message and we\u2019ll reply (here soon|by e-mail))$"
)


class Team:
    """The demo operator, through the REST API."""

    def __init__(self, stack):
        self.api = stack.info["api"]
        self.project = stack.info["project_id"]
        login = requests.post(f"{self.api}/auth/login", json=stack.info["login"], timeout=10)
        assert login.status_code == 200
        self.auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        self.me = requests.get(f"{self.api}/me", headers=self.auth, timeout=10).json()["user"]

    def chat_with_last_message(self, text):
        chats = requests.get(
            f"{self.api}/projects/{self.project}/chats", headers=self.auth, timeout=10
        ).json()["chats"]
        return next(c["id"] for c in chats if c["last_message"]["text"] == text)

    def summary(self, chat_id):
        reply = requests.get(
            f"{self.api}/projects/{self.project}/chats/{chat_id}", headers=self.auth, timeout=10
        )
        assert reply.status_code == 200
        return reply.json()["chat"]

    def act(self, chat_id, action, **body):
        reply = requests.post(
            f"{self.api}/projects/{self.project}/chats/{chat_id}/{action}",
            json=body,
            headers=self.auth,
            timeout=10,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["chat"]


def _open_widget(page, stack):
    page.goto(stack.info["demo_site"])
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(page.get_by_role("textbox", name="Message", exact=True)).to_be_visible()


def _widget_send(page, text):
    page.get_by_role("textbox", name="Message", exact=True).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def _visitor_writes_first(page, stack, team):
    """A new visitor (fresh browser context) starts a dialogue; returns its id."""
    text = f"hello there {uuid.uuid4().hex[:8]}"
    _open_widget(page, stack)
    _widget_send(page, text)
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1)
    expect(page.locator("#lc-root")).to_have_attribute("data-lc-state", "connected")
    return team.chat_with_last_message(text)


def _rating_prompt(page):
    return page.get_by_role("group", name="Rate this conversation")


def test_the_widget_shows_who_answers_and_the_visitor_rates_the_closed_dialogue(stack, new_page):
    team = Team(stack)
    name = team.me["name"]
    visitor = new_page()
    sent = []
    visitor.on("websocket", lambda ws: ws.on("framesent", lambda p: sent.append(p)))
    chat_id = _visitor_writes_first(visitor, stack, team)
    status = visitor.locator("#lc-root .lc-status")
    avatar = visitor.locator("#lc-root .lc-av b")
    expect(status).to_have_text(TEAM_THERE_OR_NOT)
    expect(avatar).to_have_text("")

    # When the operator takes the dialogue
    assert team.act(chat_id, "assign")["assignee"]["name"] == name

    # Then the widget names who answers, with their initial in the header
    expect(status).to_have_text(f"{name} is answering")
    expect(avatar).to_have_text(name.strip()[0].upper())

    # and still does after a reload (no extra request: the widget kept it)
    visitor.reload()
    visitor.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(visitor.locator("#lc-root")).to_have_attribute("data-lc-state", "connected")
    expect(status).to_have_text(f"{name} is answering")

    # When the operator lets it go, the header is back to the default
    team.act(chat_id, "unassign")
    expect(status).to_have_text(TEAM_THERE_OR_NOT)
    expect(avatar).to_have_text("")
    team.act(chat_id, "assign")
    expect(status).to_have_text(f"{name} is answering")

    # When the operator closes it
    assert team.act(chat_id, "close")["state"] == "closed"

    # Then the widget says so and asks for a rating
    expect(visitor.get_by_text("This conversation was closed")).to_be_visible()
    prompt = _rating_prompt(visitor)
    expect(prompt).to_contain_text("How was this conversation?")
    for label in ("Great", "Average", "Poor"):
        expect(prompt.get_by_role("button", name=label, exact=True)).to_be_enabled()
    assert team.summary(chat_id)["rating"] is None

    # When the visitor picks "Great"
    prompt.get_by_role("button", name="Great", exact=True).click()

    # Then the widget thanks them, the buttons are gone, and the team sees the rating
    expect(visitor.get_by_text("Thanks for your feedback")).to_be_visible()
    expect(visitor.locator("#lc-root .lc-rate button")).to_have_count(0)
    assert team.summary(chat_id)["rating"] == "great"
    rates = [json.loads(p) for p in sent if '"rate"' in p]
    assert [(r["chat_id"], r["rating"]) for r in rates] == [(chat_id, "great")]


def test_writing_after_the_close_starts_a_new_dialogue_and_drops_the_prompt(stack, new_page):
    team = Team(stack)
    visitor = new_page()
    sent = []
    visitor.on("websocket", lambda ws: ws.on("framesent", lambda p: sent.append(p)))
    chat_id = _visitor_writes_first(visitor, stack, team)
    assert chat_id.endswith("-1")

    # A close then a reopen: the prompt comes and goes
    team.act(chat_id, "close")
    prompt = _rating_prompt(visitor)
    expect(prompt).to_be_visible()
    team.act(chat_id, "reopen")
    expect(prompt).to_have_count(0)
    expect(visitor.get_by_text("This conversation was closed")).to_have_count(0)

    # Given the team closed it again
    team.act(chat_id, "close")
    expect(prompt).to_be_visible()

    # When the visitor writes instead of rating
    again = f"one more question {uuid.uuid4().hex[:8]}"
    _widget_send(visitor, again)

    # Then the prompt is gone and the message lands in a new dialogue
    expect(prompt).to_have_count(0)
    expect(visitor.get_by_text("This conversation was closed")).to_have_count(0)
    mine = visitor.locator("#lc-root .lc-msg.lc-visitor[data-id]")
    expect(mine).to_have_count(2)
    new_id = team.chat_with_last_message(again)
    assert new_id != chat_id and new_id.endswith("-2")
    assert team.summary(new_id)["state"] == "open"
    assert team.summary(chat_id)["state"] == "closed"

    # and the widget named no dialogue in that send, then the new one in the next
    sends = [json.loads(p) for p in sent if '"send"' in p]
    assert sends[-1]["text"] == again and "chat_id" not in sends[-1]
    another = f"and another {uuid.uuid4().hex[:8]}"
    _widget_send(visitor, another)
    expect(mine).to_have_count(3)
    sends = [json.loads(p) for p in sent if '"send"' in p]
    assert sends[-1]["chat_id"] == new_id
    assert team.chat_with_last_message(another) == new_id


def test_the_widget_says_powered_by_on_free_and_stays_while_a_chosen_plan_is_unpaid(
    stack, new_page
):
    api = stack.info["api"]
    email = f"plans-{uuid.uuid4().hex[:8]}@example.com"
    signed_up = requests.post(
        f"{api}/auth/signup",
        json={
            "email": email,
            "password": "plans-pass-2026",
            "name": "Pat",
            "project_name": "P",
            "domain": urlsplit(stack.info["demo_site"]).netloc,
        },
        timeout=10,
    )
    assert signed_up.status_code == 201
    stack.confirm(email)
    project = signed_up.json()["project"]["id"]
    login = {"email": email, "password": "plans-pass-2026"}
    token = requests.post(f"{api}/auth/login", json=login, timeout=10).json()["access_token"]
    site = new_page()
    site.goto(f"{stack.info['demo_site']}/?project={project}")
    launcher = site.get_by_role("button", name=re.compile("chat", re.I))
    launcher.click()
    expect(site.get_by_text("Powered by Live Chat")).to_be_visible()

    # The administrator picks a paid plan and does not pay (yet).
    chosen = requests.post(
        f"{api}/projects/{project}/billing/plan",
        json={"plan": "standard", "interval": "monthly"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["checkout_url"]

    # Nothing is paid, nothing changes: the project is still on Free, and its chat works.
    site.reload()
    site.wait_for_load_state("networkidle")
    launcher = site.get_by_role("button", name=re.compile("chat", re.I))
    expect(launcher).to_be_visible()
    launcher.click()
    expect(site.get_by_text("Powered by Live Chat")).to_be_visible()
