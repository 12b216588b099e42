"""Saved replies: create, edit, delete; personal or shared; filled in for a dialogue.

Variables: ``{visitor_name}``, ``{visitor_email}``, ``{operator_name}``,
``{project_name}``. A reply naming any other ``{variable}`` is refused when saved, so a
typo never reaches a visitor. ``{visitor_email}`` is the identify call's verified address,
else the one the visitor gave (empty when none is known); the visitor is read only when a
reply uses it.
"""

from __future__ import annotations

import re
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib import ids
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.models.connection import team_audience
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.models.saved_reply import SavedReplyModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime import frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import permissions, validation

VARIABLES = ("visitor_name", "visitor_email", "operator_name", "project_name")
_VARIABLE = re.compile(r"\{([a-z_]+)\}")
_SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def view(reply: SavedReplyModel, filled: str | None = None) -> dict:
    result = {
        "id": reply.reply_id,
        "shortcut": reply.shortcut,
        "title": reply.title,
        "text": reply.text,
        "shared": reply.owner_id is None,
    }
    if filled is not None:
        result["filled"] = filled
    return result


def fill(text: str, values: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _usable(member: MemberModel) -> list[SavedReplyModel]:
    return [
        reply
        for reply in SavedReplyModel.query(member.project_id, consistent_read=True)
        if reply.owner_id in (None, member.user_id)
    ]


def list_replies(member: MemberModel, chat=None) -> list[dict]:
    """The member's usable replies, by shortcut; filled in for ``chat`` if given."""
    values = None
    replies = sorted(_usable(member), key=lambda r: r.shortcut)
    if chat is not None:
        project = ProjectModel.get(member.project_id)
        values = {
            "visitor_name": chat.visitor_name,
            "operator_name": member.name,
            "project_name": project.name,
        }
        if any("{visitor_email}" in r.text for r in replies):
            values["visitor_email"] = _email_of(member.project_id, chat.visitor_id)
    return [view(r, fill(r.text, values) if values else None) for r in replies]


def _email_of(project_id: str, visitor_id: str) -> str:
    try:
        visitor = VisitorModel.get(project_id, visitor_id)
    except DoesNotExist:
        return ""
    return visitor.user_email or visitor.given_email or ""


def _tell_panels(reply: SavedReplyModel, change: str, fanout: Fanout) -> None:
    """Open panels learn of the change at once (no reload): a shared reply's to the
    whole team, a personal one's only to its owner's other panels (nobody else may see
    it). Never to visitors: the frame goes to the team's sockets only."""
    owner = reply.owner_id
    may_receive = None if owner is None else (lambda record: record.principal_id == owner)
    frame = frames.saved_reply(change, view(reply))
    fanout.deliver([(team_audience(reply.project_id), frame, may_receive)])


def _fields(body: dict, partial: bool) -> dict:
    fields = {}
    if "shortcut" in body or not partial:
        shortcut = body.get("shortcut")
        if not isinstance(shortcut, str) or not _SHORTCUT.fullmatch(shortcut.lower()):
            raise BadRequest("'shortcut' must be 1-32 letters, digits, - or _")
        fields["shortcut"] = shortcut.lower()
    if "title" in body or not partial:
        fields["title"] = validation.text_field(body, "title", 100).strip()
    if "text" in body or not partial:
        text = validation.text_field(body, "text", 4000)
        unknown = sorted(set(_VARIABLE.findall(text)) - set(VARIABLES))
        if unknown:
            names = ", ".join("{" + name + "}" for name in VARIABLES)
            raise BadRequest(f"unknown variable {{{unknown[0]}}}; use {names}")
        fields["text"] = text
    return fields


def _check_shortcut_free(member: MemberModel, shortcut: str, except_id: str | None = None):
    for reply in _usable(member):
        if reply.shortcut == shortcut and reply.reply_id != except_id:
            raise Conflict(f"the shortcut /{shortcut} is taken")


def create(member: MemberModel, body: dict, now: datetime, fanout: Fanout) -> dict:
    shared = body.get("shared", False)
    if not isinstance(shared, bool):
        raise BadRequest("'shared' must be true or false")
    if shared:
        permissions.require(member, "replies.manage_shared")
    fields = _fields(body, partial=False)
    _check_shortcut_free(member, fields["shortcut"])
    reply = SavedReplyModel(
        member.project_id,
        ids.message_id(now),
        owner_id=None if shared else member.user_id,
        created_at=now,
        updated_at=now,
        **fields,
    )
    reply.save(condition=SavedReplyModel.reply_id.does_not_exist())
    _tell_panels(reply, "created", fanout)
    return view(reply)


def _editable(member: MemberModel, reply_id: str) -> SavedReplyModel:
    if not isinstance(reply_id, str) or not 0 < len(reply_id) <= 40:
        raise NotFound("no such saved reply")
    try:
        reply = SavedReplyModel.get(member.project_id, reply_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("no such saved reply") from None
    if reply.owner_id is None:
        permissions.require(member, "replies.manage_shared")
    elif reply.owner_id != member.user_id:
        raise NotFound("no such saved reply")  # someone's personal reply: not yours to see
    return reply


def update(member: MemberModel, reply_id: str, body: dict, now: datetime, fanout: Fanout) -> dict:
    reply = _editable(member, reply_id)
    fields = _fields(body, partial=True)
    if not fields:
        raise BadRequest("nothing to change: give 'shortcut', 'title' and/or 'text'")
    if "shortcut" in fields:
        _check_shortcut_free(member, fields["shortcut"], except_id=reply.reply_id)
    actions = [getattr(SavedReplyModel, k).set(v) for k, v in fields.items()]
    actions.append(SavedReplyModel.updated_at.set(now))
    reply.update(actions=actions, condition=SavedReplyModel.reply_id.exists())
    _tell_panels(reply, "updated", fanout)
    return view(reply)


def delete(member: MemberModel, reply_id: str, fanout: Fanout) -> None:
    reply = _editable(member, reply_id)
    reply.delete()
    _tell_panels(reply, "deleted", fanout)
