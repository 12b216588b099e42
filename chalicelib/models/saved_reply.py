"""Saved replies of a project: shared with the team, or personal to one member.

Access patterns:
- the replies a member may use (shared + their own): Query by project (a project has
  tens of replies, not thousands), filtered in code.                  -> SavedReplyModel
- one reply: GetItem / conditional UpdateItem / DeleteItem.           -> SavedReplyModel
"""

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class SavedReplyModel(Model):
    Meta = table_meta("saved_replies")

    project_id = UnicodeAttribute(hash_key=True)
    reply_id = UnicodeAttribute(range_key=True)
    owner_id = UnicodeAttribute(null=True)  # absent: shared with the project
    shortcut = UnicodeAttribute()
    title = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
