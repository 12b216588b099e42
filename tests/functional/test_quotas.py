"""Plan limits: unique visitors (exact under concurrency, once per period), team members,
scenarios, messenger messages, the "powered by" flag, and the 80%/100% warnings."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from pynamodb.connection.base import Connection

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.errors import PaymentRequired
from chalicelib.models import ProjectModel, UsageModel, VisitorModel
from chalicelib.services import messenger_quota, quotas, visitors
from tests.conftest import catalogue_json
from tests.functional.conftest import SITE_ORIGIN


@pytest.fixture
def limits(monkeypatch):
    """Set the Free plan's limits for this test."""

    def set_limits(**free_limits):
        monkeypatch.setenv("PLAN_CATALOGUE", catalogue_json(**free_limits))
        get_settings.cache_clear()

    return set_limits


@pytest.fixture
def dynamo_writes(monkeypatch):
    """Counts DynamoDB operations by name, on the real PynamoDB path."""
    calls = Counter()
    original = Connection._make_api_call

    def counting(self, operation_name, operation_kwargs):
        calls[operation_name] += 1
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    return calls


def sent_mail():
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def usage(project_id, now=None):
    project = ProjectModel.get(project_id)
    key = quotas.period_of(project, now or utcnow()).key
    try:
        return int(UsageModel.get(project_id, key).unique_visitors or 0)
    except UsageModel.DoesNotExist:
        return 0


def session(project_id, token=None, now=None):
    body = {"project_id": project_id}
    if token:
        body["token"] = token
    return visitors.start_session(
        deps.visitor_tokens(), "wss://x", body, now or utcnow(), {"origin": SITE_ORIGIN}
    )


def counted_visit(project_id, now=None):
    """A new visitor's page view, then their first heartbeat, which counts them: the
    renewed token (PaymentRequired past the limit)."""
    first = session(project_id, now=now)
    tokens = deps.visitor_tokens()
    return visitors.heartbeat(tokens, tokens.verify(first["token"]), now or utcnow())["token"]


# --- unique visitors ------------------------------------------------------------------


def test_concurrent_first_visits_at_the_edge_admit_exactly_the_limit(
    platform, limits, eager_thread_switching
):
    limits(unique_visitors=10)
    owner = platform.sign_up()
    for _ in range(7):
        platform.visitor(owner.project_id)

    def first_visit(_):
        try:
            return deps.visitor_tokens().verify(counted_visit(owner.project_id)).visitor_id
        except PaymentRequired as refused:
            return refused.details["reason"]

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(first_visit, range(12)))

    admitted = [o for o in outcomes if o.startswith("v_")]
    assert len(admitted) == 3
    assert outcomes.count("unique_visitors") == 9
    assert usage(owner.project_id) == 10
    # Only the admitted visitors are counted; the refused ones' records expire by themselves.
    records = list(VisitorModel.query(owner.project_id))
    counted = {r.visitor_id for r in records if r.counted_period}
    assert set(admitted) <= counted and len(counted) == 10
    assert all(r.expires_at is not None for r in records if not r.counted_period)


def test_a_known_visitors_page_view_is_one_write_and_no_quota_write(platform, dynamo_writes):
    owner = platform.sign_up()
    first = platform.visitor(owner.project_id)
    assert usage(owner.project_id) == 1

    dynamo_writes.clear()
    again = session(owner.project_id, first.token)

    assert again["visitor_id"] == first.visitor_id
    writes = {k: v for k, v in dynamo_writes.items() if k not in ("GetItem", "Query")}
    assert writes == {"UpdateItem": 1}
    assert usage(owner.project_id) == 1


def test_a_new_visitors_page_view_is_one_write_and_their_return_one_transaction(
    platform, dynamo_writes
):
    owner = platform.sign_up()
    session(owner.project_id)  # the project's first page view marks it installed: once
    dynamo_writes.clear()
    first = session(owner.project_id)
    writes = {k: v for k, v in dynamo_writes.items() if k not in ("GetItem", "Query")}
    assert writes == {"UpdateItem": 1}  # the visitor, uncounted: no quota write
    assert usage(owner.project_id) == 0

    dynamo_writes.clear()
    tokens = deps.visitor_tokens()
    visitors.heartbeat(tokens, tokens.verify(first["token"]), utcnow())
    writes = {k: v for k, v in dynamo_writes.items() if k not in ("GetItem", "Query")}
    # The conditional update that finds them uncounted, then the counting transaction.
    assert writes == {"UpdateItem": 1, "TransactWriteItems": 1}
    assert usage(owner.project_id) == 1


def test_a_known_visitor_counts_once_in_each_new_period(platform):
    owner = platform.sign_up()
    now = utcnow()
    first = session(owner.project_id, now=now)
    session(owner.project_id, first["token"], now=now + timedelta(minutes=5))
    project = ProjectModel.get(owner.project_id)
    later = project.period_end + timedelta(days=1)  # the clock moves into the next period

    for minutes in (0, 10, 20):
        session(owner.project_id, first["token"], now=later + timedelta(minutes=minutes))

    assert usage(owner.project_id, now) == 1
    assert usage(owner.project_id, later) == 1
    assert quotas.period_of(project, later).key != quotas.period_of(project, now).key


def test_past_the_limit_the_widget_hides_and_the_team_cannot_reply(platform, limits):
    limits(unique_visitors=2)
    owner = platform.sign_up()
    known = platform.visitor(owner.project_id)
    tab, _ = platform.connect(known.token)
    platform.frame(
        tab, {"action": "send", "token": known.token, "client_id": "first-0001", "text": "hi"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    platform.visitor(owner.project_id)

    # A third visitor's page shows, but their return is refused: the plan is full.
    page = platform.post("/widget/session", {"project_id": owner.project_id})
    assert page.status_code == 200
    refused = platform.post("/widget/heartbeat", {"token": page.json_body["token"]})
    assert refused.status_code == 402
    error = refused.json_body["error"]
    assert error["code"] == "payment_required"
    assert error["reason"] == "unique_visitors"
    assert "upgrade" in error["resume"]

    # Now the widget is hidden for everyone, and the team cannot reply.
    again = platform.post("/widget/session", {"project_id": owner.project_id, "token": known.token})
    assert again.status_code == 402
    reply = platform.post(
        f"/projects/{owner.project_id}/chats/{chat_id}/messages",
        {"client_id": "reply-0001", "text": "hello"},
        owner.auth,
    )
    assert reply.status_code == 402
    assert reply.json_body["error"]["reason"] == "unique_visitors"
    assert usage(owner.project_id) == 2


def test_team_replies_never_count(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "first-0001", "text": "q"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    for n in range(3):
        reply = platform.post(
            f"/projects/{owner.project_id}/chats/{chat_id}/messages",
            {"client_id": f"reply-000{n}", "text": "a"},
            owner.auth,
        )
        assert reply.status_code == 201
    assert usage(owner.project_id) == 1


def test_the_administrator_is_warned_at_80_and_100_percent_once_each(platform, limits):
    limits(unique_visitors=5)
    owner = platform.sign_up()
    before = len(sent_mail())
    for _ in range(3):
        platform.visitor(owner.project_id)
    assert len(sent_mail()) == before

    platform.visitor(owner.project_id)  # 4 of 5: 80%
    platform.visitor(owner.project_id)  # 5 of 5: 100%
    with pytest.raises(PaymentRequired):
        counted_visit(owner.project_id)  # refused

    mail = sent_mail()[before:]
    assert [m.subject.split(": ")[1][:4] for m in mail] == ["80% ", "100%"]
    assert all(m.destinations["ToAddresses"] == [owner.email] for m in mail)
    assert "4 of 5 unique visitors" in mail[0].body


def test_the_powered_by_label_shows_on_every_plan_but_premium(platform):
    owner = platform.sign_up()
    assert session(owner.project_id)["powered_by"] is True
    ProjectModel(owner.project_id).update(actions=[ProjectModel.plan.set("premium")])
    assert session(owner.project_id)["powered_by"] is False


# --- team members ---------------------------------------------------------------------


def test_leads_cannot_add_members_past_the_limit(platform, limits, aws):
    limits(team_members=3)
    owner = platform.sign_up()
    manager = platform.member(owner, "manager")
    platform.member(owner, "operator")

    refused = platform.post(
        f"/projects/{owner.project_id}/members",
        {"email": "late@example.com", "name": "Late", "role": "operator"},
        manager.auth,
    )
    assert refused.status_code == 402
    assert refused.json_body["error"]["reason"] == "team_members"
    assert ProjectModel.get(owner.project_id).member_count == 3
    # No account was made for the refused invitation.
    users = aws.list_users(UserPoolId=get_settings().user_pool_id)["Users"]
    assert "late@example.com" not in {u["Username"] for u in users}


def test_removing_a_member_makes_room(platform, limits):
    limits(team_members=2)
    owner = platform.sign_up()
    member = platform.member(owner, "operator")
    gone = platform.client.http.delete(
        f"/projects/{owner.project_id}/members/{member.user_id}", headers=owner.auth
    )
    assert gone.status_code == 204
    assert ProjectModel.get(owner.project_id).member_count == 1
    platform.member(owner, "operator")  # room again


# --- scenarios ------------------------------------------------------------------------


def test_scenarios_stop_at_the_limit_exactly_under_concurrency(
    platform, limits, eager_thread_switching
):
    limits(scenarios=4)
    owner = platform.sign_up()

    def reserve(_):
        try:
            return quotas.reserve_scenario(owner.project_id, utcnow())
        except PaymentRequired as refused:
            return refused.details["reason"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(reserve, range(8)))

    assert sorted(o for o in outcomes if isinstance(o, int)) == [1, 2, 3, 4]
    assert outcomes.count("scenarios") == 4
    quotas.release_scenario(owner.project_id)
    assert quotas.reserve_scenario(owner.project_id, utcnow()) == 4


# --- messenger messages ---------------------------------------------------------------


def test_messenger_replies_stop_once_incoming_messages_reach_the_limit(platform, limits):
    limits(messenger_messages=3)
    owner = platform.sign_up()
    before = len(sent_mail())
    project = ProjectModel.get(owner.project_id)
    now = utcnow()
    counts = [messenger_quota.count_incoming(project, now) for _ in range(2)]
    assert counts == [1, 2]
    messenger_quota.require_reply(project, now)  # below the limit: allowed

    # Issue 11: "when the limit is reached the team cannot reply" (the 100% e-mail says so).
    assert messenger_quota.count_incoming(project, now) == 3
    with pytest.raises(PaymentRequired) as refused:
        messenger_quota.require_reply(project, now)
    assert refused.value.details["reason"] == "messenger_messages"
    subjects = [m.subject for m in sent_mail()[before:]]
    assert len(subjects) == 2 and "80%" in subjects[0] and "100%" in subjects[1]

    # A new period: counters start again from zero.
    later = project.period_end + timedelta(hours=1)
    messenger_quota.require_reply(project, later)


def test_online_visitors_tracked_follow_the_plan(platform):
    owner = platform.sign_up()
    project = ProjectModel.get(owner.project_id)
    assert quotas.online_visitors_shown(project) == 10
    project.plan = "premium"
    assert quotas.online_visitors_shown(project) is None


def test_a_message_after_the_period_ended_counts_the_visitor_in_the_new_one(platform, sender):
    from chalicelib.realtime.fanout import Fanout
    from chalicelib.services import messaging

    owner = platform.sign_up()
    identity = deps.visitor_tokens().verify(counted_visit(owner.project_id))
    project = ProjectModel.get(owner.project_id)
    assert identity.counted_until == int(project.period_end.timestamp())
    later = project.period_end + timedelta(hours=2)  # the tab stayed open past the end

    for n in range(2):
        messaging.post_visitor_message(
            identity, None, f"late-000{n}", "still here", Fanout(sender), clock=lambda: later
        )

    assert usage(owner.project_id) == 1  # the old period
    assert usage(owner.project_id, later) == 1  # counted once in the new one
