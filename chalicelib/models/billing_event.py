"""Stripe webhook events already handled: the dedupe guard.

Access patterns:
- was event E handled? conditional Put (attribute_not_exists) before handling it;
  deleted again if handling failed, so Stripe's retry is handled.   -> StripeEventModel
Stripe retries for three days; the guard is kept a month, then expires (TTL).
"""

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class StripeEventModel(Model):
    Meta = table_meta("stripe_events")

    event_id = UnicodeAttribute(hash_key=True)
    event_type = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
