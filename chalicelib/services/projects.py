"""Project membership: every panel route and operator socket passes through here."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.auth.identities import OperatorIdentity
from chalicelib.errors import BadRequest, Forbidden, NotFound
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import ROLE_ADMINISTRATOR, MemberModel, ProjectModel
from chalicelib.services import (
    channel_gate,
    channel_health,
    consent,
    origins,
    permissions,
    prechat,
    quotas,
    widget_look,
)


def require_member(operator: OperatorIdentity, project_id: str) -> MemberModel:
    """The caller's membership of ``project_id``, or Forbidden.

    Unknown and foreign projects answer the same, so ids of other tenants leak nothing.
    """
    if not isinstance(project_id, str) or not project_id or len(project_id) > 64:
        raise Forbidden("not a member of this project")
    try:
        # Consistent: a member just added (or removed) is seen as such at once.
        return MemberModel.get(project_id, operator.user_id, consistent_read=True)
    except DoesNotExist:
        raise Forbidden("not a member of this project") from None


def require_project(project_id: str) -> ProjectModel:
    if not isinstance(project_id, str) or not project_id or len(project_id) > 64:
        raise NotFound("no such project")
    try:
        return ProjectModel.get(project_id)
    except DoesNotExist:
        raise NotFound("no such project") from None


def describe_operator(operator: OperatorIdentity) -> dict:
    memberships = list(MemberModel.by_user.query(operator.user_id))
    first = memberships[0] if memberships else None
    opened = [m for m in memberships if m.last_opened_at is not None]
    last = max(opened, key=lambda m: m.last_opened_at) if opened else None
    return {
        "user": {
            "id": operator.user_id,
            "email": first.email if first else operator.username,
            "name": first.name if first else operator.username,
        },
        "projects": [
            {
                "id": m.project_id,
                "name": m.project_name,
                "role": m.role,
                "chat_admin": bool(m.chat_admin),
            }
            for m in memberships
        ],
        # The project the panel opens (None: never set; the panel takes the first).
        "last_project_id": last.project_id if last else None,
    }


def open_project(operator: OperatorIdentity, project_id, now: datetime) -> dict:
    """Remember that the member opened this project (PUT /me/last-project): one write,
    conditional on the membership, so it is also the membership check."""
    if not isinstance(project_id, str) or not project_id or len(project_id) > 64:
        raise BadRequest("'project_id' must be one of your projects' ids")
    try:
        MemberModel(project_id, operator.user_id).update(
            actions=[MemberModel.last_opened_at.set(now)],
            condition=MemberModel.user_id.exists(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise Forbidden("not a member of this project") from None
        raise
    return {"last_project_id": project_id}


def project_view(project: ProjectModel, member: MemberModel | None = None) -> dict:
    view = {
        "id": project.project_id,
        "name": project.name,
        "chats_enabled": bool(project.chats_enabled),
        "plan": project.plan,
        "auto_close_minutes": project.auto_close_minutes,
        "auto_close_message": project.auto_close_message,
        "escalation_minutes": escalation_minutes(project),
        "push_previews": project.push_previews is not False,
        "consent": consent.view(project),
        "prechat": prechat.view(project),
        "channels": channel_gate.settings_view(project),
        "distribution": project.distribution,
        "max_active_chats": int(project.max_active_chats or 0),
        "allowed_domains": list(project.allowed_domains or []),
        "installed": project.installed_at is not None,
        **widget_look.fields(project),
    }
    if member is not None:
        view["role"] = member.role
        view["chat_admin"] = bool(member.chat_admin)
        # The member's own choice (PUT /projects/{pid}/escalation-emails).
        view["escalation_emails"] = member.escalation_emails is not False
    return view


def create_project(
    operator: OperatorIdentity, db, name: str, now: datetime, allowed_domains=None
) -> dict:
    """A new project (website) in the caller's account, with the caller as administrator."""
    current = next(iter(MemberModel.by_user.query(operator.user_id, limit=1)), None)
    project = quotas.start_free(
        ProjectModel(
            project_id=ids.new_project_id(),
            name=name,
            owner_id=operator.user_id,
            created_at=now,
            allowed_domains=allowed_domains or None,
        ),
        now,
    )
    member = MemberModel(
        project.project_id,
        operator.user_id,
        email=current.email if current else operator.username,
        name=current.name if current else operator.username,
        role=ROLE_ADMINISTRATOR,
        project_name=name,
        created_at=now,
    )
    with TransactWrite(connection=db) as transaction:
        transaction.save(project, condition=ProjectModel.project_id.does_not_exist())
        transaction.save(member)
    return project_view(project, member)


def view_project(member: MemberModel) -> dict:
    permissions.require(member, "project.view")
    view = project_view(require_project(member.project_id), member)
    # The banner's "needs reconnecting" for every member, with the project's first load.
    view["channel_alerts"] = channel_health.alerts(member.project_id)
    return view


def update_project(member: MemberModel, body: dict) -> dict:
    """Rename (administrator, managers) or switch chats on or off (administrator)."""
    actions = []
    name = body.get("name")
    if "name" in body:
        permissions.require(member, "project.rename")
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
            raise BadRequest("'name' must be 1-100 characters")
        name = name.strip()
        actions.append(ProjectModel.name.set(name))
    if "chats_enabled" in body:
        permissions.require(member, "project.switch_chats")
        if not isinstance(body["chats_enabled"], bool):
            raise BadRequest("'chats_enabled' must be true or false")
        actions.append(ProjectModel.chats_enabled.set(body["chats_enabled"]))
    actions += _settings_actions(member, body)
    if not actions:
        raise BadRequest("nothing to change: give 'name', 'chats_enabled' or settings")
    project = ProjectModel(member.project_id)
    project.update(actions=actions, condition=ProjectModel.project_id.exists())
    if "name" in body:
        # Memberships carry the name for the project switcher: a team is small.
        for teammate in MemberModel.query(member.project_id):
            teammate.update(actions=[MemberModel.project_name.set(name)])
    return project_view(project, member)


DEFAULT_ESCALATION_MINUTES = 3
MAX_ESCALATION_MINUTES = 1440


def escalation_minutes(project: ProjectModel) -> int:
    """After how many minutes of a visitor waiting someone is e-mailed (0: never)."""
    minutes = project.escalation_minutes
    return DEFAULT_ESCALATION_MINUTES if minutes is None else int(minutes)


def _settings_actions(member: MemberModel, body: dict) -> list:
    """The settings the body changes (managers and the administrator): auto-close,
    distribution, allowed domains, the widget's look, privacy consent, the pre-chat form."""
    actions = []
    if "auto_close_minutes" in body:
        permissions.require(member, "project.settings")
        minutes = body["auto_close_minutes"]
        if minutes is not None and (
            isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 43200
        ):
            raise BadRequest("'auto_close_minutes' must be 1-43200 (30 days) or null (never)")
        actions.append(
            ProjectModel.auto_close_minutes.set(minutes)
            if minutes is not None
            else ProjectModel.auto_close_minutes.remove()
        )
    if "escalation_minutes" in body:
        permissions.require(member, "project.settings")
        minutes = body["escalation_minutes"]
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int)
            or not 0 <= minutes <= MAX_ESCALATION_MINUTES
        ):
            raise BadRequest(
                f"'escalation_minutes' must be a whole number 0-{MAX_ESCALATION_MINUTES}"
                " (0: no e-mail)"
            )
        actions.append(ProjectModel.escalation_minutes.set(minutes))
    if "push_previews" in body:
        permissions.require(member, "project.settings")
        if not isinstance(body["push_previews"], bool):
            raise BadRequest("'push_previews' must be true or false")
        actions.append(ProjectModel.push_previews.set(body["push_previews"]))
    if "auto_close_message" in body:
        permissions.require(member, "project.settings")
        text = body["auto_close_message"]
        if text is not None and (not isinstance(text, str) or len(text) > 1000):
            raise BadRequest("'auto_close_message' must be text up to 1000 characters or null")
        actions.append(
            ProjectModel.auto_close_message.set(text.strip())
            if text and text.strip()
            else ProjectModel.auto_close_message.remove()
        )
    if "distribution" in body:
        permissions.require(member, "project.settings")
        if body["distribution"] not in ("manual", "round_robin", "least_busy"):
            raise BadRequest("'distribution' must be manual, round_robin or least_busy")
        actions.append(ProjectModel.distribution.set(body["distribution"]))
    if "max_active_chats" in body:
        permissions.require(member, "project.settings")
        limit = body["max_active_chats"]
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            raise BadRequest("'max_active_chats' must be 1-100")
        actions.append(ProjectModel.max_active_chats.set(limit))
    if "allowed_domains" in body:
        permissions.require(member, "project.settings")
        domains = origins.normalize_domains(body["allowed_domains"])
        actions.append(
            ProjectModel.allowed_domains.set(domains)
            if domains
            else ProjectModel.allowed_domains.remove()
        )
    if widget_look.FIELDS.keys() & body.keys():
        permissions.require(member, "project.settings")
        actions += widget_look.settings_actions(body)
    if "consent" in body:
        permissions.require(member, "project.settings")
        actions += consent.settings_actions(require_project(member.project_id), body["consent"])
    if "prechat" in body:
        permissions.require(member, "project.settings")
        actions += prechat.settings_actions(body["prechat"])
    if "channels" in body:
        permissions.require(member, "project.settings")
        actions += channel_gate.settings_actions(body["channels"])
    return actions
