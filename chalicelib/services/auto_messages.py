"""Auto messages: create, list, read, change (PATCH), delete, and count their figures.

An auto message is a proactive chat, a targeted chat or an e-mail with its settings, its
content and a targeting rule set (validated by ``chalicelib.targeting.validate_rules``).
Only leads manage them. What one may say is checked by services/auto_message_fields.py
(bad input: ``BadRequest`` listing every problem by its path).

Sending is not here: the widget flow calls ``record`` to count what it sent, showed and
got answered; e-mail delivery (SES) is another module's.
"""

from __future__ import annotations

import re
from datetime import datetime

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from chalicelib import ids
from chalicelib.clock import iso, utcnow
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.models.auto_message import (
    EVENTS,
    TYPE_EMAIL,
    AutoMessageModel,
    ContentMap,
    email_shard,
)
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import MemberModel
from chalicelib.services import attachments, permissions, quotas
from chalicelib.services.auto_message_fields import (
    FIELDS,
    SETTINGS,
    content_map,
    defaults,
    refuse_unknown_fields,
    validated,
)
from chalicelib.targeting import FIELDS_BY_ID, LIMITS

# A hard sanity cap on one project's auto messages (the list is one unpaged Query). The
# billing plan's own limit on scenarios is the quotas module's: ``_check_scenario_quota``.
MAX_PER_PROJECT = 100
_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")


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
    refuse_unknown_fields(body)
    fields = validated({**defaults(body.get("type")), **body})
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
        content=content_map(content),
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
    refuse_unknown_fields(body)
    if not body:
        raise BadRequest(f"nothing to change: give any of {', '.join(FIELDS)}")
    item = _find(member, message_id)
    current = view(item)
    merged = {key: current[key] for key in FIELDS}
    merged.update({key: value for key, value in body.items() if key != "content"})
    if "content" in body:
        change = body["content"]
        merged["content"] = {**current["content"], **change} if isinstance(change, dict) else change
    fields = validated(merged)
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
    actions.append(AutoMessageModel.content.set(content_map(fields["content"])))
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
