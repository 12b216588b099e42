"""The plan's messenger messages: every incoming Telegram/Messenger message counts once,
replies never; once the period's count reaches the limit the team cannot reply on
messengers (402), incoming messages are still stored, website chats are unaffected.

The count is an ADD in the incoming message's own transaction (``count_item``), so it is
exact under retries, replays and concurrent deliveries (services/channel_inbound.py).
The 80% and 100% warnings then need the count, which a transaction does not return: a
read of the period's usage. Far from the marks that read is skipped: after a read finds
the count below ``FAR_BELOW`` of the limit, the container counts what it stores itself
and reads again only when its own count could reach that fraction, or after
``RECHECK_SECONDS`` (other containers count too). A warning is so at most a minute late
in a burst spread over containers; the reply gate (``require_reply``) always reads.
"""

from __future__ import annotations

import time
from datetime import datetime

from chalicelib import periods
from chalicelib.models.project import ProjectModel
from chalicelib.models.usage import UsageModel
from chalicelib.services.quotas import (
    MESSENGER_MESSAGES,
    period_of,
    plan_of,
    refusal,
    usage_of,
    warn_if_due,
)

FAR_BELOW = 0.7  # of the limit: the first mark is 80%
RECHECK_SECONDS = 60.0
# (project, period) -> (when read, the count read, messages this container stored since)
_far: dict[tuple[str, str], tuple[float, int, int]] = {}


def reset() -> None:
    """Tests: a new moto, no counts."""
    _far.clear()


def count_incoming(project: ProjectModel, now: datetime) -> int:
    """Count one incoming messenger message on its own (never refused: it arrived), with
    its warnings. Returns this period's count."""
    period = period_of(project, now)
    usage = UsageModel(project.project_id, period.key)
    usage.update(actions=[UsageModel.messenger_messages.add(1)])
    count = int(usage.messenger_messages)
    limit = plan_of(project).limit(MESSENGER_MESSAGES)
    warn_if_due(project, period, MESSENGER_MESSAGES, count, limit, usage)
    return count


def count_item(project: ProjectModel, now: datetime) -> tuple[UsageModel, list, periods.Period]:
    """The usage item and the ADD that count one incoming messenger message, for the
    caller's transaction (written with the message and its once-only guard)."""
    period = period_of(project, now)
    return (
        UsageModel(project.project_id, period.key),
        [UsageModel.messenger_messages.add(1)],
        period,
    )


def counted(project: ProjectModel, period: periods.Period, clock=time.monotonic) -> None:
    """After a counted message was stored: the 80% and 100% warnings (no read on a plan
    without a limit, nor while far from the marks)."""
    limit = plan_of(project).limit(MESSENGER_MESSAGES)
    if limit is None:
        return
    key = (project.project_id, period.key)
    far = _far.get(key)
    if far is not None:
        read_at, count, since = far
        if clock() - read_at < RECHECK_SECONDS and count + since + 1 < FAR_BELOW * limit:
            _far[key] = (read_at, count, since + 1)
            return
    usage = usage_of(project.project_id, period.key)
    count = int(usage.messenger_messages or 0)
    if count < FAR_BELOW * limit:
        if len(_far) > 4096:
            _far.clear()
        _far[key] = (clock(), count, 0)
    else:
        _far.pop(key, None)
    warn_if_due(project, period, MESSENGER_MESSAGES, count, limit, usage)


def replies_stopped(used: int, limit: int | None) -> bool:
    """Replies on messengers stop once the period's incoming messages reach the limit
    (issue 11: "when the limit is reached the team cannot reply"): the message that
    reaches it is stored and counted, and the 100% e-mail says replies stopped."""
    return limit is not None and used >= limit


def require_reply(project: ProjectModel, now: datetime) -> None:
    """The team may reply on messengers until incoming messages reach the plan's limit."""
    limit = plan_of(project).limit(MESSENGER_MESSAGES)
    if limit is None:
        return
    usage = usage_of(project.project_id, period_of(project, now).key)
    if replies_stopped(int(usage.messenger_messages or 0), limit):
        raise refusal(MESSENGER_MESSAGES)
