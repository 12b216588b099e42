"""The Web Push parts of the traffic stack: the notifier's queue (+ its dead-letter
queue), the VAPID key's secret, the settings and the permissions around them.

The message path sends one event to ``PushQueue`` after fan-out; the ``push_notifier``
function (app.py's ``on_sqs_message``) receives it. Chalice writes that event source
with a queue ARN built from the name in app.py; the merge points it at this stack's
queue instead, so two stacks in one account never share a queue.

The VAPID key: a generated secret string, which chalicelib/webpush.py hashes to a P-256
key (so every function derives the same key and no deploy step makes one). Retained on
delete and replace: a new key would void every device's subscription. To bring a key
of your own, put its 32-byte private scalar (base64url) in the secret.
"""

from __future__ import annotations

from infra.app_graph import AppInfo
from infra.cfn import get_att, managed_policy, ref, sub

CONSUMER_FUNCTION = "PushNotifier"  # to_cfn_resource_name("push_notifier")
# A push is worth nothing after its TTL (an hour): events older than that are dropped.
RETENTION_SECONDS = 3600
# Six times the function's 30 s timeout, as AWS advises for SQS event sources.
VISIBILITY_SECONDS = 180


def parameters() -> dict:
    return {
        "VapidSubject": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^$|^(mailto:|https://).+",
            "Description": "How push services reach you (VAPID sub): mailto:you@yours",
        }
    }


def resources() -> dict[str, dict]:
    return {
        "PushDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"MessageRetentionPeriod": 86400, "SqsManagedSseEnabled": True},
        },
        "PushQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "MessageRetentionPeriod": RETENTION_SECONDS,
                "VisibilityTimeout": VISIBILITY_SECONDS,
                "SqsManagedSseEnabled": True,
                # The consumer never raises, so only a crashed invocation lands here.
                "RedrivePolicy": {
                    "deadLetterTargetArn": get_att("PushDeadLetterQueue", "Arn"),
                    "maxReceiveCount": 3,
                },
            },
        },
        "VapidKeySecret": {
            "Type": "AWS::SecretsManager::Secret",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": sub("${AWS::StackName}: the Web Push (VAPID) key"),
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
    }


def environment() -> dict:
    return {
        "PUSH_QUEUE_URL": ref("PushQueue"),
        "VAPID_SECRET_ID": ref("VapidKeySecret"),
        "VAPID_SUBJECT": ref("VapidSubject"),
    }


def statements() -> list[dict]:
    """For every function: any of them may post a message (and so queue an event), the
    push routes read the key."""
    return [
        {
            "Sid": "PushQueueSend",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": get_att("PushQueue", "Arn"),
        },
        {
            "Sid": "VapidKey",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": ref("VapidKeySecret"),
        },
    ]


def consumer(info: AppInfo) -> dict[str, dict]:
    """The notifier's event source on this stack's queue, and what its role needs to
    receive from it."""
    role = next((r for r in info.roles if r.startswith(CONSUMER_FUNCTION)), None)
    if CONSUMER_FUNCTION not in info.functions or role is None:
        raise ValueError("the traffic app has no push_notifier (app.py's on_sqs_message)")
    return {
        CONSUMER_FUNCTION: {
            # Merged into Chalice's function of that name (a deep merge): the type is
            # repeated so this fragment is a well-formed resource on its own too.
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Events": {
                    f"{CONSUMER_FUNCTION}SqsEventSource": {
                        "Properties": {"Queue": get_att("PushQueue", "Arn")}
                    }
                }
            },
        },
        "PushConsumerPolicy": managed_policy(
            "The notifier receives from the push queue",
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
                    "Resource": get_att("PushQueue", "Arn"),
                }
            ],
        ),
    }


def outputs() -> dict:
    """For the clock app's stack: its distribution assigns chats too (then a push)."""
    return {
        "PushQueueUrl": {"Value": ref("PushQueue")},
        "PushQueueArn": {"Value": get_att("PushQueue", "Arn")},
    }


def scheduled_parameters() -> dict:
    return {
        "PushQueueUrl": {
            "Type": "String",
            "Description": "The traffic stack's PushQueueUrl output (push events)",
        },
        "PushQueueArn": {
            "Type": "String",
            "Description": "The traffic stack's PushQueueArn output",
        },
    }


def scheduled_statement() -> dict:
    return {
        "Sid": "PushQueueSend",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": ref("PushQueueArn"),
    }
