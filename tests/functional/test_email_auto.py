"""E-mail auto messages: the clock app mails matching logged-in users, once each."""

import re

import pytest

from chalicelib.services import email_auto
from chalicelib.services.identity import signature
from tests.functional.uploads import upload


class Outbox:
    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def send(self, to, subject, text):
        if self.fail:
            raise RuntimeError("SES said no")
        self.sent.append((to, subject, text))


@pytest.fixture
def shop(platform):
    owner = platform.sign_up()
    secret = platform.get(f"/projects/{owner.project_id}/identity-secret", owner.auth)
    return owner, secret.json_body["identity_secret"]


def _user(platform, owner, secret, user_id, email, country="DE"):
    session = platform.post(
        "/widget/session",
        {"project_id": owner.project_id, "page_view": True, "new_visit": True},
        headers={"CloudFront-Viewer-Country": country},
    ).json_body
    identified = platform.post(
        "/widget/identify",
        {
            "token": session["token"],
            "user_id": user_id,
            "email": email,
            "hash": signature(secret, user_id),
        },
    )
    assert identified.status_code == 200, identified.json_body
    return session


def _email_message(platform, owner, **changes):
    body = {
        "name": "Welcome back",
        "type": "email",
        "channels": [],
        "audience": "users",
        "content": {"subject": "We saved your cart", "text": "Come back for 10% off."},
        "rules": {"all": [{"field": "country", "op": "equals", "value": "DE"}]},
        **changes,
    }
    created = platform.post(f"/projects/{owner.project_id}/auto-messages", body, owner.auth)
    assert created.status_code == 201, created.json_body
    return created.json_body["auto_message"]["id"]


def test_matching_logged_in_users_get_the_mail_once(platform, shop):
    owner, secret = shop
    message_id = _email_message(platform, owner)
    _user(platform, owner, secret, "u-1", "ada@example.com")
    _user(platform, owner, secret, "u-2", "bob@example.com", country="FR")
    platform.visitor(owner.project_id)  # anonymous: no address
    outbox = Outbox()

    first = email_auto.run(outbox)
    again = email_auto.run(outbox)

    assert outbox.sent == [("ada@example.com", "We saved your cart", "Come back for 10% off.")]
    assert first["sent"] == 1 and again["sent"] == 0
    figures = platform.get(f"/projects/{owner.project_id}/auto-messages/{message_id}", owner.auth)
    assert figures.json_body["auto_message"]["stats"]["sent"] == 1


def test_a_failed_send_is_tried_again_on_the_next_run(platform, shop):
    owner, secret = shop
    _email_message(platform, owner)
    _user(platform, owner, secret, "u-1", "ada@example.com")

    assert email_auto.run(Outbox(fail=True))["sent"] == 0
    later = Outbox()
    assert email_auto.run(later)["sent"] == 1
    assert [to for to, _, _ in later.sent] == ["ada@example.com"]


def test_a_disabled_message_sends_nothing(platform, shop):
    owner, secret = shop
    message_id = _email_message(platform, owner)
    _user(platform, owner, secret, "u-1", "ada@example.com")
    disabled = platform.client.http.patch(
        f"/projects/{owner.project_id}/auto-messages/{message_id}",
        headers={**owner.auth, "Content-Type": "application/json"},
        body='{"enabled": false}',
    )
    assert disabled.status_code == 200

    outbox = Outbox()
    assert email_auto.run(outbox) == {"examined": 0, "sent": 0}
    assert outbox.sent == []


def test_the_mail_carries_the_link_buttons_and_attachments_as_links(platform, shop):
    owner, secret = shop
    draft = upload(platform, owner, "coupon.pdf", "application/pdf", b"%PDF coupon")
    _email_message(
        platform,
        owner,
        content={
            "subject": "We saved your cart",
            "text": "Come back for 10% off.",
            "buttons": [
                {"label": "Open my cart", "action": "link", "url": "https://shop.example/c"}
            ],
            "attachments": [{"key": draft["key"], "name": "Your coupon"}],
        },
    )
    _user(platform, owner, secret, "u-1", "ada@example.com")
    outbox = Outbox()

    email_auto.run(outbox)

    [(_, _, text)] = outbox.sent
    assert re.fullmatch(
        r"Come back for 10% off\.\n\n"
        r"Open my cart: https://shop\.example/c\n"
        rf"Your coupon: https://cdn\.example\.test/attachments/{owner.project_id}/\w{{26}}/"
        r"Your_coupon\.pdf",
        text,
    ), text


def test_an_event_rule_is_settled_by_what_the_server_knows(platform, shop):
    owner, secret = shop
    _email_message(
        platform,
        owner,
        rules={"all": [{"field": "custom_event", "op": "not_happened", "value": "purchase"}]},
    )
    _user(platform, owner, secret, "u-1", "ada@example.com")
    buyer = _user(platform, owner, secret, "u-2", "bob@example.com")
    bought = platform.post("/widget/events", {"token": buyer["token"], "name": "purchase"})
    assert bought.status_code == 200, bought.json_body
    outbox = Outbox()

    email_auto.run(outbox)

    assert [to for to, _, _ in outbox.sent] == ["ada@example.com"]
