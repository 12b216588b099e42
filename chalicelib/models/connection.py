"""Live WebSocket connections.

Access patterns:
- connections that must receive an event: Query hash ``audience``:
  "P#<project>#team" (operators of a project) or "P#<project>#V#<visitor>" (a visitor's
  tabs). Strongly consistent on the base table, so a socket that just connected is found.
- the record of connection C on ``$disconnect`` (which only knows C): Query GSI
  ``by_connection``.
- expired records (sockets API Gateway dropped without a ``$disconnect``): Query GSI
  ``by_expiry`` per shard with ``expires_at <= now``. Sharded so no single partition
  takes every connect; records also carry a DynamoDB TTL as a backstop.
"""

import zlib

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import table_meta

KIND_OPERATOR = "operator"
KIND_VISITOR = "visitor"
EXPIRY_SHARDS = 4


def team_audience(project_id: str) -> str:
    return f"P#{project_id}#team"


def visitor_audience(project_id: str, visitor_id: str) -> str:
    return f"P#{project_id}#V#{visitor_id}"


def expiry_shard(connection_id: str) -> str:
    return str(zlib.crc32(connection_id.encode()) % EXPIRY_SHARDS)


class ConnectionsById(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_connection"
        projection = KeysOnlyProjection()

    connection_id = UnicodeAttribute(hash_key=True)


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
    project_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    principal_id = UnicodeAttribute()
    connected_at = NumberAttribute()
    expiry_shard = UnicodeAttribute()
    # Same instant twice: a TTL attribute cannot be an index key in PynamoDB's typing,
    # and the sweep must find records before DynamoDB's TTL (up to days late) does.
    expires_epoch = NumberAttribute()
    expires_at = TTLAttribute()

    by_connection = ConnectionsById()
    by_expiry = ConnectionsByExpiry()
