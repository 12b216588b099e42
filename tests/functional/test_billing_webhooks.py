"""Plans through Stripe, the webhook's edges: forged, unconfigured or malformed webhooks
change nothing; old and late events, killed handlers and second tabs never undo a newer
state or pay twice. Stripe's real SDK talks to the fake Stripe (billing_helpers)."""

import json

import pytest
import stripe

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.models import ProjectModel, StripeEventModel
from infra.local.fake_stripe import sign
from tests.conftest import catalogue_json
from tests.functional.billing_helpers import (
    SECRET,
    billing,
    checkout,
    choose,
    deliver,
    deliver_all,
    snapshot,
    widget,
)
from tests.functional.billing_helpers import subscription_of as view_subscription


def test_a_forged_signature_is_refused_and_changes_nothing(platform, stripe_fake):
    owner = platform.sign_up()
    events = checkout(platform, owner, stripe_fake)
    before = snapshot(owner.project_id)

    forged = deliver(platform, events[0], secret="whsec_someone_else")
    payload, _ = sign(events[0], SECRET)
    tampered = deliver(platform, events[0], body=payload.replace(b"complete", b"COMPLETE"))
    unsigned = platform.client.http.post(
        "/billing/webhook", body=payload, headers={"Content-Type": "application/json"}
    )

    for response in (forged, tampered, unsigned):
        assert response.status_code == 400
        assert response.json_body["error"]["code"] == "bad_request"
    assert snapshot(owner.project_id) == before
    assert StripeEventModel.count(events[0]["id"]) == 0


def test_without_a_configured_secret_every_webhook_is_refused(platform, stripe_fake, monkeypatch):
    owner = platform.sign_up()
    events = checkout(platform, owner, stripe_fake)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "")
    get_settings.cache_clear()
    before = snapshot(owner.project_id)

    refused = deliver(platform, events[0])

    assert refused.status_code == 503
    assert snapshot(owner.project_id) == before
    assert StripeEventModel.count(events[0]["id"]) == 0
    # Configured again, Stripe's retry of the same event is processed.
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    assert deliver(platform, events[0]).status_code == 200
    assert snapshot(owner.project_id)["billing_state"] == "ok"


def test_a_signed_body_that_is_not_an_event_is_400(platform, stripe_fake):
    payload = json.dumps(["not", "an", "event"])
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    response = platform.client.http.post(
        "/billing/webhook",
        body=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )
    assert response.status_code == 400


def test_an_old_subscriptions_end_does_not_touch_the_new_one(platform, stripe_fake):
    owner = platform.sign_up()
    deliver_all(platform, checkout(platform, owner, stripe_fake))
    old = view_subscription(owner)
    old_end = stripe_fake.end_period(old)  # not delivered yet
    # Meanwhile the administrator subscribed again (a new subscription).
    ProjectModel(owner.project_id).update(
        actions=[ProjectModel.plan.set("free"), ProjectModel.stripe_subscription_id.remove()]
    )
    deliver_all(platform, checkout(platform, owner, stripe_fake, "pro", "monthly"))
    new = view_subscription(owner)

    deliver_all(platform, old_end)

    state = snapshot(owner.project_id)
    assert state["stripe_subscription_id"] == new != old
    assert state["plan"] == "pro"


def test_a_new_checkout_closes_the_earlier_one(platform, stripe_fake):
    owner = platform.sign_up()
    first = choose(platform, owner, "standard", "monthly").json_body["checkout_url"]
    second = choose(platform, owner, "pro", "annual").json_body["checkout_url"]
    first_id, second_id = first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]

    assert stripe_fake.sessions[first_id]["status"] == "expired"
    assert billing(platform, owner)["pending"] == {"plan": "pro", "interval": "annual"}
    with pytest.raises(Exception, match="no longer open"):
        stripe_fake.complete_checkout(first_id)  # the old tab cannot pay any more
    deliver_all(platform, stripe_fake.complete_checkout(second_id))
    assert snapshot(owner.project_id)["plan"] == "pro"


def test_going_back_to_free_closes_an_unpaid_checkout(platform, stripe_fake):
    owner = platform.sign_up()
    url = choose(platform, owner, "standard", "monthly").json_body["checkout_url"]
    choose(platform, owner, "free", None)
    assert stripe_fake.sessions[url.rsplit("/", 1)[1]]["status"] == "expired"


# --- regressions from the billing review ----------------------------------------------


def test_a_webhook_killed_half_way_is_handled_on_stripes_retry(platform, stripe_fake):
    """A Lambda timeout runs no except clause: nothing may be recorded before the work."""
    owner = platform.sign_up()
    events = checkout(platform, owner, stripe_fake)
    real = deps.stripe_client()

    class Killed(BaseException):
        pass

    class Hanging:
        def __getattr__(self, name):
            raise Killed()

    deps.override(stripe=Hanging())
    for event in events:
        with pytest.raises(Killed):
            deliver(platform, event)
    deps.override(stripe=real)

    retries = [deliver(platform, event).json_body for event in events]

    assert not any(r.get("duplicate") for r in retries)
    assert snapshot(owner.project_id)["billing_state"] == "ok"
    assert snapshot(owner.project_id)["plan"] == "standard"


def test_choosing_again_after_paying_in_another_tab_applies_the_payment_not_a_second_one(
    platform, stripe_fake
):
    owner = platform.sign_up()
    first = choose(platform, owner, "standard", "monthly").json_body["checkout_url"]
    paid = stripe_fake.complete_checkout(first.rsplit("/", 1)[1])  # webhook not here yet

    again = choose(platform, owner, "pro", "monthly")

    assert again.status_code == 409
    assert "just paid" in again.json_body["error"]["message"]
    assert snapshot(owner.project_id)["plan"] == "standard"
    assert snapshot(owner.project_id)["billing_state"] == "ok"
    deliver_all(platform, paid)  # the late webhooks change nothing
    live = [s for s in stripe_fake.subscriptions.values() if s["status"] == "active"]
    assert len(live) == 1 and snapshot(owner.project_id)["plan"] == "standard"


def test_a_subscription_not_paid_yet_keeps_the_old_plans_limits(platform, stripe_fake):
    owner = platform.sign_up()
    events = checkout(platform, owner, stripe_fake, "premium", "monthly")
    next(iter(stripe_fake.subscriptions.values()))["status"] = "incomplete"  # 3-D Secure

    deliver_all(platform, events)

    view = billing(platform, owner)
    assert (view["plan"]["id"], view["state"]) == ("free", "ok")
    assert view["pending"]["plan"] == "premium"
    assert widget(platform, owner).status_code == 200  # still on Free, which works


def test_a_late_event_of_an_ended_subscription_does_not_wipe_a_new_checkout(platform, stripe_fake):
    owner = platform.sign_up()
    deliver_all(platform, checkout(platform, owner, stripe_fake))
    old = view_subscription(owner)
    choose(platform, owner, "free", None)
    delayed = list(stripe_fake.outbox)
    stripe_fake.outbox.clear()
    deliver_all(platform, stripe_fake.end_period(old))
    choose(platform, owner, "pro", "monthly")

    deliver_all(platform, delayed)  # the old subscription's news, out of order

    project = ProjectModel.get(owner.project_id)
    assert (project.billing_state, project.pending_plan) == ("ok", "pro:monthly")
    assert project.stripe_checkout_id is not None


def test_going_back_to_free_does_not_unhide_a_widget_hidden_by_the_visitor_limit(
    platform, stripe_fake, monkeypatch
):
    monkeypatch.setenv("PLAN_CATALOGUE", catalogue_json(unique_visitors=1, team_members=50))
    get_settings.cache_clear()
    owner = platform.sign_up()
    known = platform.visitor(owner.project_id)
    assert widget(platform, owner).status_code == 402  # the second visitor is refused

    choose(platform, owner, "standard", "monthly")
    choose(platform, owner, "free", None)

    again = platform.post("/widget/session", {"project_id": owner.project_id, "token": known.token})
    assert again.status_code == 402
