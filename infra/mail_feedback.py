"""SES's bounces and complaints in the traffic stack: a configuration set whose event
destination publishes them to an SNS topic, the topic (only SES of this account, for
this configuration set, may publish), and the ``mail_feedback`` function's subscription
to it (services/mail_suppression.py).

Why a configuration set and not the sending identity's notification topics: the
identity (``MailFrom``'s address or domain) is verified by the site owner outside this
template, and CloudFormation cannot set an identity's notification topics; a
configuration set and its event destination are plain resources here, so one deploy
wires it all. Every mail we send names the set (``MAIL_CONFIGURATION_SET``,
chalicelib/mail.py), so its bounces and complaints come back, whatever identity sends.

The subscription: Chalice writes the function's SNS event source with a topic ARN built
from the name in mail_routes.py; the merge points it at this stack's topic (as push.py
does for the queue), and SAM makes the ``AWS::SNS::Subscription`` and the
``AWS::Lambda::Permission`` for ``sns.amazonaws.com`` from it. SNS invokes the function
itself, so there is no HTTPS endpoint and no message signature to check.

The topic is not encrypted with a KMS key: SES can publish to an encrypted topic only
through a customer-managed key whose policy lets SES use it, which is one more thing for
a site owner to keep; its messages are bounce reports, deleted once delivered.
"""

from __future__ import annotations

from infra.app_graph import AppInfo
from infra.cfn import ref, sub

FUNCTION = "MailFeedback"  # to_cfn_resource_name("mail_feedback")
EVENT_SOURCE = "MailFeedbackSnsSubscription"  # Chalice's name for its SNS event
CONFIGURATION_SET = "${AWS::StackName}-mail"


def resources() -> dict[str, dict]:
    set_arn = (
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/"
        + CONFIGURATION_SET
    )
    return {
        "MailConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {"Name": sub(CONFIGURATION_SET)},
        },
        "MailFeedbackTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": sub("${AWS::StackName} e-mail bounces and complaints")},
        },
        "MailFeedbackTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [ref("MailFeedbackTopic")],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "SesPublishesFeedback",
                            "Effect": "Allow",
                            "Principal": {"Service": "ses.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": ref("MailFeedbackTopic"),
                            "Condition": {
                                "StringEquals": {"AWS:SourceAccount": ref("AWS::AccountId")},
                                "ArnLike": {"AWS:SourceArn": sub(set_arn)},
                            },
                        }
                    ],
                },
            },
        },
        "MailFeedbackDestination": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            # SES checks that it may publish when the destination is made.
            "DependsOn": "MailFeedbackTopicPolicy",
            "Properties": {
                "ConfigurationSetName": ref("MailConfigurationSet"),
                "EventDestination": {
                    "Name": "bounces-and-complaints",
                    "Enabled": True,
                    "MatchingEventTypes": ["bounce", "complaint"],
                    "SnsDestination": {"TopicARN": ref("MailFeedbackTopic")},
                },
            },
        },
    }


def subscription(info: AppInfo) -> dict[str, dict]:
    """The feedback function's SNS event source, on this stack's topic."""
    if FUNCTION not in info.functions:
        raise ValueError("the traffic app has no mail_feedback (app.py's on_sns_message)")
    return {
        FUNCTION: {
            # Merged into Chalice's function of that name (a deep merge).
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Events": {EVENT_SOURCE: {"Properties": {"Topic": ref("MailFeedbackTopic")}}}
            },
        }
    }


def environment() -> dict:
    return {"MAIL_CONFIGURATION_SET": ref("MailConfigurationSet")}


def sending_resources() -> list[dict]:
    """What a send names: the identity, and (sending through it) the configuration set."""
    return [
        sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"),
        sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/*"),
    ]


def outputs() -> dict:
    return {
        "MailConfigurationSet": {
            "Description": "The clock app's mails to visitors go through it (bounces, complaints)",
            "Value": ref("MailConfigurationSet"),
        }
    }


def scheduled_parameters() -> dict:
    return {
        "MailConfigurationSet": {
            "Type": "String",
            "Default": "",
            "Description": "The traffic stack's MailConfigurationSet output",
        }
    }
