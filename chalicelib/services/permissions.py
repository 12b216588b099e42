"""Who may do what in a project: one table, read by every route and socket action.

Roles: the administrator (the account owner: billing, everything), managers (team,
settings, saved replies, auto messages, all dialogues) and operators (their own and
unassigned dialogues). The chat-administrator right gives any member all dialogues.
"""

from __future__ import annotations

from chalicelib.errors import Forbidden
from chalicelib.models.project import (
    ROLE_ADMINISTRATOR,
    ROLE_MANAGER,
    ROLE_OPERATOR,
    MemberModel,
)

EVERYONE = frozenset({ROLE_ADMINISTRATOR, ROLE_MANAGER, ROLE_OPERATOR})
LEADS = frozenset({ROLE_ADMINISTRATOR, ROLE_MANAGER})
OWNER = frozenset({ROLE_ADMINISTRATOR})

RULES: dict[str, frozenset[str]] = {
    "project.view": EVERYONE,
    "project.rename": LEADS,
    "project.switch_chats": OWNER,
    "project.settings": LEADS,
    "team.view": EVERYONE,
    "team.manage": LEADS,
    "chats.answer": EVERYONE,
    "chats.see_all": LEADS,  # and members with the chat-administrator right
    "replies.manage_shared": LEADS,
    "visitors.view": EVERYONE,
    # Plan, usage and why the widget is hidden: every member sees it (the panel says so).
    "billing.view": EVERYONE,
    # Choosing, paying or changing the plan: the account administrator only.
    "billing.manage": OWNER,
    "auto_messages.manage": LEADS,
    # Connecting Telegram bots and Facebook Pages (their tokens): services/channels.py.
    "channels.manage": LEADS,
}

# Roles a member may be given by invitation or change: there is one administrator per
# project, the account owner, so nobody is invited or promoted to it.
ASSIGNABLE_ROLES = (ROLE_MANAGER, ROLE_OPERATOR)


def allows(member: MemberModel, permission: str) -> bool:
    if permission == "chats.see_all" and member.chat_admin:
        return True
    return member.role in RULES[permission]


def require(member: MemberModel, permission: str) -> MemberModel:
    if not allows(member, permission):
        raise Forbidden(f"your role ({member.role}) does not allow this")
    return member


def can_see_chat(member: MemberModel, assignee_id: str | None) -> bool:
    """Operators see their own and unassigned dialogues; leads and chat administrators
    see all."""
    return allows(member, "chats.see_all") or not assignee_id or assignee_id == member.user_id


def team_sockets_for(assignee_id: str | None):
    """Which team sockets may receive a dialogue's events (None: all of them)."""
    if not assignee_id:
        return None
    return lambda record: bool(record.sees_all) or record.principal_id == assignee_id
