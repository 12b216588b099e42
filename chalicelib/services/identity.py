"""Logged-in users: the site tells the widget who its user is, signed with the project's
identity-verification secret, so a visitor cannot claim to be someone else.

The site computes ``hex(HMAC-SHA256(secret, user_id))`` on its server and passes it to
``LiveChat.identify({user_id, name, email, hash})``. An identity whose HMAC fails is
refused and the visitor stays anonymous. The secret is made on first use (a
conditional write, so two managers asking at once get the same one) and shown only to
managers and the administrator.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pynamodb.exceptions import UpdateError

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.errors import BadRequest, Forbidden, NotFound
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import permissions, projects
from chalicelib.services.validation import text_field


def signature(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def secret_for(member: MemberModel) -> dict:
    """The project's identity-verification secret (made now if it has none)."""
    permissions.require(member, "project.settings")
    project = projects.require_project(member.project_id)
    if not project.identity_secret:
        candidate = secrets.token_hex(32)
        try:
            project.update(
                actions=[ProjectModel.identity_secret.set(candidate)],
                condition=ProjectModel.identity_secret.does_not_exist(),
            )
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
            project.refresh(consistent_read=True)  # another manager made it a moment ago
    return {"identity_secret": project.identity_secret}


def identify(identity: VisitorIdentity, body: dict) -> dict:
    """Record the visitor as the site's logged-in user, if the signature holds."""
    user_id = text_field(body, "user_id", 128)
    signed = text_field(body, "hash", 128)
    name = text_field(body, "name", 100, required=False)
    email = text_field(body, "email", 254, required=False)
    if email is not None and "@" not in email:
        raise BadRequest("'email' must be an e-mail address")
    project = projects.require_project(identity.project_id)
    if not project.identity_secret:
        raise Forbidden("identity verification is not set up for this project")
    if not hmac.compare_digest(signature(project.identity_secret, user_id), signed.lower()):
        raise Forbidden("the user's signature does not match: not identified")
    actions = [VisitorModel.user_id.set(user_id)]
    actions.append(VisitorModel.user_name.set(name) if name else VisitorModel.user_name.remove())
    actions.append(
        VisitorModel.user_email.set(email) if email else VisitorModel.user_email.remove()
    )
    # With an address, the user is one that e-mail auto messages may reach.
    actions.append(
        VisitorModel.user_project_id.set(identity.project_id)
        if email
        else VisitorModel.user_project_id.remove()
    )
    if name:
        actions.append(VisitorModel.name.set(name))
    try:
        VisitorModel(identity.project_id, identity.visitor_id).update(
            actions=actions, condition=VisitorModel.visitor_id.exists()
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("unknown visitor: start a session") from None
        raise
    return {"identified": True, "user_id": user_id}
