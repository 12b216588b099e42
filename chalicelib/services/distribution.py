"""Automatic distribution of dialogues among the members who are online.

Modes per project: ``manual`` (none), ``round_robin`` (in turn) and ``least_busy``
(fewest open dialogues), never above the project's ``max_active_chats`` per member. A
dialogue that finds nobody free waits in the project's queue (the sparse ``waiting``
index, oldest first) and is handed out as soon as someone comes online or frees a slot.

Each hand-out is one transaction conditioned on the dialogue still being open and
unassigned and on the member still having room: two events racing for the same dialogue
or the same last slot cannot both win.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.models.base import cancellation_codes, transaction_connection
from chalicelib.models.chat import STATUS_OPEN, ChatModel
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import assignment

MODES = ("manual", "round_robin", "least_busy")
STATUSES = ("online", "away", "offline")


def _available(project: ProjectModel) -> list[MemberModel]:
    limit = int(project.max_active_chats or 0)
    return [
        member
        for member in MemberModel.query(project.project_id, consistent_read=True)
        if member.status == "online"
        and int(member.live_connections or 0) > 0
        and int(member.active_chats or 0) < limit
    ]


def _pick(project: ProjectModel, free: list[MemberModel]) -> MemberModel:
    if project.distribution == "least_busy":
        return min(free, key=lambda m: (int(m.active_chats or 0), m.user_id))
    ordered = sorted(free, key=lambda m: m.user_id)
    last = project.round_robin_last or ""
    return next((m for m in ordered if m.user_id > last), ordered[0])


def _hand_out(project: ProjectModel, chat_key: ChatModel, member: MemberModel) -> bool:
    limit = int(project.max_active_chats or 0)
    chat = ChatModel(project.project_id, chat_key.chat_id)
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(
                chat,
                actions=[
                    ChatModel.assignee_id.set(member.user_id),
                    ChatModel.assignee_name.set(member.name),
                    ChatModel.waiting_project_id.remove(),
                    ChatModel.declined_by.remove(),
                ],
                condition=(ChatModel.status == STATUS_OPEN)
                & ChatModel.assignee_id.does_not_exist(),
            )
            transaction.update(
                member,
                actions=[MemberModel.active_chats.add(1)],
                condition=MemberModel.user_id.exists() & (MemberModel.active_chats < limit),
            )
            transaction.update(
                ProjectModel(project.project_id),
                actions=[ProjectModel.round_robin_last.set(member.user_id)],
            )
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            return False  # taken meanwhile, or that member just filled up
        raise
    project.round_robin_last = member.user_id
    return True


def distribute(project_id: str, fanout: Fanout, most: int = 20) -> int:
    """Hand out waiting dialogues, oldest first, while someone has room. Returns how
    many were assigned. Safe to call from any event: it only takes what is still free."""
    try:
        project = ProjectModel.get(project_id, consistent_read=True)
    except DoesNotExist:
        return 0
    if project.distribution not in ("round_robin", "least_busy"):
        return 0
    assigned = 0
    free = _available(project)
    if not free:
        return 0
    for waiting in ChatModel.waiting.query(project_id, limit=most):
        if not free:
            break
        takers = [m for m in free if m.user_id != waiting.declined_by]
        if not takers:
            continue  # only the member who gave it back has room: it waits for another
        member = _pick(project, takers)
        if _hand_out(project, waiting, member):
            assigned += 1
            chat = ChatModel.get(project_id, waiting.chat_id, consistent_read=True)
            assignment.announce_assignment(chat, None, fanout)
        free = _available(project)  # counts moved (ours or someone else's)
    return assigned
