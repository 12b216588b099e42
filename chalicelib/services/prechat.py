"""Knowing who to answer: the project's pre-chat form, and what the visitor gives in it.

The setting (``PATCH /projects/{id}`` ``{"prechat": {mode, name, email}}``, managers and
the administrator) says whether the widget asks for a name and an e-mail address before
the first message (``before``), in a card after it (``inline``), or not at all (``off``),
and whether each field is ``off``, ``optional`` or ``required``. Stored as compact JSON on
the project, which the widget's session reads anyway: the form costs no request.

What the visitor gives in it is services/visitor_contact.py's.
"""

from __future__ import annotations

import json

from chalicelib.errors import BadRequest
from chalicelib.models.project import ProjectModel
from chalicelib.models.visitor import VisitorModel

MODES = ("off", "before", "inline")
FIELD_MODES = ("off", "optional", "required")
FIELDS = ("name", "email")
DEFAULT = {"mode": "off", "name": "off", "email": "off"}


def view(project: ProjectModel) -> dict:
    """The setting as the panel shows it; an unreadable stored value counts as off."""
    try:
        stored = json.loads(project.prechat or "{}")
    except ValueError:
        stored = {}
    if not isinstance(stored, dict):
        stored = {}
    chosen = {key: stored.get(key) for key in DEFAULT}
    if chosen["mode"] not in MODES:
        return dict(DEFAULT)
    for field in FIELDS:
        if chosen[field] not in FIELD_MODES:
            chosen[field] = "off"
    return chosen


def widget_view(project: ProjectModel) -> dict | None:
    """What the widget's session carries: None when the form asks for nothing."""
    setting = view(project)
    if setting["mode"] == "off" or all(setting[field] == "off" for field in FIELDS):
        return None
    return setting


def settings_actions(value) -> list:
    """``{"prechat": {...}}`` of a PATCH: the update action, or BadRequest (nothing set)."""
    if not isinstance(value, dict):
        raise BadRequest("'prechat' must be an object: {mode, name, email}")
    unknown = value.keys() - DEFAULT.keys()
    if unknown:
        raise BadRequest(f"'prechat' has no field '{sorted(unknown)[0]}' (mode, name, email)")
    setting = {**DEFAULT, **value}
    if setting["mode"] not in MODES:
        raise BadRequest("'prechat.mode' must be off, before or inline")
    for field in FIELDS:
        if setting[field] not in FIELD_MODES:
            raise BadRequest(f"'prechat.{field}' must be off, optional or required")
    if setting["mode"] != "off" and all(setting[field] == "off" for field in FIELDS):
        raise BadRequest("'prechat' asks for nothing: set 'name' or 'email' (or mode off)")
    return [ProjectModel.prechat.set(json.dumps(setting, separators=(",", ":")))]


def email_known(visitor: VisitorModel) -> bool:
    """The visitor has an address to be answered at: the identify call's verified one or
    one they gave (the widget then asks for none when the team is away)."""
    return bool(visitor.user_email or visitor.given_email)
