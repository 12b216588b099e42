"""The From check on e-mailed replies: the reply token alone is not enough, the mail must
come from the chat visitor's known address (case aside, plus-tags kept, any display-name
form), so a forwarded continuity e-mail does not let its reader post as the visitor.
A refused mail stores nothing and sends nobody anything (no backscatter)."""

from email.message import EmailMessage

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.functional.test_email_continuity import (
    address_for,
    deliver,
    identify,
    messages,
    mime_reply,
    start_chat,
    visitor_texts,
    with_mail,
)


@pytest.fixture
def mail(platform, monkeypatch):
    return with_mail(platform, monkeypatch)


_count = iter(range(10_000))


def reply_from(sender: str | list[str] | None, to: str, text="It is me, Jane.") -> bytes:
    senders = [sender] if isinstance(sender, str) else sender or []
    message = EmailMessage()
    if senders:
        message["From"] = senders[0]
    message["To"] = to
    message["Subject"] = "Re: your chat"
    message["Message-ID"] = f"<from-check-{next(_count)}@example.org>"
    message.set_content(text)
    # More From headers than the library lets one write: as a sending program might.
    extra = b"".join(f"From: {value}\r\n".encode() for value in senders[1:])
    return extra + message.as_bytes()


def sent_count() -> int:
    return len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


@pytest.mark.parametrize(
    "from_header",
    [
        "jane@example.org",
        "JANE@Example.ORG",
        "Jane Visitor <jane@example.org>",
        '"Visitor, Jane" <Jane@example.org>',
        "=?utf-8?q?J=C3=A4ne?= <jane@example.org>",
        "jane@example.org (Jane at home)",
    ],
)
def test_the_visitors_own_address_in_any_form_is_accepted(mail, from_header):
    owner, _, _, chat_id = start_chat(mail)
    assert deliver(mail, reply_from(from_header, address_for(owner, chat_id))) == ["posted"]
    assert visitor_texts(mail, owner, chat_id)[-1] == "It is me, Jane."


@pytest.mark.parametrize(
    "from_header",
    [
        "Tom <tom@example.org>",  # the husband the mail was forwarded to
        "jane+chat@example.org",  # a plus-tag is another address
        "jane@example.org.evil.example",
        ["jane@example.org", "tom@example.org"],  # two From headers
        "jane@example.org, tom@example.org",  # two addresses in one
        None,
    ],
)
def test_another_sender_is_refused_stores_nothing_and_is_not_answered(mail, from_header):
    owner, _, _, chat_id = start_chat(mail)
    before, mails_before = messages(mail, owner, chat_id), sent_count()
    outcome = deliver(mail, reply_from(from_header, address_for(owner, chat_id)))
    assert outcome == ["refused: not from the visitor's address"]
    assert messages(mail, owner, chat_id) == before
    assert sent_count() == mails_before


def test_a_forwarded_continuity_email_answered_by_its_reader_is_refused(mail):
    owner, _, _, chat_id = start_chat(mail)
    raw = mime_reply("forwarded.eml", address_for(owner, chat_id))
    forwarded = raw.replace(
        b"From: Jane Visitor <jane@example.org>", b"From: Tom <tom@example.org>"
    )
    assert deliver(mail, forwarded) == ["refused: not from the visitor's address"]
    assert visitor_texts(mail, owner, chat_id) == ["Hi, where is my tent?"]
    # The sample as Jane sent it still goes in.
    assert deliver(mail, raw) == ["posted"]


def test_the_address_counts_as_it_is_now_not_when_the_token_was_made(mail):
    owner, visitor, _, chat_id = start_chat(mail)
    token_address = address_for(owner, chat_id)
    identify(mail, owner, visitor, email="jane.new@example.org")
    old = reply_from("jane@example.org", token_address)
    assert deliver(mail, old) == ["refused: not from the visitor's address"]
    assert deliver(mail, reply_from("jane.new@example.org", token_address)) == ["posted"]


def test_a_visitor_without_a_known_address_cannot_be_answered_by_mail(mail):
    owner, _, _, chat_id = start_chat(mail, email=None)
    raw = reply_from("jane@example.org", address_for(owner, chat_id))
    assert deliver(mail, raw) == ["refused: not from the visitor's address"]
