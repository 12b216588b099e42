"""The CloudFormation merge templates (infra/template.py): against the PynamoDB models,
and packaged with both Chalice apps and linted.

The packaging tests run ``chalice package --merge-template`` for both apps (once per
session, in parallel) and ``cfn-lint`` on the results. The first run takes a minute or
two (Chalice bundles requirements.txt; later runs reuse .chalice/deployments). They are
deliberately not marked or skipped: a template that does not package or lint is a
broken deploy, so they run in every ``pytest tests``.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from infra import app_graph, template
from tests.unit.infra_helpers import ROOT, resources_of_type, tool

TRAFFIC_ROLES = {
    "ApiHandlerRole",
    "ReceiveEmailRole",  # replies by e-mail (S3 invokes it)
    "WebsocketConnectRole",
    "WebsocketMessageRole",
    "WebsocketDisconnectRole",
    "PushNotifierRole",
    "MailFeedbackRole",  # SES bounces and complaints (SNS invokes it)
    "ChannelSenderRole",  # replies to Telegram/Messenger (SQS invokes it)
}
# Settings read by chalicelib/config.py that AWS must NOT get: local stand-in only, or
# provided by Lambda itself, or derived (the JWKS URL defaults to the pool's own).
UNSET_IN_AWS = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "DYNAMODB_ENDPOINT",
    "COGNITO_ENDPOINT",
    "COGNITO_JWKS_URL",
    "NO_EMAIL_DELIVERY",
    "AUTO_CONFIRM_SIGNUPS",  # tests only: AWS mails the sign-up code and waits for it
    "STRIPE_API_BASE",  # the local stand-in's fake Stripe (billing test mode)
    "LOCAL_GEO_HEADERS",  # the local stand-in has no CloudFront to say where viewers are
    "S3_ENDPOINT",  # moto's server locally
    # Messenger channels: AWS talks to the real Telegram and Graph APIs (the defaults).
    # (PUBLIC_API_URL is set in AWS: unsubscribe links and webhook addresses use it.)
    "TELEGRAM_API_BASE",
    "GRAPH_API_BASE",
    # The heartbeat's cadences: AWS runs the defaults (90 s, 15 s while watched, 30 s);
    # tests and the browser tests' stack shorten them.
    "HEARTBEAT_SECONDS",
    "HEARTBEAT_WATCHED_SECONDS",
    "VISITORS_WATCH_SECONDS",
    # Web Push: AWS reads the key from Secrets Manager (VAPID_SECRET_ID); the local
    # stand-in sets the key itself and the fake push service's http origin.
    "VAPID_PRIVATE_KEY",
    "PUSH_HTTP_ORIGIN",
}


# --- (b) packaged with Chalice, linted --------------------------------------------------


@pytest.fixture(scope="module")
def packaged_paths(tmp_path_factory) -> dict[str, Path]:
    """Both apps as ``make package`` makes them, the way a newcomer runs it: no AWS_*
    variables and a home without ``~/.aws`` (so no region from anywhere; the Makefile
    must bring its own). ``-o install``: the virtualenv is the one running this test."""
    out = tmp_path_factory.mktemp("packaged")
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(home)
    result = subprocess.run(
        ["make", "-s", "-o", "install", "package", f"BUILD={out}", "STAGE=dev"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"make package failed:\n{result.stdout}\n{result.stderr}"
    return {app: out / app / "sam.json" for app in app_graph.APP_DIRS}


@pytest.fixture(scope="module")
def packaged(packaged_paths) -> dict[str, dict]:
    return {app: json.loads(path.read_text()) for app, path in packaged_paths.items()}


@pytest.mark.parametrize("app", sorted(app_graph.APP_DIRS))
def test_cfn_lint_passes_on_the_packaged_app(packaged_paths, app):
    # No checks ignored: both templates lint clean (errors and warnings).
    result = subprocess.run(
        [tool("cfn-lint"), "--", str(packaged_paths[app])], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("app", sorted(app_graph.APP_DIRS))
def test_the_merge_keeps_chalices_resources_and_outputs(packaged, app):
    merged = packaged[app]
    merge = template.build_template(app)
    for name, resource in merge["Resources"].items():
        assert merged["Resources"][name]["Type"] == resource["Type"], name
    assert merged["Parameters"]["TablePrefix"]["Default"] == "livechat-dev-"
    assert resources_of_type(merged, "AWS::Serverless::Function")
    if app == "traffic":
        for output in ("EndpointURL", "WebsocketConnectEndpointURL", "WebsocketURL", "UserPoolId"):
            assert output in merged["Outputs"]
        assert merged["Outputs"]["EndpointURL"]["Value"]["Fn::Sub"].startswith("https://${RestAPI}")


# --- (c) the merged templates grant and configure every function -------------------------


def function_roles(cfn: dict) -> set[str]:
    roles = set()
    for function in resources_of_type(cfn, "AWS::Serverless::Function").values():
        role = function["Properties"]["Role"]
        assert role["Fn::GetAtt"][1] == "Arn"
        roles.add(role["Fn::GetAtt"][0])
    return roles


def effective_environment(cfn: dict, function: dict) -> dict:
    """SAM's rule for Globals: the function's own variables win, the rest are added."""
    variables = dict(
        cfn.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    variables.update(function["Properties"].get("Environment", {}).get("Variables", {}))
    return variables


def policy_roles(cfn: dict) -> set[str]:
    policy = cfn["Resources"]["FunctionAccessPolicy"]
    assert policy["Type"] == "AWS::IAM::ManagedPolicy"
    return {role["Ref"] for role in policy["Properties"]["Roles"]}


def test_every_traffic_function_role_gets_the_policy(packaged):
    merged = packaged["traffic"]
    assert function_roles(merged) == TRAFFIC_ROLES
    assert set(resources_of_type(merged, "AWS::IAM::Role")) == TRAFFIC_ROLES
    assert policy_roles(merged) == TRAFFIC_ROLES


def test_the_mail_feedback_function_is_subscribed_to_the_stacks_own_topic(packaged):
    """Chalice's SNS event source, pointed by the merge at infra/mail_feedback.py's topic
    (SAM makes the subscription and the invoke permission from it)."""
    function = packaged["traffic"]["Resources"]["MailFeedback"]
    [(name, source)] = function["Properties"]["Events"].items()
    assert name == "MailFeedbackSnsSubscription"
    assert source == {"Type": "SNS", "Properties": {"Topic": {"Ref": "MailFeedbackTopic"}}}


def test_every_traffic_function_gets_the_websocket_management_url(packaged):
    merged = packaged["traffic"]
    api = merged["Resources"]["WebsocketAPI"]
    assert api["Type"] == "AWS::ApiGatewayV2::Api"
    assert api["Properties"]["ProtocolType"] == "WEBSOCKET"
    stage = merged["Resources"]["WebsocketAPIStage"]["Properties"]["StageName"]
    host = "${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    functions = resources_of_type(merged, "AWS::Serverless::Function")
    assert set(functions) == {
        "APIHandler",
        "ReceiveEmail",
        "WebsocketConnect",
        "WebsocketMessage",
        "WebsocketDisconnect",
        "PushNotifier",
        "MailFeedback",
        "ChannelSender",
    }
    for name, function in functions.items():
        env = effective_environment(merged, function)
        assert env["WEBSOCKET_MANAGEMENT_URL"] == {"Fn::Sub": f"https://{host}/{stage}"}, name
        assert env["WEBSOCKET_PUBLIC_URL"] == {"Fn::Sub": f"wss://{host}/{stage}"}, name
    statement = next(
        s
        for s in merged["Resources"]["FunctionAccessPolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ]
        if s["Action"] == "execute-api:ManageConnections"
    )
    assert statement["Resource"]["Fn::Sub"].endswith(f":${{WebsocketAPI}}/{stage}/*/@connections/*")


def test_channel_secrets_are_readable_only_under_the_stages_prefix(traffic):
    statement = next(
        s
        for s in traffic["Resources"]["FunctionAccessPolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ]
        if s.get("Sid") == "ChannelSecrets"
    )
    assert set(statement["Action"]) == {
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:GetSecretValue",
    }
    assert statement["Resource"]["Fn::Sub"].endswith(":secret:${TablePrefix}channels/*")


def test_every_setting_the_code_reads_is_set_in_aws_or_deliberately_not(packaged):
    source = (ROOT / "chalicelib" / "config.py").read_text()
    read = set(re.findall(r'(?:env\.get|_flag)\(\s*"([A-Z0-9_]+)"', source))
    assert {"TABLE_PREFIX", "VISITOR_TOKEN_SECRET", "USER_POOL_ID"} <= read  # the regex works
    merged = packaged["traffic"]
    for name, function in resources_of_type(merged, "AWS::Serverless::Function").items():
        env = effective_environment(merged, function)
        assert set(env) == read - UNSET_IN_AWS, name
        assert env["TABLE_PREFIX"] == {"Ref": "TablePrefix"}
        assert env["USER_POOL_ID"] == {"Ref": "UserPool"}
        assert env["USER_POOL_CLIENT_ID"] == {"Ref": "UserPoolClient"}
        assert env["VISITOR_TOKEN_SECRET"] == {
            "Fn::Sub": "{{resolve:secretsmanager:${VisitorTokenSecret}:SecretString}}"
        }


def test_every_scheduled_function_role_gets_the_table_policy(packaged):
    merged = packaged["scheduled"]
    roles = function_roles(merged)
    assert roles and policy_roles(merged) == roles == set(
        resources_of_type(merged, "AWS::IAM::Role")
    )
    statement = merged["Resources"]["FunctionAccessPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ][0]
    assert "dynamodb:Scan" not in statement["Action"]
    assert [r["Fn::Sub"].rsplit(":", 1)[1] for r in statement["Resource"]] == [
        "table/${TablePrefix}*",
        "table/${TablePrefix}*/index/*",
    ]
    for name, function in resources_of_type(merged, "AWS::Serverless::Function").items():
        env = effective_environment(merged, function)
        assert env["TABLE_PREFIX"] == {"Ref": "TablePrefix"}, name
        # the e-mail auto messages go out from here
        assert env["MAIL_FROM"] == {"Ref": "MailFrom"}, name
        assert env["ATTACHMENTS_URL"] == {"Ref": "AttachmentsUrl"}, name
        assert env["PANEL_URL"] == {"Ref": "PanelUrl"}, name  # escalation mails' links
    sids = [
        s.get("Sid")
        for s in merged["Resources"]["FunctionAccessPolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ]
    ]
    assert "AutoMessageMail" in sids


@pytest.mark.parametrize("app", ["traffic", "scheduled"])
def test_every_function_logs_into_a_group_that_expires(app):
    from infra.app_graph import describe_app
    from infra.cfn import LOG_RETENTION_DAYS
    from infra.template import build_template

    resources = build_template(app)["Resources"]
    functions = describe_app(app).functions
    assert functions
    for function in functions:
        group = resources[f"{function}LogGroup"]["Properties"]
        assert group["RetentionInDays"] == LOG_RETENTION_DAYS
        assert function in group["LogGroupName"]["Fn::Sub"]


def test_api_gateways_own_errors_have_the_apps_error_shape_and_cors(packaged):
    resources = packaged["traffic"]["Resources"]
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGateway::GatewayResponse"
    }

    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses.values():
        assert response["RestApiId"] == {"Ref": "RestAPI"}
        assert "RestAPI" in resources
        body = response["ResponseTemplates"]["application/json"]
        assert body.startswith('{"error": {"code": ')
        allow = response["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
        assert allow == "'*'"


def test_the_rest_api_compresses_answers_over_a_kilobyte(packaged):
    # A page view's session answer holds the auto messages that may fire: 35 KB for 100,
    # 3.4 KB gzipped (bench/auto_messages_page_view.py).
    api = packaged["traffic"]["Resources"]["RestAPI"]["Properties"]
    assert api["MinimumCompressionSize"] == 1024


def test_the_widgets_calls_are_rate_limited_per_address_by_waf(packaged):
    from infra.rate_limits import RATE_LIMITS

    cfn = packaged["traffic"]
    (acl,) = resources_of_type(cfn, "AWS::WAFv2::WebACL").values()
    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    assert acl["Properties"]["Scope"] == "REGIONAL"
    for limit in RATE_LIMITS:
        statement = rules[limit.name]["Statement"]["RateBasedStatement"]
        assert statement["AggregateKeyType"] == "IP"
        assert statement["Limit"] == {"Ref": limit.parameter}
        assert cfn["Parameters"][limit.parameter]["Default"] == limit.limit
        match = statement["ScopeDownStatement"]["ByteMatchStatement"]
        assert match["SearchString"] == limit.path_part
        block = rules[limit.name]["Action"]["Block"]["CustomResponse"]
        assert block["ResponseCode"] == 429
    (association,) = resources_of_type(cfn, "AWS::WAFv2::WebACLAssociation").values()
    arn = association["Properties"]["ResourceArn"]["Fn::Sub"]
    assert "/restapis/${RestAPI}/stages/${RestAPI.Stage}" in arn


def test_the_notifier_reads_this_stacks_queue_with_a_dead_letter_queue(packaged):
    merged = packaged["traffic"]
    resources = merged["Resources"]
    events = resources["PushNotifier"]["Properties"]["Events"]
    [(name, source)] = events.items()
    assert source["Type"] == "SQS"
    assert source["Properties"]["Queue"] == {"Fn::GetAtt": ["PushQueue", "Arn"]}, name
    queue = resources["PushQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["PushDeadLetterQueue", "Arn"]
    }
    assert queue["VisibilityTimeout"] >= 6 * 30 and queue["MessageRetentionPeriod"] == 3600
    consumer = resources["PushConsumerPolicy"]["Properties"]
    assert consumer["Roles"] == [{"Ref": "PushNotifierRole"}]
    statements = resources["FunctionAccessPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {s.get("Sid"): s for s in statements}
    assert by_sid["PushQueueSend"]["Action"] == ["sqs:SendMessage"]
    assert by_sid["VapidKey"]["Resource"] == {"Ref": "VapidKeySecret"}
    assert resources["VapidKeySecret"]["DeletionPolicy"] == "Retain"
    for function in resources_of_type(merged, "AWS::Serverless::Function").values():
        env = effective_environment(merged, function)
        assert env["PUSH_QUEUE_URL"] == {"Ref": "PushQueue"}
        assert env["VAPID_SECRET_ID"] == {"Ref": "VapidKeySecret"}


def test_the_channel_sender_reads_this_stacks_queue_with_a_dead_letter_queue(packaged):
    merged = packaged["traffic"]
    resources = merged["Resources"]
    function = resources["ChannelSender"]["Properties"]
    [(name, source)] = function["Events"].items()
    assert source["Type"] == "SQS"
    assert source["Properties"]["Queue"] == {"Fn::GetAtt": ["ChannelQueue", "Arn"]}, name
    assert source["Properties"]["BatchSize"] == 10
    queue = resources["ChannelQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["ChannelDeadLetterQueue", "Arn"]
    }
    assert queue["VisibilityTimeout"] >= 6 * 30
    # Retries wait up to 900 s, five times: the queue keeps messages far longer.
    assert queue["MessageRetentionPeriod"] >= 5 * 900
    consumer = resources["ChannelConsumerPolicy"]["Properties"]
    assert consumer["Roles"] == [{"Ref": "ChannelSenderRole"}]
    statements = resources["FunctionAccessPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {s.get("Sid"): s for s in statements}
    assert by_sid["ChannelQueueSend"] == {
        "Sid": "ChannelQueueSend",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": {"Fn::GetAtt": ["ChannelQueue", "Arn"]},
    }
    for function in resources_of_type(merged, "AWS::Serverless::Function").values():
        env = effective_environment(merged, function)
        assert env["CHANNEL_QUEUE_URL"] == {"Ref": "ChannelQueue"}


def test_the_clock_app_may_queue_unsent_replies_on_the_traffic_stacks_channel_queue(packaged):
    traffic, scheduled = packaged["traffic"], packaged["scheduled"]
    assert traffic["Outputs"]["ChannelQueueUrl"]["Value"] == {"Ref": "ChannelQueue"}
    assert traffic["Outputs"]["ChannelQueueArn"]["Value"] == {"Fn::GetAtt": ["ChannelQueue", "Arn"]}
    assert {"ChannelQueueUrl", "ChannelQueueArn"} <= set(scheduled["Parameters"])
    policy = scheduled["Resources"]["FunctionAccessPolicy"]["Properties"]["PolicyDocument"]
    by_sid = {s.get("Sid"): s for s in policy["Statement"]}
    assert by_sid["ChannelQueueSend"]["Action"] == ["sqs:SendMessage"]
    assert by_sid["ChannelQueueSend"]["Resource"] == {"Ref": "ChannelQueueArn"}
    for function in resources_of_type(scheduled, "AWS::Serverless::Function").values():
        env = effective_environment(scheduled, function)
        assert env["CHANNEL_QUEUE_URL"] == {"Ref": "ChannelQueueUrl"}
