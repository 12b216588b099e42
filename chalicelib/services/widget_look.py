"""How the chat widget looks on a project's site: accent colour, title and greeting.

Set in the panel (Install) and sent with every widget session, so a site owner never has
to edit the ``<script>`` tag to change them. A tag's own ``data-color``, ``data-title``
or ``data-greeting`` still wins in the widget: a site that set them keeps its look.
Unset (None) means the widget's default (indigo, "Chat with us" or the project's name,
its standard greeting).
"""

from __future__ import annotations

import re

from chalicelib.errors import BadRequest
from chalicelib.models.project import ProjectModel

# body key -> (model attribute, loader config key, most characters)
FIELDS = {
    "widget_color": ("widget_color", "color", 7),
    "widget_title": ("widget_title", "title", 40),
    "widget_greeting": ("widget_greeting", "greeting", 200),
}
_COLOR = re.compile(r"#[0-9a-f]{6}")
# One line each: the widget draws them as single lines of text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(key: str, value) -> str | None:
    """The stored form of one field, or the problem with it (raised)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be text or null")
    text = value.strip()
    if not text:
        return None
    if key == "widget_color":
        if not _COLOR.fullmatch(text.lower()):
            raise ValueError("must be a colour as #rrggbb, such as #4f46e5")
        return text.lower()
    limit = FIELDS[key][2]
    if len(text) > limit:
        raise ValueError(f"must be at most {limit} characters")
    if _CONTROL.search(text):
        raise ValueError("must be one line of text")
    return text


def settings_actions(body: dict) -> list:
    """The update actions for the look fields present in a PATCH body; every bad field
    is named at once (``errors``), and nothing is written if any is bad."""
    actions, errors = [], []
    for key, (attribute, _, _) in FIELDS.items():
        if key not in body:
            continue
        try:
            value = _clean(key, body[key])
        except ValueError as problem:
            errors.append({"path": key, "message": f"'{key}' {problem}"})
            continue
        model_attribute = getattr(ProjectModel, attribute)
        actions.append(model_attribute.set(value) if value else model_attribute.remove())
    if errors:
        raise BadRequest(errors[0]["message"], errors=errors)
    return actions


def fields(project: ProjectModel) -> dict:
    """The project view's look fields (null: the widget's default)."""
    return {key: getattr(project, attribute) for key, (attribute, _, _) in FIELDS.items()}


def view(project: ProjectModel) -> dict:
    """What the widget session sends: only what is set, under the loader's own config
    names (``color``, ``title``, ``greeting``), so the loader merges it in one loop."""
    return {
        name: getattr(project, attribute)
        for attribute, name, _ in FIELDS.values()
        if getattr(project, attribute)
    }
