"""Website visitors, per project.

Access patterns:
- visitor V of project P: GetItem / UpdateItem (session, first message).  -> VisitorModel
A known visitor's page view is one UpdateItem, never a read-then-write, conditioned on
the visitor being counted in the current billing period already (``counted_period``).
A new visitor, or a known one back in a new period, is one TransactWriteItems: the
visitor record and the period's unique-visitor counter, under the plan's limit.
"""

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class VisitorModel(Model):
    Meta = table_meta("visitors")

    project_id = UnicodeAttribute(hash_key=True)
    visitor_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    page_url = UnicodeAttribute(null=True)
    referrer = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    utm = MapAttribute(null=True)
    # The dialogue new messages go to, and how many dialogues this visitor has had
    # (the next one is ``ids.chat_id_for(visitor_id, chat_count + 1)``).
    current_chat_id = UnicodeAttribute(null=True)
    chat_count = NumberAttribute(default=0)
    # True while the visitor has a live socket (``live_connections`` > 0).
    online = BooleanAttribute(default=False)
    live_connections = NumberAttribute(default=0)
    # The billing period (its key) this visitor was last counted in as a unique visitor.
    counted_period = UnicodeAttribute(null=True)
