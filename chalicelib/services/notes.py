"""Internal notes inside a dialogue and the project's team chat: the team's own words,
live over the team's sockets, never stored where the visitor reads nor sent to them."""

from __future__ import annotations

from chalicelib.models.connection import team_audience
from chalicelib.models.message import AUTHOR_OPERATOR, TEAM_CHAT_ID
from chalicelib.models.project import MemberModel
from chalicelib.realtime import frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import message_store, permissions, push_events
from chalicelib.services.chat_reads import list_messages, message_view, visible_chat
from chalicelib.services.message_store import Posted


def _post_internal(
    member: MemberModel,
    chat_id: str,
    client_id: str,
    text: str,
    fanout: Fanout,
    frame,
    may_receive=None,
) -> Posted:
    """Store the team's own words (never the visitor's to see) and tell the team."""
    draft = message_store.Draft(
        member.project_id, chat_id, AUTHOR_OPERATOR, member.user_id, member.name, text,
        client_id, internal=True,
    )  # fmt: skip
    posted = message_store.store_standalone(draft)
    delivery = (team_audience(member.project_id), frame(message_view(posted.message)), may_receive)
    fanout.deliver([delivery])
    return posted


def post_note(
    member: MemberModel, chat_id: str, client_id: str, text: str, fanout: Fanout
) -> Posted:
    chat = visible_chat(member, chat_id)
    return _post_internal(
        member, chat.chat_id, client_id, text, fanout, frames.note,
        permissions.team_sockets_for(chat.assignee_id),
    )  # fmt: skip


def post_team_message(member: MemberModel, client_id: str, text: str, fanout: Fanout) -> Posted:
    posted = _post_internal(member, TEAM_CHAT_ID, client_id, text, fanout, frames.team_message)
    if not posted.duplicate:  # after the fan-out: the members it names get a push
        push_events.team_message(posted.message)
    return posted


def team_history(member: MemberModel, after: str | None, before: str | None, limit: int):
    permissions.require(member, "team.view")
    return list_messages(member.project_id, TEAM_CHAT_ID, after, limit, before)
