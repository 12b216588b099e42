"""The notifier: turns one queued event (services/push_events.py) into Web Push
requests, on the queue's time, never the message's.

Who is told, per member and then per device (its prefs):
- a visitor's message in an unassigned chat nobody answered: the members who may take
  it (``new_chat``; not the one who gave it back); in a chat assigned to someone, or
  one a teammate answered: the assignee, else those who answered (``message``);
- a teammate's message in my chat (``message``); a chat assigned to me by someone else
  or by distribution (``assigned``), unless it moved on since; a team-chat message that
  names me (``mention``).
Never my own messages; not while one of my panel tabs shows that chat (the socket's
``viewing``); not while my status in the project is offline, unless the device says
``when_offline``. Only the chat's newest message pushes (a burst of messages gives one
push per device, not one per message), an event older than the push TTL is dropped, and
every push of a chat carries the same tag and Topic, so a device that comes online late
shows one notification per chat, not a flood.

The push service's answers: 404/410 delete the subscription; 429 puts the event back
once more for the limited devices only, after its Retry-After (SQS DelaySeconds, at
most 15 minutes), and gives up after ``MAX_ATTEMPTS``; anything else is logged (status
and a device id prefix only: endpoints and keys are secrets of the member's browser).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.models.chat import STATUS_CLOSED, ChatModel
from chalicelib.models.connection import team_audience
from chalicelib.models.message import AUTHOR_OPERATOR, AUTHOR_VISITOR, MessageModel, chat_key
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.models.push_subscription import PushSubscriptionModel
from chalicelib.realtime import connections
from chalicelib.services import push_events, push_payload, push_subscriptions
from chalicelib.services.push_payload import (
    KIND_ASSIGNED,
    KIND_MENTION,
    KIND_MESSAGE,
    KIND_NEW_CHAT,
)

log = logging.getLogger(__name__)

PUSH_TTL = 3600  # seconds a push service keeps a message for a device that is offline
URGENCY = "high"
MAX_ATTEMPTS = 3  # the first send and two more after 429s, then the event is dropped
DEFAULT_RETRY_AFTER = 60
MAX_DELAY = 900  # SQS DelaySeconds' ceiling
ANSWER_LOOKBACK = 20  # messages read to find out whether a teammate answered


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def handle(event: dict, now: datetime | None = None) -> dict:
    """Send the pushes one event calls for. Returns what happened (for logs and tests)."""
    now = now or utcnow()
    outcome = {"sent": 0, "gone": 0, "rate_limited": 0, "failed": 0, "skipped": None}
    try:
        if now - _parse(event["at"]) > timedelta(seconds=PUSH_TTL):
            return {**outcome, "skipped": "stale"}
        project = ProjectModel.get(event["project_id"])
    except (KeyError, TypeError, ValueError, DoesNotExist):
        return {**outcome, "skipped": "unknown"}
    team = {m.user_id: m for m in MemberModel.query(project.project_id)}
    plan, context = _plan(event, team)
    if not plan:
        return {**outcome, "skipped": context or "nobody"}
    viewers = _viewers(project.project_id, event["chat_id"], now)
    plan = [(member, kind) for member, kind in plan if member.user_id not in viewers]
    only = {tuple(device) for device in event.get("devices") or []} or None
    limited: list[list[str]] = []
    retry_after = 0
    sender = deps.web_push()
    if sender is None:
        return {**outcome, "skipped": "not configured"}
    for member, kind in plan:
        payload = push_payload.build(
            project, event["chat_id"], kind, event["at"], context, _preview_text(event),
            (event.get("message") or {}).get("author_name"),
        )  # fmt: skip
        for device in _devices(member, kind, only):
            keys = {"p256dh": device.p256dh, "auth": device.auth}
            result = sender.send(
                {"endpoint": device.endpoint, "keys": keys},
                payload, PUSH_TTL, URGENCY, push_payload.topic_of(payload["tag"]),
            )  # fmt: skip
            _record(device, result, now, outcome, limited)
            if result.status == 429:
                retry_after = max(retry_after, result.retry_after or DEFAULT_RETRY_AFTER)
    if limited:
        _requeue(event, limited, retry_after)
    return outcome


def _preview_text(event: dict) -> str | None:
    message = event.get("message") or {}
    return message.get("text") or event.get("preview")


def _plan(event: dict, team: dict[str, MemberModel]):
    """[(member, kind)] before devices, viewers and prefs; and the chat's visitor name
    (or why nobody is told)."""
    kind = event.get("kind")
    if kind == push_events.KIND_TEAM:
        return _mentions(event, team), ""
    try:
        chat = ChatModel.get(event["project_id"], event["chat_id"], consistent_read=True)
    except DoesNotExist:
        return [], "no chat"
    if chat.status == STATUS_CLOSED:
        return [], "closed"
    who = event.get("visitor_name") or chat.visitor_name
    if kind == push_events.KIND_ASSIGNED:
        assignee = event.get("assignee_id")
        if chat.assignee_id != assignee or assignee == event.get("actor_id"):
            return [], "moved on"
        event["preview"] = chat.last_message.text if chat.last_message else None
        return [(team[assignee], KIND_ASSIGNED)] if assignee in team else [], who
    if kind != push_events.KIND_MESSAGE:
        return [], "unknown"
    message = event.get("message") or {}
    if chat.last_message is not None and chat.last_message.id != message.get("id"):
        return [], "superseded"  # a newer message's event pushes instead
    author = message.get("author_id")
    if chat.assignee_id:
        assignee = team.get(chat.assignee_id)
        return ([(assignee, KIND_MESSAGE)] if assignee and assignee.user_id != author else []), who
    if message.get("author_type") != AUTHOR_VISITOR:
        return [], "unassigned"
    answered = _answered_by(chat)
    if answered:  # a teammate answered: never a new-chat push, the answerers hear it
        return [(team[uid], KIND_MESSAGE) for uid in answered if uid in team], who
    takers = [m for m in team.values() if m.user_id != chat.declined_by]
    return [(m, KIND_NEW_CHAT) for m in takers], who


def _answered_by(chat: ChatModel) -> list[str]:
    """The members who wrote to the visitor in the chat's latest messages."""
    found: list[str] = []
    for message in MessageModel.query(
        chat_key(chat.project_id, chat.chat_id), scan_index_forward=False, limit=ANSWER_LOOKBACK
    ):
        member_reply = message.author_type == AUTHOR_OPERATOR and not message.internal
        by_member = member_reply and not message.author_id.startswith("auto.")
        if by_member and message.author_id not in found:
            found.append(message.author_id)
    return found


def _mentions(event: dict, team: dict[str, MemberModel]):
    message = event.get("message") or {}
    text = message.get("text") or ""
    author = message.get("author_id")
    named = [m for m in team.values() if m.user_id != author and push_payload.names(m, text)]
    return [(m, KIND_MENTION) for m in named]


def _viewers(project_id: str, chat_id: str, now: datetime) -> set[str]:
    """Members with a live panel tab showing this chat (visible and focused)."""
    cutoff = now.timestamp()
    return {
        record.principal_id
        for record in connections.audience_connections(team_audience(project_id))
        if record.viewing_chat_id == chat_id and (record.expires_epoch or 0) >= cutoff
    }


def _devices(member: MemberModel, kind: str, only):
    offline = member.status == "offline"
    pref = push_payload.PREF_OF[kind]
    for device in PushSubscriptionModel.query(member.user_id):
        if only is not None and (device.user_id, device.device_id) not in only:
            continue
        prefs = push_subscriptions.prefs_of(device)
        if prefs[pref] and (prefs["when_offline"] or not offline):
            yield device


def _record(device: PushSubscriptionModel, result, now, outcome: dict, limited: list) -> None:
    if result.delivered:
        outcome["sent"] += 1
        with contextlib.suppress(UpdateError):  # unsubscribed meanwhile
            device.update(
                actions=[PushSubscriptionModel.last_sent_at.set(now)],
                condition=PushSubscriptionModel.device_id.exists(),
            )
    elif result.gone:
        outcome["gone"] += 1
        try:
            device.delete()
        except DeleteError:
            log.warning("could not delete gone subscription %s", device.device_id[:8])
    elif result.status == 429:
        outcome["rate_limited"] += 1
        limited.append([device.user_id, device.device_id])
    else:
        outcome["failed"] += 1
        log.warning("push to device %s failed: HTTP %s", device.device_id[:8], result.status)


def _requeue(event: dict, limited: list, retry_after: int) -> None:
    attempt = int(event.get("attempt") or 0) + 1
    if attempt >= MAX_ATTEMPTS:
        log.warning("push given up after %s attempts (429)", attempt)
        return
    again = {k: v for k, v in event.items() if k != "preview"}
    push_events.send({**again, "attempt": attempt, "devices": limited}, min(retry_after, MAX_DELAY))
