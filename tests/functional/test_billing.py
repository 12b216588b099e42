"""Plans through Stripe: Checkout, the customer portal, and webhooks in order, reversed
and repeated (forged, unconfigured and late ones: test_billing_webhooks.py). Stripe's
real SDK talks to a fake Stripe (infra/local/fake_stripe.py) through its own
``http_client`` seam; webhook bodies are signed with Stripe's own helper."""

import pytest

from chalicelib.config import get_settings
from tests.conftest import catalogue_json
from tests.functional.billing_helpers import (
    billing,
    checkout,
    choose,
    deliver,
    deliver_all,
    snapshot,
    widget,
)
from tests.functional.billing_helpers import subscription_of as view_subscription

# --- choosing and paying --------------------------------------------------------------


def test_a_chosen_plan_waits_for_payment_and_changes_nothing_until_paid(platform, stripe_fake):
    owner = platform.sign_up()
    chosen = choose(platform, owner, "pro", "six_months")

    assert chosen.status_code == 200
    assert chosen.json_body["checkout_url"].startswith("https://checkout.stripe.test/")
    session = next(iter(stripe_fake.sessions.values()))
    assert session["_line_items"] == [{"price": "price_pro_six_months", "quantity": "1"}]
    assert session["_subscription_metadata"]["project_id"] == owner.project_id
    waiting = billing(platform, owner)
    assert waiting["pending"] == {"plan": "pro", "interval": "six_months"}
    # Plan, limits and widget change only once Stripe says it is paid.
    assert (waiting["state"], waiting["blocked"], waiting["warnings"]) == ("ok", [], [])
    assert (waiting["plan"]["id"], waiting["usage"]["team_members"]["limit"]) == ("free", 50)
    shown = widget(platform, owner)
    assert shown.status_code == 200 and shown.json_body["powered_by"] is True

    session_id = chosen.json_body["checkout_url"].rsplit("/", 1)[1]
    deliver_all(platform, stripe_fake.complete_checkout(session_id))

    view = billing(platform, owner)
    assert (view["plan"]["id"], view["interval"], view["state"]) == ("pro", "six_months", "ok")
    assert view["pending"] is None
    item = stripe_fake.subscriptions[view_subscription(owner)]["items"]["data"][0]
    assert view["period"]["start"].startswith(_iso_seconds(item["current_period_start"])) and view[
        "period"
    ]["end"].startswith(_iso_seconds(item["current_period_end"]))
    assert view["usage"]["unique_visitors"]["limit"] == 25000
    shown = widget(platform, owner)
    assert shown.status_code == 200 and shown.json_body["powered_by"] is True


def _iso_seconds(timestamp):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_premium_hides_the_powered_by_label(platform, stripe_fake):
    owner = platform.sign_up()
    deliver_all(platform, checkout(platform, owner, stripe_fake, "premium", "annual"))
    assert widget(platform, owner).json_body["powered_by"] is False


@pytest.mark.parametrize("order", ["in order", "reversed"])
def test_checkout_events_in_any_order_end_in_the_same_state(platform, stripe_fake, order):
    owner = platform.sign_up()
    events = checkout(platform, owner, stripe_fake)
    deliver_all(platform, events if order == "in order" else list(reversed(events)))
    state = snapshot(owner.project_id)
    assert state["plan"] == "standard" and state["billing_state"] == "ok"
    assert state["stripe_subscription_id"] in stripe_fake.subscriptions


def test_a_repeated_event_is_handled_once(platform, stripe_fake):
    owner = platform.sign_up()
    events = checkout(platform, owner, stripe_fake)
    deliver_all(platform, events)
    fetches = len(stripe_fake.requests)

    again = [deliver(platform, event) for event in events]

    assert [r.json_body for r in again] == [{"received": True, "duplicate": True}] * 3
    assert len(stripe_fake.requests) == fetches  # nothing was refetched or redone


def test_a_late_old_event_cannot_undo_a_newer_state(platform, stripe_fake):
    owner = platform.sign_up()
    first = checkout(platform, owner, stripe_fake)
    deliver_all(platform, first)
    sub_id = view_subscription(owner)
    failed = stripe_fake.renew(sub_id, paid=False)
    deliver_all(platform, failed)
    assert snapshot(owner.project_id)["billing_state"] == "past_due"

    # Stripe retries an old "paid" event, with a new delivery id, after the failure.
    stale = dict(first[2], id="evt_retry_of_old_invoice_paid")
    deliver_all(platform, [stale])

    assert snapshot(owner.project_id)["billing_state"] == "past_due"  # refetched: still due


def test_a_renewal_starts_a_new_period_and_fresh_counters(platform, stripe_fake):
    owner = platform.sign_up()
    deliver_all(platform, checkout(platform, owner, stripe_fake))
    platform.visitor(owner.project_id)
    assert billing(platform, owner)["usage"]["unique_visitors"]["used"] == 1

    deliver_all(platform, stripe_fake.renew(view_subscription(owner)))

    view = billing(platform, owner)
    assert view["usage"]["unique_visitors"]["used"] == 0
    assert view["state"] == "ok"


def test_cancelling_keeps_the_plan_to_the_end_of_the_paid_period(platform, stripe_fake):
    owner = platform.sign_up()
    deliver_all(platform, checkout(platform, owner, stripe_fake))
    sub_id = view_subscription(owner)

    cancelled = choose(platform, owner, "free", None)

    assert cancelled.status_code == 200
    view = cancelled.json_body["billing"]
    assert view["plan"]["id"] == "standard" and view["cancel_at_period_end"] is True
    assert stripe_fake.subscriptions[sub_id]["cancel_at_period_end"] is True
    deliver_all(platform, stripe_fake.outbox)  # customer.subscription.updated
    assert snapshot(owner.project_id)["plan"] == "standard"

    deliver_all(platform, stripe_fake.end_period(sub_id))

    state = snapshot(owner.project_id)
    assert (state["plan"], state["billing_state"], state["stripe_subscription_id"]) == (
        "free",
        "ok",
        None,
    )
    assert widget(platform, owner).json_body["powered_by"] is True


def test_choosing_free_during_a_pending_checkout_drops_the_choice(platform, stripe_fake):
    owner = platform.sign_up()
    choose(platform, owner, "standard", "annual")
    assert billing(platform, owner)["pending"]["plan"] == "standard"

    back = choose(platform, owner, "free", None)

    assert back.status_code == 200
    assert back.json_body["billing"]["plan"]["id"] == "free"
    assert back.json_body["billing"]["state"] == "ok"
    assert back.json_body["billing"]["pending"] is None
    assert widget(platform, owner).status_code == 200


def test_an_upgrade_changes_the_subscription_and_lifts_the_visitor_block(
    platform, stripe_fake, monkeypatch
):
    monkeypatch.setenv("PLAN_CATALOGUE", catalogue_json(unique_visitors=1))
    get_settings.cache_clear()
    owner = platform.sign_up()
    platform.visitor(owner.project_id)
    assert widget(platform, owner).status_code == 402  # the second visitor is refused

    deliver_all(platform, checkout(platform, owner, stripe_fake, "standard", "monthly"))
    assert widget(platform, owner).status_code == 200
    upgraded = choose(platform, owner, "pro", "monthly")

    assert upgraded.status_code == 200 and "checkout_url" not in upgraded.json_body
    sub = stripe_fake.subscriptions[view_subscription(owner)]
    assert sub["items"]["data"][0]["price"]["id"] == "price_pro_monthly"
    assert upgraded.json_body["billing"]["plan"]["id"] == "pro"
    assert len(stripe_fake.subscriptions) == 1  # changed, not a second subscription


def test_the_portal_is_for_projects_with_payment_details(platform, stripe_fake):
    owner = platform.sign_up()
    none_yet = platform.post(f"/projects/{owner.project_id}/billing/portal", {}, owner.auth)
    assert none_yet.status_code == 409
    deliver_all(platform, checkout(platform, owner, stripe_fake))

    portal = platform.post(f"/projects/{owner.project_id}/billing/portal", {}, owner.auth)

    assert portal.status_code == 200
    assert portal.json_body["portal_url"].startswith("https://checkout.stripe.test/portal/")


def test_the_billing_view_tells_the_panel_about_refunds_and_plans(platform, stripe_fake):
    owner = platform.sign_up()
    view = billing(platform, owner)
    assert "support" in view["refunds"]
    assert [p["id"] for p in view["catalogue"]["plans"]] == ["free", "standard", "pro", "premium"]
    standard = view["catalogue"]["plans"][1]
    assert [(p["interval"], p["discount_percent"]) for p in standard["prices"]] == [
        ("monthly", 0),
        ("six_months", 10),
        ("annual", 20),
    ]
    assert view["can_manage"] is True and view["test_mode"] is False


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "operator"])
def test_only_the_administrator_chooses_or_pays(platform, stripe_fake, role):
    owner = platform.sign_up()
    member = platform.member(owner, role)

    refused = [
        choose(platform, member, "standard", "monthly"),
        platform.post(f"/projects/{owner.project_id}/billing/portal", {}, member.auth),
    ]

    assert [r.status_code for r in refused] == [403, 403]
    assert stripe_fake.sessions == {} and stripe_fake.customers == {}
    assert snapshot(owner.project_id)["plan"] == "free"
    assert billing(platform, member)["can_manage"] is False  # they may look


# --- bad input changes nothing -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"plan": "gold", "interval": "monthly"},
        {"plan": "standard"},
        {"plan": "standard", "interval": "weekly"},
        {"plan": ["pro"], "interval": "monthly"},
        {},
    ],
)
def test_a_bad_plan_choice_is_400_and_changes_nothing(platform, stripe_fake, body):
    owner = platform.sign_up()
    before = snapshot(owner.project_id)
    response = platform.post(f"/projects/{owner.project_id}/billing/plan", body, owner.auth)
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "bad_request"
    assert snapshot(owner.project_id) == before and stripe_fake.sessions == {}
