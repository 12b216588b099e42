"""The dialogue workflow: assign (operators take, leads give), unassign, close, reopen,
and the visitor's rating of a closed dialogue.

Every change is one conditional transaction on the dialogue and the members' counters
of active dialogues, conditioned on the state it was read in: of two operators taking
the same dialogue, exactly one wins; the other gets a conflict.

Each change also writes a line into the conversation ("Ada took the chat", "Closed by
Ada"), in the same transaction, so the record of who did what cannot disagree with the
dialogue. The lines are internal messages: the team's, like notes, never the visitor's.

A workflow that frees a member's slot says so (``Outcome.freed_slot``); its caller
(route, clock app, socket session) then runs distribution, so the queue moves. This
module never calls distribution itself: distribution announces through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import utcnow
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.models.base import cancellation_codes, is_condition_failure, transaction_connection
from chalicelib.models.chat import RATINGS, STATUS_CLOSED, STATUS_OPEN, ChatModel, open_shard
from chalicelib.models.connection import team_audience, visitor_audience
from chalicelib.models.message import AUTHOR_SYSTEM, ClientMessageIdModel, MessageModel
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime import frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import permissions, push_events, queue
from chalicelib.services.chat_reads import (
    chat_view,
    last_message_of,
    message_view,
    visible_chat,
)
from chalicelib.services.message_store import Draft, client_id_guard


@dataclass(frozen=True)
class Outcome:
    """What a workflow did: the dialogue's view, and whether a member has a slot again
    (then the caller runs distribution: a waiting dialogue may be theirs now)."""

    chat: dict
    freed_slot: bool = False
    # The queue key of a waiting chat the workflow took out of the queue (then the caller
    # tells those behind it their new place: services/queue.py ``moved``).
    left_queue: str | None = None


def _member(project_id: str, user_id: str | None) -> MemberModel | None:
    if not user_id:
        return None
    try:
        return MemberModel.get(project_id, user_id, consistent_read=True)
    except DoesNotExist:
        return None  # removed since: nothing to count


def _as_seen(chat: ChatModel):
    """The condition that the dialogue is still as we read it."""
    seen = (ChatModel.status == chat.status) & ChatModel.chat_id.exists()
    if chat.assignee_id:
        return seen & (ChatModel.assignee_id == chat.assignee_id)
    return seen & ChatModel.assignee_id.does_not_exist()


def workflow_line(
    project_id: str, chat_id: str, text: str, author_name: str, now: datetime | None = None
) -> MessageModel:
    """A line for the team in the conversation, saying what happened to the dialogue.
    It needs no idempotency guard: it is written by the change itself, which a repeat
    does not make again (the dialogue is no longer as it was read)."""
    now = now or utcnow()
    return Draft(
        project_id, chat_id, AUTHOR_SYSTEM, "workflow", author_name, text,
        f"workflow.{ids.message_id(now)}", internal=True,
    ).at(now)  # fmt: skip


def _commit(
    chat: ChatModel,
    actions: list,
    counters: list[tuple[MemberModel, int]],
    visitor_actions: list | None = None,
    line: MessageModel | None = None,
    condition=None,
    saves: tuple = (),
) -> None:
    """One transaction: the dialogue (conditioned on ``condition``, by default on being
    as it was read), the team's line, other items to save as (item, condition), the
    members' counters and the visitor."""
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(
                chat, actions=actions, condition=_as_seen(chat) if condition is None else condition
            )
            for item, item_condition in saves:
                transaction.save(item, condition=item_condition)
            if line is not None:
                transaction.save(line)
            for member, delta in counters:
                transaction.update(
                    member,
                    actions=[MemberModel.active_chats.add(delta)],
                    condition=MemberModel.user_id.exists(),
                )
            if visitor_actions:
                # (by the dialogue's id: the auto-close's index copy has no visitor_id)
                visitor_id = ids.visitor_of_chat(chat.chat_id)
                transaction.update(
                    VisitorModel(chat.project_id, visitor_id), actions=visitor_actions
                )
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise Conflict("someone just changed this dialogue; look again") from None
        raise
    chat.refresh(consistent_read=True)


def _announce(
    chat: ChatModel,
    previous_assignee: str | None,
    fanout: Fanout,
    visitor_frame,
    line: MessageModel | None = None,
):
    """The new summary to every team socket that could see the dialogue before or after
    the change (so it appears or disappears in their lists), and a frame to the visitor.
    The team's line rides in the team's frame (no second Query of the team's sockets);
    the visitor's frame never carries it."""
    may_receive = None
    if previous_assignee and chat.assignee_id:
        keep = {previous_assignee, chat.assignee_id}
        may_receive = lambda record: bool(record.sees_all) or record.principal_id in keep  # noqa: E731
    team_frame = frames.chat(chat_view(chat), message_view(line) if line is not None else None)
    deliveries = [(team_audience(chat.project_id), team_frame, may_receive)]
    visitor = visitor_audience(chat.project_id, chat.visitor_id)
    to_visitor = visitor_frame if isinstance(visitor_frame, list) else [visitor_frame]
    deliveries += [(visitor, frame) for frame in to_visitor if frame]
    fanout.deliver(deliveries)


def announce_assignment(
    chat: ChatModel,
    previous_assignee: str | None,
    fanout: Fanout,
    line: MessageModel | None = None,
    actor_id: str | None = None,
) -> None:
    """Tell the team and the visitor; a new assignee also gets a push (after the
    fan-out; not when they took it themselves: ``actor_id``)."""
    assignee = {"id": chat.assignee_id, "name": chat.assignee_name} if chat.assignee_id else None
    _announce(
        chat,
        previous_assignee,
        fanout,
        frames.assigned(chat.chat_id, assignee),
        line,
    )
    if chat.assignee_id and chat.assignee_id not in (previous_assignee, actor_id):
        push_events.chat_assigned(
            chat.project_id, chat.chat_id, chat.assignee_id, actor_id, utcnow()
        )


def assign(caller: MemberModel, chat_id: str, target_id: str | None, fanout: Fanout) -> Outcome:
    """Operators take a dialogue for themselves; managers and the administrator give it
    to anyone of the team (reassigning too)."""
    chat = visible_chat(caller, chat_id)
    if chat.status == STATUS_CLOSED:
        raise Conflict("the dialogue is closed: reopen it first")
    target_id = target_id or caller.user_id
    leads = permissions.allows(caller, "team.manage")
    if target_id != caller.user_id and not leads:
        raise Forbidden("operators can only take dialogues themselves")
    if chat.assignee_id and chat.assignee_id != caller.user_id and not leads:
        raise Conflict("already assigned to someone else")
    if chat.assignee_id == target_id:
        return Outcome(chat_view(chat))
    target = _member(caller.project_id, target_id)
    if target is None:
        raise NotFound("no such member")
    previous = chat.assignee_id
    # It waited in the queue: those behind it move up (the caller tells them).
    waited = chat.queued_key if chat.waiting_project_id and not previous else None
    counters = [(target, +1)]
    if (old := _member(caller.project_id, previous)) is not None:
        counters.append((old, -1))
    said = (
        f"{caller.name} took the chat"
        if target.user_id == caller.user_id
        else f"{caller.name} gave the chat to {target.name}"
    )
    line = workflow_line(caller.project_id, chat.chat_id, said, caller.name)
    _commit(
        chat,
        [
            ChatModel.assignee_id.set(target.user_id),
            ChatModel.assignee_name.set(target.name),
            ChatModel.waiting_project_id.remove(),  # out of the distribution queue
            ChatModel.queued_key.remove(),
        ],
        counters,
        line=line,
    )
    announce_assignment(chat, previous, fanout, line, actor_id=caller.user_id)
    return Outcome(chat_view(chat), freed_slot=bool(previous), left_queue=waited)


def _back_in_queue(chat: ChatModel) -> list:
    """The actions that put an open, unassigned chat back in the distribution queue."""
    return [
        ChatModel.waiting_project_id.set(chat.project_id),
        ChatModel.queued_key.set(queue.requeued_key(chat, utcnow())),
    ]


def unassign(caller: MemberModel, chat_id: str, fanout: Fanout) -> Outcome:
    chat = visible_chat(caller, chat_id)
    if not chat.assignee_id:
        return Outcome(chat_view(chat))
    if chat.assignee_id != caller.user_id and not permissions.allows(caller, "team.manage"):
        raise Forbidden("only a manager can unassign someone else's dialogue")
    previous = chat.assignee_id
    counters = []
    if chat.status == STATUS_OPEN and (old := _member(caller.project_id, previous)):
        counters.append((old, -1))
    actions = [ChatModel.assignee_id.remove(), ChatModel.assignee_name.remove()]
    if chat.status == STATUS_OPEN:
        # Back in the queue, but not straight back to whoever gave it up.
        actions += [*_back_in_queue(chat), ChatModel.declined_by.set(previous)]
    said = (
        f"{caller.name} gave up the chat"
        if previous == caller.user_id
        else f"{caller.name} unassigned {chat.assignee_name}"
    )
    line = workflow_line(caller.project_id, chat.chat_id, said, caller.name)
    _commit(chat, actions, counters, line=line)
    announce_assignment(chat, previous, fanout, line)
    # Back in the queue: distribution may hand it (or another) to someone else at once.
    return Outcome(chat_view(chat), freed_slot=True)


def release_member_dialogues(project_id: str, member: MemberModel, fanout: Fanout) -> int:
    """A removed member's open dialogues go back to the queue and to the team's lists.
    They are found newest first through the project's activity index, and the search
    stops as soon as all of them (the member's count of open dialogues) are found.
    Returns how many went back (the caller then runs distribution)."""
    expected = int(member.active_chats or 0)
    released = 0
    if expected <= 0:
        return 0
    theirs = (ChatModel.assignee_id == member.user_id) & (ChatModel.status == STATUS_OPEN)
    for chat in ChatModel.by_activity.query(
        project_id, scan_index_forward=False, filter_condition=theirs
    ):
        actions = [
            ChatModel.assignee_id.remove(),
            ChatModel.assignee_name.remove(),
            *_back_in_queue(chat),
            ChatModel.declined_by.set(member.user_id),
        ]
        said = f"{member.name} left the team: the chat is back in the queue"
        line = workflow_line(project_id, chat.chat_id, said, member.name)
        try:
            _commit(chat, actions, [], line=line)
        except Conflict:
            continue  # changed meanwhile (closed, reassigned): no longer theirs
        announce_assignment(chat, member.user_id, fanout, line)
        released += 1
        if released >= expected:
            break
    return released


def close(caller: MemberModel, chat_id: str, fanout: Fanout, now: datetime) -> Outcome:
    chat = visible_chat(caller, chat_id)
    if chat.status == STATUS_CLOSED:
        return Outcome(chat_view(chat))
    freed = close_dialogue(chat, f"Closed by {caller.name}", caller.name, now, fanout)
    return Outcome(chat_view(chat), freed_slot=freed)


def close_dialogue(
    chat: ChatModel,
    why: str,
    author_name: str,
    now: datetime,
    fanout: Fanout,
    condition=None,
    closing: MessageModel | None = None,
) -> bool:
    """The one way a dialogue closes, by a member or by the clock (services/auto_close):
    one transaction closes it, gives the assignee's slot back, marks it closed for the
    widget and writes the team's line ``why``; then the team and the visitor hear it.
    ``condition``: what the dialogue must still be (default: as it was read);
    ``closing``: a message to the visitor stored with it (the project's closing
    message, whose idempotency guard makes a repeat store nothing twice).
    Raises Conflict if the dialogue moved. Returns whether a member's slot freed (the
    caller then runs distribution)."""
    owner = _member(chat.project_id, chat.assignee_id)
    actions = [
        ChatModel.status.set(STATUS_CLOSED),
        ChatModel.closed_at.set(now),
        ChatModel.open_shard.remove(),  # leaves the open-dialogues index
        ChatModel.waiting_project_id.remove(),
        ChatModel.queued_key.remove(),
        ChatModel.unanswered_key.remove(),  # nobody is waiting on a closed chat
    ]
    saves = ()
    if closing is not None:
        actions.append(ChatModel.last_message.set(last_message_of(closing)))
        guard = client_id_guard(closing, now)
        saves = ((guard, ClientMessageIdModel.client_key.does_not_exist()), (closing, None))
    # The team's line comes after the visitor's closing message (ids are time-ordered).
    line_at = now + timedelta(milliseconds=1) if closing is not None else now
    line = workflow_line(chat.project_id, chat.chat_id, why, author_name, line_at)
    _commit(
        chat,
        actions,
        [(owner, -1)] if owner is not None else [],
        [VisitorModel.closed_chats.add({chat.chat_id})],  # the widget's "closed" (history)
        line,
        condition=condition,
        saves=saves,
    )
    visitor_frames = [frames.closed(chat.chat_id)]
    if closing is not None:
        visitor_frames.insert(0, frames.closing_message(message_view(closing)))
    _announce(chat, chat.assignee_id, fanout, visitor_frames, line)
    return owner is not None


def reopen(caller: MemberModel, chat_id: str, fanout: Fanout) -> Outcome:
    chat = visible_chat(caller, chat_id)
    if chat.status != STATUS_CLOSED:
        raise Conflict("the dialogue is not closed")
    counters = []
    if (owner := _member(caller.project_id, chat.assignee_id)) is not None:
        counters.append((owner, +1))
    line = workflow_line(caller.project_id, chat.chat_id, f"Reopened by {caller.name}", caller.name)
    _commit(
        chat,
        [
            ChatModel.status.set(STATUS_OPEN),
            ChatModel.closed_at.remove(),
            ChatModel.open_shard.set(open_shard(chat.chat_id)),
            *([] if chat.assignee_id else _back_in_queue(chat)),
        ],
        counters,
        [VisitorModel.closed_chats.delete({chat.chat_id})],
        line,
    )
    _announce(chat, chat.assignee_id, fanout, frames.reopened(chat.chat_id), line)
    return Outcome(chat_view(chat))


def rate(identity: VisitorIdentity, chat_id, rating, fanout: Fanout) -> None:
    """The visitor's rating of a closed dialogue: great, average or poor."""
    if rating not in RATINGS:
        raise BadRequest("'rating' must be great, average or poor")
    if not isinstance(chat_id, str) or ids.visitor_of_chat(chat_id) != identity.visitor_id:
        raise Forbidden("not your dialogue")
    chat = ChatModel(identity.project_id, chat_id)
    try:
        chat.update(
            actions=[ChatModel.rating.set(rating)],
            condition=(ChatModel.visitor_id == identity.visitor_id)
            & (ChatModel.status == STATUS_CLOSED),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise Conflict("only a closed dialogue of yours can be rated") from None
        raise
    fanout.deliver(
        [
            (
                team_audience(identity.project_id),
                frames.chat(chat_view(chat)),
                permissions.team_sockets_for(chat.assignee_id),
            ),
            # Every tab of the visitor's, so none of them keeps asking.
            (
                visitor_audience(identity.project_id, identity.visitor_id),
                frames.rated(chat_id, rating),
            ),
        ]
    )
