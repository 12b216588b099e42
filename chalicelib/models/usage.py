"""Per-project usage counters per billing period (quotas: services/quotas.py).

The range key is the key of the project's own billing period (its start, ISO), not the
calendar month: a new period is a new item, so counters start from zero by themselves.

Access patterns:
- counters of project P in period K: UpdateItem ADD with a limit condition (alone or in
  the new visitor's transaction), GetItem.                               -> UsageModel
- has the administrator been warned of threshold T of resource R in period K: the
  ``warned`` set, added to with a NOT contains() condition so a warning goes once.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class UsageModel(Model):
    Meta = table_meta("usage")

    project_id = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    unique_visitors = NumberAttribute(default=0)
    # Incoming messages from messenger channels (team replies never count).
    messenger_messages = NumberAttribute(default=0)
    # "<resource>:<percent>" for every warning e-mail sent this period.
    warned = UnicodeSetAttribute(null=True)
