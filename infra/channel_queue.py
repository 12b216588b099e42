"""The channel sender's parts of the traffic stack: the queue team replies to
Telegram/Messenger chats wait on (+ its dead-letter queue), the ``channel_sender``
function's event source on it, and the permissions around them.

The message path (services/channel_outbox.py) sends one message per reply; the
``channel_sender`` function (app.py's ``on_sqs_message``) sends it to the platform and
requeues it itself, with ``DelaySeconds``, when the platform asks to wait (so every
function may send to the queue, the sender included). Chalice writes that event source
with a queue ARN built from the name in app.py; the merge points it at this stack's
queue instead, so two stacks in one account never share a queue.
"""

from __future__ import annotations

from infra import sqs_queues
from infra.app_graph import AppInfo
from infra.cfn import get_att, ref

CONSUMER_FUNCTION = "ChannelSender"  # to_cfn_resource_name("channel_sender")
# Retries back off up to 15 minutes, five times: a day covers them with room to spare.
RETENTION_SECONDS = 86400
# What failed is kept two weeks (SQS's maximum): someone may want to look at it. The
# sender raises only when it could not read a reply at all (DynamoDB unreachable).
DEAD_LETTER_RETENTION_SECONDS = 1209600


def resources() -> dict[str, dict]:
    return sqs_queues.queue_with_dead_letters(
        "ChannelQueue", RETENTION_SECONDS, DEAD_LETTER_RETENTION_SECONDS
    )


def environment() -> dict:
    return {"CHANNEL_QUEUE_URL": ref("ChannelQueue")}


def statements() -> list[dict]:
    """For every function: a reply may be posted (and so queued) from the REST API and
    the socket, and the sender requeues."""
    return [sqs_queues.send_statement("ChannelQueueSend", get_att("ChannelQueue", "Arn"))]


def outputs() -> dict:
    """For the clock app's stack: it queues again replies that never reached the queue
    (services/channel_requeue.py)."""
    return {
        "ChannelQueueUrl": {"Value": ref("ChannelQueue")},
        "ChannelQueueArn": {"Value": get_att("ChannelQueue", "Arn")},
    }


def scheduled_parameters() -> dict:
    return {
        "ChannelQueueUrl": {
            "Type": "String",
            "Description": "The traffic stack's ChannelQueueUrl output (unsent replies)",
        },
        "ChannelQueueArn": {
            "Type": "String",
            "Description": "The traffic stack's ChannelQueueArn output",
        },
    }


def scheduled_statement() -> dict:
    return sqs_queues.send_statement("ChannelQueueSend", ref("ChannelQueueArn"))


def consumer(info: AppInfo) -> dict[str, dict]:
    """The sender's event source on this stack's queue, and what its role needs."""
    return sqs_queues.consumer(
        info,
        CONSUMER_FUNCTION,
        "ChannelQueue",
        "channel_sender",
        "The channel sender receives from the channel queue",
    )
