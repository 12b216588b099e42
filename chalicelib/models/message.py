"""Messages of a dialogue, and the guard that makes a resend idempotent.

Access patterns:
- messages of chat C after cursor X, oldest first: Query hash "P#C", range > X.  -> MessageModel
- latest N messages of chat C: Query descending, Limit N.                        -> MessageModel
- a channel's held replies (released when it is reconnected): Query the sparse GSI
  ``held`` on ``held_channel_id``, present only while a reply is held. -> MessageModel.held
- replies still ``sending`` that should have gone by T (the clock app re-queues them):
  Query the sparse GSI ``sending`` on (``delivery``, ``sending_due``), range < T;
  ``sending_due`` is present only while a reply is sending. -> MessageModel.sending
- was client message id K from author A already stored? conditional Put of the
  guard inside the message's transaction; on conflict GetItem it. -> ClientMessageIdModel
"""

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import table_meta

AUTHOR_VISITOR = "visitor"
AUTHOR_OPERATOR = "operator"
AUTHOR_SYSTEM = "system"
# The project's team chat is stored like a dialogue under this id.
TEAM_CHAT_ID = "team"


def chat_key(project_id: str, chat_id: str) -> str:
    return f"{project_id}#{chat_id}"


class FileLinkMap(MapAttribute):
    """A file a message links to (an auto message's attachment, published on our CDN)."""

    name = UnicodeAttribute()
    url = UnicodeAttribute()


class HeldReplies(GlobalSecondaryIndex):
    class Meta:
        index_name = "held"
        projection = KeysOnlyProjection()

    held_channel_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)


class UnsentReplies(GlobalSecondaryIndex):
    class Meta:
        index_name = "sending"
        projection = KeysOnlyProjection()

    delivery = UnicodeAttribute(hash_key=True)
    sending_due = UTCDateTimeAttribute(range_key=True)


class MessageModel(Model):
    Meta = table_meta("messages")

    chat_key = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)
    project_id = UnicodeAttribute()
    chat_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    author_type = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # Internal notes and team chat: never shown to (or sent to) the visitor.
    internal = BooleanAttribute(null=True)
    # An auto message that begins a dialogue keeps its picture and files, as shown then.
    image_url = UnicodeAttribute(null=True)
    files = ListAttribute(of=FileLinkMap, null=True)
    # A team reply in a Telegram/Messenger chat goes out through the platform
    # (services/channel_outbox.py): sending | sent | failed | held (the token is dead: kept
    # until the channel is reconnected). Absent on website messages.
    delivery = UnicodeAttribute(null=True)
    delivery_reason = UnicodeAttribute(null=True)  # the platform's reason, for "failed"
    platform_message_id = UnicodeAttribute(null=True)  # Send API mid / Telegram message_id
    delivery_tag = UnicodeAttribute(null=True)  # "HUMAN_AGENT" when sent with the tag
    # Set while the reply is held (the channel's id): the sparse ``held`` index.
    held_channel_id = UnicodeAttribute(null=True)
    # The sender's claim on the part it is sending now ("attempt:part:owner"), and when it
    # was taken: present only between the claim and the part's outcome being written, so
    # a redelivered queue message that finds it knows a send may be in flight
    # (services/channel_sender.py). ``sent_parts``: the platform ids of the parts already
    # sent, kept on the reply so no part is sent twice whatever the queue body says.
    send_claim = UnicodeAttribute(null=True)
    send_claimed_at = UTCDateTimeAttribute(null=True)
    sent_parts = ListAttribute(of=UnicodeAttribute, null=True)
    # While ``sending``: by when the sender should have settled it (queued now, or after
    # a back-off, plus a grace). Past it with the reply still sending, the queue message
    # was never sent or is lost: the clock app re-queues it (services/channel_requeue.py).
    sending_due = UTCDateTimeAttribute(null=True)

    held = HeldReplies()
    sending = UnsentReplies()


def client_key(project_id: str, author_id: str, client_id: str) -> str:
    # Scoped by author, so nobody can block another sender's ids by guessing them.
    return f"{project_id}#{author_id}#{client_id}"


class ClientMessageIdModel(Model):
    Meta = table_meta("message_client_ids")

    client_key = UnicodeAttribute(hash_key=True)
    chat_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    # Resends happen within minutes; the guard need not live for ever.
    expires_at = TTLAttribute()
