"""E-mail bookkeeping of conversations that continue by e-mail.

Access patterns:
- did project P's address A unsubscribe? GetItem ``unsub#<P>#<a>`` (``a`` lower case);
  Put on unsubscribe (services/mail_contact.py).                          -> MailRecordModel
- was inbound message M (its Message-ID) posted already? conditional Put of
  ``inbound#<sha256 of M>`` before posting, deleted again if posting failed, so the
  retry posts it; kept 30 days, then expires (TTL) (services/inbound_mail.py).
- did mail to address A bounce for good, or did its reader mark it as spam? GetItem
  ``suppressed#<a>`` (``a`` lower case), before every e-mail to a visitor; Put from SES's
  bounce and complaint notifications, ``reason`` "bounced" or "complained"
  (services/mail_suppression.py). Not per project: every project sends from the same
  SES identity, so a dead mailbox or a spam report is about all of our mail.
"""

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


def unsubscribed_key(project_id: str, address: str) -> str:
    return f"unsub#{project_id}#{address.strip().lower()}"


def inbound_key(message_digest: str) -> str:
    return f"inbound#{message_digest}"


def suppressed_key(address: str) -> str:
    return f"suppressed#{address.strip().lower()}"


class MailRecordModel(Model):
    Meta = table_meta("mail")

    record_key = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute(null=True)
    chat_id = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)
    # Suppressions only: "bounced" or "complained", and SES's own words for it (the
    # bounce's type/subtype or the complaint's feedback type), for support.
    reason = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
