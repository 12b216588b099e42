"""Closing idle dialogues (the clock app runs this every minute).

Assigned dialogues close after the project's ``auto_close_minutes`` without activity,
with its optional closing message; unassigned ones are kept a month. Candidates come
from the sparse index of open dialogues (idle for at least a minute), so a run costs
in proportion to the open dialogues, not to every dialogue ever.

Each close is one transaction conditioned on the dialogue being exactly as the index
showed it (open, same last activity, same assignee): a visitor writing meanwhile keeps
it open, and a rerun after a crash half-way closes nothing twice and misses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.clock import iso
from chalicelib.models.base import transaction_connection
from chalicelib.models.chat import OPEN_SHARDS, STATUS_CLOSED, STATUS_OPEN, ChatModel
from chalicelib.models.connection import team_audience, visitor_audience
from chalicelib.models.message import AUTHOR_SYSTEM, ClientMessageIdModel
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import assignment, messaging, permissions

UNASSIGNED_KEPT_FOR = timedelta(days=30)
MIN_IDLE = timedelta(minutes=1)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _due(candidate: ChatModel, project: ProjectModel, now: datetime) -> bool:
    idle = now - _parse(candidate.last_activity_at)
    if candidate.assignee_id:
        minutes = project.auto_close_minutes
        return bool(minutes) and idle >= timedelta(minutes=int(minutes))
    return idle >= UNASSIGNED_KEPT_FOR


def run(now: datetime, fanout: Fanout) -> dict:
    projects: dict[str, ProjectModel | None] = {}
    examined = closed = 0
    cutoff = iso(now - MIN_IDLE)
    for shard in range(OPEN_SHARDS):
        for candidate in ChatModel.open_idle.query(
            str(shard), ChatModel.last_activity_at <= cutoff
        ):
            examined += 1
            if candidate.project_id not in projects:
                try:
                    projects[candidate.project_id] = ProjectModel.get(candidate.project_id)
                except DoesNotExist:
                    projects[candidate.project_id] = None
            project = projects[candidate.project_id]
            if project is not None and _due(candidate, project, now):
                closed += close_idle(candidate, project, now, fanout)
    return {"examined": examined, "closed": closed}


def close_idle(candidate: ChatModel, project: ProjectModel, now: datetime, fanout) -> bool:
    seen = (
        (ChatModel.status == STATUS_OPEN)
        & (ChatModel.last_activity_at == candidate.last_activity_at)
        & (
            ChatModel.assignee_id == candidate.assignee_id
            if candidate.assignee_id
            else ChatModel.assignee_id.does_not_exist()
        )
    )
    actions = [
        ChatModel.status.set(STATUS_CLOSED),
        ChatModel.closed_at.set(now),
        ChatModel.open_shard.remove(),
        ChatModel.waiting_project_id.remove(),
    ]
    message = None
    if project.auto_close_message and candidate.assignee_id:
        draft = messaging.Draft(
            project.project_id,
            candidate.chat_id,
            AUTHOR_SYSTEM,
            "auto-close",
            project.name,
            project.auto_close_message,
            # Deterministic: a rerun finds the same guard and stores nothing twice.
            f"auto-close.{candidate.last_activity_at}",
        )
        message = draft.at(now)
        actions.append(ChatModel.last_message.set(messaging.last_message_of(message)))
    # The team's line, after the visitor's closing message (ids are time-ordered).
    line = assignment.workflow_line(
        project.project_id, candidate.chat_id, _why(candidate, project), project.name,
        now + timedelta(milliseconds=1),
    )  # fmt: skip
    assignee = _member(project.project_id, candidate.assignee_id)
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(
                ChatModel(candidate.project_id, candidate.chat_id), actions=actions, condition=seen
            )
            if message is not None:
                transaction.save(
                    messaging.client_id_guard(message, now),
                    condition=ClientMessageIdModel.client_key.does_not_exist(),
                )
                transaction.save(message)
            transaction.save(line)
            transaction.update(  # the widget's "closed" (see VisitorModel.closed_chats)
                VisitorModel(candidate.project_id, ids.visitor_of_chat(candidate.chat_id)),
                actions=[VisitorModel.closed_chats.add({candidate.chat_id})],
            )
            if assignee is not None:
                transaction.update(
                    assignee,
                    actions=[MemberModel.active_chats.add(-1)],
                    condition=MemberModel.user_id.exists(),
                )
    except TransactWriteError as error:
        codes = [r.code if r else None for r in (error.cancellation_reasons or [])]
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            return False  # it moved (a message, a close by hand): leave it to the next run
        raise
    chat = ChatModel.get(candidate.project_id, candidate.chat_id, consistent_read=True)
    visitor_frames = [{"type": "closed", "chat_id": chat.chat_id}]
    if message is not None:
        view = messaging.message_view(message)
        visitor_frames.insert(0, {"type": "message", "message": view})
    audience = visitor_audience(chat.project_id, ids.visitor_of_chat(chat.chat_id))
    fanout.deliver(
        [(audience, frame) for frame in visitor_frames]
        + [
            (
                team_audience(chat.project_id),
                {
                    "type": "chat",
                    "chat": messaging.chat_view(chat),
                    "message": messaging.message_view(line),
                },
                permissions.team_sockets_for(chat.assignee_id),
            )
        ]
    )
    return True


def _why(candidate: ChatModel, project: ProjectModel) -> str:
    if candidate.assignee_id:
        minutes = int(project.auto_close_minutes)
        return f"Closed automatically after {minutes} minute{'s' * (minutes != 1)} idle"
    return f"Closed automatically after {UNASSIGNED_KEPT_FOR.days} days idle"


def _member(project_id: str, user_id: str | None) -> MemberModel | None:
    if not user_id:
        return None
    try:
        return MemberModel.get(project_id, user_id, consistent_read=True)
    except DoesNotExist:
        return None
