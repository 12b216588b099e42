"""What an auto message may say: its settings, content and rules checked and
normalised (``validated``), the defaults of a new one, and the stored content map.

Bad input is refused the way the rules validator refuses it: ``BadRequest`` whose
message names the first problem by its path and whose ``errors`` list every problem as
``{"path", "message"}``, rule-set problems included. The operations are
services/auto_messages.py.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from chalicelib.errors import BadRequest
from chalicelib.models.auto_message import (
    TYPE_EMAIL,
    TYPE_PROACTIVE,
    TYPE_TARGETED,
    TYPES,
    AttachmentMap,
    ButtonMap,
    ContentMap,
)
from chalicelib.services import attachments
from chalicelib.targeting import FIELDS_BY_ID, validate_rules
from chalicelib.targeting.rules import Problems

# Where a chat type shows: the website only (issue 11 allows it). Their rules target page
# views (URLs, time on page, referrers), which a Telegram or Messenger customer never
# makes, and Messenger forbids automatic messages outside its 24-hour window anyway.
CHANNELS = ("widget",)
TEAM_STATUSES = ("online", "offline", "any")
AUDIENCES = ("visitors", "users", "both")
BUTTON_ACTIONS = ("link", "reply")
MAX_NAME_CHARS = 100
MAX_TEXT_CHARS = 4000
MAX_SUBJECT_CHARS = 200
MAX_BUTTONS = 5
MAX_BUTTON_LABEL_CHARS = 60
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_NAME_CHARS = attachments.MAX_NAME_CHARS
MAX_URL_CHARS = 2048

SETTINGS = ("name", "type", "enabled", "channels", "team_status", "audience", "once_per_user")
FIELDS = (*SETTINGS, "content", "rules")
CONTENT_KEYS = ("text", "subject", "image_url", "buttons", "attachments")
BUTTON_KEYS = ("label", "action", "url")
# What the API accepts for an attachment: the key (a draft from POST .../attachments, or
# one the message has) and the display name; the rest is what a view shows and is
# ignored when sent back, as the stored file is the truth.
ATTACHMENT_KEYS = ("key", "name", "url", "content_type", "size")


# Shape only; whose and whether it exists is attachments.settle's to check.
_ATTACHMENT_KEY = re.compile(
    r"(drafts|attachments)/[A-Za-z0-9_-]{1,64}/[0-9A-Z]{26}/[A-Za-z0-9._-]{1,100}"
)
# Control characters but newline and tab: they render as boxes in a chat bubble.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # one-line values: no newline either


def _choice(value, allowed: tuple[str, ...], path: str, problems: Problems) -> str | None:
    if not isinstance(value, str) or value not in allowed:
        problems.add(path, f"must be one of {', '.join(allowed)}")
        return None
    return value


def _flag(value, path: str, problems: Problems) -> bool | None:
    if not isinstance(value, bool):
        problems.add(path, "must be true or false")
        return None
    return value


def _line(value, max_chars: int, path: str, problems: Problems) -> str | None:
    """One line of text: trimmed, 1..max_chars, no control characters."""
    if not isinstance(value, str):
        problems.add(path, "must be text")
        return None
    value = value.strip()
    if not value:
        problems.add(path, "must not be empty")
    elif len(value) > max_chars:
        problems.add(path, f"must be at most {max_chars} characters")
    elif _CONTROL.search(value):
        problems.add(path, "must not contain control characters")
    else:
        return value
    return None


def _https_url(value, path: str, problems: Problems) -> str | None:
    # https only: the widget runs on customers' https pages, where http content is
    # blocked as mixed content, and javascript:/data: links must never reach a visitor.
    if not isinstance(value, str):
        problems.add(path, "must be an https:// URL")
        return None
    value = value.strip()
    if len(value) > MAX_URL_CHARS:
        problems.add(path, f"must be at most {MAX_URL_CHARS} characters")
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if (
        parts is None
        or parts.scheme != "https"
        or not host
        or re.search(r"[\s\x00-\x1f\x7f]", value)
    ):
        problems.add(path, "must be an https:// URL")
        return None
    return value


def _list_of(value, maximum: int, what: str, path: str, problems: Problems) -> list | None:
    if not isinstance(value, list):
        problems.add(path, f"must be a list of {what}")
        return None
    if len(value) > maximum:
        problems.add(path, f"has {len(value)} {what}; at most {maximum} are allowed")
        return None
    return value


def _object_with(value, keys: tuple[str, ...], what: str, path: str, problems: Problems):
    if not isinstance(value, dict):
        problems.add(path, f"must be an object with {', '.join(keys)}")
        return None
    unexpected = sorted(str(key) for key in value if key not in keys)
    if unexpected:
        problems.add(f"{path}.{unexpected[0]}", f"unknown key (a {what} has {', '.join(keys)})")
        return None
    return value


def _button(button, kind: str, path: str, problems: Problems) -> dict | None:
    button = _object_with(button, BUTTON_KEYS, "button", path, problems)
    if button is None:
        return None
    before = len(problems.found)
    label = _line(button.get("label"), MAX_BUTTON_LABEL_CHARS, f"{path}.label", problems)
    action = _choice(button.get("action"), BUTTON_ACTIONS, f"{path}.action", problems)
    url = None
    if action == "link":
        url = _https_url(button.get("url"), f"{path}.url", problems)
    elif action == "reply":
        if button.get("url") is not None:
            problems.add(f"{path}.url", "a reply button sends its label; it takes no url")
        if kind == TYPE_EMAIL:
            problems.add(f"{path}.action", "an e-mail cannot be replied to with a button; use link")
    if len(problems.found) != before:
        return None
    return {"label": label, "action": action, "url": url}


def _attachment(attachment, path: str, problems: Problems) -> dict | None:
    attachment = _object_with(attachment, ATTACHMENT_KEYS, "attachment", path, problems)
    if attachment is None:
        return None
    before = len(problems.found)
    name = _line(attachment.get("name"), MAX_ATTACHMENT_NAME_CHARS, f"{path}.name", problems)
    key = attachment.get("key")
    if not isinstance(key, str) or not _ATTACHMENT_KEY.fullmatch(key):
        problems.add(f"{path}.key", "must be the key an upload gave (POST .../attachments)")
    if len(problems.found) != before:
        return None
    return {"key": key, "name": name}


def _content(content, kind: str, problems: Problems) -> dict | None:
    content = _object_with(content, CONTENT_KEYS, "content", "content", problems)
    if content is None:
        return None
    text = content.get("text")
    if isinstance(text, str):
        text = _CONTROL_IN_TEXT.sub("", text).strip()
        if not text:
            problems.add("content.text", "must not be empty")
        elif len(text) > MAX_TEXT_CHARS:
            problems.add("content.text", f"must be at most {MAX_TEXT_CHARS} characters")
    else:
        problems.add("content.text", "is required (text)" if text is None else "must be text")
    subject = content.get("subject")
    if kind == TYPE_EMAIL:
        subject = _line(subject, MAX_SUBJECT_CHARS, "content.subject", problems)
    elif subject is not None:
        problems.add("content.subject", "only e-mail messages have a subject")
    image_url = content.get("image_url")
    if image_url is not None:
        image_url = _https_url(image_url, "content.image_url", problems)
    buttons = _list_of(
        content.get("buttons", []), MAX_BUTTONS, "buttons", "content.buttons", problems
    )
    buttons = [
        _button(b, kind, f"content.buttons[{i}]", problems) for i, b in enumerate(buttons or [])
    ]
    attachments = _list_of(
        content.get("attachments", []),
        MAX_ATTACHMENTS,
        "attachments",
        "content.attachments",
        problems,
    )
    attachments = [
        _attachment(a, f"content.attachments[{i}]", problems)
        for i, a in enumerate(attachments or [])
    ]
    keys = [a["key"] for a in attachments if a]
    if len(set(keys)) != len(keys):
        problems.add("content.attachments", "names a file twice")
    return {
        "text": text,
        "subject": subject,
        "image_url": image_url,
        "buttons": buttons,
        "attachments": attachments,
    }


def validated(candidate: dict) -> dict:
    """The whole auto message (settings, content, rules) checked and normalised, or
    ``BadRequest`` listing every problem by its path."""
    problems = Problems()
    kind = _choice(candidate.get("type"), TYPES, "type", problems)
    result = {
        "type": kind,
        "name": _line(candidate.get("name"), MAX_NAME_CHARS, "name", problems),
        "enabled": _flag(candidate.get("enabled"), "enabled", problems),
        "once_per_user": _flag(candidate.get("once_per_user"), "once_per_user", problems),
        "team_status": _choice(
            candidate.get("team_status"), TEAM_STATUSES, "team_status", problems
        ),
        "audience": _choice(candidate.get("audience"), AUDIENCES, "audience", problems),
    }
    channels = candidate.get("channels")
    if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
        problems.add(
            "channels",
            f"must be a list of channels: {', '.join(CHANNELS)} (auto messages run on "
            "the website only, not on Telegram or Messenger)",
        )
    elif len(set(channels)) != len(channels):
        problems.add("channels", "names a channel twice")
    elif kind == TYPE_EMAIL and channels:
        problems.add("channels", "an e-mail is not shown in a channel: give []")
    elif kind in (TYPE_PROACTIVE, TYPE_TARGETED) and not channels:
        problems.add("channels", "a chat message needs a channel to show in (widget)")
    result["channels"] = channels
    if kind in (TYPE_TARGETED, TYPE_EMAIL) and result["audience"] not in (None, "users"):
        what = "an e-mail" if kind == TYPE_EMAIL else "a targeted chat"
        problems.add("audience", f"{what} goes to logged-in users only: choose users")
    result["content"] = _content(candidate.get("content"), kind, problems)
    try:
        result["rules"] = validate_rules(candidate.get("rules"), "rules")
    except BadRequest as error:
        problems.extend(error.details.get("errors", [{"path": "rules", "message": error.message}]))
    else:
        if kind == TYPE_EMAIL:
            _refuse_widget_only_fields(result["rules"], problems)
    problems.raise_if_any()
    return result


def _refuse_widget_only_fields(rules: dict, problems: Problems) -> None:
    """An e-mail is sent by the clock app from what the server knows: a condition only the
    widget can tell (a timer, exit intent, the widget's state) could never hold."""
    placed = [(f"rules.all[{i}]", c) for i, c in enumerate(rules.get("all", []))]
    for g, group in enumerate(rules.get("any_groups", [])):
        placed += [(f"rules.any_groups[{g}][{i}]", c) for i, c in enumerate(group)]
    for path, condition in placed:
        field = FIELDS_BY_ID[condition["field"]]
        if field.side == "client":
            problems.add(
                f"{path}.field",
                f"an e-mail is sent from what the server knows; “{field.label}” is known "
                "only on the page, so it can never hold",
            )


def defaults(kind) -> dict:
    """What a new auto message has unless the body says otherwise."""
    chat = kind != TYPE_EMAIL
    return {
        "enabled": True,
        "once_per_user": True,
        "team_status": "any",
        # Targeted chats and e-mails reach logged-in users; proactive chats anyone.
        "audience": "both" if kind == TYPE_PROACTIVE else "users",
        "channels": ["widget"] if chat else [],
        "rules": {},
    }


def refuse_unknown_fields(body: dict) -> None:
    problems = Problems()
    for key in body:
        if key not in FIELDS:
            problems.add(str(key), f"unknown field (an auto message has {', '.join(FIELDS)})")
    problems.raise_if_any()


def content_map(content: dict) -> ContentMap:
    return ContentMap(
        text=content["text"],
        subject=content["subject"],
        image_url=content["image_url"],
        buttons=[ButtonMap(**button) for button in content["buttons"]],
        attachments=[AttachmentMap(**attachment) for attachment in content["attachments"]],
    )
