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
           on the clock app's roles for the tables of that prefix. Deployed as a second
           stack after the traffic stack, which owns the tables.

The function roles are found by asking Chalice's own application graph (the same code
``chalice package`` runs, in a child process), so a new route, socket handler or
schedule is covered without editing this file. Nothing here talks to AWS.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from infra import rate_limits

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_DIRS = {"traffic": REPO_ROOT, "scheduled": REPO_ROOT / "scheduled"}
DEFAULT_TABLE_PREFIX = "livechat-dev-"

# The same policy as the local stand-in's pool (infra/local/aws.py; a test compares).
PASSWORD_POLICY = {
    "MinimumLength": 10,
    "RequireLowercase": True,
    "RequireUppercase": False,
    "RequireNumbers": True,
    "RequireSymbols": False,
}

# What PynamoDB issues on request paths and in jobs. Transactions need no actions of
# their own: TransactWriteItems is authorised per item (Put/Update/Delete/ConditionCheck).
# No Scan: nothing may scan (DESIGN.md, Data), and the policy enforces it.
DYNAMODB_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
]
COGNITO_ACTIONS = [
    "cognito-idp:SignUp",
    "cognito-idp:ConfirmSignUp",
    "cognito-idp:InitiateAuth",
    "cognito-idp:GlobalSignOut",
    # Undo a sign-up whose project could not be written (accounts.sign_up).
    "cognito-idp:AdminDeleteUser",
    # Invitations (services/team.py): find an existing account or create one.
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:RespondToAuthChallenge",
]

# Managed CloudFront policies (fixed ids, the same in every account).
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
SECURITY_HEADERS_POLICY_ID = "67f7725a-6f25-4be0-a7e0-26d5d7daf0e3"


def ref(name: str) -> dict:
    return {"Ref": name}


def sub(text: str) -> dict:
    return {"Fn::Sub": text}


def get_att(resource: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [resource, attribute]}


def table_prefix_parameter() -> dict:
    return {
        "Type": "String",
        "Default": DEFAULT_TABLE_PREFIX,
        "AllowedPattern": "[a-zA-Z0-9_.-]{1,200}",
        "Description": "Prefix of every DynamoDB table name (the app's TABLE_PREFIX)",
    }


# Billing settings (chalicelib/config.py) and the stack parameters that set them. The
# Stripe keys are NoEcho parameters: set them at deploy (infra/README.md). Empty keys
# leave billing off, and an empty webhook secret makes every webhook refused.
BILLING_SETTINGS = {
    "STRIPE_SECRET_KEY": "StripeSecretKey",
    "STRIPE_WEBHOOK_SECRET": "StripeWebhookSecret",
    "PLAN_CATALOGUE": "PlanCatalogue",
    "BILLING_RETURN_URL": "BillingReturnUrl",
    "MAIL_FROM": "MailFrom",
}


def billing_parameters() -> dict:
    def text(description: str, secret: bool = False) -> dict:
        parameter = {"Type": "String", "Default": "", "Description": description}
        if secret:
            parameter["NoEcho"] = True
        return parameter

    return {
        "StripeSecretKey": text("Stripe secret API key (sk_live_...)", secret=True),
        "StripeWebhookSecret": text("Stripe webhook signing secret (whsec_...)", secret=True),
        "PlanCatalogue": text("The plan catalogue as JSON (empty: chalicelib/plans.json)"),
        "BillingReturnUrl": text("The panel's billing page (Checkout returns there)"),
        "MailFrom": text("SES-verified sender of quota warnings (empty: not sent)"),
    }


# --- tables, from the PynamoDB models ---------------------------------------------------


def _models() -> tuple:
    """``ALL_MODELS`` and the prefix their table names were built with.

    Importing the models reads the settings, so the prefix is whatever TABLE_PREFIX was
    at that moment; it is stripped again, and CloudFormation puts its own in front.
    """
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from chalicelib.config import get_settings
    from chalicelib.models import ALL_MODELS

    return ALL_MODELS, get_settings().table_prefix


def table_base_name(model, prefix: str) -> str:
    name = model.Meta.table_name
    if not name.startswith(prefix) or name == prefix:
        raise ValueError(
            f"{model.__name__}: table {name!r} does not start with the settings' "
            f"table prefix {prefix!r}; was TABLE_PREFIX changed after the models loaded?"
        )
    return name[len(prefix) :]


def table_logical_id(base_name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", base_name)) + ("Table")


def ttl_attribute_name(model) -> str | None:
    from pynamodb.attributes import TTLAttribute

    names = [
        attribute.attr_name
        for attribute in model.get_attributes().values()
        if isinstance(attribute, TTLAttribute)
    ]
    if len(names) > 1:
        raise ValueError(f"{model.__name__} has more than one TTLAttribute: {names}")
    return names[0] if names else None


def _key_schema(elements: list[dict]) -> list[dict]:
    # DynamoDB wants HASH before RANGE; PynamoDB's schema lists index keys in any order.
    ordered = sorted(elements, key=lambda element: element["KeyType"] != "HASH")
    return [{"AttributeName": e["AttributeName"], "KeyType": e["KeyType"]} for e in ordered]


def _projection(projection: dict) -> dict:
    result = {"ProjectionType": projection["ProjectionType"]}
    if projection.get("NonKeyAttributes"):
        result["NonKeyAttributes"] = list(projection["NonKeyAttributes"])
    return result


def _attribute_definitions(model, definitions: list[dict]) -> list[dict]:
    types: dict[str, str] = {}
    for definition in definitions:
        name, kind = definition["AttributeName"], definition["AttributeType"]
        if types.setdefault(name, kind) != kind:
            raise ValueError(f"{model.__name__}.{name} is keyed as both {types[name]} and {kind}")
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def table_resource(model, prefix: str) -> dict:
    """One ``AWS::DynamoDB::Table`` from a PynamoDB model's own schema."""
    if getattr(model.Meta, "billing_mode", None) != "PAY_PER_REQUEST":
        raise ValueError(f"{model.__name__}: only PAY_PER_REQUEST tables are templated")
    schema = model._get_schema()
    properties: dict = {
        "TableName": sub("${TablePrefix}" + table_base_name(model, prefix)),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": _attribute_definitions(model, schema["attribute_definitions"]),
        "KeySchema": _key_schema(schema["key_schema"]),
    }
    for schema_key, cfn_key in (
        ("global_secondary_indexes", "GlobalSecondaryIndexes"),
        ("local_secondary_indexes", "LocalSecondaryIndexes"),
    ):
        indexes = [
            {
                "IndexName": index["index_name"],
                "KeySchema": _key_schema(index["key_schema"]),
                "Projection": _projection(index["projection"]),
            }
            for index in schema.get(schema_key) or []
        ]
        if indexes:
            properties[cfn_key] = indexes
    ttl = ttl_attribute_name(model)
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    stream_view_type = getattr(model.Meta, "stream_view_type", None)
    if stream_view_type:
        properties["StreamSpecification"] = {"StreamViewType": stream_view_type}
    properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    properties["SSESpecification"] = {"SSEEnabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        # Chats and accounts outlive a deleted stack; infra/README.md says how to remove.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def table_resources() -> dict[str, dict]:
    models, prefix = _models()
    resources: dict[str, dict] = {}
    for model in models:
        logical_id = table_logical_id(table_base_name(model, prefix))
        if logical_id in resources:
            raise ValueError(f"two models map to the resource {logical_id}")
        resources[logical_id] = table_resource(model, prefix)
    return resources


# --- the Chalice apps: which roles to grant, which stage the APIs use -------------------


@dataclass(frozen=True)
class AppInfo:
    roles: tuple[str, ...]  # logical ids of the function roles in Chalice's SAM template
    functions: tuple[str, ...]  # logical ids of the functions themselves
    api_stage: str  # API Gateway stage of the REST and WebSocket APIs
    has_websocket: bool


@lru_cache(maxsize=8)
def describe_app(app: str, stage: str = "dev") -> AppInfo:
    """Build the app's resource graph the way ``chalice package`` does, offline.

    In a child process: executing an app.py registers chalicelib's blueprints on the new
    app object, which would take them away from an app already imported in this one.
    """
    code = (
        "import json, sys\n"
        "from infra.template import _describe_app_here\n"
        "try:\n"
        "    print(json.dumps(_describe_app_here(sys.argv[1], sys.argv[2])))\n"
        "except ValueError as error:\n"
        "    sys.exit(str(error))\n"
    )
    result = subprocess.run(  # noqa: S603 (this interpreter, fixed code)
        [sys.executable, "-c", code, app, stage],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        lines = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
        raise ValueError(f"{app} app: {lines[-1]}")
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return AppInfo(
        roles=tuple(found["roles"]),
        functions=tuple(found["functions"]),
        api_stage=found["api_stage"],
        has_websocket=found["has_websocket"],
    )


def _describe_app_here(app: str, stage: str) -> dict:
    from chalice.config import Config
    from chalice.deploy import models
    from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
    from chalice.utils import to_cfn_resource_name

    app_dir = APP_DIRS[app]
    config_from_disk = json.loads((app_dir / ".chalice" / "config.json").read_text())
    if stage not in config_from_disk.get("stages", {}):
        raise ValueError(f"stage {stage!r} is not in {app_dir / '.chalice' / 'config.json'}")
    chalice_app = _load_chalice_app(app, app_dir)
    config = Config(
        chalice_stage=stage,
        user_provided_params={"chalice_app": chalice_app, "project_dir": str(app_dir)},
        config_from_disk=config_from_disk,
        # As chalice's CLI factory sets them.
        default_params={
            "project_dir": str(app_dir),
            "api_gateway_stage": "api",
            "api_gateway_endpoint_type": "EDGE",
            "autogen_policy": True,
        },
    )
    if not config.autogen_policy:
        policy_file = app_dir / ".chalice" / (config.iam_policy_file or f"policy-{stage}.json")
        if not policy_file.is_file():
            raise ValueError(f"stage {stage!r} has autogen_policy false but no {policy_file}")
    application = ApplicationGraphBuilder().build(config, stage)
    roles: list[str] = []
    functions: list[str] = []
    for resource in DependencyBuilder().build_dependencies(application):
        if isinstance(resource, models.LambdaFunction):
            name = to_cfn_resource_name(resource.resource_name)
            # Chalice's SAM writer spells the REST handler "APIHandler", its graph "ApiHandler".
            functions.append("APIHandler" if name == "ApiHandler" else name)
        if isinstance(resource, models.PreCreatedIAMRole):
            raise ValueError(f"{app}: a pre-created role ({resource.role_arn}) is not ours")
        if isinstance(resource, models.ManagedIAMRole):
            roles.append(to_cfn_resource_name(resource.resource_name))
    if not roles:
        raise ValueError(f"{app}: no Lambda functions found")
    return {
        "roles": list(dict.fromkeys(roles)),
        "functions": list(dict.fromkeys(functions)),
        "api_stage": config.api_gateway_stage,
        "has_websocket": bool(chalice_app.websocket_handlers),
    }


def _load_chalice_app(app: str, app_dir: Path):
    # Under a name of its own: both apps live in a file called app.py.
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    spec = importlib.util.spec_from_file_location(f"_livechat_{app}_app", app_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


# --- the templates ----------------------------------------------------------------------


def _websocket_url(scheme: str, api_stage: str) -> dict:
    return sub(
        f"{scheme}://${{WebsocketAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{api_stage}"
    )


LOG_RETENTION_DAYS = 30


def log_groups(functions: tuple[str, ...]) -> dict[str, dict]:
    """A log group per function, so logs expire (Lambda's own never do). Chalice's
    ``log_retention_in_days`` would do this, but 1.34 names the REST function
    ``ApiHandler`` there and ``APIHandler`` in the function itself: cfn-lint fails it."""
    return {
        f"{function}LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": sub("/aws/lambda/${" + function + "}"),
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }
        for function in functions
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


# Every bucket: no public access of any kind, owner-enforced objects, encrypted at rest.
PRIVATE_BUCKET = {
    "PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    },
    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    "BucketEncryption": {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    },
}


def _tls_only(bucket: str) -> dict:
    """A bucket policy statement refusing every request not made over TLS."""
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [get_att(bucket, "Arn"), sub(f"${{{bucket}.Arn}}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _policy(description: str, roles: tuple[str, ...], statements: list[dict]) -> dict:
    return {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Description": description,
            "Roles": [ref(role) for role in roles],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        },
    }


def traffic_template(stage: str = "dev") -> dict:
    info = describe_app("traffic", stage)
    if not info.has_websocket:
        raise ValueError("the traffic app has no WebSocket handlers; this template needs them")
    tables = table_resources()
    table_arns: list[dict] = []
    for logical_id in tables:
        table_arns += [get_att(logical_id, "Arn"), sub(f"${{{logical_id}.Arn}}/index/*")]

    resources: dict[str, dict] = dict(tables)
    resources.update(log_groups(info.functions))
    resources.update(gateway_error_responses())
    resources.update(rate_limits.waf_resources())  # per-address limits on the widget's calls
    resources.update(
        {
            "UserPool": {
                "Type": "AWS::Cognito::UserPool",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "UserPoolName": sub("${AWS::StackName}-operators"),
                    # Operators sign up and log in with their e-mail address as username.
                    "UsernameAttributes": ["email"],
                    "UsernameConfiguration": {"CaseSensitive": False},
                    "AutoVerifiedAttributes": ["email"],
                    "Policies": {
                        "PasswordPolicy": {
                            **PASSWORD_POLICY,
                            "TemporaryPasswordValidityDays": 7,
                        }
                    },
                    "AccountRecoverySetting": {
                        "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
                    },
                    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
                    "MfaConfiguration": "OFF",
                },
            },
            "UserPoolClient": {
                "Type": "AWS::Cognito::UserPoolClient",
                "Properties": {
                    "ClientName": "panel",
                    "UserPoolId": ref("UserPool"),
                    "GenerateSecret": False,
                    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                    "PreventUserExistenceErrors": "ENABLED",
                    "EnableTokenRevocation": True,
                    "AccessTokenValidity": 1,
                    "IdTokenValidity": 1,
                    "RefreshTokenValidity": 30,
                    "TokenValidityUnits": {
                        "AccessToken": "hours",
                        "IdToken": "hours",
                        "RefreshToken": "days",
                    },
                },
            },
            "VisitorTokenSecret": {
                "Type": "AWS::SecretsManager::Secret",
                # A new key only sends open widgets through a new session: not worth keeping.
                "DeletionPolicy": "Delete",
                "UpdateReplacePolicy": "Delete",
                "Properties": {
                    "Description": sub("${AWS::StackName}: HMAC key of the widget's tokens"),
                    "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
                },
            },
            "FunctionAccessPolicy": _policy(
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
                        "Action": ["ses:SendEmail"],
                        "Resource": sub(
                            "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
                        ),
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
            ),
            "StaticBucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    **PRIVATE_BUCKET,
                },
            },
            "AttachmentsBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",  # customers' files: never lost with a stack
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    **PRIVATE_BUCKET,
                    # The panel posts files straight here. Any origin: the signed policy
                    # is what authorises an upload, CORS only lets the page read the answer.
                    "CorsConfiguration": {
                        "CorsRules": [
                            {
                                "AllowedMethods": ["POST"],
                                "AllowedOrigins": ["*"],
                                "AllowedHeaders": ["*"],
                                "MaxAge": 3600,
                            }
                        ]
                    },
                    # A draft is published (copied) when its message is saved; one never
                    # saved is deleted after a day.
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                "Id": "ForgetUnsavedDrafts",
                                "Status": "Enabled",
                                "Prefix": "drafts/",
                                "ExpirationInDays": 1,
                                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                            }
                        ]
                    },
                },
            },
            "AttachmentsBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": ref("AttachmentsBucket"),
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                # Published files only: drafts are never served.
                                "Sid": "OnlyThisDistributionReadsPublished",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Action": "s3:GetObject",
                                "Resource": sub("${AttachmentsBucket.Arn}/attachments/*"),
                                "Condition": {
                                    "StringEquals": {
                                        "AWS:SourceArn": sub(
                                            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                                            ":distribution/${StaticDistribution}"
                                        )
                                    }
                                },
                            },
                            _tls_only("AttachmentsBucket"),
                        ],
                    },
                },
            },
            "StaticOriginAccessControl": {
                "Type": "AWS::CloudFront::OriginAccessControl",
                "Properties": {
                    "OriginAccessControlConfig": {
                        "Name": sub("${AWS::StackName}-static"),
                        "Description": "CloudFront reads the widget and panel bucket",
                        "OriginAccessControlOriginType": "s3",
                        "SigningBehavior": "always",
                        "SigningProtocol": "sigv4",
                    }
                },
            },
            "StaticDistribution": {
                "Type": "AWS::CloudFront::Distribution",
                "Properties": {
                    "DistributionConfig": {
                        "Comment": sub("${AWS::StackName}: widget and panel"),
                        "Enabled": True,
                        "HttpVersion": "http2and3",
                        "IPV6Enabled": True,
                        "PriceClass": "PriceClass_100",
                        "Origins": [
                            {
                                "Id": "static",
                                "DomainName": get_att("StaticBucket", "RegionalDomainName"),
                                "OriginAccessControlId": get_att("StaticOriginAccessControl", "Id"),
                                "S3OriginConfig": {"OriginAccessIdentity": ""},
                            },
                            {
                                "Id": "attachments",
                                "DomainName": get_att("AttachmentsBucket", "RegionalDomainName"),
                                "OriginAccessControlId": get_att("StaticOriginAccessControl", "Id"),
                                "S3OriginConfig": {"OriginAccessIdentity": ""},
                            },
                        ],
                        # Auto-message attachments; their keys never change content. The
                        # security headers policy adds nosniff: a file is what S3 says.
                        "CacheBehaviors": [
                            {
                                "PathPattern": "attachments/*",
                                "TargetOriginId": "attachments",
                                "ViewerProtocolPolicy": "redirect-to-https",
                                "Compress": True,
                                "AllowedMethods": ["GET", "HEAD"],
                                "CachedMethods": ["GET", "HEAD"],
                                "CachePolicyId": CACHING_OPTIMIZED_POLICY_ID,
                                "ResponseHeadersPolicyId": SECURITY_HEADERS_POLICY_ID,
                            }
                        ],
                        "DefaultCacheBehavior": {
                            "TargetOriginId": "static",
                            "ViewerProtocolPolicy": "redirect-to-https",
                            "Compress": True,
                            "AllowedMethods": ["GET", "HEAD"],
                            "CachedMethods": ["GET", "HEAD"],
                            "CachePolicyId": CACHING_OPTIMIZED_POLICY_ID,
                            "ResponseHeadersPolicyId": SECURITY_HEADERS_POLICY_ID,
                        },
                    }
                },
            },
            "StaticBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": ref("StaticBucket"),
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "OnlyThisDistributionReads",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Action": "s3:GetObject",
                                "Resource": sub("${StaticBucket.Arn}/*"),
                                "Condition": {
                                    "StringEquals": {
                                        "AWS:SourceArn": sub(
                                            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                                            ":distribution/${StaticDistribution}"
                                        )
                                    }
                                },
                            },
                            _tls_only("StaticBucket"),
                        ],
                    },
                },
            },
        }
    )
    environment = {
        "TABLE_PREFIX": ref("TablePrefix"),
        "USER_POOL_ID": ref("UserPool"),
        "USER_POOL_CLIENT_ID": ref("UserPoolClient"),
        # Every function posts to sockets (a REST reply fans out too), so all get it.
        "WEBSOCKET_MANAGEMENT_URL": _websocket_url("https", info.api_stage),
        "WEBSOCKET_PUBLIC_URL": _websocket_url("wss", info.api_stage),
        "VISITOR_TOKEN_SECRET": sub(
            "{{resolve:secretsmanager:${VisitorTokenSecret}:SecretString}}"
        ),
        "ATTACHMENTS_BUCKET": ref("AttachmentsBucket"),
        "ATTACHMENTS_URL": sub("https://${StaticDistribution.DomainName}"),
        **{name: ref(parameter) for name, parameter in BILLING_SETTINGS.items()},
    }
    return {
        "Parameters": {
            "TablePrefix": table_prefix_parameter(),
            **billing_parameters(),
            **rate_limits.parameters(),
        },
        "Globals": {"Function": {"Environment": {"Variables": environment}}},
        "Resources": resources,
        # Chalice already outputs EndpointURL (REST) and WebsocketConnectEndpointURL.
        "Outputs": {
            "WebsocketURL": {
                "Description": "What browsers connect to (WEBSOCKET_PUBLIC_URL)",
                "Value": _websocket_url("wss", info.api_stage),
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
        },
    }


def scheduled_template(stage: str = "dev") -> dict:
    info = describe_app("scheduled", stage)
    traffic_stage = describe_app("traffic", stage).api_stage
    tables = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TablePrefix}*"
    sockets = (
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        "${WebsocketApiId}/" + traffic_stage + "/*/@connections/*"
    )
    return {
        "Parameters": {
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
            "WebsocketApiId": {
                "Type": "String",
                "Description": "The traffic stack's WebSocket API (output WebsocketAPIId)",
            },
        },
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
                        "WEBSOCKET_MANAGEMENT_URL": sub(
                            "https://${WebsocketApiId}.execute-api.${AWS::Region}."
                            "${AWS::URLSuffix}/" + traffic_stage
                        ),
                    }
                }
            }
        },
        "Resources": {
            "FunctionAccessPolicy": _policy(
                "The clock app's functions: the tables of this TablePrefix (traffic stack) "
                "and its sockets",
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
                    {
                        "Sid": "AutoMessageMail",
                        "Effect": "Allow",
                        "Action": ["ses:SendEmail"],
                        "Resource": sub(
                            "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
                        ),
                    },
                ],
            ),
            **log_groups(info.functions),
        },
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
