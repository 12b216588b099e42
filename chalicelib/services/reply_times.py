"""How fast the team answers: the widget's "Typically replies in N min" (issue 13).

A sample is one chat's first reply time: seconds from the visitor's oldest unanswered
message (the chat's ``unanswered_key``) to the first team message after it. It is taken
when that reply is stored (services/messaging.py post_operator_message), in the reply's
own TransactWriteItems: the chat's UpdateItem sets ``first_reply_at`` under the
condition that it is still absent (two teammates answering at once: the second one's
write fails that condition, re-reads the chat and stores no sample), and one more item
rewrites the project's ``reply_samples``. No request is added to a reply; the first one
of a chat carries one more transaction item (the project's UpdateItem).

Which replies count: the first team reply to a visitor who is waiting, when both the
visitor's message and the reply fall within business hours (services/availability.py
within_hours), so nights and weekends do not inflate the figure. Notes, auto messages
and the away message never pass through the reply path, so they never count; a chat the
team started (proactive) counts from the visitor's first answer. Telegram and Messenger
chats count too: the same team answers them through the same reply path.

The samples live on the project item, which the widget's session reads anyway, so the
figure costs a page view nothing: the last ``MAX_SAMPLES`` as compact JSON
``[[seconds, epoch seconds], ...]``, oldest first. The list is rewritten from the
project as read before the reply; two first replies in the same project within those
few milliseconds keep one of the two samples (a statistic, not a ledger).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from datetime import datetime, timedelta

from chalicelib.models.chat import ESCALATED, ChatModel
from chalicelib.models.project import ProjectModel

MAX_SAMPLES = 50
WINDOW = timedelta(days=14)
MIN_SAMPLES = 5


def samples_of(project: ProjectModel) -> list[tuple[int, int]]:
    """The stored samples, oldest first; an unreadable value counts as none."""
    try:
        found = json.loads(project.reply_samples or "[]")
        return [(int(seconds), int(at)) for seconds, at in found]
    except (TypeError, ValueError):
        return []


def with_sample(project: ProjectModel, seconds: int, at: datetime) -> str:
    """The stored samples with one more, the oldest dropped beyond ``MAX_SAMPLES``."""
    kept = [*samples_of(project), (max(0, int(seconds)), int(at.timestamp()))]
    return json.dumps(kept[-MAX_SAMPLES:], separators=(",", ":"))


def summary(project: ProjectModel, now: datetime) -> dict | None:
    """The median first reply of the last 14 days, in whole minutes rounded up (1 at
    least), and how many chats it comes from; None below ``MIN_SAMPLES`` chats, so a
    new project shows no made-up figure."""
    since = (now - WINDOW).timestamp()
    recent = [seconds for seconds, at in samples_of(project) if at >= since]
    if len(recent) < MIN_SAMPLES:
        return None
    minutes = max(1, math.ceil(statistics.median(recent) / 60))
    return {"minutes": minutes, "chats": len(recent), "days": WINDOW.days}


def reply_minutes(project: ProjectModel, now: datetime) -> int | None:
    found = summary(project, now)
    return found["minutes"] if found else None


def asked_at(chat: ChatModel) -> datetime | None:
    """When the visitor started waiting (None: nobody is waiting on the team)."""
    key = chat.unanswered_key
    if not key:
        return None
    stamp = key[len(ESCALATED) :] if key.startswith(ESCALATED) else key
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def recorder(
    project: ProjectModel, chat: ChatModel, within: Callable[[ProjectModel, datetime], bool]
):
    """For message_store.append's ``also``: None when this reply is not the chat's first
    to a waiting visitor; else a function adding the first reply to the reply's own
    transaction (the chat's actions and condition, the project's sample when it counts).
    ``chat`` is the chat as read just before the write."""
    asked = asked_at(chat)
    if chat.first_reply_at is not None or asked is None:
        return None

    def also(transaction, message):
        replied = message.created_at
        if within(project, asked) and within(project, replied):
            seconds = (replied - asked).total_seconds()
            transaction.update(
                ProjectModel(project.project_id),
                actions=[ProjectModel.reply_samples.set(with_sample(project, seconds, replied))],
            )
        return [ChatModel.first_reply_at.set(replied)], ChatModel.first_reply_at.does_not_exist()

    return also
