"""Per-project usage counters per billing period (quotas come with the billing issue).

Access patterns:
- counters of project P in period K: UpdateItem ADD (atomic), GetItem.   -> UsageModel
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class UsageModel(Model):
    Meta = table_meta("usage")

    project_id = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    new_visitors = NumberAttribute(default=0)
    visitor_messages = NumberAttribute(default=0)
