"""E-mail bookkeeping of conversations that continue by e-mail.

Access patterns:
- did project P's address A unsubscribe? GetItem ``unsub#<P>#<a>`` (``a`` lower case);
  Put on unsubscribe (services/mail_contact.py).                          -> MailRecordModel
- was inbound message M (its Message-ID) posted already? conditional Put of
  ``inbound#<sha256 of M>`` before posting, deleted again if posting failed, so the
  retry posts it; kept 30 days, then expires (TTL) (services/inbound_mail.py).
"""

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


def unsubscribed_key(project_id: str, address: str) -> str:
    return f"unsub#{project_id}#{address.strip().lower()}"


def inbound_key(message_digest: str) -> str:
    return f"inbound#{message_digest}"


class MailRecordModel(Model):
    Meta = table_meta("mail")

    record_key = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute(null=True)
    chat_id = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)
