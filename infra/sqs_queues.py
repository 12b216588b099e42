"""The pattern both of the traffic stack's queues follow (the notifier's, infra/push.py;
the channel sender's, infra/channel_queue.py): a queue with a dead-letter queue, every
function allowed to send to it, and one consumer function whose event source the merge
points at this stack's queue (Chalice builds that ARN from the name in app.py, so two
stacks in one account would share a queue otherwise).
"""

from __future__ import annotations

from infra.app_graph import AppInfo
from infra.cfn import get_att, managed_policy

# Six times the consumer's 30 s timeout, as AWS advises for SQS event sources.
VISIBILITY_SECONDS = 180
# Three deliveries that crashed the consumer, then the dead-letter queue.
MAX_RECEIVE_COUNT = 3
CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]


def queue_with_dead_letters(name: str, retention: int, dead_letter_retention: int) -> dict:
    """``<name>`` and ``<name minus "Queue">DeadLetterQueue``, encrypted at rest."""
    dead = name.removesuffix("Queue") + "DeadLetterQueue"
    return {
        dead: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "MessageRetentionPeriod": dead_letter_retention,
                "SqsManagedSseEnabled": True,
            },
        },
        name: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "MessageRetentionPeriod": retention,
                "VisibilityTimeout": VISIBILITY_SECONDS,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": get_att(dead, "Arn"),
                    "maxReceiveCount": MAX_RECEIVE_COUNT,
                },
            },
        },
    }


def send_statement(sid: str, queue_arn) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": queue_arn}


def consumer(
    info: AppInfo, function: str, queue: str, app_handler: str, description: str
) -> dict[str, dict]:
    """The consumer's event source on this stack's ``queue``, and what its role needs to
    receive from it. ``function`` is the CloudFormation name Chalice gives the handler
    (``to_cfn_resource_name``); ``app_handler`` names it for the error."""
    role = next((r for r in info.roles if r.startswith(function)), None)
    if function not in info.functions or role is None:
        raise ValueError(f"the traffic app has no {app_handler} (app.py's on_sqs_message)")
    return {
        function: {
            # Merged into Chalice's function of that name (a deep merge): the type is
            # repeated so this fragment is a well-formed resource on its own too.
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Events": {
                    f"{function}SqsEventSource": {"Properties": {"Queue": get_att(queue, "Arn")}}
                }
            },
        },
        f"{queue.removesuffix('Queue')}ConsumerPolicy": managed_policy(
            description,
            (role,),
            [{"Effect": "Allow", "Action": CONSUMER_ACTIONS, "Resource": get_att(queue, "Arn")}],
        ),
    }
