"""Web Push subscriptions: a member's devices (services/push_subscriptions.py).

One item per (member, device). The device id is derived from the push endpoint (the
browser's subscription), so the same device subscribing again lands on the same item and
keeps its prefs. Members are Cognito users: a subscription serves every project of
theirs, and each push names its project.

Access patterns:
- a member's devices (the panel's list, the notifier's recipients): Query hash
  ``user_id``.                                                  -> PushSubscriptionModel
- one device: GetItem (user_id, device_id).                     -> PushSubscriptionModel
- long silence: a DynamoDB TTL (``expires_at``), moved forward each time the panel PUTs
  the subscription on load, so a device nobody opened the panel on for 60 days goes.
"""

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class PushPrefs(MapAttribute):
    """What this device is told about (services/push_subscriptions.py has the defaults)."""

    new_chats = BooleanAttribute(null=True)
    my_chats = BooleanAttribute(null=True)
    assigned = BooleanAttribute(null=True)
    mentions = BooleanAttribute(null=True)
    when_offline = BooleanAttribute(null=True)


class PushSubscriptionModel(Model):
    Meta = table_meta("push_subscriptions")

    user_id = UnicodeAttribute(hash_key=True)
    device_id = UnicodeAttribute(range_key=True)
    endpoint = UnicodeAttribute()
    # The browser's keys for the payload's encryption (RFC 8291): never sent back out.
    p256dh = UnicodeAttribute()
    auth = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    prefs = PushPrefs(null=True)
    created_at = UTCDateTimeAttribute()
    last_sent_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()
