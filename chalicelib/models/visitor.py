"""Website visitors, per project.

Access patterns:
- visitor V of project P: GetItem / UpdateItem (session, first message).  -> VisitorModel
A known visitor's page view is one UpdateItem, never a read-then-write, conditioned on
the visitor being counted in the current billing period already (``counted_period``).
A new visitor, or a known one back in a new period, is one TransactWriteItems: the
visitor record and the period's unique-visitor counter, under the plan's limit.
- visitors of P seen in the last minutes, latest first: Query on the sparse index
  ``online`` (``online_project_id`` = P, ``online_seen_at`` > now - window). Page views
  and heartbeats set both keys; the clock app removes ``online_project_id`` from those
  gone quiet, so the index holds the visitors online now, not everyone ever.
- visitors gone quiet (clock app): Query the keys-only sparse index ``quiet`` per shard
  (``online_shard``) with ``online_seen_at`` < now - window. Sharded so no partition
  takes every page view of every project.
- logged-in users of P with an e-mail address (the e-mail job): Query the sparse index
  ``users`` (``user_project_id`` = P).
"""

import zlib

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class OnlineVisitors(GlobalSecondaryIndex):
    class Meta:
        index_name = "online"
        projection = AllProjection()  # the list shows most facts; it holds only who is online

    online_project_id = UnicodeAttribute(hash_key=True)
    online_seen_at = UnicodeAttribute(range_key=True)


ONLINE_SHARDS = 4


def online_shard(visitor_id: str) -> str:
    return str(zlib.crc32(visitor_id.encode()) % ONLINE_SHARDS)


class QuietVisitors(GlobalSecondaryIndex):
    class Meta:
        index_name = "quiet"
        projection = KeysOnlyProjection()

    online_shard = UnicodeAttribute(hash_key=True)
    online_seen_at = UnicodeAttribute(range_key=True)


class LoggedInUsers(GlobalSecondaryIndex):
    class Meta:
        index_name = "users"
        projection = AllProjection()  # the e-mail job matches their facts against rules

    user_project_id = UnicodeAttribute(hash_key=True)
    visitor_id = UnicodeAttribute(range_key=True)


class VisitorModel(Model):
    Meta = table_meta("visitors")

    project_id = UnicodeAttribute(hash_key=True)
    visitor_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    # When the widget's next heartbeat is due, as the last answer told it: how soon a
    # proactive chat reaches a widget without a socket (services/heartbeat_cadence.py).
    next_beat_at = UTCDateTimeAttribute(null=True)
    page_url = UnicodeAttribute(null=True)
    referrer = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    utm = MapAttribute(null=True)
    # The dialogue new messages go to, and how many dialogues this visitor has had
    # (the next one is ``ids.chat_id_for(visitor_id, chat_count + 1)``).
    # A messenger customer's picture, copied to our bucket with their first message
    # (services/channel_pictures.py); website visitors have none.
    picture_url = UnicodeAttribute(null=True)
    current_chat_id = UnicodeAttribute(null=True)
    chat_count = NumberAttribute(default=0)
    # This visitor's dialogues the team closed and nobody reopened since (ADD on close,
    # DELETE on reopen, in the same transaction; dropped when a new dialogue opens), so
    # the widget's history read tells whether the current one is closed without reading
    # the dialogue: the widget's "time with no reply from agent" stops there.
    closed_chats = UnicodeSetAttribute(null=True)
    # True while the visitor has a live socket (``live_connections`` > 0).
    online = BooleanAttribute(default=False)
    live_connections = NumberAttribute(default=0)
    # The billing period (its key) this visitor was last counted in as a unique visitor.
    counted_period = UnicodeAttribute(null=True)
    # Set on a new visitor's record until they are counted (services/visitors.py): one
    # who never comes back (a script, say) is deleted by DynamoDB's TTL.
    expires_at = TTLAttribute(null=True)

    # Facts for the visitors-online list and targeting rules (services/visitor_facts.py).
    visits = NumberAttribute(null=True)
    visit_started_at = UTCDateTimeAttribute(null=True)
    page_views = NumberAttribute(null=True)  # this visit
    source_url = UnicodeAttribute(null=True)  # where this visit landed
    user_agent = UnicodeAttribute(null=True)
    os = UnicodeAttribute(null=True)
    browser = UnicodeAttribute(null=True)
    platform = UnicodeAttribute(null=True)  # desktop | mobile
    country = UnicodeAttribute(null=True)
    city = UnicodeAttribute(null=True)
    last_rating = UnicodeAttribute(null=True)
    widget_open = BooleanAttribute(null=True)
    widget_closed_at = UTCDateTimeAttribute(null=True)
    invitations_sent = NumberAttribute(null=True)
    last_invitation_at = UTCDateTimeAttribute(null=True)
    shown_auto = UnicodeSetAttribute(null=True)  # auto messages shown ("once per user")
    # Custom events the site reported (services/visitor_events.py).
    event_names = UnicodeSetAttribute(null=True)
    last_event = UnicodeAttribute(null=True)
    last_event_at = UTCDateTimeAttribute(null=True)
    # A logged-in user of the site, when the widget's identify() carried a valid HMAC.
    user_id = UnicodeAttribute(null=True)
    user_name = UnicodeAttribute(null=True)
    user_email = UnicodeAttribute(null=True)
    # What the visitor typed in the widget's pre-chat form or away card
    # (services/visitor_contact.py): their word, not the site's verified identity.
    given_name = UnicodeAttribute(null=True)
    given_email = UnicodeAttribute(null=True)
    # The known address a sender last found bounced, complained of or unsubscribed
    # (services/mail_contact.py ``note_blocked``): the session tells the widget it is no
    # usable address without reading the mail records on each page view.
    blocked_email = UnicodeAttribute(null=True)
    # Set while the visitor is a logged-in user with an address: the sparse index of
    # whom e-mail auto messages may reach.
    user_project_id = UnicodeAttribute(null=True)
    users_index = LoggedInUsers()
    # The sparse "online" index: set by page views and heartbeats, removed when quiet.
    online_project_id = UnicodeAttribute(null=True)
    online_seen_at = UnicodeAttribute(null=True)
    online_shard = UnicodeAttribute(null=True)
    online_index = OnlineVisitors()
    quiet_index = QuietVisitors()
    # A messenger channel's customer (services/channel_inbound.py): the channel's id.
    # Absent for website visitors.
    channel_id = UnicodeAttribute(null=True)
    # The customer's id on that platform (Telegram chat id, Messenger PSID): where the
    # team's replies go (services/channel_sender.py).
    channel_customer_id = UnicodeAttribute(null=True)
