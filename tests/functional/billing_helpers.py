"""Billing through the fake Stripe, as the billing tests drive it: the fixture that plugs
the fake into Stripe's real SDK (its own ``http_client`` seam), webhooks signed with
Stripe's own helper, and the panel's and widget's calls."""

import stripe

from chalicelib import deps, plans
from chalicelib.config import get_settings
from chalicelib.models import ProjectModel
from infra.local.fake_stripe import FakeStripe, FakeStripeHTTPClient, sign

SECRET = "whsec_test_0123456789abcdef"


def install_fake_stripe(monkeypatch) -> FakeStripe:
    """The fake Stripe behind Stripe's real SDK, for a test module's ``stripe_fake``
    fixture (after ``aws``)."""
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("BILLING_RETURN_URL", "https://panel.example/billing")
    get_settings.cache_clear()
    backend = FakeStripe.for_catalogue(plans.catalogue())
    client = stripe.StripeClient(
        "sk_test_fake", http_client=FakeStripeHTTPClient(backend), max_network_retries=0
    )
    deps.override(stripe=client)
    return backend


def deliver(platform, event, secret=SECRET, body=None):
    payload, header = sign(event, secret)
    return platform.client.http.post(
        "/billing/webhook",
        body=body if body is not None else payload,
        # What Stripe sends: the route must take JSON with a charset too.
        headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header},
    )


def deliver_all(platform, events):
    for event in events:
        response = deliver(platform, event)
        assert response.status_code == 200, response.body


def billing(platform, owner):
    response = platform.get(f"/projects/{owner.project_id}/billing", owner.auth)
    assert response.status_code == 200, response.body
    return response.json_body["billing"]


def choose(platform, owner, plan="standard", interval="monthly"):
    return platform.post(
        f"/projects/{owner.project_id}/billing/plan",
        {"plan": plan, "interval": interval},
        owner.auth,
    )


def widget(platform, owner):
    """A new visitor's page view and, when it shows, the first heartbeat that counts them
    (a visitor past the plan's limit is refused there)."""
    page = platform.post("/widget/session", {"project_id": owner.project_id})
    if page.status_code != 200:
        return page
    beat = platform.post("/widget/heartbeat", {"token": page.json_body["token"]})
    return page if beat.status_code == 200 else beat


def session_of(response) -> str:
    """The Checkout session id in a ``choose`` answer's ``checkout_url``."""
    return response.json_body["checkout_url"].rsplit("/", 1)[1]


def checkout(platform, owner, stripe_fake, plan="standard", interval="monthly"):
    """Choose a paid plan and pay at Checkout; the events, not yet delivered."""
    chosen = choose(platform, owner, plan, interval)
    assert chosen.status_code == 200, chosen.body
    return stripe_fake.complete_checkout(session_of(chosen))


def subscription_of(owner):
    return ProjectModel.get(owner.project_id).stripe_subscription_id


def snapshot(project_id):
    project = ProjectModel.get(project_id, consistent_read=True)
    return {
        name: getattr(project, name)
        for name in (
            "plan",
            "billing_state",
            "billing_interval",
            "stripe_subscription_id",
            "period_start",
            "period_end",
            "cancel_at_period_end",
        )
    }
