"""Conversations that continue by e-mail: team replies the visitor has not seen for two
minutes are e-mailed (one e-mail per batch, never twice, never when seen or when there
is no address or it unsubscribed); the visitor's e-mail reply comes back through S3 into
the same chat (forged, expired or foreign tokens refused, duplicates stored once).
What was sent is read from moto's SES; the clock is moved by handing the job a later
``now``."""

import copy
import itertools
import json
import pathlib
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import deps
from chalicelib.auth.mail_tokens import MailTokens
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.services import continuity, reply_text
from tests.functional.conftest import load_event

CASES = pathlib.Path(__file__).parent.parent / "cases" / "mail"
SECRET = "mail-test-secret-0123456789-0123456789-0123"
DOMAIN = "in.livechat.example"
BUCKET = "test-inbound-mail"
_ids = itertools.count()


@pytest.fixture
def mail(platform, monkeypatch):
    return with_mail(platform, monkeypatch)


def with_mail(platform, monkeypatch):
    """The platform with e-mail set up (tokens, inbound domain and bucket, API URL)."""
    monkeypatch.setenv("MAIL_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("INBOUND_MAIL_DOMAIN", DOMAIN)
    monkeypatch.setenv("INBOUND_MAIL_BUCKET", BUCKET)
    monkeypatch.setenv("PUBLIC_API_URL", "https://api.example.test/api")
    get_settings.cache_clear()
    deps._mail_tokens.cache_clear()
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    return platform


def raw_sent():
    return [m.raw_data for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
            if hasattr(m, "raw_data")]  # fmt: skip


def sent():
    """Continuity e-mails sent through moto's SES, parsed."""
    raw = [m for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages]
    parsed = [
        BytesParser(policy=policy.default).parsebytes(m.raw_data.encode())
        for m in raw
        if hasattr(m, "raw_data")
    ]
    return [m for m in parsed if m["Reply-To"]]


def run_at(minutes, tokens=None):
    now = utcnow() + timedelta(minutes=minutes)
    return continuity.run(now, deps.mailer(), tokens or deps.mail_tokens())


def identify(platform, owner, visitor, email="jane@example.org"):
    import hashlib
    import hmac

    secret = platform.get(f"/projects/{owner.project_id}/identity-secret", owner.auth)
    key = secret.json_body["identity_secret"]
    signed = hmac.new(key.encode(), b"user-1", hashlib.sha256).hexdigest()
    body = {"token": visitor.token, "user_id": "user-1", "hash": signed, "email": email}
    response = platform.post("/widget/identify", {**body, "name": "Jane"})
    assert response.status_code == 200, response.json_body


def start_chat(platform, email="jane@example.org"):
    owner = platform.sign_up(project_name="Acme Outdoor", name="Olga")
    visitor = platform.visitor(owner.project_id)
    if email:
        identify(platform, owner, visitor, email)
    tab = platform.connect(visitor.token)[0]
    platform.frame(
        tab,
        {
            "action": "send",
            "token": visitor.token,
            "client_id": f"v-{next(_ids):06d}",
            "text": "Hi, where is my tent?",
        },
    )
    chat_id = [f for f in platform.sender.frames_for(tab) if "message" in f][0]["message"][
        "chat_id"
    ]
    return owner, visitor, tab, chat_id


def reply(platform, owner, chat_id, text):
    response = platform.post(
        f"/projects/{owner.project_id}/chats/{chat_id}/messages",
        {"client_id": f"op-{next(_ids):06d}", "text": text},
        owner.auth,
    )
    assert response.status_code == 201, response.json_body


def messages(platform, owner, chat_id):
    response = platform.get(f"/projects/{owner.project_id}/chats/{chat_id}/messages", owner.auth)
    return response.json_body["messages"]


# --- outgoing ----------------------------------------------------------------------------


def test_two_unseen_replies_make_one_email_after_two_minutes_with_both(mail):
    owner, _, _, chat_id = start_chat(mail)
    reply(mail, owner, chat_id, "Let me check.")
    reply(mail, owner, chat_id, "Your tent ships on <b>Tuesday</b>.")
    assert run_at(1)["sent"] == 0  # not two minutes yet
    assert sent() == []
    assert run_at(2.5)["sent"] == 1
    [email] = sent()
    text = email.get_body(("plain",)).get_content()
    assert email["To"] == "jane@example.org"
    assert "Acme Outdoor" in email["Subject"] and "Acme Outdoor" in str(email["From"])
    assert "Let me check." in text and "Your tent ships on <b>Tuesday</b>." in text
    assert "Hi, where is my tent?" in text  # the chat so far
    assert email.get_body(("html",)) is None  # text only: nothing typed becomes markup
    reply_to = email["Reply-To"].addresses[0]
    assert reply_to.domain == DOMAIN and reply_to.username.startswith("reply+")
    assert len(reply_to.username) <= 64  # SMTP's limit on a local part
    assert email["List-Unsubscribe"].startswith("<https://api.example.test/api/mail/unsub")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # As written on the wire: one plain <URL>, not an RFC 2047 encoded word.
    assert (
        "\r\nList-Unsubscribe: <https://api.example.test/api/mail/unsubscribe?token="
        in (raw_sent()[0])
    )
    assert email["Auto-Submitted"] == "auto-generated"


def test_the_job_sends_a_batch_once_and_a_later_reply_makes_a_new_one(mail):
    owner, _, _, chat_id = start_chat(mail)
    reply(mail, owner, chat_id, "First answer.")
    assert run_at(3)["sent"] == 1
    assert run_at(4) == {"examined": 0, "sent": 0, "dropped": 0}  # nothing left to find
    assert len(sent()) == 1
    reply(mail, owner, chat_id, "Second answer.")
    assert run_at(6)["sent"] == 1
    later = sent()[1].get_body(("plain",)).get_content()
    new_part = later.split("--- The chat so far ---")[0]
    assert "Second answer." in new_part and "First answer." not in new_part


def test_a_failed_send_is_tried_again_by_the_next_run(mail):
    class Down:
        def send_message(self, message, display_name=None):
            raise RuntimeError("SES is unreachable (simulated)")

    owner, _, _, chat_id = start_chat(mail)
    reply(mail, owner, chat_id, "Are you there?")
    assert continuity.run(utcnow() + timedelta(minutes=3), Down(), deps.mail_tokens())["sent"] == 0
    assert run_at(4)["sent"] == 1
    assert "Are you there?" in sent()[0].get_body(("plain",)).get_content()


def test_replies_the_visitor_read_in_the_widget_are_not_emailed(mail):
    owner, visitor, tab, chat_id = start_chat(mail)
    reply(mail, owner, chat_id, "Seen?")
    mail.frame(tab, {"action": "read", "token": visitor.token, "chat_id": chat_id})
    assert run_at(5)["examined"] == 0
    assert sent() == []


def test_no_known_address_no_email(mail):
    owner, _, _, chat_id = start_chat(mail, email=None)
    reply(mail, owner, chat_id, "Anyone there?")
    assert run_at(5) == {"examined": 1, "sent": 0, "dropped": 1}
    assert run_at(6)["examined"] == 0  # dropped from the index, not re-read each minute
    assert sent() == []


def test_unsubscribe_stops_further_emails_and_the_panel_shows_it(mail):
    owner, _, _, chat_id = start_chat(mail)
    reply(mail, owner, chat_id, "One.")
    run_at(3)
    link = sent()[0]["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("https://api.example.test/api")
    page = mail.client.http.get(path)
    assert page.status_code == 200 and b'<form method="post">' in page.body
    click = mail.client.http.post(
        path,
        body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert click.status_code == 200, click.body
    reply(mail, owner, chat_id, "Two.")
    assert run_at(6)["dropped"] == 1
    assert len(sent()) == 1
    facts = mail.get(f"/projects/{owner.project_id}/chats/{chat_id}/visitor", owner.auth)
    assert facts.json_body["visitor"]["mail"] == {
        "email": "jane@example.org",
        "unsubscribed": True,
        "suppressed": None,
    }


def test_a_forged_unsubscribe_token_is_refused_and_changes_nothing(mail):
    owner, _, _, chat_id = start_chat(mail)
    forged = MailTokens("another-secret-0123456789-0123456789-01").unsubscribe_token(
        owner.project_id, "jane@example.org"
    )
    click = mail.client.http.post(
        f"/mail/unsubscribe?token={forged}",
        body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert click.status_code == 400
    assert mail.client.http.get("/mail/unsubscribe?token=nonsense").status_code == 400
    reply(mail, owner, chat_id, "Still here.")
    assert run_at(3)["sent"] == 1


# --- incoming ----------------------------------------------------------------------------


def mime_reply(case: str, reply_to: str, message_id: str | None = None) -> bytes:
    text = (CASES / case).read_text().replace("{{reply_to}}", reply_to)
    if message_id:
        lines = [
            f"Message-ID: <{message_id}>" if line.lower().startswith("message-id:") else line
            for line in text.splitlines()
        ]
        text = "\n".join(lines) + "\n"
    return text.replace("\n", "\r\n").encode()


def deliver(platform, raw: bytes) -> list[str]:
    """What SES's receipt rule and S3's notification do: the object, then the event."""
    key = f"inbound/{next(_ids):06d}-{'x' * 3}"
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=BUCKET, Key=key, Body=raw)
    event = copy.deepcopy(load_event("s3_put.json"))
    event["Records"][0]["s3"]["bucket"]["name"] = BUCKET
    event["Records"][0]["s3"]["object"]["key"] = key
    event["Records"][0]["s3"]["object"]["size"] = len(raw)
    result = platform.client.lambda_.invoke("receive_email", event).payload
    return result["outcomes"]


def address_for(owner, chat_id, tokens=None):
    token = (tokens or deps.mail_tokens()).reply_token(owner.project_id, chat_id)
    return f"reply+{token}@{DOMAIN}"


def visitor_texts(platform, owner, chat_id):
    return [m["text"] for m in messages(platform, owner, chat_id) if m["author_type"] == "visitor"]


def test_an_emailed_reply_lands_in_the_same_chat_live(mail):
    owner, _, _, chat_id = start_chat(mail)
    panel = mail.connect(owner.token, project=owner.project_id)[0]
    reply(mail, owner, chat_id, "Your tent ships on Tuesday.")
    run_at(3)
    reply_to = sent()[0]["Reply-To"].addresses[0].addr_spec
    assert deliver(mail, mime_reply("gmail.eml", reply_to)) == ["posted"]
    wanted = "Great, Tuesday works for me. Can it come before noon?"
    assert visitor_texts(mail, owner, chat_id)[-1] == wanted
    heard = [f for f in mail.sender.frames_for(panel) if f.get("message", {}).get("text") == wanted]
    assert heard and heard[0]["message"]["chat_id"] == chat_id


def test_the_same_message_id_twice_is_stored_once(mail):
    owner, _, _, chat_id = start_chat(mail)
    raw = mime_reply("outlook.eml", address_for(owner, chat_id))
    assert deliver(mail, raw) == ["posted"]
    assert deliver(mail, raw) == ["duplicate"]
    assert (
        visitor_texts(mail, owner, chat_id).count("Thank you! I will be home all day.\n\nJane") == 1
    )


def test_attachments_of_kept_types_become_the_messages_files(mail):
    from email.message import EmailMessage

    owner, _, _, chat_id = start_chat(mail)
    message = EmailMessage()
    message["From"] = "jane@example.org"
    message["To"] = address_for(owner, chat_id)
    message["Subject"] = "Re: your chat"
    message["Message-ID"] = "<with-files@example.org>"
    message.set_content("Here is the receipt.")
    message.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf",
                           filename="receipt.pdf")  # fmt: skip
    message.add_attachment(b"MZ...", maintype="application", subtype="x-msdownload",
                           filename="setup.exe")  # fmt: skip
    assert deliver(mail, message.as_bytes()) == ["posted"]
    [stored] = [m for m in messages(mail, owner, chat_id) if m["author_type"] == "visitor"][1:]
    assert stored["text"] == "Here is the receipt.\n\n(not attached: setup.exe)"
    [file] = stored["files"]
    assert file["name"] == "receipt.pdf"
    key = file["url"].removeprefix("https://cdn.example.test/")
    obj = boto3.client("s3", region_name="us-east-1").get_object(Bucket="test-attachments", Key=key)
    assert obj["Body"].read() == b"%PDF-1.4 receipt"
    assert obj["ContentType"] == "application/pdf"
    assert obj["ContentDisposition"].startswith("attachment;")


@pytest.mark.parametrize("kind", ["forged", "expired", "foreign chat", "not ours"])
def test_bad_reply_tokens_are_refused_and_store_nothing(mail, kind):
    owner, _, _, chat_id = start_chat(mail)
    other_visitor_chat = chat_id.replace(chat_id[2:6], "ffff")
    address = {
        "forged": address_for(owner, chat_id, MailTokens("x" * 40)),
        "expired": address_for(owner, chat_id, MailTokens(SECRET, clock=lambda: 1_000_000)),
        "foreign chat": address_for(owner, other_visitor_chat),
        "not ours": "reply+abc@elsewhere.example",
    }[kind]
    before = messages(mail, owner, chat_id)
    [outcome] = deliver(mail, mime_reply("signature.eml", address))
    assert outcome.startswith("refused")
    assert messages(mail, owner, chat_id) == before


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: auto-replied", "X-Autoreply: yes", "X-SES-Virus-Verdict: FAIL"]
)
def test_automatic_replies_and_flagged_mail_are_refused(mail, header):
    owner, _, _, chat_id = start_chat(mail)
    raw = mime_reply("signature.eml", address_for(owner, chat_id))
    [outcome] = deliver(mail, header.encode() + b"\r\n" + raw)
    assert outcome.startswith("refused")
    assert visitor_texts(mail, owner, chat_id) == ["Hi, where is my tent?"]


def test_an_event_from_another_bucket_is_refused(mail):
    event = copy.deepcopy(load_event("s3_put.json"))
    event["Records"][0]["s3"]["bucket"]["name"] = "someone-elses"
    result = mail.client.lambda_.invoke("receive_email", event).payload
    assert result["outcomes"] == ["refused: not the inbound bucket"]


@pytest.mark.parametrize("case", sorted(json.loads((CASES / "expected.json").read_text())))
def test_reply_parsing_keeps_only_the_new_text(case):
    expected = json.loads((CASES / "expected.json").read_text())[case]
    raw = mime_reply(case, "reply+abc@in.example")
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert reply_text.reply_of(parsed) == expected


# --- transcripts (the team's "E-mail transcript") ------------------------------------------


def transcript(platform, owner, chat_id):
    return platform.post(f"/projects/{owner.project_id}/chats/{chat_id}/transcript", {}, owner.auth)


def test_the_team_emails_the_transcript_once_per_ten_minutes(mail):
    owner, _, _, chat_id = start_chat(mail)
    reply(mail, owner, chat_id, "It ships on Tuesday.")
    response = transcript(mail, owner, chat_id)
    assert response.status_code == 200, response.json_body
    assert response.json_body == {"sent": True, "to": "jane@example.org"}
    [email] = sent()
    assert email["Subject"] == "[Acme Outdoor] Your chat transcript"
    text = email.get_body(("plain",)).get_content()
    assert "Hi, where is my tent?" in text and "It ships on Tuesday." in text
    assert (
        "\r\nList-Unsubscribe: <https://api.example.test/api/mail/unsubscribe?token="
        in (raw_sent()[0])
    )
    again = transcript(mail, owner, chat_id)
    assert again.status_code == 429 and len(sent()) == 1


def test_no_transcript_without_an_address_or_after_an_unsubscribe(mail):
    owner, _, _, chat_id = start_chat(mail, email=None)
    response = transcript(mail, owner, chat_id)
    assert response.status_code == 409
    assert "no known e-mail address" in response.json_body["error"]["message"]

    owner, _, _, chat_id = start_chat(mail)
    token = deps.mail_tokens().unsubscribe_token(owner.project_id, "jane@example.org")
    mail.client.http.post(
        f"/mail/unsubscribe?token={token}",
        body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = transcript(mail, owner, chat_id)
    assert response.status_code == 409 and "unsubscribed" in response.json_body["error"]["message"]
    assert raw_sent() == []
