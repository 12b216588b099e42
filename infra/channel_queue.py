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

from infra.app_graph import AppInfo
from infra.cfn import get_att, managed_policy, ref

CONSUMER_FUNCTION = "ChannelSender"  # to_cfn_resource_name("channel_sender")
# Retries back off up to 15 minutes, five times: a day covers them with room to spare.
RETENTION_SECONDS = 86400
# Six times the function's 30 s timeout, as AWS advises for SQS event sources.
VISIBILITY_SECONDS = 180


def resources() -> dict[str, dict]:
    return {
        "ChannelDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            # Kept two weeks (SQS's maximum): someone may want to look at what failed.
            "Properties": {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True},
        },
        "ChannelQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "MessageRetentionPeriod": RETENTION_SECONDS,
                "VisibilityTimeout": VISIBILITY_SECONDS,
                "SqsManagedSseEnabled": True,
                # The sender raises only when it could not read a reply at all (DynamoDB
                # unreachable): three such deliveries, then the dead-letter queue.
                "RedrivePolicy": {
                    "deadLetterTargetArn": get_att("ChannelDeadLetterQueue", "Arn"),
                    "maxReceiveCount": 3,
                },
            },
        },
    }


def environment() -> dict:
    return {"CHANNEL_QUEUE_URL": ref("ChannelQueue")}


def statements() -> list[dict]:
    """For every function: a reply may be posted (and so queued) from the REST API and
    the socket, and the sender requeues."""
    return [
        {
            "Sid": "ChannelQueueSend",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": get_att("ChannelQueue", "Arn"),
        }
    ]


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
    return {
        "Sid": "ChannelQueueSend",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": ref("ChannelQueueArn"),
    }


def consumer(info: AppInfo) -> dict[str, dict]:
    """The sender's event source on this stack's queue, and what its role needs to
    receive from it."""
    role = next((r for r in info.roles if r.startswith(CONSUMER_FUNCTION)), None)
    if CONSUMER_FUNCTION not in info.functions or role is None:
        raise ValueError("the traffic app has no channel_sender (app.py's on_sqs_message)")
    return {
        CONSUMER_FUNCTION: {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Events": {
                    f"{CONSUMER_FUNCTION}SqsEventSource": {
                        "Properties": {"Queue": get_att("ChannelQueue", "Arn")}
                    }
                }
            },
        },
        "ChannelConsumerPolicy": managed_policy(
            "The channel sender receives from the channel queue",
            (role,),
            [
                {
                    "Effect": "Allow",
                    "Action": [
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                        "sqs:ChangeMessageVisibility",
                    ],
                    "Resource": get_att("ChannelQueue", "Arn"),
                }
            ],
        ),
    }
