"""Auto messages of a project: proactive chat, targeted chat and e-mail, fired by
targeting rules (chalicelib/targeting), with their figures.

Access patterns:
- all of a project's auto messages (panel list, the widget flow picking candidates):
  Query by project (a project has at most 100).                        -> AutoMessageModel
- one auto message: GetItem / conditional UpdateItem / DeleteItem.       -> AutoMessageModel
- enabled e-mail auto messages of every project (clock app): Query the sparse index
  ``email_outbox`` per shard.
- count one event (sent, opened, replied): one conditional UpdateItem ADD on the item,
  so concurrent widgets never lose a count and a deleted message is not resurrected.
"""

import zlib

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import table_meta

TYPE_PROACTIVE = "proactive"  # shown in the widget to visitors whose facts match the rules
TYPE_TARGETED = "targeted"  # shown in the widget to an audience of logged-in users
TYPE_EMAIL = "email"  # e-mailed (SES) to logged-in users with an address
TYPES = (TYPE_PROACTIVE, TYPE_TARGETED, TYPE_EMAIL)
EVENTS = ("sent", "opened", "replied")


class ButtonMap(MapAttribute):
    label = UnicodeAttribute()
    action = UnicodeAttribute()  # "link": open url; "reply": send the label as the visitor
    url = UnicodeAttribute(null=True)


class AttachmentMap(MapAttribute):
    """A published file (services/attachments.py); its URL is made from the key."""

    name = UnicodeAttribute()
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()


class ContentMap(MapAttribute):
    text = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)  # e-mail only
    image_url = UnicodeAttribute(null=True)
    buttons = ListAttribute(of=ButtonMap, default=list)
    attachments = ListAttribute(of=AttachmentMap, default=list)


EMAIL_SHARDS = 4


def email_shard(message_id: str) -> str:
    return str(zlib.crc32(message_id.encode()) % EMAIL_SHARDS)


class EmailOutbox(GlobalSecondaryIndex):
    class Meta:
        index_name = "email_outbox"
        projection = AllProjection()  # a handful of items: the enabled e-mail messages

    email_shard = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)


class AutoMessageModel(Model):
    Meta = table_meta("auto_messages")

    project_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)  # a ULID: the list comes oldest first
    name = UnicodeAttribute()
    type = UnicodeAttribute()
    enabled = BooleanAttribute(default=True)
    channels = ListAttribute(of=UnicodeAttribute, default=list)  # "widget"; empty for e-mail
    team_status = UnicodeAttribute(default="any")  # send when the team is online|offline|any
    audience = UnicodeAttribute(default="both")  # visitors | users | both
    once_per_user = BooleanAttribute(default=True)
    content = ContentMap()
    # The normalised rule set. JSON, not a map: conditions are lists of lists whose
    # values are text, numbers or booleans, which typed map attributes cannot describe;
    # the server never filters on a rule in DynamoDB, it evaluates the whole set.
    rules = JSONAttribute()
    # Figures, top-level numbers so one UpdateItem ADD counts an event atomically.
    sent = NumberAttribute(default=0)
    opened = NumberAttribute(default=0)
    replied = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    # Set only while an e-mail auto message is enabled: the sparse index the clock app's
    # e-mail job reads (services/email_auto.py), never all auto messages.
    email_shard = UnicodeAttribute(null=True)
    email_outbox = EmailOutbox()
