"""Who may reply on a messenger, and when (services/channel_gate.py): the plan's messenger
quota (402 once reached), Messenger's 24-hour window, the HUMAN_AGENT tag up to 7 days
when the project enables it (never on automatic messages), and the project's setting."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.clock import utcnow
from chalicelib.errors import Conflict, PaymentRequired
from chalicelib.models.chat import ChatModel
from chalicelib.models.project import ProjectModel
from chalicelib.services import channel_gate, messenger_quota
from tests.conftest import catalogue_json

LAST = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # the customer's last message


@pytest.fixture
def limits(monkeypatch):
    from chalicelib.config import get_settings

    def set_limits(**free_limits):
        monkeypatch.setenv("PLAN_CATALOGUE", catalogue_json(**free_limits))
        get_settings.cache_clear()

    return set_limits


def _chat(kind="messenger", last=LAST) -> ChatModel:
    return ChatModel("p", "c", channel=kind, customer_last_at=last)


def _project(owner, tag=False) -> ProjectModel:
    project = ProjectModel.get(owner.project_id)
    project.human_agent_tag = tag
    return project


def _settings(platform, member, value):
    return platform.client.http.patch(
        f"/projects/{member.project_id}",
        body=json.dumps({"channels": value}),
        headers=member.auth,
    )


# --- Messenger's window ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "tag", "expected"),
    [
        (timedelta(0), False, None),
        (timedelta(hours=23, minutes=59), False, None),
        (timedelta(hours=23, minutes=59, seconds=59), True, None),  # RESPONSE, not the tag
        (timedelta(hours=24, seconds=1), True, "HUMAN_AGENT"),
        (timedelta(days=6, hours=23, minutes=59), True, "HUMAN_AGENT"),
    ],
)
def test_within_the_window_a_reply_goes_as_is_then_with_the_tag_where_enabled(
    platform, after, tag, expected
):
    owner = platform.sign_up()
    assert channel_gate.reply_tag(_project(owner, tag), _chat(), LAST + after) == expected


@pytest.mark.parametrize(
    ("after", "tag"),
    [
        (timedelta(hours=24), False),  # exactly 24 hours: closed
        (timedelta(hours=24, seconds=1), False),
        (timedelta(days=3), False),
        (timedelta(days=7), True),  # exactly 7 days: the tag's window is closed too
        (timedelta(days=30), True),
    ],
)
def test_past_the_window_a_reply_is_a_409_that_says_why(platform, after, tag):
    owner = platform.sign_up()
    with pytest.raises(Conflict) as refused:
        channel_gate.reply_tag(_project(owner, tag), _chat(), LAST + after)
    details = refused.value.details
    assert details["reason"] == "window_closed"
    assert details["closes_at"] == "2026-12-02T14:00:00.000Z"
    assert details["tag_until"] == ("2026-12-08T14:00:00.000Z" if tag else None)
    text = refused.value.message
    assert "within 24 hours of the customer's last message" in text
    if tag:
        assert "over 7 days ago" in text
    else:  # says how replies up to 7 days become possible, and what it takes
        assert "Human agent tag" in text and "Settings -> Channels" in text and "Meta" in text


def test_automatic_messages_never_go_with_the_tag(platform):
    owner = platform.sign_up()
    project = _project(owner, tag=True)
    chat = _chat()
    assert channel_gate.reply_tag(project, chat, LAST + timedelta(hours=2), automatic=True) is None
    with pytest.raises(Conflict) as refused:
        channel_gate.reply_tag(project, chat, LAST + timedelta(hours=25), automatic=True)
    assert refused.value.details["reason"] == "window_closed"
    assert "automatic messages" in refused.value.message
    # The same moment, written by a person: the tag carries it.
    assert channel_gate.reply_tag(project, chat, LAST + timedelta(hours=25)) == "HUMAN_AGENT"


def test_a_messenger_chat_the_customer_never_wrote_in_is_closed(platform):
    owner = platform.sign_up()
    with pytest.raises(Conflict) as refused:
        channel_gate.reply_tag(_project(owner, True), _chat(last=None), LAST)
    assert refused.value.details == {
        "reason": "window_closed",
        "closes_at": None,
        "tag_until": None,
    }


def test_telegram_and_website_chats_have_no_window(platform):
    owner = platform.sign_up()
    long_after = LAST + timedelta(days=90)
    assert channel_gate.reply_tag(_project(owner), _chat("telegram"), long_after) is None
    assert channel_gate.reply_tag(_project(owner), _chat(None, None), long_after) is None


def test_the_window_view_follows_the_same_edges_minute_by_minute():
    """Property-ish: every minute over 8 days, the view's state agrees with reply_tag's
    rule written the slow way."""
    for tag in (False, True):
        for minute in range(0, 8 * 24 * 60, 7):
            now = LAST + timedelta(minutes=minute)
            view = channel_gate.window_view(_chat(), tag, now)
            age = now - LAST
            wanted = (
                "open"
                if age < timedelta(hours=24)
                else "tag"
                if tag and age < timedelta(days=7)
                else "closed"
            )
            assert view["state"] == wanted, (tag, minute)
            assert view["closes_at"] == "2026-12-02T14:00:00.000Z"
            assert view["tag_until"] == ("2026-12-08T14:00:00.000Z" if tag else None)
    assert channel_gate.window_view(_chat("telegram"), True, LAST) is None


# --- the quota ------------------------------------------------------------------------


def test_replies_stop_when_the_limit_is_reached_with_the_reason_and_how_to_resume(platform, limits):
    limits(messenger_messages=3)
    owner = platform.sign_up()
    project = ProjectModel.get(owner.project_id)
    now = utcnow()
    chat = _chat("telegram")
    for _ in range(2):
        messenger_quota.count_incoming(project, now)
    assert channel_gate.reply_tag(project, chat, now) is None  # 2 of 3: still allowed

    messenger_quota.count_incoming(project, now)  # 3 of 3: the limit is reached
    for kind in ("telegram", "messenger"):
        with pytest.raises(PaymentRequired) as refused:
            channel_gate.reply_tag(project, _chat(kind, now), now)
        assert refused.value.details["reason"] == "messenger_messages"
        assert "Billing page" in refused.value.details["resume"]
    # The quota stops even replies the window would allow: it is checked first.
    # A website chat never goes through the messenger quota.
    assert channel_gate.reply_tag(project, _chat(None, None), now) is None
    # The next period starts from zero.
    assert channel_gate.reply_tag(project, chat, project.period_end + timedelta(hours=1)) is None


def test_at_the_limit_messages_are_stored_billing_says_replies_stopped_website_unaffected(
    platform, channels, limits
):
    limits(team_members=50, scenarios=200, messenger_messages=2)
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    say = channels.fake.telegram_customer_says
    say(bot.token, "Ada", "text", "one")
    billing = platform.get(f"/projects/{owner.project_id}/billing", owner.auth).json_body
    assert billing["billing"]["blocked"] == []  # 1 of 2

    say(bot.token, "Ada", "text", "two")  # reaches the limit
    say(bot.token, "Ada", "text", "three")  # past it: still stored
    [chat] = channels.chats(owner)
    assert [m["text"] for m in channels.messages(owner, chat["id"])] == ["one", "two", "three"]
    billing = platform.get(f"/projects/{owner.project_id}/billing", owner.auth).json_body
    [blocked] = billing["billing"]["blocked"]
    assert blocked["reason"] == "messenger_messages"
    assert "cannot reply on Telegram or Messenger" in blocked["message"] and blocked["resume"]
    with pytest.raises(PaymentRequired):
        channel_gate.reply_tag(ProjectModel.get(owner.project_id), _chat("telegram"), utcnow())

    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "web-00007", "text": "hi"}
    )
    web = next(c for c in channels.chats(owner) if c["channel"] is None)
    answer = platform.post(
        f"/projects/{owner.project_id}/chats/{web['id']}/messages",
        {"client_id": "reply-0007", "text": "Hello"},
        owner.auth,
    )
    assert answer.status_code == 201


# --- the setting ----------------------------------------------------------------------


def test_the_tag_is_off_until_a_lead_turns_it_on(platform):
    owner = platform.sign_up()
    view = platform.get(f"/projects/{owner.project_id}", owner.auth).json_body
    assert view["project"]["channels"] == {"human_agent_tag": False}
    manager = platform.member(owner, "manager")
    turned = _settings(platform, manager, {"human_agent_tag": True})
    assert turned.status_code == 200, turned.json_body
    assert turned.json_body["project"]["channels"] == {"human_agent_tag": True}
    assert ProjectModel.get(owner.project_id).human_agent_tag is True
    off = _settings(platform, owner, {"human_agent_tag": False})
    assert off.json_body["project"]["channels"] == {"human_agent_tag": False}


def test_operators_cannot_turn_the_tag_on(platform):
    owner = platform.sign_up()
    operator = platform.member(owner, "operator")
    assert _settings(platform, operator, {"human_agent_tag": True}).status_code == 403
    assert not ProjectModel.get(owner.project_id).human_agent_tag


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"human_agent_tag": "yes"}, "channels.human_agent_tag"),
        ({"human_agent_tag": 1}, "channels.human_agent_tag"),
        ({"human_agent_tag": None}, "channels.human_agent_tag"),
        ({"tag": True}, "'tag'"),
        ({}, "channels"),
        (True, "channels"),
    ],
)
def test_a_bad_setting_is_a_400_naming_the_field_and_changes_nothing(platform, value, named):
    owner = platform.sign_up()
    response = _settings(platform, owner, value)
    assert response.status_code == 400
    assert named in response.json_body["error"]["message"]
    assert not ProjectModel.get(owner.project_id).human_agent_tag


# --- what the panel gets --------------------------------------------------------------


def test_the_chat_list_and_the_chat_carry_the_messenger_window(platform, channels):
    owner = platform.sign_up()
    page, _ = channels.connect_messenger(owner)
    bot, _ = channels.connect_telegram(owner)
    channels.fake.messenger_customer_says(page.id, "Bob", "text", "Hello?")
    channels.fake.telegram_customer_says(bot.token, "Ada", "text", "Hi")
    chats = {c["channel"]["kind"]: c for c in channels.chats(owner)}
    fb = chats["messenger"]
    last = fb["channel"]["customer_last_at"]
    assert last and fb["window"]["customer_last_at"] == last
    assert fb["window"]["state"] == "open" and fb["window"]["tag_until"] is None
    closes = datetime.fromisoformat(fb["window"]["closes_at"]) - datetime.fromisoformat(last)
    assert closes == timedelta(hours=24)
    assert "window" not in chats["telegram"]  # no window on Telegram
    assert chats["telegram"]["channel"]["customer_last_at"]

    _settings(platform, owner, {"human_agent_tag": True})
    one = platform.get(f"/projects/{owner.project_id}/chats/{fb['id']}", owner.auth).json_body
    tag_until = datetime.fromisoformat(one["chat"]["window"]["tag_until"])
    assert tag_until - datetime.fromisoformat(last) == timedelta(days=7)
