"""Connection records: registered on ``$connect``, found by audience for fan-out,
removed on ``$disconnect``, on a 410, at logout, or by the sweep job when API Gateway
dropped a socket without telling us. Presence (operator online, visitor online) follows
a per-person counter that only moves when a record really appears or disappears.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.models.base import (
    cancellation_codes,
    is_condition_failure,
    retry_on_conflict,
    transaction_connection,
)
from chalicelib.models.connection import (
    EXPIRY_SHARDS,
    KIND_OPERATOR,
    ConnectionModel,
    expiry_shard,
    pointer_audience,
    team_audience,
    visitor_audience,
)
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.models.visitor import VisitorModel


def register(
    connection_id: str,
    kind: str,
    project_id: str,
    principal_id: str,
    now: datetime,
    ttl_seconds: int,
    valid_until: float | None = None,
    sees_all: bool | None = None,
) -> ConnectionModel:
    """Record a new socket. ``valid_until`` (an operator token's expiry) caps how long
    the record may receive anything."""
    audience = (
        team_audience(project_id)
        if kind == KIND_OPERATOR
        else visitor_audience(project_id, principal_id)
    )
    expires_epoch = int(now.timestamp()) + ttl_seconds
    if valid_until:
        expires_epoch = min(expires_epoch, int(valid_until))
    expires = datetime.fromtimestamp(expires_epoch, UTC)
    record = ConnectionModel(
        audience,
        connection_id,
        project_id=project_id,
        kind=kind,
        principal_id=principal_id,
        sees_all=sees_all,
        connected_at=int(now.timestamp()),
        expiry_shard=expiry_shard(connection_id),
        expires_epoch=expires_epoch,
        expires_at=expires,
    )
    pointer = ConnectionModel(
        pointer_audience(connection_id),
        connection_id,
        record_audience=audience,
        expires_at=expires,
    )
    with TransactWrite(connection=transaction_connection()) as transaction:
        transaction.save(record)
        transaction.save(pointer)
    _count(kind, project_id, principal_id, +1)
    return record


def audience_connections(audience: str) -> list[ConnectionModel]:
    return list(ConnectionModel.query(audience, consistent_read=True))


def forget(record: ConnectionModel) -> bool:
    """Delete a record and its pointer. Only the caller that really deleted it moves the
    presence counter, so a 410 racing a ``$disconnect`` counts once."""
    pointer = ConnectionModel(pointer_audience(record.connection_id), record.connection_id)
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.delete(record, condition=ConnectionModel.audience.exists())
            transaction.delete(pointer)
    except TransactWriteError as error:
        reasons = cancellation_codes(error)
        if "ConditionalCheckFailed" in reasons:
            return False
        raise
    _count(record.kind, record.project_id, record.principal_id, -1)
    return True


def disconnect(connection_id: str) -> ConnectionModel | None:
    """Handle ``$disconnect``: consistent reads only, so a socket closed right after it
    opened is still found. Returns the record this call removed (None: none)."""
    try:
        pointer = ConnectionModel.get(
            pointer_audience(connection_id), connection_id, consistent_read=True
        )
        record = ConnectionModel.get(pointer.record_audience, connection_id, consistent_read=True)
    except DoesNotExist:
        return None
    return record if forget(record) else None


def drop_operator(project_id: str, user_id: str) -> list[str]:
    """Forget an operator's sockets in one project (logout, removal); returns their ids
    so the caller can close them."""
    dropped = []
    for record in audience_connections(team_audience(project_id)):
        if record.principal_id == user_id and forget(record):
            dropped.append(record.connection_id)
    return dropped


def set_sees_all(project_id: str, user_id: str, sees_all: bool) -> None:
    """A member's role changed: their open sockets follow at once."""
    for record in audience_connections(team_audience(project_id)):
        if record.principal_id == user_id:
            try:
                record.update(
                    actions=[ConnectionModel.sees_all.set(sees_all)],
                    condition=ConnectionModel.audience.exists(),
                )
            except UpdateError as error:
                if not is_condition_failure(error):
                    raise


def set_viewing(project_id: str, user_id: str, connection_id: str, chat_id: str | None) -> bool:
    """Note on the member's record which chat the tab shows (None: none). A record that
    is gone or not theirs (a stale tab, another project's socket) is left alone."""
    record = ConnectionModel(team_audience(project_id), connection_id)
    field = ConnectionModel.viewing_chat_id
    try:
        record.update(
            actions=[field.set(chat_id) if chat_id else field.remove()],
            condition=ConnectionModel.audience.exists() & (ConnectionModel.principal_id == user_id),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def sweep_expired(now: datetime) -> int:
    """Remove records past their validity: API Gateway's 2 h passed (it closed the socket
    without a ``$disconnect``) or the operator's token expired."""
    removed = 0
    cutoff = int(now.timestamp())
    for shard in range(EXPIRY_SHARDS):
        for key in ConnectionModel.by_expiry.query(
            str(shard), ConnectionModel.expires_epoch <= cutoff
        ):
            try:
                record = ConnectionModel.get(key.audience, key.connection_id, consistent_read=True)
            except DoesNotExist:
                continue  # already gone: a rerun after a crash half-way
            removed += forget(record)
    return removed


def _count(kind: str, project_id: str, principal_id: str, delta: int) -> None:
    """Move the person's live-socket counter; they are online while it is above zero."""
    if kind == KIND_OPERATOR:
        item = MemberModel(project_id, principal_id)
        counter, exists = MemberModel.live_connections, MemberModel.user_id.exists()
        online = MemberModel.presence.set("online")
        # Closing the last panel tab makes the member offline (presence); the status they
        # chose (online, away) is theirs and survives a reload: distribution needs both.
        offline = [MemberModel.presence.set("offline")]
    else:
        item = VisitorModel(project_id, principal_id)
        counter, exists = VisitorModel.live_connections, VisitorModel.visitor_id.exists()
        online, offline = VisitorModel.online.set(True), [VisitorModel.online.set(False)]
    actions = [counter.add(delta)] + ([online] if delta > 0 else [])
    try:
        retry_on_conflict(lambda: item.update(actions=actions, condition=exists))
        if delta > 0 and kind == KIND_OPERATOR and item.status == "offline":
            # Opening the panel makes an offline member online (an "away" stays away).
            retry_on_conflict(
                lambda: item.update(
                    actions=[MemberModel.status.set("online")],
                    condition=exists & (MemberModel.status == "offline"),
                )
            )
        if delta > 0 and kind == KIND_OPERATOR and item.status == "online":
            set_available(project_id, principal_id, True)
        if delta < 0 and (item.live_connections or 0) <= 0:
            # Conditional: a socket that connected in between keeps them online.
            retry_on_conflict(
                lambda: item.update(actions=offline, condition=exists & (counter <= 0))
            )
            if kind == KIND_OPERATOR:
                set_available(project_id, principal_id, False)
    except UpdateError as error:
        if not is_condition_failure(error):  # a removed member: nothing to count
            raise


def set_available(project_id: str, user_id: str, available: bool) -> None:
    """The member may take chats now, or no longer: one id added to or taken from the
    project's ``available_members``. ADD and DELETE are idempotent, so a repeat costs
    nothing wrong; a race the order of two writes got wrong is mended by distribution's
    consistent read of the team (services/distribution.py)."""
    members = ProjectModel.available_members
    action = members.add({user_id}) if available else members.delete({user_id})
    try:
        ProjectModel(project_id).update(
            actions=[action], condition=ProjectModel.project_id.exists()
        )
    except UpdateError as error:
        if not is_condition_failure(error):  # a deleted project: nothing to keep
            raise
