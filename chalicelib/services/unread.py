"""Unread chats across the member's projects (GET /me/unread): the project switcher's
counts, the tab title's and the app badge's total.

A count means what the chat list's badge means: chats with messages from the visitor the
team has not read (``unread_by_team`` > 0), closed ones included, since the list shows
them too and reading one clears it. An operator without the right to see every chat
counts what their list shows: theirs and the unassigned ones.

Cost: the membership query GET /me makes, then one Query with Select COUNT per project
on the sparse ``unread`` index (models/chat.py), which holds only the unread chats; the
message path pays nothing for it (the attribute rides on the write that raises the
count).
"""

from __future__ import annotations

from chalicelib.auth.identities import OperatorIdentity
from chalicelib.models.chat import ChatModel
from chalicelib.models.project import MemberModel
from chalicelib.services import permissions


def unread_chats(member: MemberModel) -> int:
    """How many of the member's project's chats are unread by the team, as their list
    shows them."""
    visible = None
    if not permissions.allows(member, "chats.see_all"):
        visible = ChatModel.assignee_id.does_not_exist() | (ChatModel.assignee_id == member.user_id)
    return ChatModel.unread.count(member.project_id, filter_condition=visible)


def unread_by_project(operator: OperatorIdentity) -> dict:
    """``{"projects": {project id: unread chats}}`` for every project the caller is a
    member of now (a removed member's project is not among them)."""
    memberships = MemberModel.by_user.query(operator.user_id)
    return {"projects": {m.project_id: unread_chats(m) for m in memberships}}
