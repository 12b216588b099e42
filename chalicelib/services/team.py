"""A project's team: invite by e-mail (Cognito account, temporary password), change a
member's role or chat-administrator right, remove a member (their sockets stop at once).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.clock import utcnow
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.models.base import cancellation_codes, retry_on_conflict, transaction_connection
from chalicelib.models.project import ROLE_ADMINISTRATOR, MemberModel, ProjectModel
from chalicelib.realtime import connections
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import (
    assignment,
    availability,
    distribution,
    permissions,
    projects,
    quotas,
)


def member_view(member: MemberModel) -> dict:
    return {
        "user_id": member.user_id,
        "email": member.email,
        "name": member.name,
        "role": member.role,
        "chat_admin": bool(member.chat_admin),
        "presence": member.presence,
        "status": member.status,
        "active_chats": int(member.active_chats or 0),
        "escalation_emails": member.escalation_emails is not False,
    }


def list_members(caller: MemberModel) -> list[dict]:
    permissions.require(caller, "team.view")
    return [member_view(m) for m in MemberModel.query(caller.project_id, consistent_read=True)]


def _role(value) -> str:
    if value not in permissions.ASSIGNABLE_ROLES:
        allowed = " or ".join(permissions.ASSIGNABLE_ROLES)
        raise BadRequest(f"'role' must be {allowed}")
    return value


def _temporary_password() -> str:
    # Meets the pool's policy (letters and digits), and is only ever used once.
    return "Tmp-" + secrets.token_urlsafe(12) + "7a"


def _cognito_user(cognito, pool_id: str, email: str, name: str, show_password: bool):
    """The invitee's Cognito account: created (Cognito e-mails a temporary password) or,
    if they already have one, found. Returns (user id, temporary password or None)."""
    try:
        attributes = cognito.admin_get_user(UserPoolId=pool_id, Username=email)["UserAttributes"]
        return next(a["Value"] for a in attributes if a["Name"] == "sub"), None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "UserNotFoundException":
            raise
    request = {
        "UserPoolId": pool_id,
        "Username": email,
        "UserAttributes": [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": name},
        ],
    }
    password = None
    if show_password:
        # No e-mail leaves the local stand-in: the inviter hands the password over.
        password = _temporary_password()
        request.update(TemporaryPassword=password, MessageAction="SUPPRESS")
    else:
        request["DesiredDeliveryMediums"] = ["EMAIL"]
    user = cognito.admin_create_user(**request)["User"]
    return next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub"), password


def invite(
    caller: MemberModel,
    cognito,
    pool_id: str,
    show_password: bool,
    email: str,
    name: str,
    role,
    now: datetime,
) -> dict:
    permissions.require(caller, "team.manage")
    role = _role(role)
    project = projects.require_project(caller.project_id)
    if quotas.member_slot_condition(project) is not None and int(project.member_count or 0) >= int(
        quotas.plan_of(project).limit(quotas.TEAM_MEMBERS)
    ):
        raise quotas.refusal(quotas.TEAM_MEMBERS)  # before any Cognito account is made
    user_id, password = _cognito_user(cognito, pool_id, email, name, show_password)
    member = MemberModel(
        caller.project_id,
        user_id,
        email=email,
        name=name,
        role=role,
        project_name=caller.project_name,
        created_at=now,
    )
    _join(project, member)
    quotas.member_added(caller.project_id, now)
    result = {"member": member_view(member)}
    if password:
        result["temporary_password"] = password
    return result


def _join(project: ProjectModel, member: MemberModel) -> None:
    """The member and the project's member count in one transaction, the count within
    the plan's limit: concurrent invitations cannot overshoot it."""
    slot = quotas.member_slot_condition(project)
    exists = ProjectModel.project_id.exists()

    def write():
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(member, condition=MemberModel.user_id.does_not_exist())
            transaction.update(
                ProjectModel(project.project_id),
                actions=[ProjectModel.member_count.add(1)],
                condition=exists & slot if slot is not None else exists,
            )

    try:
        retry_on_conflict(write)
    except TransactWriteError as error:
        reasons = cancellation_codes(error)
        if reasons[:1] == ["ConditionalCheckFailed"]:
            raise Conflict("already a member of this project") from None
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise quotas.refusal(quotas.TEAM_MEMBERS) from None
        raise


def _target(caller: MemberModel, user_id: str) -> MemberModel:
    if not isinstance(user_id, str) or not 0 < len(user_id) <= 64:
        raise NotFound("no such member")
    try:
        target = MemberModel.get(caller.project_id, user_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("no such member") from None
    if target.role == ROLE_ADMINISTRATOR:
        raise Forbidden("the administrator (the account owner) cannot be changed or removed")
    return target


def change(caller: MemberModel, user_id: str, body: dict) -> dict:
    permissions.require(caller, "team.manage")
    target = _target(caller, user_id)
    actions = []
    if "role" in body:
        actions.append(MemberModel.role.set(_role(body["role"])))
    if "chat_admin" in body:
        if not isinstance(body["chat_admin"], bool):
            raise BadRequest("'chat_admin' must be true or false")
        actions.append(MemberModel.chat_admin.set(body["chat_admin"]))
    if not actions:
        raise BadRequest("nothing to change: give 'role' and/or 'chat_admin'")
    target.update(actions=actions, condition=MemberModel.user_id.exists())
    connections.set_sees_all(
        caller.project_id, target.user_id, permissions.allows(target, "chats.see_all")
    )
    return member_view(target)


def remove(caller: MemberModel, user_id: str, fanout: Fanout) -> None:
    """Remove a member. Their open sockets are forgotten and closed now, so they stop
    receiving this project's events at once; their next request is refused."""
    permissions.require(caller, "team.manage")
    target = _target(caller, user_id)

    def leave():
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.delete(target, condition=MemberModel.user_id.exists())
            transaction.update(
                ProjectModel(caller.project_id),
                actions=[ProjectModel.member_count.add(-1)],
                condition=ProjectModel.member_count > 0,
            )

    try:
        retry_on_conflict(leave)
    except TransactWriteError as error:
        reasons = cancellation_codes(error)
        if reasons[:1] == ["ConditionalCheckFailed"]:
            raise NotFound("no such member") from None
        if reasons[1:2] != ["ConditionalCheckFailed"]:
            raise
        target.delete()  # a project from before member counts: nothing to count down
    for connection_id in connections.drop_operator(caller.project_id, target.user_id):
        fanout.close(connection_id)
    connections.set_available(caller.project_id, target.user_id, False)
    availability.announce(caller.project_id, fanout, utcnow())
    # Nobody would answer their dialogues any more: back to the queue with them.
    if assignment.release_member_dialogues(caller.project_id, target, fanout):
        distribution.distribute(caller.project_id, fanout)  # the queue may move at once


def set_status(caller: MemberModel, status, fanout: Fanout) -> dict:
    """The member's own status: online, away or offline. Going online may hand them
    waiting dialogues at once."""
    if status not in distribution.STATUSES:
        raise BadRequest("'status' must be online, away or offline")
    caller.update(actions=[MemberModel.status.set(status)], condition=MemberModel.user_id.exists())
    # The widget's "online" (services/availability.py): online with a panel open.
    available = status == "online" and int(caller.live_connections or 0) > 0
    connections.set_available(caller.project_id, caller.user_id, available)
    joined = caller.user_id if available else None
    availability.announce(caller.project_id, fanout, utcnow(), joined)  # open widgets follow
    if status == "online":
        distribution.distribute(caller.project_id, fanout)
    return member_view(caller)


def set_escalation_emails(caller: MemberModel, enabled) -> dict:
    """The member's own choice: e-mail me when a visitor waits for a reply (or not)."""
    if not isinstance(enabled, bool):
        raise BadRequest("'escalation_emails' must be true or false")
    caller.update(
        actions=[MemberModel.escalation_emails.set(enabled)],
        condition=MemberModel.user_id.exists(),
    )
    return member_view(caller)
