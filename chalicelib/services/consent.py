"""Privacy-policy consent: what a project asks of a visitor before a new dialogue.

Only new dialogues ask: existing ones go on as they were. Channels in the project's
excluded list (the website widget is "widget"; messengers come later) never ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from chalicelib.errors import BadRequest, DomainError
from chalicelib.models.project import ProjectModel

WIDGET_CHANNEL = "widget"


class ConsentRequired(DomainError):
    code = "consent_required"


@dataclass(frozen=True)
class Requirement:
    text: str
    privacy_url: str | None
    version: int

    def view(self) -> dict:
        return {"text": self.text, "privacy_url": self.privacy_url, "version": self.version}


def requirement(project: ProjectModel, channel: str = WIDGET_CHANNEL) -> Requirement | None:
    if not project.consent_enabled or not project.consent_text:
        return None
    if channel in (project.consent_excluded_channels or set()):
        return None
    return Requirement(
        project.consent_text, project.consent_privacy_url, int(project.consent_version or 0)
    )


def check(project: ProjectModel, agreed_version, channel: str = WIDGET_CHANNEL):
    """The requirement the visitor has agreed to (or None if none applies); raises
    ConsentRequired, carrying the text to show, if they have not agreed to this one."""
    needed = requirement(project, channel)
    if needed is None:
        return None
    if agreed_version != needed.version or isinstance(agreed_version, bool):
        raise ConsentRequired("please accept the privacy policy first", consent=needed.view())
    return needed


def settings_actions(project: ProjectModel, value) -> list:
    """PATCH /projects/{id} {"consent": {...}}: validated update actions."""
    if not isinstance(value, dict):
        raise BadRequest("'consent' must be an object")
    actions = []
    if "enabled" in value:
        if not isinstance(value["enabled"], bool):
            raise BadRequest("'consent.enabled' must be true or false")
        actions.append(ProjectModel.consent_enabled.set(value["enabled"]))
    if "text" in value:
        text = value["text"]
        if not isinstance(text, str) or not 0 < len(text.strip()) <= 2000:
            raise BadRequest("'consent.text' must be 1-2000 characters")
        if text.strip() != (project.consent_text or ""):
            actions.append(ProjectModel.consent_text.set(text.strip()))
            actions.append(ProjectModel.consent_version.add(1))
    if "privacy_url" in value:
        url = value["privacy_url"]
        parsed = urlparse(url) if isinstance(url, str) else None
        if url is not None and (
            parsed is None
            or parsed.scheme not in {"https", "http"}
            or not parsed.netloc
            or len(url) > 2048
        ):
            raise BadRequest("'consent.privacy_url' must be an http(s) address or null")
        actions.append(
            ProjectModel.consent_privacy_url.set(url)
            if url
            else ProjectModel.consent_privacy_url.remove()
        )
    if "excluded_channels" in value:
        channels = value["excluded_channels"]
        if not isinstance(channels, list) or not all(
            isinstance(c, str) and 0 < len(c) <= 32 for c in channels
        ):
            raise BadRequest("'consent.excluded_channels' must be a list of channel names")
        actions.append(
            ProjectModel.consent_excluded_channels.set(set(channels))
            if channels
            else ProjectModel.consent_excluded_channels.remove()
        )
    enabling = value.get("enabled") is True
    if enabling and not (value.get("text") or project.consent_text):
        raise BadRequest("give 'consent.text' to switch consent on")
    return actions


def view(project: ProjectModel) -> dict:
    return {
        "enabled": bool(project.consent_enabled),
        "text": project.consent_text,
        "privacy_url": project.consent_privacy_url,
        "version": int(project.consent_version or 0),
        "excluded_channels": sorted(project.consent_excluded_channels or []),
    }
