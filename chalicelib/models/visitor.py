"""Website visitors, per project.

Access patterns:
- visitor V of project P: GetItem / UpdateItem (session, first message).  -> VisitorModel
A known visitor's page view is one UpdateItem (upsert), never a read-then-write.
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
