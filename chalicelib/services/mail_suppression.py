"""Addresses we no longer e-mail because SES told us so: a permanent bounce (the mailbox
does not exist, or SES itself suppresses it) or a complaint (the reader marked our mail
as spam).

SES publishes bounce and complaint events of the mails it sends through the
configuration set the template makes (infra/mail_feedback.py) to an SNS topic; SNS
invokes the traffic app's ``mail_feedback`` Lambda with one notification per record.
AWS invokes a Lambda subscription itself, so there is no HTTPS endpoint a stranger could
post to and no SNS message signature to check (that is for HTTP/S subscriptions); the
topic's policy lets only SES of this account publish.

What counts:
- ``Bounce`` with ``bounceType`` ``Permanent``: suppressed, "bounced". Every recipient
  the bounce lists.
- ``Bounce`` ``Transient`` (mailbox full, message too large, the server busy) and
  ``Undetermined``: not suppressed. SES already retried for hours; the address is real,
  and the next mail (another batch, another day) may well arrive. Suppressing it would
  silence a visitor for good because of one full mailbox.
- ``Complaint``: suppressed, "complained" (whatever the feedback type, except
  ``not-spam``, a report that it is *not* spam).
- Anything else (deliveries, SES's subscription test): ignored.

A message that is not a notification (not JSON, wrong shapes) is logged and dropped: it
never becomes a Lambda error, which AWS would retry for nothing. A failed write to
DynamoDB does raise: Lambda retries an asynchronous invocation twice, a bounded number,
and a lost bounce would mean mailing a dead address again. Storing is idempotent (a Put
per address), so SNS delivering one notification twice changes nothing.

Before every e-mail to a visitor: services/mail_contact.py ``blocked_reason`` (one
BatchGetItem with the unsubscribe record) for continuity e-mails and transcripts,
``is_suppressed`` (one GetItem) for e-mail auto messages.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from email.utils import parseaddr

from pynamodb.exceptions import DoesNotExist

from chalicelib.models.mail import MailRecordModel, suppressed_key

log = logging.getLogger(__name__)

BOUNCED = "bounced"
COMPLAINED = "complained"
MAX_ADDRESS = 254  # RFC 5321's limit on a path


def reason_for(address: str | None) -> str | None:
    """``"bounced"``, ``"complained"``, or None: the address may be written to."""
    if not address:
        return None
    try:
        return MailRecordModel.get(suppressed_key(address)).reason
    except DoesNotExist:
        return None


def is_suppressed(address: str | None) -> bool:
    return reason_for(address) is not None


def handle_sns_event(event: dict, now: datetime) -> list[str]:
    """One outcome per SNS record, as a short phrase."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        log.warning("mail feedback: not an SNS event, dropped")
        return ["dropped: not an SNS event"]
    outcomes = []
    for record in records:
        message = record.get("Sns", {}).get("Message") if isinstance(record, dict) else None
        outcome = record_notification(message, now)
        log.info("mail feedback: %s", outcome)
        outcomes.append(outcome)
    return outcomes


def record_notification(message, now: datetime) -> str:
    """Store the suppressions one SES notification (SNS's ``Message`` text) asks for."""
    try:
        notification = json.loads(message) if isinstance(message, str) else None
    except ValueError:
        notification = None
    if not isinstance(notification, dict):
        log.warning("mail feedback: the message is not SES's JSON, dropped")
        return "dropped: not a notification"
    # Event publishing (configuration sets) says eventType; identity topics say
    # notificationType. Same bodies otherwise.
    kind = notification.get("eventType") or notification.get("notificationType")
    if kind == "Bounce":
        return _bounce(notification.get("bounce"), now)
    if kind == "Complaint":
        return _complaint(notification.get("complaint"), now)
    return f"ignored: {kind}" if isinstance(kind, str) else "dropped: no notification type"


def _bounce(bounce, now: datetime) -> str:
    if not isinstance(bounce, dict):
        return "dropped: a bounce without its details"
    kind = bounce.get("bounceType")
    if kind != "Permanent":
        return f"not suppressed: {kind if isinstance(kind, str) else 'unknown'} bounce"
    detail = f"Permanent/{bounce.get('bounceSubType') or 'General'}"
    return _suppress(bounce.get("bouncedRecipients"), BOUNCED, detail, now)


def _complaint(complaint, now: datetime) -> str:
    if not isinstance(complaint, dict):
        return "dropped: a complaint without its details"
    feedback = complaint.get("complaintFeedbackType")
    if feedback == "not-spam":
        return "not suppressed: a not-spam report"
    detail = feedback if isinstance(feedback, str) and feedback else "complaint"
    return _suppress(complaint.get("complainedRecipients"), COMPLAINED, detail, now)


def _addresses(recipients) -> list[str]:
    found = []
    for recipient in recipients if isinstance(recipients, list) else []:
        text = recipient.get("emailAddress") if isinstance(recipient, dict) else None
        address = parseaddr(text)[1].strip().lower() if isinstance(text, str) else ""
        if "@" in address and len(address) <= MAX_ADDRESS and address not in found:
            found.append(address)
    return found


def _suppress(recipients, reason: str, detail: str, now: datetime) -> str:
    addresses = _addresses(recipients)
    if not addresses:
        return f"dropped: {reason}, but no recipient address"
    for address in addresses:
        # A Put: the newest word wins, and a repeated notification writes the same item.
        MailRecordModel(suppressed_key(address), reason=reason, detail=detail[:100], at=now).save()
    return f"suppressed {len(addresses)}: {reason} ({detail[:100]})"
