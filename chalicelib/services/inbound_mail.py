"""Conversations that continue by e-mail, incoming: the visitor's reply to a continuity
e-mail lands in the same chat as their message.

SES receives mail for the inbound domain; its receipt rule writes the raw MIME message
to the inbound bucket, whose notification invokes the traffic app's ``receive_email``
Lambda with the S3 event. For each object: parse it (standard library ``email``), find
the ``reply+<token>@<inbound domain>`` recipient, verify the token (forged, expired,
or naming a chat that is not that visitor's: refused, nothing stored), check that the
mail is from the visitor's known address (below), take the newest
text (services/reply_text.py), then de-duplicate on the ``Message-ID`` (a conditional
Put with a TTL: SES or S3 may deliver one mail twice) and post the text as the visitor's
message through the usual path (services/messaging.py), so the panel hears it live;
its attachments (the chat's media types, services/attachments.py) as the message's files.
If posting fails, the de-duplication record is removed again, so a retry posts it.

The From check: the token alone would let anyone a continuity e-mail was forwarded to
post as the visitor. So the mail's From (parsed with ``email.utils``) must be the
visitor's known address *now* (services/mail_contact.py ``known_email``): the address
we wrote to, unless the visitor has since given another, and then the old one is not
theirs to speak from any more (a typo'd address belongs to somebody else). Compared
case-insensitively (providers treat local parts so, and people type capitals into
forms) but with plus-tags kept: ``jane+shop@`` is the exact address we wrote to, and on
providers without plus addressing ``jane+x@`` is another mailbox altogether. A mismatch
is refused and stores nothing, and nobody is answered: From is the easiest header to
forge, so a reply would be backscatter to whoever's address was used. (From can be
forged: this stops the forwarded e-mail, not a forger who also holds the token.)
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from urllib.parse import unquote_plus

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.config import get_settings
from chalicelib.errors import DomainError, Unauthorized
from chalicelib.models.base import is_condition_failure
from chalicelib.models.chat import ChatModel
from chalicelib.models.mail import MailRecordModel, inbound_key
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import attachments, distribution, mail_contact, messaging, reply_text

log = logging.getLogger(__name__)

MAX_MAIL_BYTES = 10 * 1024 * 1024  # SES receiving's own limit is 40 MB; a reply is small
DEDUPE_FOR = timedelta(days=30)
MAX_FILES = 5
_REPLY_LOCAL = re.compile(r"reply\+([a-z2-7]{53})", re.IGNORECASE)
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


def handle_s3_event(event: dict, s3, tokens, fanout, now: datetime) -> list[str]:
    """One outcome per S3 record: posted, duplicate, or refused: <why>."""
    outcomes = []
    for record in event.get("Records", []):
        bucket = record.get("s3", {}).get("bucket", {}).get("name")
        key = unquote_plus(record.get("s3", {}).get("object", {}).get("key", ""))
        if bucket != get_settings().inbound_mail_bucket or not key:
            outcomes.append("refused: not the inbound bucket")
            continue
        obj = s3.get_object(Bucket=bucket, Key=key)
        if obj.get("ContentLength", 0) > MAX_MAIL_BYTES:
            outcomes.append("refused: too large")
            continue
        outcome = receive(obj["Body"].read(), tokens, fanout, now)
        log.info("inbound mail %s: %s", key, outcome)
        outcomes.append(outcome)
    return outcomes


def _token_of(message) -> str | None:
    domain = get_settings().inbound_mail_domain.lower()
    values = [str(v) for name in _RECIPIENT_HEADERS for v in (message.get_all(name) or [])]
    for _, address in getaddresses(values):
        local, _, host = address.rpartition("@")
        found = _REPLY_LOCAL.fullmatch(local)
        if found and domain and host.lower() == domain:
            return found.group(1).lower()
    return None


def _attachments(message) -> tuple[list[tuple[str, str, bytes]], list[str]]:
    """The files the visitor attached, of the media types the chat keeps
    (services/attachments.py), at most ``MAX_FILES``; and the names of those left out.
    Inline parts with a Content-ID (a signature's logo, an HTML mail's images) are the
    mail's decoration, not files."""
    kept, left_out = [], []
    for part in message.iter_attachments():
        disposition = part.get_content_disposition()
        if disposition != "attachment" and (disposition != "inline" or part["Content-ID"]):
            continue
        name = " ".join(str(part.get_filename() or "file").split())[: attachments.MAX_NAME_CHARS]
        kind = part.get_content_type()
        data = part.get_content()
        data = data.encode() if isinstance(data, str) else data
        if (
            kind in attachments.MEDIA_TYPES
            and isinstance(data, bytes)
            and len(data) <= attachments.MAX_BYTES
            and len(kept) < MAX_FILES
        ):
            kept.append((name, kind, data))
        else:
            left_out.append(name)
    return kept, left_out


def _not_from_a_person(message) -> str | None:
    """Out-of-office answers and other robots (RFC 3834's ``Auto-Submitted``, the common
    vendor headers) are not the visitor's words, and answering them could loop; mail
    SES's scan found spam or a virus in is dropped (the verdicts SES's receipt rule adds)."""
    auto = str(message.get("Auto-Submitted") or "no").strip().lower()
    if auto != "no" or message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "an automatic reply"
    if str(message.get("Precedence") or "").strip().lower() in {"bulk", "junk", "auto_reply"}:
        return "an automatic reply"
    for verdict in ("X-SES-Spam-Verdict", "X-SES-Virus-Verdict"):
        if str(message.get(verdict) or "").strip().upper() == "FAIL":
            return "spam or a virus, by SES's scan"
    return None


def _from_the_visitor(message, project_id: str, visitor_id: str) -> bool:
    """Whether the mail's one From address is the visitor's known address (see above)."""
    # Several From headers, or several addresses in one (RFC 5322 allows it): whose?
    senders = getaddresses([str(value) for value in message.get_all("From") or []])
    if len(senders) != 1:
        return False
    sender = senders[0][1].strip().lower()
    try:
        visitor = VisitorModel.get(project_id, visitor_id)
    except DoesNotExist:
        return False
    known = (mail_contact.known_email(visitor) or "").strip().lower()
    return bool(sender) and sender == known


def receive(raw: bytes, tokens, fanout, now: datetime) -> str:
    """Post one raw e-mail's reply into its chat; what happened, as a short phrase."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if (why := _not_from_a_person(message)) is not None:
        return f"refused: {why}"
    token = _token_of(message)
    if token is None or tokens is None:
        return "refused: no reply address of ours"
    try:
        address = tokens.verify_reply(token)
        chat = ChatModel.get(address.project_id, address.chat_id)
        if chat.visitor_id != address.visitor_id:
            raise Unauthorized("not that visitor's chat")
    except (Unauthorized, DoesNotExist) as error:
        return f"refused: {getattr(error, 'message', 'no such chat')}"
    if not _from_the_visitor(message, address.project_id, address.visitor_id):
        return "refused: not from the visitor's address"
    text = reply_text.reply_of(message)[: get_settings().max_message_chars].strip()
    parts, left_out = _attachments(message)
    if left_out:
        text = (text + "\n\n" if text else "") + "(not attached: " + ", ".join(left_out) + ")"
    if not text and not parts:
        return "refused: no text"
    message_id = (message.get("Message-ID") or "").strip() or hashlib.sha256(raw).hexdigest()
    digest = hashlib.sha256(message_id.encode()).hexdigest()
    guard = MailRecordModel(
        inbound_key(digest),
        project_id=address.project_id,
        chat_id=address.chat_id,
        at=now,
        expires_at=now + DEDUPE_FOR,
    )
    try:
        guard.save(condition=MailRecordModel.record_key.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            return "duplicate"
        raise
    identity = VisitorIdentity(address.project_id, address.visitor_id)
    try:
        files = [
            attachments.publish_bytes(address.project_id, name, kind, data)
            for name, kind, data in parts
        ]
        text = text or "Attached: " + ", ".join(f["name"] for f in files)
        posted = messaging.post_visitor_message(
            identity, address.chat_id, f"mail-{digest[:40]}", text, fanout, files=tuple(files)
        )
    except DomainError as error:
        guard.delete()
        return f"refused: {error.message}"
    except Exception:
        guard.delete()  # a retry of this event posts it
        raise
    if posted.opened:  # the chat had closed: the visitor's next one, as in the widget
        distribution.distribute(address.project_id, fanout)
    return "posted"
