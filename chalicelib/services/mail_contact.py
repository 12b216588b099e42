"""Whom the team may e-mail: the visitor's known address, and unsubscribes.

``known_email`` is the one place that says which address a visitor has: a logged-in
user's verified address (the identify call, services/identity.py), else the one they
typed in the pre-chat form or the away card (services/visitor_contact.py), so every
sender (continuity e-mails, transcripts) follows it.

An unsubscribe is per project and address (not per visitor: the same person may be
several visitors), kept for good (models/mail.py). A permanent bounce or a spam
complaint suppresses the address for every project (services/mail_suppression.py).
``blocked_reason`` asks both in one request; continuity e-mails and transcripts ask it
before sending (e-mail auto messages ask ``mail_suppression.is_suppressed``).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pynamodb.exceptions import DoesNotExist

from chalicelib.config import get_settings
from chalicelib.errors import Unauthorized
from chalicelib.models.mail import MailRecordModel, suppressed_key, unsubscribed_key
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import mail_suppression

UNSUBSCRIBE_PATH = "/mail/unsubscribe"


def known_email(visitor: VisitorModel | None) -> str | None:
    """The visitor's e-mail address, if the team may write to it; else None."""
    if visitor is None:
        return None
    # The site's verified address first; else what the visitor typed (the pre-chat form
    # or the away card: services/visitor_contact.py).
    return visitor.user_email or visitor.given_email or None


def usable_email(visitor: VisitorModel) -> bool:
    """The visitor has an address the team may write to: known, and not the one a sender
    last found blocked (``note_blocked``). Read from the visitor item alone (the session
    reads it anyway): a page view asks the mail records nothing. A bounce is known here
    from the next e-mail the team tries after it, not the moment SES reports it (SES's
    feedback names the address, not the visitor)."""
    address = known_email(visitor)
    return bool(address) and address != visitor.blocked_email


def note_blocked(visitor: VisitorModel, address: str) -> None:
    """A sender found ``address`` blocked: kept on the visitor for ``usable_email`` (one
    write, only on a refusal; a new address given later is usable again by itself)."""
    if visitor.blocked_email != address:
        visitor.update(actions=[VisitorModel.blocked_email.set(address)])


def replies_by_email() -> bool:
    """Whether a visitor who leaves an address is answered there: continuity e-mails need
    the token key, the inbound domain their replies come back to, and a sender. (Without
    them the widget does not ask for an address it could not use.)"""
    settings = get_settings()
    return bool(settings.mail_token_secret and settings.inbound_mail_domain and settings.mail_from)


def blocked_reason(project_id: str, address: str) -> str | None:
    """Why the team may not write to ``address`` now: ``"unsubscribed"`` (from this
    project's e-mails), ``"bounced"`` or ``"complained"`` (SES's feedback); None: it may.
    One BatchGetItem for both records."""
    unsubscribed, suppressed = _mail_state(project_id, address)
    return "unsubscribed" if unsubscribed else suppressed


def _mail_state(project_id: str, address: str) -> tuple[bool, str | None]:
    """Whether the address unsubscribed from the project, and why SES suppressed it."""
    keys = [unsubscribed_key(project_id, address), suppressed_key(address)]
    found = {record.record_key: record for record in MailRecordModel.batch_get(keys)}
    suppression = found.get(keys[1])
    reason = (suppression.reason or mail_suppression.BOUNCED) if suppression else None
    return keys[0] in found, reason


def unsubscribe_link(tokens, project_id: str, address: str) -> str:
    base = get_settings().public_api_url or "https://example.invalid"
    token = tokens.unsubscribe_token(project_id, address)
    return f"{base}{UNSUBSCRIBE_PATH}?token={quote(token, safe='')}"


def unsubscribe(tokens, token: str, now: datetime) -> dict:
    """Record the unsubscribe the token names (idempotent: a second click is fine)."""
    if tokens is None:
        raise Unauthorized("e-mail is not set up here")
    project_id, address = tokens.verify_unsubscribe(token)
    MailRecordModel(unsubscribed_key(project_id, address), project_id=project_id, at=now).save()
    return {"unsubscribed": True, "project_id": project_id}


def project_name_of(tokens, token: str) -> str:
    """The project an unsubscribe link is for (its page names it)."""
    from chalicelib.models.project import ProjectModel  # noqa: PLC0415 - this page only

    if tokens is None:
        raise Unauthorized("e-mail is not set up here")
    project_id, _ = tokens.verify_unsubscribe(token)
    try:
        return ProjectModel.get(project_id).name
    except DoesNotExist:
        raise Unauthorized("this link's project is gone") from None


def facts(project_id: str, visitor: VisitorModel | None) -> dict:
    """What the panel's visitor facts say about e-mail: the address, whether it
    unsubscribed, and ``suppressed``: "bounced", "complained" or None (one BatchGetItem,
    only for a visitor with an address)."""
    address = known_email(visitor)
    if not address:
        return {"email": None, "unsubscribed": False, "suppressed": None}
    unsubscribed, suppressed = _mail_state(project_id, address)
    return {"email": address, "unsubscribed": unsubscribed, "suppressed": suppressed}
