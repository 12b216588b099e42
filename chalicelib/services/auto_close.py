"""Closing idle dialogues (the clock app runs this every minute).

Assigned dialogues close after the project's ``auto_close_minutes`` without activity,
with its optional closing message; unassigned ones are kept a month. Candidates come
from the sparse index of open dialogues (idle for at least a minute), so a run costs
in proportion to the open dialogues, not to every dialogue ever.

Each close goes through the workflow's one close path (``assignment.close_dialogue``:
the slot back, the widget's "closed", the team's line, the frames), conditioned on the
dialogue being exactly as the index showed it (open, same last activity, same
assignee): a visitor writing meanwhile keeps it open, and a rerun after a crash half-way
closes nothing twice and misses nothing. The run says where a slot freed; the clock app
then runs distribution there (the queue moves, as it does after a close by hand).

On a Telegram/Messenger chat the closing message goes to the customer through the
channel outbox, as an automatic message: never with Messenger's Human agent tag (it is
for people), so outside Messenger's 24-hour window, with the messenger quota reached or
the channel disconnected, the chat closes without it (nothing is stored that the
customer would never get).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import iso
from chalicelib.errors import Conflict, DomainError
from chalicelib.models.chat import OPEN_SHARDS, STATUS_OPEN, ChatModel
from chalicelib.models.message import AUTHOR_SYSTEM
from chalicelib.models.project import ProjectModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import assignment, channel_outbox
from chalicelib.services.message_store import Draft

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
    """Close what is due. ``freed_slots_in``: the projects where a member has a slot
    again (the clock app runs distribution there, so their queues move)."""
    projects: dict[str, ProjectModel | None] = {}
    examined = closed = 0
    freed: set[str] = set()
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
                was_assigned = bool(candidate.assignee_id)
                if close_idle(candidate, project, now, fanout):
                    closed += 1
                    if was_assigned:
                        freed.add(project.project_id)
    return {"examined": examined, "closed": closed, "freed_slots_in": sorted(freed)}


def close_idle(candidate: ChatModel, project: ProjectModel, now: datetime, fanout) -> bool:
    """Close one candidate through the workflow's close path, if it is still exactly as
    the index showed it. Returns whether it closed."""
    seen = (
        (ChatModel.status == STATUS_OPEN)
        & (ChatModel.last_activity_at == candidate.last_activity_at)
        & (
            ChatModel.assignee_id == candidate.assignee_id
            if candidate.assignee_id
            else ChatModel.assignee_id.does_not_exist()
        )
    )
    closing, channel = None, None
    if project.auto_close_message and candidate.assignee_id:
        draft = Draft(
            project.project_id,
            candidate.chat_id,
            AUTHOR_SYSTEM,
            "auto-close",
            project.name,
            project.auto_close_message,
            # Deterministic: a rerun finds the same guard and stores nothing twice.
            f"auto-close.{candidate.last_activity_at}",
        )
        # The index holds no channel: read the chat (one GetItem, only where a closing
        # message is due) to learn whether it goes to a messenger.
        chat = ChatModel.get(candidate.project_id, candidate.chat_id)
        channel = chat.channel
        draft = _to_channel(project, chat, draft, now) if channel else draft
        closing = draft.at(now) if draft is not None else None
    why = _why(candidate, project)
    try:
        assignment.close_dialogue(
            candidate, why, project.name, now, fanout, condition=seen, closing=closing
        )
    except Conflict:
        return False  # it moved (a message, a close by hand): leave it to the next run
    if closing is not None and channel:
        channel_outbox.queued(closing, candidate.assignee_id, fanout)
    return True


def _to_channel(project: ProjectModel, chat: ChatModel, draft: Draft, now) -> Draft | None:
    """The closing message as the channel outbox stores it (``sending``, or ``held``
    while the token needs reconnecting), or None when it may not go at all."""
    try:
        return channel_outbox.prepare(project, chat, draft, now, automatic=True)
    except DomainError:
        return None  # the window closed, the quota reached, the channel disconnected


def _why(candidate: ChatModel, project: ProjectModel) -> str:
    if candidate.assignee_id:
        minutes = int(project.auto_close_minutes)
        return f"Closed automatically after {minutes} minute{'s' * (minutes != 1)} idle"
    return f"Closed automatically after {UNASSIGNED_KEPT_FOR.days} days idle"
