"""SES's bounces and complaints, through SNS to the ``mail_feedback`` Lambda: a permanent
bounce or a complaint suppresses the address, and then no continuity e-mail, transcript
or e-mail auto message goes to it (and the batch is settled, not retried each minute);
a transient bounce suppresses nothing; a malformed message is dropped without an error;
the panel's visitor facts say what happened. The notifications are SES's own shapes
(tests/events/ses_*.json) inside the SNS event Chalice's test client builds."""

import json
import logging

import pytest

from chalicelib.clock import utcnow
from chalicelib.services import email_auto, mail_suppression
from chalicelib.services.identity import signature
from tests.functional.conftest import load_event
from tests.functional.test_email_continuity import (
    raw_sent,
    reply,
    run_at,
    sent,
    start_chat,
    transcript,
    with_mail,
)


@pytest.fixture
def mail(platform, monkeypatch):
    return with_mail(platform, monkeypatch)


ADDRESS = "jane@example.org"


def notification(name: str, address: str = ADDRESS, **changes) -> dict:
    text = json.dumps(load_event(name)).replace("{{address}}", address)
    body = json.loads(text)
    for section, values in changes.items():
        body[section].update(values)
    return body


def publish(platform, body) -> list[str]:
    """What SNS does with what SES published: one record, the notification as text."""
    message = body if isinstance(body, str) else json.dumps(body)
    event = platform.client.events.generate_sns_event(message=message)
    return platform.client.lambda_.invoke("mail_feedback", event).payload["outcomes"]


def facts(platform, owner, chat_id) -> dict:
    response = platform.get(f"/projects/{owner.project_id}/chats/{chat_id}/visitor", owner.auth)
    return response.json_body["visitor"]["mail"]


def test_a_permanent_bounce_stops_continuity_emails_and_the_batch_is_settled(mail):
    owner, _, _, chat_id = start_chat(mail)
    assert publish(mail, notification("ses_bounce.json", "Jane@Example.org")) == [
        "suppressed 1: bounced (Permanent/General)"
    ]
    reply(mail, owner, chat_id, "Your tent ships on Tuesday.")

    assert run_at(3) == {"examined": 1, "sent": 0, "dropped": 1}
    assert run_at(4)["examined"] == 0  # out of the index: no retry each minute
    assert sent() == []
    assert facts(mail, owner, chat_id) == {
        "email": ADDRESS,
        "unsubscribed": False,
        "suppressed": "bounced",
    }


def test_a_complaint_stops_transcripts_with_a_clear_reason(mail):
    owner, _, _, chat_id = start_chat(mail)
    assert publish(mail, notification("ses_complaint.json")) == ["suppressed 1: complained (abuse)"]
    response = transcript(mail, owner, chat_id)
    assert response.status_code == 409
    assert response.json_body["error"]["message"] == "The visitor marked our e-mail as spam"
    assert raw_sent() == []
    assert facts(mail, owner, chat_id)["suppressed"] == "complained"


@pytest.mark.parametrize("kind", ["Transient", "Undetermined"])
def test_a_transient_bounce_suppresses_nothing(mail, kind):
    owner, _, _, chat_id = start_chat(mail)
    body = notification("ses_bounce.json", bounce={"bounceType": kind, "bounceSubType": "General"})
    assert publish(mail, body) == [f"not suppressed: {kind} bounce"]
    reply(mail, owner, chat_id, "Still shipping Tuesday.")
    assert run_at(3)["sent"] == 1
    assert facts(mail, owner, chat_id)["suppressed"] is None


def test_identity_notifications_and_repeats_are_understood_too(mail):
    """The identity's own topics say ``notificationType``; SNS may deliver twice."""
    body = notification("ses_bounce.json")
    body["notificationType"] = body.pop("eventType")
    assert publish(mail, body) == ["suppressed 1: bounced (Permanent/General)"]
    assert publish(mail, body) == ["suppressed 1: bounced (Permanent/General)"]
    assert mail_suppression.reason_for("JANE@example.org") == "bounced"
    assert publish(mail, {"notificationType": "Delivery", "delivery": {}}) == ["ignored: Delivery"]
    complaint = notification("ses_complaint.json", complaint={"complaintFeedbackType": "not-spam"})
    complaint["complaint"]["complainedRecipients"] = [{"emailAddress": "ada@example.com"}]
    assert publish(mail, complaint) == ["not suppressed: a not-spam report"]
    assert mail_suppression.reason_for("ada@example.com") is None


@pytest.mark.parametrize(
    "message",
    [
        "not json at all",
        "[1, 2]",
        json.dumps({"eventType": "Bounce"}),
        json.dumps({"eventType": "Bounce", "bounce": {"bounceType": "Permanent"}}),
        json.dumps(
            {
                "eventType": "Complaint",
                "complaint": {"complainedRecipients": [{"emailAddress": "no-at-sign"}]},
            }
        ),
        json.dumps({"mail": {}}),
    ],
)
def test_a_malformed_message_is_logged_and_dropped_without_an_error(mail, message, caplog):
    with caplog.at_level(logging.INFO, logger="chalicelib.services.mail_suppression"):
        [outcome] = publish(mail, message)
    assert outcome.startswith("dropped"), outcome
    assert any("mail feedback" in r.getMessage() for r in caplog.records)
    assert mail_suppression.reason_for("no-at-sign") is None


def test_an_event_that_is_not_sns_is_dropped(mail):
    # Chalice's SNSEvent reads the envelope before our handler does (AWS always sends
    # one); the service still refuses anything else without raising.
    assert mail_suppression.handle_sns_event({"Records": "nonsense"}, utcnow()) == [
        "dropped: not an SNS event"
    ]
    assert mail_suppression.handle_sns_event({"Records": [{"Sns": {}}]}, utcnow()) == [
        "dropped: not a notification"
    ]


class Outbox:
    def __init__(self):
        self.sent = []

    def send(self, to, subject, text):
        self.sent.append(to)


def test_email_auto_messages_skip_a_suppressed_address_once_and_for_all(mail):
    owner = mail.sign_up()
    secret = mail.get(f"/projects/{owner.project_id}/identity-secret", owner.auth).json_body[
        "identity_secret"
    ]
    for user_id, address in [("u-1", "ada@example.com"), ("u-2", "bob@example.com")]:
        session = mail.post(
            "/widget/session",
            {"project_id": owner.project_id, "page_view": True, "new_visit": True},
        ).json_body
        identified = mail.post(
            "/widget/identify",
            {
                "token": session["token"],
                "user_id": user_id,
                "email": address,
                "hash": signature(secret, user_id),
            },
        )
        assert identified.status_code == 200, identified.json_body
    created = mail.post(
        f"/projects/{owner.project_id}/auto-messages",
        {
            "name": "Welcome back",
            "type": "email",
            "channels": [],
            "audience": "users",
            "content": {"subject": "We saved your cart", "text": "Come back."},
            "rules": {"all": []},
        },
        owner.auth,
    )
    assert created.status_code == 201, created.json_body
    publish(mail, notification("ses_complaint.json", "bob@example.com"))
    outbox = Outbox()

    assert email_auto.run(outbox)["sent"] == 1
    assert email_auto.run(outbox)["sent"] == 0
    assert outbox.sent == ["ada@example.com"]


@pytest.mark.parametrize(("kind", "reason"), [("bounce", "bounced"), ("complaint", "complained")])
def test_the_local_mailbox_buttons_send_what_the_handler_reads(mail, kind, reason):
    """infra/local/mail_feedback.py's notification and SNS event, as the mailbox page's
    buttons deliver them (the handler invoked with a Lambda context)."""
    from infra.local import mail_feedback

    sent_mail = {"id": "7", "to": "ada@example.com", "from": "Shop <s@x.example>", "subject": "Hi"}
    import app  # the traffic app the platform drives: its registered SNS handler

    result = mail_feedback.deliver(sent_mail, kind, app.mail_feedback)
    assert result["outcomes"][0].startswith(f"suppressed 1: {reason}")
    assert mail_suppression.reason_for("ada@example.com") == reason
