"""Automatic distribution of dialogues among the members who are online.

Modes per project: ``manual`` (none), ``round_robin`` (in turn) and ``least_busy``
(fewest open dialogues), never above the project's ``max_active_chats`` per member. A
dialogue that finds nobody free waits in the project's queue (the sparse ``queue``
index, longest waiting first) and is handed out as soon as someone comes online or frees a slot.

Each hand-out is one transaction conditioned on the dialogue still being open and
unassigned and on the member still having room: two events racing for the same dialogue
or the same last slot cannot both win.

Distribution follows the business hours (services/availability.py): outside them nobody
is handed a chat; the chats wait in the queue, their visitors told their place.

The visitors waiting are told their place in line (services/queue.py): the one whose
message just opened a chat that waits (when someone of the team is online, or outside
hours), and, as chats
are handed out, those still waiting among the head of the queue read here (no more reads
for their places; one Query of each one's tabs).
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.clock import utcnow
from chalicelib.models.base import cancellation_codes, transaction_connection
from chalicelib.models.chat import STATUS_OPEN, ChatModel
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.realtime import connections
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import assignment, availability, queue

MODES = ("manual", *queue.AUTOMATIC)
STATUSES = ("online", "away", "offline")


def _online(project: ProjectModel) -> list[MemberModel]:
    return [
        member
        for member in MemberModel.query(project.project_id, consistent_read=True)
        if member.status == "online" and int(member.live_connections or 0) > 0
    ]


def _with_room(project: ProjectModel, online: list[MemberModel]) -> list[MemberModel]:
    limit = int(project.max_active_chats or 0)
    return [member for member in online if int(member.active_chats or 0) < limit]


def _available(project: ProjectModel) -> list[MemberModel]:
    return _with_room(project, _online(project))


def available_members(project: ProjectModel) -> list[MemberModel]:
    """The members online with room for another chat (who may take one now)."""
    return _available(project)


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
                    ChatModel.queued_key.remove(),
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


def _mend_available(project: ProjectModel, online: list[MemberModel]) -> None:
    """Keep the project's ``available_members`` (the widget's "online") true to this
    consistent read of the team: a write only when a race left it wrong."""
    found = {member.user_id for member in online}
    held = set(project.available_members or ())
    for user_id in found ^ held:
        connections.set_available(project.project_id, user_id, user_id in found)
    project.available_members = found or None


def distribute(
    project_id: str,
    fanout: Fanout,
    most: int = 20,
    opened: tuple[str, str] | None = None,
    clock=utcnow,
) -> int:
    """Hand out waiting dialogues, oldest first, while someone has room. Returns how
    many were assigned. Safe to call from any event: it only takes what is still free.
    ``opened``: ``(chat id, queue key)`` of the chat a visitor's message just opened
    (``queue.key_of_opened``): if it waits while someone is online, its visitor is told
    their place."""
    try:
        project = ProjectModel.get(project_id, consistent_read=True)
    except DoesNotExist:
        return 0
    if project.distribution not in queue.AUTOMATIC:
        return 0
    online = _online(project)
    _mend_available(project, online)
    if not availability.within_hours(project, clock()):
        if opened:  # outside hours nobody is handed a chat: it waits, and says so
            queue.tell(project_id, [(opened[0], queue.place(project_id, opened[1]))], fanout)
        return 0
    free = _with_room(project, online)
    if not free:
        if opened and online:  # the team is there, and busy: the visitor waits in line
            queue.tell(project_id, [(opened[0], queue.place(project_id, opened[1]))], fanout)
        return 0
    assigned = 0
    head = list(ChatModel.waiting.query(project_id, limit=most))
    taken: set[str] = set()
    for waiting in head:
        if not free:
            break
        takers = [m for m in free if m.user_id != waiting.declined_by]
        if not takers:
            continue  # only the member who gave it back has room: it waits for another
        member = _pick(project, takers)
        if _hand_out(project, waiting, member):
            assigned += 1
            taken.add(waiting.chat_id)
            chat = ChatModel.get(project_id, waiting.chat_id, consistent_read=True)
            assignment.announce_assignment(chat, None, fanout)
        free = _available(project)  # counts moved (ours or someone else's)
    _tell_places(project_id, head, taken, opened, fanout)
    return assigned


def _tell_places(
    project_id: str,
    head: list[ChatModel],
    taken: set[str],
    opened: tuple[str, str] | None,
    fanout: Fanout,
) -> None:
    """The visitors still waiting in the head of the queue whose place moved (someone
    ahead of them was handed out), and the chat just opened if it waits: their place."""
    told: list[tuple[str, int]] = []
    rank, moved = 0, False
    for waiting in head:
        if waiting.chat_id in taken:
            moved = True
            continue
        rank += 1
        if moved or (opened and waiting.chat_id == opened[0]):
            told.append((waiting.chat_id, rank))
    if opened and all(waiting.chat_id != opened[0] for waiting in head):
        told.append((opened[0], queue.place(project_id, opened[1])))  # behind the head
    if told:
        queue.tell(project_id, told, fanout)
