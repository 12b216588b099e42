"""The clock app's merge template (``python -m infra.template --app scheduled``): the
same ``TablePrefix`` parameter as the traffic stack, the environment its jobs read, and
one managed policy on its roles for the tables of that prefix, its sockets, the queues it
sends to, the channels' secrets and SES. Deployed as a second stack after the traffic
stack, which owns the tables (infra/template.py builds both).
"""

from __future__ import annotations

from infra import channel_queue, inbound_mail, mail_feedback, push
from infra.app_graph import AppInfo, describe_app
from infra.cfn import (
    DYNAMODB_ACTIONS,
    billing_parameters,
    log_groups,
    managed_policy,
    ref,
    sub,
    table_prefix_parameter,
)


def scheduled_template(stage: str = "dev") -> dict:
    info = describe_app("scheduled", stage)
    traffic_stage = describe_app("traffic", stage).api_stage
    return {
        "Parameters": _scheduled_parameters(),
        "Globals": {
            "Function": {
                "Environment": {
                    "Variables": {
                        "TABLE_PREFIX": ref("TablePrefix"),
                        # The period job needs the plans' billing intervals.
                        "PLAN_CATALOGUE": ref("PlanCatalogue"),
                        # E-mail auto messages go out from the clock app.
                        "MAIL_FROM": ref("MailFrom"),
                        "ATTACHMENTS_URL": ref("AttachmentsUrl"),
                        # Links to the chat in escalation e-mails.
                        "PANEL_URL": ref("PanelUrl"),
                        # Continuity e-mails: reply addresses, unsubscribe links.
                        "MAIL_TOKEN_SECRET": sub(
                            "{{resolve:secretsmanager:${MailTokenSecretArn}:SecretString}}"
                        ),
                        "INBOUND_MAIL_DOMAIN": ref("InboundMailDomain"),
                        # Their bounces and complaints come back (infra/mail_feedback.py).
                        "MAIL_CONFIGURATION_SET": ref("MailConfigurationSet"),
                        "PUBLIC_API_URL": ref("ApiUrl"),
                        "WEBSOCKET_MANAGEMENT_URL": sub(
                            "https://${WebsocketApiId}.execute-api.${AWS::Region}."
                            "${AWS::URLSuffix}/" + traffic_stage
                        ),
                        # Its distribution assigns chats: the assignee gets a push.
                        "PUSH_QUEUE_URL": ref("PushQueueUrl"),
                        # Replies that never reached the channel queue go on it again.
                        "CHANNEL_QUEUE_URL": ref("ChannelQueueUrl"),
                    }
                }
            }
        },
        "Resources": {
            "FunctionAccessPolicy": _scheduled_access_policy(info, traffic_stage),
            **log_groups(info.functions),
        },
    }


def _scheduled_parameters() -> dict:
    return {
        "TablePrefix": table_prefix_parameter(),
        "PlanCatalogue": billing_parameters()["PlanCatalogue"],
        "MailFrom": {
            "Type": "String",
            "Default": "",
            "Description": "SES-verified sender of e-mail auto messages (empty: logged)",
        },
        "AttachmentsUrl": {
            "Type": "String",
            "Default": "",
            "Description": "The traffic stack's AttachmentsUrl output (links in mails)",
        },
        "PanelUrl": {
            "Type": "String",
            "Default": "",
            "Description": "The traffic stack's PanelURL output (links in escalation mails)",
        },
        "WebsocketApiId": {
            "Type": "String",
            "Description": "The traffic stack's WebSocket API (output WebsocketAPIId)",
        },
        **push.scheduled_parameters(),
        **channel_queue.scheduled_parameters(),
        "MailTokenSecretArn": {
            "Type": "String",
            "Description": "The traffic stack's MailTokenSecretArn output",
        },
        "InboundMailDomain": inbound_mail.parameters()["InboundMailDomain"],
        **mail_feedback.scheduled_parameters(),
        "ApiUrl": {
            "Type": "String",
            "Default": "",
            "Description": "The traffic stack's EndpointURL output (unsubscribe links)",
        },
    }


def _scheduled_access_policy(info: AppInfo, traffic_stage: str) -> dict:
    tables = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TablePrefix}*"
    sockets = (
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        "${WebsocketApiId}/" + traffic_stage + "/*/@connections/*"
    )
    return managed_policy(
        "The clock app's functions: the tables of this TablePrefix (traffic stack) and its sockets",
        info.roles,
        [
            {
                "Sid": "Tables",
                "Effect": "Allow",
                "Action": DYNAMODB_ACTIONS,
                "Resource": [sub(tables), sub(tables + "/index/*")],
            },
            {
                "Sid": "Sockets",
                "Effect": "Allow",
                "Action": ["execute-api:ManageConnections"],
                "Resource": [sub(sockets)],
            },
            push.scheduled_statement(),
            channel_queue.scheduled_statement(),
            {
                "Sid": "ChannelSecretsRead",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": sub(
                    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
                    ":secret:${TablePrefix}channels/*"
                ),
            },
            {
                "Sid": "AutoMessageMail",
                "Effect": "Allow",
                # SendRawEmail: continuity e-mails carry Reply-To and List-Unsubscribe.
                "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                "Resource": mail_feedback.sending_resources(),
            },
        ],
    )
