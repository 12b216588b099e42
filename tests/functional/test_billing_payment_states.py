"""What a payment, or its absence, does to a project's chat (issue 14, item 3).

- Choosing a plan at Checkout only records a pending choice: the project stays on its
  plan, fully working, until Stripe confirms the new one; an abandoned Checkout
  (cancelled, or ``checkout.session.expired``) clears that choice and nothing else.
- A failed renewal keeps the chat working while Stripe retries (``past_due``: a banner)
  and hides the widget once Stripe's retries are over, whichever final action the Stripe
  account is set to; paying brings it back.
"""

import pytest

from chalicelib.models import ProjectModel
from tests.functional.billing_helpers import (
    billing,
    checkout,
    choose,
    deliver_all,
    session_of,
    snapshot,
    subscription_of,
    widget,
)


def cancel(platform, who):
    return platform.client.http.delete(
        f"/projects/{who.project_id}/billing/checkout", headers=who.auth
    )


def team_reply_works(platform, owner, n: int) -> bool:
    """A visitor writes through the widget's socket and the team answers."""
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": f"ask-{n:04d}", "text": "q"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    reply = platform.post(
        f"/projects/{owner.project_id}/chats/{chat_id}/messages",
        {"client_id": f"answer-{n:04d}", "text": "a"},
        owner.auth,
    )
    return reply.status_code == 201


def paid_standard(platform, stripe_fake):
    owner = platform.sign_up()
    deliver_all(platform, checkout(platform, owner, stripe_fake))
    assert snapshot(owner.project_id)["plan"] == "standard"
    return owner, subscription_of(owner)


# --- an abandoned Checkout ------------------------------------------------------------


def test_an_abandoned_checkout_keeps_free_working_and_its_expiry_clears_the_choice(
    platform, stripe_fake
):
    owner = platform.sign_up()
    before = snapshot(owner.project_id)
    chosen = choose(platform, owner, "standard", "monthly")
    assert chosen.status_code == 200

    # Nobody pays: the chat works exactly as on Free.
    assert widget(platform, owner).status_code == 200
    assert team_reply_works(platform, owner, 1)
    waiting = billing(platform, owner)
    assert waiting["pending"] == {"plan": "standard", "interval": "monthly"}
    assert (waiting["plan"]["id"], waiting["state"], waiting["blocked"]) == ("free", "ok", [])
    assert snapshot(owner.project_id) == before

    # A day later Stripe expires the session.
    deliver_all(platform, stripe_fake.expire_checkout(session_of(chosen)))

    assert billing(platform, owner)["pending"] is None
    assert ProjectModel.get(owner.project_id).stripe_checkout_id is None
    assert snapshot(owner.project_id) == before
    assert widget(platform, owner).status_code == 200


def test_cancelling_a_pending_checkout_closes_it_and_keeps_the_plan(platform, stripe_fake):
    owner = platform.sign_up()
    chosen = choose(platform, owner, "pro", "annual")
    before = snapshot(owner.project_id)

    cancelled = cancel(platform, owner)

    assert cancelled.status_code == 200
    assert cancelled.json_body["billing"]["pending"] is None
    assert stripe_fake.sessions[session_of(chosen)]["status"] == "expired"
    assert snapshot(owner.project_id) == before
    again = cancel(platform, owner)
    assert again.status_code == 409  # nothing is waiting any more
    deliver_all(platform, stripe_fake.outbox)  # the expired event Stripe sends: harmless
    assert snapshot(owner.project_id) == before


def test_the_expiry_of_a_replaced_session_keeps_the_newer_choice(platform, stripe_fake):
    owner = platform.sign_up()
    choose(platform, owner, "standard", "monthly")
    newer = choose(platform, owner, "pro", "annual")
    expired = [e for e in stripe_fake.outbox if e["type"] == "checkout.session.expired"]
    assert len(expired) == 1  # the first session, closed by the second Checkout

    deliver_all(platform, expired)

    assert billing(platform, owner)["pending"] == {"plan": "pro", "interval": "annual"}
    assert ProjectModel.get(owner.project_id).stripe_checkout_id == session_of(newer)


def test_an_expired_event_after_the_payment_keeps_the_paid_plan(platform, stripe_fake):
    owner = platform.sign_up()
    chosen = choose(platform, owner, "standard", "monthly")
    paid = stripe_fake.complete_checkout(session_of(chosen))
    deliver_all(platform, paid)
    after_payment = snapshot(owner.project_id)
    assert (after_payment["plan"], after_payment["billing_state"]) == ("standard", "ok")

    # An "expired" for the same session arrives late (out of order, or forged by a
    # replay with a valid signature): Stripe's copy says it is complete.
    session = dict(paid[0]["data"]["object"], status="expired")
    deliver_all(platform, [stripe_fake.event("checkout.session.expired", session)])

    assert snapshot(owner.project_id) == after_payment
    assert widget(platform, owner).status_code == 200


def test_a_superseded_checkout_paid_after_all_is_not_applied(platform, stripe_fake):
    owner = platform.sign_up()
    first = session_of(choose(platform, owner, "premium", "monthly"))
    second = session_of(choose(platform, owner, "pro", "monthly"))
    # The first session was being paid when it was replaced: Stripe completes it anyway.
    stripe_fake.sessions[first]["status"] = "open"
    late = stripe_fake.complete_checkout(first)

    deliver_all(platform, late)

    state = snapshot(owner.project_id)
    assert (state["plan"], state["stripe_subscription_id"]) == ("free", None)
    assert billing(platform, owner)["pending"] == {"plan": "pro", "interval": "monthly"}
    deliver_all(platform, stripe_fake.complete_checkout(second))
    assert snapshot(owner.project_id)["plan"] == "pro"
    # Sent again later (as new events): still pro.
    deliver_all(platform, [dict(event, id=event["id"] + "_again") for event in late])
    assert snapshot(owner.project_id)["plan"] == "pro"


def test_a_free_project_stored_as_unpaid_by_an_earlier_version_shows_its_widget(
    platform, stripe_fake
):
    owner = platform.sign_up()
    choose(platform, owner, "standard", "monthly")
    ProjectModel(owner.project_id).update(actions=[ProjectModel.billing_state.set("unpaid")])

    assert widget(platform, owner).status_code == 200
    view = billing(platform, owner)
    assert (view["state"], view["blocked"], view["pending"]["plan"]) == ("ok", [], "standard")


# --- a failed renewal -------------------------------------------------------------------


def test_a_failed_renewal_keeps_the_chat_while_stripe_retries_and_hides_it_after(
    platform, stripe_fake
):
    owner, sub_id = paid_standard(platform, stripe_fake)
    before = snapshot(owner.project_id)
    first_failure = stripe_fake.renew(sub_id, paid=False)

    deliver_all(platform, first_failure)

    retrying = billing(platform, owner)
    assert (retrying["plan"]["id"], retrying["state"], retrying["blocked"]) == (
        "standard",
        "past_due",
        [],
    )
    assert retrying["warnings"][0]["reason"] == "payment_retrying"
    assert widget(platform, owner).status_code == 200
    assert team_reply_works(platform, owner, 2)

    deliver_all(platform, stripe_fake.retries_exhausted(sub_id, then="unpaid"))

    hidden = widget(platform, owner)
    assert hidden.status_code == 402
    assert hidden.json_body["error"]["reason"] == "payment_failed"
    view = billing(platform, owner)
    assert (view["state"], view["blocked"][0]["reason"]) == ("unpaid", "payment_failed")
    # An early failure's event delivered again late: refetched, still hidden.
    deliver_all(platform, [dict(first_failure[0], id="evt_late_first_failure")])
    assert widget(platform, owner).status_code == 402

    deliver_all(platform, stripe_fake.pay_latest_invoice(sub_id))

    assert widget(platform, owner).status_code == 200
    after = snapshot(owner.project_id)
    assert (after["plan"], after["billing_state"]) == ("standard", "ok")
    assert after["period_start"] == before["period_end"]  # the renewal's new period


@pytest.mark.parametrize("order", ["in order", "reversed"])
@pytest.mark.parametrize("then", ["unpaid", "past_due"])
def test_retries_exhausted_hide_the_widget_whatever_the_final_setting(
    platform, stripe_fake, then, order
):
    """Stripe's final action (Billing -> Revenue recovery -> Retries): mark the
    subscription unpaid, or leave it past due with no next payment attempt."""
    owner, sub_id = paid_standard(platform, stripe_fake)
    events = stripe_fake.renew(sub_id, paid=False) + stripe_fake.retries_exhausted(sub_id, then)

    deliver_all(platform, events if order == "in order" else list(reversed(events)))

    assert widget(platform, owner).status_code == 402
    assert snapshot(owner.project_id)["billing_state"] == "unpaid"


def test_retries_exhausted_with_cancelling_set_returns_the_project_to_free(platform, stripe_fake):
    owner, sub_id = paid_standard(platform, stripe_fake)
    events = stripe_fake.renew(sub_id, paid=False)
    events += stripe_fake.retries_exhausted(sub_id, then="cancel")

    deliver_all(platform, events)

    state = snapshot(owner.project_id)
    assert (state["plan"], state["billing_state"], state["stripe_subscription_id"]) == (
        "free",
        "ok",
        None,
    )
    assert widget(platform, owner).status_code == 200
