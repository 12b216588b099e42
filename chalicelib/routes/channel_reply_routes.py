"""Team replies to Telegram/Messenger chats: retrying a failed one, and the sender's
queue consumer (registered on the app in app.py, as Chalice wants it)."""

import json
import logging

from chalice import Blueprint

from chalicelib import deps
from chalicelib.routes.http import json_errors, operator_of
from chalicelib.services import channel_outbox, channel_sender, projects

log = logging.getLogger(__name__)
# The event source's queue as Chalice is told it: a placeholder. The stack's template
# (infra/channel_queue.py) replaces it with its own queue's ARN; locally
# infra/local/channel_queue.py delivers from the queue of this name.
CHANNEL_QUEUE_NAME = "livechat-channel-replies"
CHANNEL_QUEUE_ARN = f"arn:aws:sqs:us-east-1:000000000000:{CHANNEL_QUEUE_NAME}"
# Ten replies a batch at most: with Telegram's one a second per chat, a batch of one
# chat's replies still ends well inside the function's 30 s.
CHANNEL_BATCH_SIZE = 10

channel_reply_routes = Blueprint(__name__)


@channel_reply_routes.route(
    "/projects/{project_id}/chats/{chat_id}/messages/{message_id}/retry", methods=["POST"]
)
@json_errors
def retry_reply(project_id, chat_id, message_id):
    member = projects.require_member(operator_of(channel_reply_routes.current_request), project_id)
    return channel_outbox.retry(member, chat_id, message_id, deps.fanout())


def send_from_queue(event):
    """One SQS batch, one reply per record. A reply's own troubles never raise
    (services/channel_sender.py); a record whose reply could not even be read (DynamoDB
    unreachable) raises after the rest of the batch went, so SQS delivers the batch
    again (replies already sent are skipped) and, after three, the dead-letter queue."""
    pacer = channel_sender.Pacer()
    fanout = deps.fanout()
    unread = 0
    for record in event:
        message_id = record.to_dict().get("messageId")
        try:
            body = json.loads(record.body)
            outcome = channel_sender.handle(body if isinstance(body, dict) else {}, fanout, pacer)
        except ValueError:
            log.warning("channel queue message %s is not JSON: dropped", message_id)
            continue
        except Exception:  # noqa: BLE001 - logged; raised below so SQS tries again
            log.exception("channel queue message %s could not be handled", message_id)
            unread += 1
            continue
        log.info("channel reply %s: %s %s", message_id, outcome.state, outcome.reason or "")
    if unread:
        raise RuntimeError(f"{unread} channel replies could not be read; SQS retries them")
