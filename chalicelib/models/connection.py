"""Live WebSocket connections.

Each connection is two items in one table, written together:
- the record, under its ``audience``: "P#<project>#team" (operators of a project) or
  "P#<project>#V#<visitor>" (a visitor's tabs). Fan-out Queries the audience, strongly
  consistent, so a socket that just connected is found.
- a pointer, under "C#<connection id>", naming the record's audience: ``$disconnect``
  (which only knows the connection id) finds the record with one consistent GetItem.
  (A GSI on the connection id would lag, and a page left a second after it loaded
  would leave its record behind.)

Access patterns:
- connections that must receive an event: Query hash ``audience``.     -> ConnectionModel
- the record of connection C: GetItem ("C#" + C, C) then GetItem.       -> ConnectionModel
- expired records (sockets API Gateway dropped without a ``$disconnect``, or operator
  tokens that expired): Query GSI ``by_expiry`` per shard with ``expires_epoch <= now``.
  Sharded so no single partition takes every connect; pointers carry no shard, so the
  index holds records only. Both items also carry a DynamoDB TTL as a backstop.
"""

import zlib

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.models.base import table_meta

KIND_OPERATOR = "operator"
KIND_VISITOR = "visitor"
EXPIRY_SHARDS = 4


def team_audience(project_id: str) -> str:
    return f"P#{project_id}#team"


def visitor_audience(project_id: str, visitor_id: str) -> str:
    return f"P#{project_id}#V#{visitor_id}"


def pointer_audience(connection_id: str) -> str:
    return f"C#{connection_id}"


def expiry_shard(connection_id: str) -> str:
    return str(zlib.crc32(connection_id.encode()) % EXPIRY_SHARDS)


class ConnectionsByExpiry(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_expiry"
        projection = IncludeProjection(["project_id", "kind", "principal_id"])

    expiry_shard = UnicodeAttribute(hash_key=True)
    expires_epoch = NumberAttribute(range_key=True)


class ConnectionModel(Model):
    Meta = table_meta("connections")

    audience = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)
    # On pointers: the audience of the record they point to.
    record_audience = UnicodeAttribute(null=True)
    project_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    principal_id = UnicodeAttribute(null=True)
    # Team records: may this member see every dialogue (role or chat-administrator right)?
    # Fan-out of a dialogue assigned to someone else skips records without it.
    sees_all = BooleanAttribute(null=True)
    # Team records: the chat this panel tab shows while visible and focused (the
    # ``viewing`` frame); the notifier pushes nothing about it to its member meanwhile.
    viewing_chat_id = UnicodeAttribute(null=True)
    connected_at = NumberAttribute(null=True)
    expiry_shard = UnicodeAttribute(null=True)
    # When the record stops being valid: API Gateway's 2 h limit, or an operator token's
    # expiry if sooner. Fan-out skips records past it; the sweep removes them.
    expires_epoch = NumberAttribute(null=True)
    # The same instant as a DynamoDB TTL, the backstop (it may act days late).
    expires_at = TTLAttribute()

    by_expiry = ConnectionsByExpiry()
