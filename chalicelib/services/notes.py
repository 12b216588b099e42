"""Internal notes inside a dialogue and the project's team chat: the team's own words,
live over the team's sockets, never stored where the visitor reads nor sent to them."""

from __future__ import annotations

from chalicelib.models.connection import team_audience
from chalicelib.models.message import AUTHOR_OPERATOR, TEAM_CHAT_ID
from chalicelib.models.project import MemberModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import assignment, messaging, permissions


def post_note(
    member: MemberModel, chat_id: str, client_id: str, text: str, fanout: Fanout
) -> messaging.Posted:
    chat = assignment.visible_chat(member, chat_id)
    draft = messaging.Draft(
        member.project_id,
        chat.chat_id,
        AUTHOR_OPERATOR,
        member.user_id,
        member.name,
        text,
        client_id,
        internal=True,
    )
    posted = messaging.store_standalone(draft)
    fanout.deliver(
        [
            (
                team_audience(member.project_id),
                {"type": "note", "message": messaging.message_view(posted.message)},
                permissions.team_sockets_for(chat.assignee_id),
            )
        ]
    )
    return posted


def post_team_message(
    member: MemberModel, client_id: str, text: str, fanout: Fanout
) -> messaging.Posted:
    draft = messaging.Draft(
        member.project_id,
        TEAM_CHAT_ID,
        AUTHOR_OPERATOR,
        member.user_id,
        member.name,
        text,
        client_id,
        internal=True,
    )
    posted = messaging.store_standalone(draft)
    fanout.deliver(
        [
            (
                team_audience(member.project_id),
                {"type": "team_message", "message": messaging.message_view(posted.message)},
            )
        ]
    )
    return posted


def team_history(member: MemberModel, after: str | None, before: str | None, limit: int):
    permissions.require(member, "team.view")
    return messaging.list_messages(member.project_id, TEAM_CHAT_ID, after, limit, before)
