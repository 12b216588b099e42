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

from infra import sqs_queues
from infra.app_graph import AppInfo
from infra.cfn import get_att, ref, sub

CONSUMER_FUNCTION = "PushNotifier"  # to_cfn_resource_name("push_notifier")
# A push is worth nothing after its TTL (an hour): events older than that are dropped.
RETENTION_SECONDS = 3600
# The consumer never raises, so only a crashed invocation lands in the dead letters.
DEAD_LETTER_RETENTION_SECONDS = 86400


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
        **sqs_queues.queue_with_dead_letters(
            "PushQueue", RETENTION_SECONDS, DEAD_LETTER_RETENTION_SECONDS
        ),
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
        sqs_queues.send_statement("PushQueueSend", get_att("PushQueue", "Arn")),
        {
            "Sid": "VapidKey",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": ref("VapidKeySecret"),
        },
    ]


def consumer(info: AppInfo) -> dict[str, dict]:
    """The notifier's event source on this stack's queue, and what its role needs."""
    return sqs_queues.consumer(
        info,
        CONSUMER_FUNCTION,
        "PushQueue",
        "push_notifier",
        "The notifier receives from the push queue",
    )


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
    return sqs_queues.send_statement("PushQueueSend", ref("PushQueueArn"))
