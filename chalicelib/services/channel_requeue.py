"""Team replies to Telegram/Messenger chats left ``sending`` with nothing on the queue:
the function stopped between storing the reply and queueing it, or the reply's queue
message ended in the dead-letter queue. The clock app puts each back on the queue.

- Found through the sparse ``sending`` index (``delivery``, ``sending_due``): every
  ``sending`` reply is in it, and only those; the range ``sending_due < now`` picks the
  overdue ones. A Query, never a Scan. ``sending_due`` rides on the writes a reply gets
  anyway (stored, moved, backed off), so the index costs no extra request per reply.
- Before queueing, one conditional UpdateItem moves ``sending_due`` on from the value it
  was found with: two clock runs at once queue it once, and it is not queued again
  before another grace has passed.
- Queueing a reply whose first queue message still exists (a slow queue) never sends it
  twice: the sender claims each part on the reply (services/channel_sender.py), and a
  copy that finds it sent skips it.
- A reply stored longer ago than the queue keeps anything (a day) and still not sent
  (it keeps coming back here) goes ``failed`` with a reason the team can Retry from,
  so nothing is re-queued for ever.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.models.chat import ChatModel
from chalicelib.models.message import MessageModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services.channel_outbox import (
    FAILED,
    SENDING,
    SENDING_GRACE,
    enqueue,
    move,
)

log = logging.getLogger(__name__)

BATCH = 200  # per run (every 5 minutes); the rest the next run finds
GIVE_UP_AFTER = timedelta(days=1)  # the channel queue's retention
GAVE_UP_REASON = "it could not be sent for a day; retry"


def run(now: datetime, fanout: Fanout | None) -> dict:
    result = {"examined": 0, "requeued": 0, "failed": 0}
    overdue = MessageModel.sending.query(SENDING, MessageModel.sending_due < now, limit=BATCH)
    for key in overdue:
        result["examined"] += 1
        try:
            message = MessageModel.get(key.chat_key, key.message_id, consistent_read=True)
        except DoesNotExist:
            continue
        if message.delivery != SENDING or not message.sending_due or message.sending_due >= now:
            continue  # settled or moved on since the index was written
        found = MessageModel.sending_due == message.sending_due
        if now - message.created_at > GIVE_UP_AFTER:
            assignee = _assignee(message)
            if move(message, SENDING, FAILED, assignee, fanout, GAVE_UP_REASON, also=found):
                result["failed"] += 1
            continue
        if not _push_due(message, found, now):
            continue
        try:
            enqueue(message, sent_ids=message.sent_parts or ())
        except Exception:  # noqa: BLE001 - logged; due again after the grace, tried then
            log.exception("could not queue reply %s again", message.message_id)
            continue
        result["requeued"] += 1
    return result


def _push_due(message: MessageModel, found, now: datetime) -> bool:
    try:
        message.update(
            actions=[MessageModel.sending_due.set(now + SENDING_GRACE)],
            condition=(MessageModel.delivery == SENDING) & found,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False  # another run took it, or it was settled meanwhile
        raise
    return True


def _assignee(message: MessageModel) -> str | None:
    try:
        return ChatModel.get(message.project_id, message.chat_id).assignee_id
    except DoesNotExist:
        return None
