"""Auto messages: create, list, read, change (PATCH), delete, and count their figures.

An auto message is a proactive chat, a targeted chat or an e-mail with its settings, its
content and a targeting rule set (validated by ``chalicelib.targeting.validate_rules``).
Only leads manage them. Bad input is refused the way the rules validator refuses it:
``BadRequest`` whose message names the first problem by its path and whose ``errors``
list every problem as ``{"path", "message"}``, rule-set problems included.

Sending is not here: the widget flow calls ``record`` to count what it sent, showed and
got answered; e-mail delivery (SES) is another module's.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from chalicelib import ids
from chalicelib.clock import iso, utcnow
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.models.auto_message import (
    EVENTS,
    TYPE_EMAIL,
    TYPE_PROACTIVE,
    TYPE_TARGETED,
    TYPES,
    AttachmentMap,
    AutoMessageModel,
    ButtonMap,
    ContentMap,
    email_shard,
)
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import MemberModel
from chalicelib.services import attachments, permissions, quotas
from chalicelib.targeting import FIELDS_BY_ID, LIMITS, validate_rules
from chalicelib.targeting.rules import Problems

# A hard sanity cap on one project's auto messages (the list is one unpaged Query). The
# billing plan's own limit on scenarios is the quotas module's: ``_check_scenario_quota``.
MAX_PER_PROJECT = 100
CHANNELS = ("widget",)  # where a chat type shows; more channels (messengers) will come
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

_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
# Shape only; whose and whether it exists is attachments.settle's to check.
_ATTACHMENT_KEY = re.compile(
    r"(drafts|attachments)/[A-Za-z0-9_-]{1,64}/[0-9A-Z]{26}/[A-Za-z0-9._-]{1,100}"
)
# Control characters but newline and tab: they render as boxes in a chat bubble.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # one-line values: no newline either


# --- views -----------------------------------------------------------------------------


def _content_view(content: ContentMap) -> dict:
    return {
        "text": content.text,
        "subject": content.subject,
        "image_url": content.image_url,
        "buttons": [
            {"label": b.label, "action": b.action, "url": b.url} for b in content.buttons or []
        ],
        "attachments": [
            {
                "name": a.name,
                "key": a.key,
                "url": attachments.public_url(a.key),
                "content_type": a.content_type,
                "size": int(a.size),
            }
            for a in content.attachments or []
        ],
    }


def _stats(item: AutoMessageModel) -> dict:
    return {
        "sent": int(item.sent or 0),
        "opened": int(item.opened or 0),
        "replied": int(item.replied or 0),
    }


def view(item: AutoMessageModel) -> dict:
    return {
        "id": item.message_id,
        "name": item.name,
        "type": item.type,
        "enabled": bool(item.enabled),
        "channels": [str(channel) for channel in item.channels or []],
        "team_status": item.team_status,
        "audience": item.audience,
        "once_per_user": bool(item.once_per_user),
        "content": _content_view(item.content),
        "rules": item.rules,
        "stats": _stats(item),
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "created_by": item.created_by,
    }


def catalogue() -> dict:
    """The targeting fields, their operators and the limits, for the panel's rule editor."""
    return {
        "fields": [
            {
                "id": field.id,
                "label": field.label,
                "type": field.type,
                "ops": list(field.ops),
                "values": list(field.values),
                "side": field.side,
            }
            for field in FIELDS_BY_ID.values()
        ],
        "limits": {
            "conditions_in_all": LIMITS.conditions_in_all,
            "groups": LIMITS.groups,
            "conditions_in_group": LIMITS.conditions_in_group,
            "conditions_total": LIMITS.conditions_total,
            "text_chars": LIMITS.text_chars,
            "count_max": LIMITS.count_max,
            "seconds_max": LIMITS.seconds_max,
        },
    }


# --- validation --------------------------------------------------------------------------


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


def _validated(candidate: dict) -> dict:
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
        problems.add("channels", f"must be a list of channels: {', '.join(CHANNELS)}")
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


def _defaults(kind) -> dict:
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


def _refuse_unknown_fields(body: dict) -> None:
    problems = Problems()
    for key in body:
        if key not in FIELDS:
            problems.add(str(key), f"unknown field (an auto message has {', '.join(FIELDS)})")
    problems.raise_if_any()


def _content_map(content: dict) -> ContentMap:
    return ContentMap(
        text=content["text"],
        subject=content["subject"],
        image_url=content["image_url"],
        buttons=[ButtonMap(**button) for button in content["buttons"]],
        attachments=[AttachmentMap(**attachment) for attachment in content["attachments"]],
    )


# --- operations --------------------------------------------------------------------------


def _check_scenario_quota(member: MemberModel) -> None:
    """Take one of the plan's scenario slots (402 ``scenarios`` when none is left; exact
    under concurrency). ``create`` gives it back if the message is not stored, ``delete``
    when it is deleted."""
    quotas.reserve_scenario(member.project_id, utcnow())


def _require_lead(member: MemberModel) -> MemberModel:
    return permissions.require(member, "auto_messages.manage")


def list_messages(member: MemberModel) -> list[dict]:
    """The project's auto messages, oldest first (ids are ULIDs). One Query."""
    _require_lead(member)
    return [view(item) for item in AutoMessageModel.query(member.project_id, consistent_read=True)]


def create(member: MemberModel, body: dict, now: datetime) -> dict:
    _require_lead(member)
    _refuse_unknown_fields(body)
    fields = _validated({**_defaults(body.get("type")), **body})
    # Counted by one Query (Select COUNT). Two creates racing at 99 could both pass: this
    # is a sanity bound on the list's size, not a paid quota, so that is acceptable.
    if AutoMessageModel.count(member.project_id, consistent_read=True) >= MAX_PER_PROJECT:
        raise Conflict(f"a project has at most {MAX_PER_PROJECT} auto messages; delete one first")
    _check_scenario_quota(member)
    published = []
    try:
        content = fields["content"]
        content["attachments"] = attachments.settle(member.project_id, content["attachments"], [])
        published = [attachment["key"] for attachment in content["attachments"]]
        return _store(member, fields, now)
    except Exception:
        quotas.release_scenario(member.project_id)  # not stored: the slot is free again
        attachments.discard(published)
        raise


def _store(member: MemberModel, fields: dict, now: datetime) -> dict:
    content = fields.pop("content")
    message_id = ids.message_id(now)
    item = AutoMessageModel(
        member.project_id,
        message_id,
        content=_content_map(content),
        created_at=now,
        updated_at=now,
        created_by=member.user_id,
        email_shard=_email_shard_of(message_id, fields),
        **fields,
    )
    item.save(condition=AutoMessageModel.message_id.does_not_exist())
    return view(item)


def _email_shard_of(message_id: str, fields: dict) -> str | None:
    """In the e-mail job's index only while an enabled e-mail message."""
    if fields.get("type") == TYPE_EMAIL and fields.get("enabled", True):
        return email_shard(message_id)
    return None


def _find(member: MemberModel, message_id) -> AutoMessageModel:
    # Ids not of our making cannot name an auto message: 404 without a read.
    if not isinstance(message_id, str) or not _ULID.fullmatch(message_id):
        raise NotFound("no such auto message")
    try:
        return AutoMessageModel.get(member.project_id, message_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("no such auto message") from None


def get(member: MemberModel, message_id: str) -> dict:
    _require_lead(member)
    return view(_find(member, message_id))


def update(member: MemberModel, message_id: str, body: dict, now: datetime) -> dict:
    """Change any subset of the fields. ``content`` is merged key by key (send
    ``{"content": {"text": ...}}`` to change the text alone); the rest replace. The
    merged auto message is validated as a whole, so a change can never leave it invalid
    (a type switched to e-mail without a subject, say)."""
    _require_lead(member)
    _refuse_unknown_fields(body)
    if not body:
        raise BadRequest(f"nothing to change: give any of {', '.join(FIELDS)}")
    item = _find(member, message_id)
    current = view(item)
    merged = {key: current[key] for key in FIELDS}
    merged.update({key: value for key, value in body.items() if key != "content"})
    if "content" in body:
        change = body["content"]
        merged["content"] = {**current["content"], **change} if isinstance(change, dict) else change
    fields = _validated(merged)
    held = _stored_attachments(item)
    content = fields["content"]
    content["attachments"] = attachments.settle(member.project_id, content["attachments"], held)
    kept = {attachment["key"] for attachment in content["attachments"]}
    before = {attachment["key"] for attachment in held}
    try:
        _write_update(member, item, fields, now)
    except Exception:
        attachments.discard(kept - before)  # published for a change that was not stored
        raise
    attachments.discard(before - kept)
    return view(item)


def _stored_attachments(item: AutoMessageModel) -> list[dict]:
    return [
        {"key": a.key, "name": a.name, "content_type": a.content_type, "size": int(a.size)}
        for a in item.content.attachments or []
    ]


def _write_update(member: MemberModel, item: AutoMessageModel, fields: dict, now) -> None:
    message_id = item.message_id
    actions = [getattr(AutoMessageModel, key).set(fields[key]) for key in SETTINGS]
    actions.append(AutoMessageModel.rules.set(fields["rules"]))
    actions.append(AutoMessageModel.content.set(_content_map(fields["content"])))
    actions.append(AutoMessageModel.updated_at.set(now))
    shard = _email_shard_of(message_id, fields)
    actions.append(
        AutoMessageModel.email_shard.set(shard) if shard else AutoMessageModel.email_shard.remove()
    )
    # Only the fields above are written, never the figures, so counts that widgets add
    # meanwhile are kept; and only over the version read, so two editors cannot silently
    # undo each other's changes.
    try:
        item.update(actions=actions, condition=AutoMessageModel.updated_at == item.updated_at)
    except UpdateError as error:
        if not is_condition_failure(error):
            raise
        _find(member, message_id)  # deleted meanwhile: 404
        raise Conflict("the auto message was changed meanwhile; reload it") from None


def delete(member: MemberModel, message_id: str) -> None:
    _require_lead(member)
    item = _find(member, message_id)
    try:
        item.delete(condition=AutoMessageModel.message_id.exists())
    except DeleteError as error:
        if is_condition_failure(error):
            raise NotFound("no such auto message") from None
        raise
    quotas.release_scenario(member.project_id)  # its plan slot is free again
    attachments.discard(attachment["key"] for attachment in _stored_attachments(item))


def record(project_id: str, message_id: str, event: str) -> dict:
    """Count one ``event`` (sent, opened = shown in the widget, replied) of an auto
    message: one UpdateItem ADD 1, conditional on the item existing (a count for a
    deleted message must not re-create it as a bare item). Concurrent calls never lose a
    count. Returns the figures after this one; NotFound for an unknown message."""
    if event not in EVENTS:
        raise BadRequest(f"event must be one of {', '.join(EVENTS)}")
    if not isinstance(project_id, str) or not project_id:
        raise NotFound("no such auto message")
    if not isinstance(message_id, str) or not _ULID.fullmatch(message_id):
        raise NotFound("no such auto message")
    item = AutoMessageModel(project_id, message_id)
    try:
        item.update(
            actions=[getattr(AutoMessageModel, event).add(1)],
            condition=AutoMessageModel.message_id.exists(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("no such auto message") from None
        raise
    return _stats(item)
