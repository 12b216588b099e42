"""Connection records: registered on ``$connect``, found by audience for fan-out,
removed on ``$disconnect``, on a 410, or by the sweep job when API Gateway dropped a
socket without telling us. Presence (operator online, visitor online) follows them.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.models.base import is_condition_failure
from chalicelib.models.connection import (
    EXPIRY_SHARDS,
    KIND_OPERATOR,
    ConnectionModel,
    expiry_shard,
    team_audience,
    visitor_audience,
)
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel


def register(
    connection_id: str,
    kind: str,
    project_id: str,
    principal_id: str,
    now: datetime,
    ttl_seconds: int,
) -> ConnectionModel:
    audience = (
        team_audience(project_id)
        if kind == KIND_OPERATOR
        else visitor_audience(project_id, principal_id)
    )
    expires = now + timedelta(seconds=ttl_seconds)
    record = ConnectionModel(
        audience,
        connection_id,
        project_id=project_id,
        kind=kind,
        principal_id=principal_id,
        connected_at=int(now.timestamp()),
        expiry_shard=expiry_shard(connection_id),
        expires_epoch=int(expires.timestamp()),
        expires_at=expires,
    )
    record.save()
    _set_presence(kind, project_id, principal_id, online=True)
    return record


def audience_connections(audience: str) -> list[ConnectionModel]:
    return list(ConnectionModel.query(audience, consistent_read=True))


def forget(record: ConnectionModel) -> None:
    """Delete one record; if it was the principal's last socket, mark them offline."""
    with contextlib.suppress(DoesNotExist):
        record.delete()
    # A visitor's audience holds only their tabs; the team audience every operator's.
    principal_sockets = [
        other
        for other in ConnectionModel.query(record.audience, consistent_read=True)
        if other.principal_id == record.principal_id
    ]
    if not principal_sockets:
        _set_presence(record.kind, record.project_id, record.principal_id, online=False)


def disconnect(connection_id: str) -> int:
    """Handle ``$disconnect``: remove every record of this connection id."""
    keys = list(ConnectionModel.by_connection.query(connection_id))
    for key in keys:
        try:
            record = ConnectionModel.get(key.audience, key.connection_id, consistent_read=True)
        except DoesNotExist:
            continue
        forget(record)
    return len(keys)


def sweep_expired(now: datetime) -> int:
    """Remove records whose socket API Gateway must have closed (its 2 h limit passed)."""
    removed = 0
    cutoff = int(now.timestamp())
    for shard in range(EXPIRY_SHARDS):
        for key in ConnectionModel.by_expiry.query(
            str(shard), ConnectionModel.expires_epoch <= cutoff
        ):
            try:
                record = ConnectionModel.get(key.audience, key.connection_id)
            except DoesNotExist:
                continue  # already gone: a rerun after a crash half-way
            forget(record)
            removed += 1
    return removed


def _set_presence(kind: str, project_id: str, principal_id: str, online: bool) -> None:
    if kind == KIND_OPERATOR:
        item = MemberModel(project_id, principal_id)
        action = MemberModel.presence.set("online" if online else "offline")
        exists = MemberModel.user_id.exists()
    else:
        item = VisitorModel(project_id, principal_id)
        action = VisitorModel.online.set(online)
        exists = VisitorModel.visitor_id.exists()
    try:
        item.update(actions=[action], condition=exists)
    except UpdateError as error:
        if not is_condition_failure(error):  # a removed member has nothing to mark
            raise
