"""The visitor asks for their conversation by e-mail from the widget (issue 13,
"Transcripts"): ``POST /widget/transcript`` with the visitor token in the body. It goes
to the address known, or to one given with the request (checked as ``POST
/widget/contact`` checks it, then kept on the visitor); once per 10 minutes per chat,
whoever asks (the panel's "E-mail transcript" shares the limit); only the visitor's own
chats (another visitor's or project's chat is a 404, as if it did not exist); a bad
request sends and stores nothing. What was sent is read from moto's SES."""

import boto3
import pytest

from chalicelib import deps
from chalicelib.config import get_settings
from tests.functional.test_email_continuity import (
    BUCKET,
    DOMAIN,
    SECRET,
    identify,
    raw_sent,
    reply,
    sent,
    start_chat,
)


@pytest.fixture
def mail(platform, monkeypatch):
    """E-mail set up as test_email_continuity's fixture sets it up."""
    monkeypatch.setenv("MAIL_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("INBOUND_MAIL_DOMAIN", DOMAIN)
    monkeypatch.setenv("INBOUND_MAIL_BUCKET", BUCKET)
    monkeypatch.setenv("PUBLIC_API_URL", "https://api.example.test/api")
    get_settings.cache_clear()
    deps._mail_tokens.cache_clear()
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    return platform


def ask(platform, visitor, chat_id, **fields):
    return platform.post(
        "/widget/transcript", {"token": visitor.token, "chat_id": chat_id, **fields}
    )


def given_email(platform, owner, chat_id):
    path = f"/projects/{owner.project_id}/chats/{chat_id}/visitor"
    return (platform.get(path, owner.auth).json_body["visitor"]["given"] or {}).get("email")


def test_the_visitor_gets_the_conversation_at_their_known_address_once_per_ten_minutes(mail):
    # Given an identified visitor's chat with a team reply
    owner, visitor, _, chat_id = start_chat(mail)
    reply(mail, owner, chat_id, "It ships on Tuesday.")
    # When they ask for it from the widget
    response = ask(mail, visitor, chat_id)
    # Then it goes to the address the site verified, with the whole dialogue
    assert response.status_code == 200, response.json_body
    assert response.json_body == {"sent": True, "to": "jane@example.org"}
    [email] = sent()
    assert email["To"] == "jane@example.org"
    assert email["Subject"] == "[Acme Outdoor] Your chat transcript"
    text = email.get_body(("plain",)).get_content()
    assert "Hi, where is my tent?" in text and "It ships on Tuesday." in text
    # And asking again, or the team sending one, within 10 minutes sends nothing more
    again = ask(mail, visitor, chat_id)
    assert again.status_code == 429, again.json_body
    team = mail.post(f"/projects/{owner.project_id}/chats/{chat_id}/transcript", {}, owner.auth)
    assert team.status_code == 429
    assert len(sent()) == 1


def test_without_an_address_the_visitor_gives_one_which_is_checked_and_kept(mail):
    owner, visitor, _, chat_id = start_chat(mail, email=None)
    # No address known: a clear conflict (the widget asks for one), nothing sent
    response = ask(mail, visitor, chat_id)
    assert response.status_code == 409
    assert "no known e-mail address" in response.json_body["error"]["message"]
    # A malformed or too long address: 400 / 413 (as /widget/contact), nothing kept or sent
    for bad, status in (("not-an-address", 400), ("a@" + "b" * 250 + ".com", 413), (42, 400)):
        response = ask(mail, visitor, chat_id, email=bad)
        assert response.status_code == status, (bad, response.json_body)
    assert given_email(mail, owner, chat_id) is None
    # A real one: kept on the visitor (the panel shows it) and used
    response = ask(mail, visitor, chat_id, email="  ada@example.com ")
    assert response.status_code == 200, response.json_body
    assert response.json_body["to"] == "ada@example.com"
    assert given_email(mail, owner, chat_id) == "ada@example.com"
    [email] = sent()
    assert email["To"] == "ada@example.com"


def test_a_rate_limited_request_keeps_no_new_address(mail):
    owner, visitor, _, chat_id = start_chat(mail, email=None)
    assert ask(mail, visitor, chat_id, email="ada@example.com").status_code == 200
    response = ask(mail, visitor, chat_id, email="other@example.com")
    assert response.status_code == 429
    assert given_email(mail, owner, chat_id) == "ada@example.com"
    assert len(sent()) == 1


@pytest.mark.parametrize("whose", ["another visitor's", "another project's", "no such"])
def test_only_the_visitors_own_chat_anything_else_is_a_404(mail, whose):
    owner, visitor, _, chat_id = start_chat(mail)
    if whose == "another visitor's":
        caller = mail.visitor(owner.project_id)
        identify(mail, owner, caller, "eve@example.org")
    elif whose == "another project's":
        other_owner, caller, _, _ = start_chat(mail, email="eve@example.org")
        assert other_owner.project_id != owner.project_id
    else:
        caller, chat_id = visitor, chat_id + "9"
    response = ask(mail, caller, chat_id)
    assert response.status_code == 404, response.json_body
    assert raw_sent() == []


@pytest.mark.parametrize(
    "body, status",
    [
        ({"chat_id": "x"}, 400),  # no token
        ({"token": "forged.token", "chat_id": "x"}, 401),
        ({"chat_id": None}, 404),
        ({"chat_id": ["a"]}, 404),
    ],
)
def test_bad_requests_are_clear_errors_and_send_nothing(mail, body, status):
    _, visitor, _, _ = start_chat(mail)
    if "token" not in body and status != 400:
        body = {**body, "token": visitor.token}
    response = mail.post("/widget/transcript", body)
    assert response.status_code == status, response.json_body
    assert "error" in response.json_body
    assert raw_sent() == []


def test_an_address_that_unsubscribed_is_refused_and_not_kept(mail):
    owner, visitor, _, chat_id = start_chat(mail, email=None)
    token = deps.mail_tokens().unsubscribe_token(owner.project_id, "ada@example.com")
    mail.client.http.post(
        f"/mail/unsubscribe?token={token}",
        body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = ask(mail, visitor, chat_id, email="ada@example.com")
    assert response.status_code == 409 and "unsubscribed" in response.json_body["error"]["message"]
    assert given_email(mail, owner, chat_id) is None
    assert raw_sent() == []


def test_a_bounced_address_is_refused_in_words_for_the_visitor(mail):
    from chalicelib.clock import utcnow
    from chalicelib.services import mail_suppression

    owner, visitor, _, chat_id = start_chat(mail, email=None)
    bounced = [{"emailAddress": "ada@example.com"}]
    mail_suppression._suppress(bounced, "bounced", "Permanent/General", utcnow())

    response = ask(mail, visitor, chat_id, email="ada@example.com")

    assert response.status_code == 409
    # The widget shows this text to the visitor: about their address, not "the visitor's".
    assert "your address" in response.json_body["error"]["message"]
    assert given_email(mail, owner, chat_id) is None and raw_sent() == []


def session_of(platform, owner, visitor):
    body = {"project_id": owner.project_id, "token": visitor.token}
    return platform.post("/widget/session", body).json_body


def test_the_session_says_an_address_is_usable_until_a_send_finds_it_bounced(mail):
    """The widget promises a reply by e-mail only while ``email_usable`` (issue 13's QA):
    known and not found blocked. Read from the visitor item the page view reads anyway."""
    from chalicelib.clock import utcnow
    from chalicelib.services import mail_suppression
    from tests.functional.test_auto_delivery import CALLS

    owner, visitor, _, chat_id = start_chat(mail, email=None)
    # No address: none to promise
    assert session_of(mail, owner, visitor)["email_usable"] is False
    # One given in the away card: usable (the contact answer says so too)
    given = mail.post("/widget/contact", {"token": visitor.token, "email": "ada@example.com"})
    assert given.json_body["email_usable"] is True
    CALLS.clear()
    first = session_of(mail, owner, visitor)
    assert first["email_known"] is True and first["email_usable"] is True
    assert "BatchGetItem" not in CALLS  # the page view reads no mail record
    # It bounces: the next e-mail the team tries (the visitor's transcript) is refused...
    bounced = [{"emailAddress": "ada@example.com"}]
    mail_suppression._suppress(bounced, "bounced", "Permanent/General", utcnow())
    refused = ask(mail, visitor, chat_id)
    assert refused.status_code == 409 and "bounced" in refused.json_body["error"]["message"]
    # ...and from then on the session says the address is known but not usable
    after = session_of(mail, owner, visitor)
    assert after["email_known"] is True and after["email_usable"] is False
    # Another address given: usable again, and the transcript goes there
    other = mail.post("/widget/contact", {"token": visitor.token, "email": "ada@work.example"})
    assert other.json_body["email_usable"] is True
    assert session_of(mail, owner, visitor)["email_usable"] is True
    assert ask(mail, visitor, chat_id).json_body == {"sent": True, "to": "ada@work.example"}


def test_a_continuity_email_dropped_for_an_unsubscribe_marks_the_address_unusable(mail):
    from datetime import timedelta

    from chalicelib.clock import utcnow
    from chalicelib.services import continuity

    owner, visitor, _, chat_id = start_chat(mail)  # identified: jane@example.org
    token = deps.mail_tokens().unsubscribe_token(owner.project_id, "jane@example.org")
    mail.client.http.post(
        f"/mail/unsubscribe?token={token}",
        body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert session_of(mail, owner, visitor)["email_usable"] is True  # not known yet
    reply(mail, owner, chat_id, "It ships on Tuesday.")
    continuity.run(utcnow() + timedelta(minutes=5), deps.mailer(), deps.mail_tokens())
    assert raw_sent() == []
    assert session_of(mail, owner, visitor)["email_usable"] is False
