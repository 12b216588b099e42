"""Project membership: every panel route and operator socket passes through here."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.auth.identities import OperatorIdentity
from chalicelib.errors import Forbidden, NotFound
from chalicelib.models.project import MemberModel, ProjectModel


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
    return {
        "user": {
            "id": operator.user_id,
            "email": first.email if first else operator.username,
            "name": first.name if first else operator.username,
        },
        "projects": [
            {"id": m.project_id, "name": m.project_name, "role": m.role} for m in memberships
        ],
    }
