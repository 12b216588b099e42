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
from chalicelib.errors import Forbidden, NotFound
from chalicelib.models.base import is_condition_failure
from chalicelib.models.chat import ChatModel
from chalicelib.models.connection import team_audience
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime import frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import permissions, projects, validation
from chalicelib.services.chat_reads import chat_view
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


def identify(identity: VisitorIdentity, body: dict, fanout: Fanout | None = None) -> dict:
    """Record the visitor as the site's logged-in user, if the signature holds."""
    user_id = text_field(body, "user_id", 128)
    signed = text_field(body, "hash", 128)
    # Checked before anything is read or written: a bad field changes nothing.
    name = validation.display_name(body, "name", 100)
    email = validation.optional_email(body, "email")
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
    update_visitor(identity, actions, name, fanout)
    return {"identified": True, "user_id": user_id}


def update_visitor(identity: VisitorIdentity, actions: list, name, fanout) -> VisitorModel:
    """Write what the visitor said about themselves (identify, the pre-chat form); a new
    ``name`` renames their open chat too. NotFound for a visitor with no record."""
    visitor = VisitorModel(identity.project_id, identity.visitor_id)
    try:
        # The update returns the record as written (ALL_NEW): its current dialogue, read
        # without another request.
        visitor.update(actions=actions, condition=VisitorModel.visitor_id.exists())
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("unknown visitor: start a session") from None
        raise
    if name and visitor.current_chat_id:
        _rename_chat(identity, visitor.current_chat_id, name, fanout)
    return visitor


def _rename_chat(identity: VisitorIdentity, chat_id: str, name: str, fanout) -> None:
    """The visitor's open dialogue takes the new name too, so the panel's header, list
    and message labels (which follow the dialogue's name) say what the visitor list says.
    One more write; conditioned on the name changing, so a site that identifies on
    every page view tells the team only once. Messages keep the name they were stored
    with and are not rewritten (the panel labels them with the dialogue's)."""
    chat = ChatModel(identity.project_id, chat_id)
    try:
        chat.update(
            actions=[ChatModel.visitor_name.set(name)],
            condition=(ChatModel.visitor_id == identity.visitor_id)
            & (ChatModel.visitor_name != name),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return  # already so named, or gone (the next dialogue takes the new name)
        raise
    if fanout is not None:
        fanout.deliver(
            [
                (
                    team_audience(identity.project_id),
                    frames.chat(chat_view(chat)),
                    permissions.team_sockets_for(chat.assignee_id),
                )
            ]
        )
