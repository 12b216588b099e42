"""CloudFormation merge templates for ``chalice package --merge-template``.

    python -m infra.template --app traffic --out build/traffic-merge.json
    python -m infra.template --app scheduled --out build/scheduled-merge.json

Chalice generates the functions, their roles, the REST and WebSocket APIs; the merge
template adds what the code needs around them:

traffic    the DynamoDB tables, generated from ``chalicelib.models.ALL_MODELS`` (so the
           template and the models cannot drift), the Cognito user pool and client, the
           visitor-token secret, the private S3 bucket + CloudFront for widget/ and
           panel/, the runtime environment of every function, and one managed policy
           that grants every function role what the code calls (DynamoDB items,
           Cognito, postToConnection).
scheduled  the same ``TablePrefix`` parameter, the environment, and a managed policy
           on the clock app's roles for the tables of that prefix
           (infra/scheduled_stack.py). Deployed as a second stack after the traffic
           stack, which owns the tables.

The function roles are found by asking Chalice's own application graph
(infra/app_graph.py), so a new route, socket handler or schedule is covered without
editing this file. The parts: infra/cfn.py (intrinsics, parameters, log groups,
policies), infra/tables.py, infra/cognito.py, infra/cdn.py, infra/rate_limits.py (WAF),
infra/push.py (Web Push: the notifier's queue, the VAPID key), infra/channel_queue.py
(replies to Telegram/Messenger chats: the sender's queue), both on infra/sqs_queues.py,
infra/inbound_mail.py (replies by e-mail), infra/mail_feedback.py (SES bounces and
complaints through SNS).
Nothing here talks to AWS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from infra import channel_queue, inbound_mail, mail_feedback, push, rate_limits
from infra.app_graph import APP_DIRS, AppInfo, describe_app
from infra.cdn import cdn_resources
from infra.cfn import (
    BILLING_SETTINGS,
    DYNAMODB_ACTIONS,
    billing_parameters,
    get_att,
    log_groups,
    managed_policy,
    ref,
    sub,
    table_prefix_parameter,
    websocket_url,
)
from infra.cognito import COGNITO_ACTIONS, user_pool_resources
from infra.scheduled_stack import scheduled_template
from infra.tables import table_resources


def traffic_template(stage: str = "dev") -> dict:
    info = describe_app("traffic", stage)
    if not info.has_websocket:
        raise ValueError("the traffic app has no WebSocket handlers; this template needs them")
    tables = table_resources()
    resources: dict[str, dict] = dict(tables)
    resources.update(log_groups(info.functions))
    resources.update(gateway_error_responses())
    resources.update(rate_limits.waf_resources())  # per-address limits on the widget's calls
    resources.update(user_pool_resources())
    resources["VisitorTokenSecret"] = {
        "Type": "AWS::SecretsManager::Secret",
        # A new key only sends open widgets through a new session: not worth keeping.
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {
            "Description": sub("${AWS::StackName}: HMAC key of the widget's tokens"),
            "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
        },
    }
    resources["FunctionAccessPolicy"] = _traffic_access_policy(info, tables)
    resources.update(cdn_resources())
    resources.update(push.resources())  # Web Push: the notifier's queue, the VAPID key
    resources.update(push.consumer(info))
    resources.update(channel_queue.resources())  # replies to Telegram/Messenger chats
    resources.update(channel_queue.consumer(info))
    resources.update(inbound_mail.resources())  # replies by e-mail: bucket, SES rule
    resources.update(mail_feedback.resources())  # bounces, complaints: SES -> SNS
    resources.update(mail_feedback.subscription(info))
    return {
        "Parameters": {
            "TablePrefix": table_prefix_parameter(),
            **billing_parameters(),
            **rate_limits.parameters(),
            **push.parameters(),
            **inbound_mail.parameters(),
        },
        "Conditions": inbound_mail.conditions(),
        "Globals": {"Function": {"Environment": {"Variables": _traffic_environment(info)}}},
        "Resources": resources,
        # Chalice already outputs EndpointURL (REST) and WebsocketConnectEndpointURL.
        "Outputs": {
            **_traffic_outputs(info),
            **inbound_mail.outputs(),
            **mail_feedback.outputs(),
        },
    }


def _traffic_access_policy(info: AppInfo, tables: dict[str, dict]) -> dict:
    table_arns: list[dict] = []
    for logical_id in tables:
        table_arns += [get_att(logical_id, "Arn"), sub(f"${{{logical_id}.Arn}}/index/*")]
    return managed_policy(
        "What the traffic app's functions call: tables, Cognito, postToConnection",
        info.roles,
        [
            {
                "Sid": "Tables",
                "Effect": "Allow",
                "Action": DYNAMODB_ACTIONS,
                "Resource": table_arns,
            },
            {
                "Sid": "OperatorAccounts",
                "Effect": "Allow",
                "Action": COGNITO_ACTIONS,
                "Resource": get_att("UserPool", "Arn"),
            },
            {
                # Quota warnings to administrators (services/quotas.py).
                "Sid": "QuotaWarnings",
                "Effect": "Allow",
                # SendRawEmail: transcripts carry Reply-To and List-Unsubscribe.
                "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                "Resource": mail_feedback.sending_resources(),
            },
            {
                # Auto-message attachments (services/attachments.py): signing a
                # browser's upload (PutObject), checking and publishing it
                # (GetObject for the head and the copy), deleting unused ones.
                "Sid": "Attachments",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                "Resource": sub("${AttachmentsBucket.Arn}/*"),
            },
            *push.statements(),
            *channel_queue.statements(),
            {
                # Messenger channels' tokens (services/channel_secrets.py): one secret per
                # channel under this stage's prefix; never deleted, only overwritten.
                "Sid": "ChannelSecrets",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:CreateSecret",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:GetSecretValue",
                ],
                "Resource": sub(
                    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
                    ":secret:${TablePrefix}channels/*"
                ),
            },
            *inbound_mail.policy_statements(),
            {
                "Sid": "PostToConnections",
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": sub(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}"
                    f":${{WebsocketAPI}}/{info.api_stage}/*/@connections/*"
                ),
            },
        ],
    )


def _traffic_environment(info: AppInfo) -> dict:
    return {
        "TABLE_PREFIX": ref("TablePrefix"),
        "USER_POOL_ID": ref("UserPool"),
        "USER_POOL_CLIENT_ID": ref("UserPoolClient"),
        # Every function posts to sockets (a REST reply fans out too), so all get it.
        "WEBSOCKET_MANAGEMENT_URL": websocket_url("https", info.api_stage),
        "WEBSOCKET_PUBLIC_URL": websocket_url("wss", info.api_stage),
        "VISITOR_TOKEN_SECRET": sub(
            "{{resolve:secretsmanager:${VisitorTokenSecret}:SecretString}}"
        ),
        "ATTACHMENTS_BUCKET": ref("AttachmentsBucket"),
        "ATTACHMENTS_URL": sub("https://${StaticDistribution.DomainName}"),
        "PANEL_URL": sub("https://${StaticDistribution.DomainName}/panel/index.html"),
        **{name: ref(parameter) for name, parameter in BILLING_SETTINGS.items()},
        **push.environment(),
        **channel_queue.environment(),
        **inbound_mail.environment(),
        **mail_feedback.environment(),
        # Unsubscribe links in e-mails point at the REST API.
        "PUBLIC_API_URL": sub(
            "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + info.api_stage
        ),
    }


def _traffic_outputs(info: AppInfo) -> dict:
    return {
        "WebsocketURL": {
            "Description": "What browsers connect to (WEBSOCKET_PUBLIC_URL)",
            "Value": websocket_url("wss", info.api_stage),
        },
        "StaticBucketName": {"Value": ref("StaticBucket")},
        "CdnDistributionId": {"Value": ref("StaticDistribution")},
        "CdnDomainName": {"Value": get_att("StaticDistribution", "DomainName")},
        "AttachmentsUrl": {
            "Description": "Where published attachments are served (the clock app's mails)",
            "Value": sub("https://${StaticDistribution.DomainName}"),
        },
        "PanelURL": {"Value": sub("https://${StaticDistribution.DomainName}/panel/index.html")},
        "WidgetLoaderURL": {
            "Value": sub("https://${StaticDistribution.DomainName}/widget/loader.js")
        },
        "UserPoolId": {"Value": ref("UserPool")},
        "UserPoolClientId": {"Value": ref("UserPoolClient")},
        **push.outputs(),
        **channel_queue.outputs(),
    }


def gateway_error_responses() -> dict[str, dict]:
    """Errors API Gateway answers itself (an unknown path's 403, throttling's 429, a
    timeout's 504) get the app's ``{"error": {"code", "message"}}`` shape, and a CORS
    header so the browser lets the widget and the panel read them."""
    template = (
        '{"error": {"code": "$context.error.responseType",'
        ' "message": $context.error.messageString}}'
    )
    return {
        f"GatewayResponse{kind.title().replace('_', '')}": {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {
                "RestApiId": ref("RestAPI"),
                "ResponseType": kind,
                "ResponseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
                "ResponseTemplates": {"application/json": template},
            },
        }
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX")
    }


def build_template(app: str, stage: str = "dev") -> dict:
    builders = {"traffic": traffic_template, "scheduled": scheduled_template}
    return builders[app](stage)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.template", description=__doc__)
    parser.add_argument("--app", choices=sorted(APP_DIRS), required=True)
    parser.add_argument("--out", required=True, help="file to write ('-' for stdout)")
    parser.add_argument(
        "--stage",
        default=os.environ.get("STAGE", "dev"),
        help="Chalice stage, as in .chalice/config.json (default $STAGE or dev)",
    )
    args = parser.parse_args(argv)
    try:
        text = json.dumps(build_template(args.app, args.stage), indent=2) + "\n"
    except ValueError as error:
        print(f"infra.template: {error}", file=sys.stderr)
        return 2
    if args.out == "-":
        sys.stdout.write(text)
    else:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
