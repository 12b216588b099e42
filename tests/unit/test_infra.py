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
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pynamodb.attributes import TTLAttribute
from pynamodb.indexes import GlobalSecondaryIndex, LocalSecondaryIndex

from chalicelib.config import get_settings
from chalicelib.models import ALL_MODELS
from infra import app_graph, cdn, cfn, cognito, template
from infra import tables as table_templates

ROOT = Path(app_graph.REPO_ROOT)
BIN = Path(sys.executable).parent
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


def tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is not installed (requirements-dev.txt)"
    return path


def resources_of_type(cfn: dict, kind: str) -> dict:
    return {name: r for name, r in cfn["Resources"].items() if r["Type"] == kind}


def base_name(model) -> str:
    # The models were imported under the test prefix (conftest); the template has none.
    prefix = get_settings().table_prefix
    assert model.Meta.table_name.startswith(prefix)
    return model.Meta.table_name[len(prefix) :]


def key_schema_of(attributes) -> list[tuple[str, str]]:
    keys = [
        (a.attr_name, "HASH" if a.is_hash_key else "RANGE")
        for a in attributes
        if a.is_hash_key or a.is_range_key
    ]
    return sorted(keys, key=lambda key: key[1])  # HASH before RANGE


def expected_table(model) -> dict:
    """What the model says, read from its attributes and its indexes' Meta."""
    attributes = list(model.get_attributes().values())
    definitions = {a.attr_name: a.attr_type for a in attributes if a.is_hash_key or a.is_range_key}
    indexes = {}
    for index in model._indexes.values():
        index_attributes = list(index.Meta.attributes.values())
        definitions.update({a.attr_name: a.attr_type for a in index_attributes})
        projection = index.Meta.projection
        indexes[index.Meta.index_name] = {
            "global": isinstance(index, GlobalSecondaryIndex),
            "keys": key_schema_of(index_attributes),
            "projection": projection.projection_type,
            "non_key": sorted(getattr(projection, "non_key_attributes", None) or []),
        }
    ttl = [a.attr_name for a in attributes if isinstance(a, TTLAttribute)]
    return {
        "keys": key_schema_of(attributes),
        "definitions": definitions,
        "indexes": indexes,
        "ttl": ttl[0] if ttl else None,
    }


def actual_table(resource: dict) -> dict:
    props = resource["Properties"]
    indexes = {}
    for cfn_key, is_global in (("GlobalSecondaryIndexes", True), ("LocalSecondaryIndexes", False)):
        for index in props.get(cfn_key, []):
            indexes[index["IndexName"]] = {
                "global": is_global,
                "keys": [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]],
                "projection": index["Projection"]["ProjectionType"],
                "non_key": sorted(index["Projection"].get("NonKeyAttributes", [])),
            }
    ttl = props.get("TimeToLiveSpecification")
    definitions = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
    assert len(definitions) == len(props["AttributeDefinitions"]), "duplicate definitions"
    return {
        "keys": [(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]],
        "definitions": definitions,
        "indexes": indexes,
        "ttl": ttl["AttributeName"] if ttl and ttl["Enabled"] else None,
    }


@pytest.fixture(scope="module")
def traffic() -> dict:
    return template.build_template("traffic")


@pytest.fixture(scope="module")
def tables(traffic) -> dict:
    """Table resources by their TableName's base (the part after ${TablePrefix})."""
    found = {}
    for resource in resources_of_type(traffic, "AWS::DynamoDB::Table").values():
        name = resource["Properties"]["TableName"]["Fn::Sub"]
        assert name.startswith("${TablePrefix}")
        found[name.removeprefix("${TablePrefix}")] = resource
    return found


# --- (a) the tables follow the models ---------------------------------------------------


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_each_model_has_a_table_with_its_keys_indexes_and_ttl(tables, model):
    assert base_name(model) in tables, f"no table for {model.__name__}"
    expected, actual = expected_table(model), actual_table(tables[base_name(model)])
    assert actual["keys"] == expected["keys"]
    # Exactly the key attributes: CloudFormation rejects definitions no key uses.
    assert actual["definitions"] == expected["definitions"]
    assert actual["indexes"] == expected["indexes"]
    assert actual["ttl"] == expected["ttl"]


def test_the_template_has_no_table_without_a_model(tables):
    assert set(tables) == {base_name(model) for model in ALL_MODELS}


def test_the_pynamodb_schema_agrees_with_the_template(tables):
    # The same question asked through PynamoDB's own CreateTable schema.
    for model in ALL_MODELS:
        schema = model._get_schema()
        props = tables[base_name(model)]["Properties"]
        assert {(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]} == {
            (k["AttributeName"], k["KeyType"]) for k in schema["key_schema"]
        }
        assert sorted(i["IndexName"] for i in props.get("GlobalSecondaryIndexes", [])) == sorted(
            i["index_name"] for i in schema["global_secondary_indexes"]
        )


def test_tables_are_on_demand_encrypted_recoverable_and_kept(tables):
    for resource in tables.values():
        props = resource["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert resource["DeletionPolicy"] == "Retain"
        for index in props.get("GlobalSecondaryIndexes", []):
            assert "ProvisionedThroughput" not in index


def test_index_keys_list_the_hash_key_first(tables):
    for resource in tables.values():
        for index in resource["Properties"].get("GlobalSecondaryIndexes", []):
            assert index["KeySchema"][0]["KeyType"] == "HASH", index["IndexName"]


def test_a_new_model_shape_is_templated_too():
    """A model unlike today's (LSI, INCLUDE projection, numeric keys, TTL, a stream)."""
    from pynamodb.attributes import NumberAttribute, UnicodeAttribute
    from pynamodb.indexes import IncludeProjection, KeysOnlyProjection
    from pynamodb.models import Model

    prefix = get_settings().table_prefix

    class ByScore(GlobalSecondaryIndex):
        class Meta:
            index_name = "by_score"
            projection = IncludeProjection(["label"])

        group = UnicodeAttribute(hash_key=True)
        score = NumberAttribute(range_key=True)

    class ByRank(LocalSecondaryIndex):
        class Meta:
            index_name = "by_rank"
            projection = KeysOnlyProjection()

        owner = UnicodeAttribute(hash_key=True)
        rank = NumberAttribute(range_key=True)

    class ThingModel(Model):
        class Meta:
            table_name = prefix + "things"
            billing_mode = "PAY_PER_REQUEST"
            stream_view_type = "NEW_AND_OLD_IMAGES"

        owner = UnicodeAttribute(hash_key=True)
        thing_id = UnicodeAttribute(range_key=True)
        group = UnicodeAttribute()
        score = NumberAttribute()
        rank = NumberAttribute()
        label = UnicodeAttribute()
        gone_at = TTLAttribute(null=True)
        by_score = ByScore()
        by_rank = ByRank()

    resource = table_templates.table_resource(ThingModel, prefix)
    assert resource["Properties"]["TableName"] == {"Fn::Sub": "${TablePrefix}things"}
    assert actual_table(resource) == expected_table(ThingModel)
    assert resource["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_a_table_outside_the_prefix_is_refused():
    class Stray:
        class Meta:
            table_name = "elsewhere-things"

    with pytest.raises(ValueError, match="does not start with"):
        table_templates.table_base_name(Stray, "livechat-dev-")


# --- the rest of the traffic template ---------------------------------------------------


def test_the_user_pool_matches_the_local_stand_in_and_signs_in_by_email(traffic):
    from infra.local.aws import PASSWORD_POLICY

    pool = traffic["Resources"]["UserPool"]["Properties"]
    policy = dict(pool["Policies"]["PasswordPolicy"])
    policy.pop("TemporaryPasswordValidityDays")
    assert policy == PASSWORD_POLICY == cognito.PASSWORD_POLICY
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["AutoVerifiedAttributes"] == ["email"]

    client = traffic["Resources"]["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    units = client["TokenValidityUnits"]
    assert (client["AccessTokenValidity"], units["AccessToken"]) == (1, "hours")
    assert (client["RefreshTokenValidity"], units["RefreshToken"]) == (30, "days")


def test_the_static_bucket_is_private_and_read_only_by_its_distribution(traffic):
    resources = traffic["Resources"]
    block = resources["StaticBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    config = resources["StaticDistribution"]["Properties"]["DistributionConfig"]
    assert "DefaultRootObject" not in config
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["Compress"] is True
    origin = config["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["StaticOriginAccessControl", "Id"]}
    allow = [
        s
        for s in resources["StaticBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert len(allow) == 1
    assert allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert (
        "${StaticDistribution}" in allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    )


def test_attachments_are_private_served_only_once_published_and_drafts_expire(traffic):
    resources = traffic["Resources"]
    bucket = resources["AttachmentsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Prefix"] == "drafts/" and rule["ExpirationInDays"] == 1
    assert bucket["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] == ["POST"]
    config = resources["StaticDistribution"]["Properties"]["DistributionConfig"]
    [behavior] = [b for b in config["CacheBehaviors"] if b["TargetOriginId"] == "attachments"]
    assert behavior["PathPattern"] == "attachments/*"
    assert behavior["TargetOriginId"] == "attachments"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert behavior["ResponseHeadersPolicyId"] == cdn.SECURITY_HEADERS_POLICY_ID  # nosniff
    statements = resources["AttachmentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [read] = [s for s in statements if s["Effect"] == "Allow"]
    assert read["Resource"] == {"Fn::Sub": "${AttachmentsBucket.Arn}/attachments/*"}
    functions = resources["FunctionAccessPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [access] = [s for s in functions if s["Sid"] == "Attachments"]
    assert "s3:ListBucket" not in access["Action"]


def test_the_panels_service_worker_and_manifest_are_never_cached_at_the_edges(traffic):
    config = traffic["Resources"]["StaticDistribution"]["Properties"]["DistributionConfig"]
    by_path = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    for path in ("panel/sw.js", "panel/manifest.webmanifest"):
        behavior = by_path[path]
        assert behavior["TargetOriginId"] == "static"
        assert behavior["CachePolicyId"] == cdn.CACHING_DISABLED_POLICY_ID
        assert behavior["ResponseHeadersPolicyId"] == cdn.SECURITY_HEADERS_POLICY_ID
        assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    # The rest of the panel (the shell the worker precaches) stays cached.
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == cdn.CACHING_OPTIMIZED_POLICY_ID
    # Browsers: deploy uploads the stamped worker and the manifest with no-cache, after a
    # sync that leaves them out (so the unstamped sw.js is never uploaded).
    deploy = (ROOT / "infra" / "deploy.sh").read_text()
    sync = re.search(r'aws s3 sync "\$ROOT/panel".*?\n(?!\t)', deploy, re.S).group(0)
    assert "--exclude sw.js" in sync and "--exclude manifest.webmanifest" in sync
    assert re.search(
        r"panel/sw\.js\" \\\n\t--content-type text/javascript --cache-control no-cache", deploy
    )
    assert re.search(
        r"manifest\.webmanifest\" \\\n\t--content-type application/manifest\+json --cache-control no-cache",
        deploy,
    )
    assert "python -m infra.panel_build" in deploy or "-m infra.panel_build" in deploy


def test_the_function_policy_covers_every_table_and_its_indexes_and_never_scans(traffic, tables):
    policy = traffic["Resources"]["FunctionAccessPolicy"]["Properties"]["PolicyDocument"]
    statement = next(s for s in policy["Statement"] if s["Sid"] == "Tables")
    assert "dynamodb:Scan" not in statement["Action"]
    assert set(cfn.DYNAMODB_ACTIONS) <= set(statement["Action"])
    logical_ids = resources_of_type(traffic, "AWS::DynamoDB::Table")
    for logical_id in logical_ids:
        assert {"Fn::GetAtt": [logical_id, "Arn"]} in statement["Resource"]
        assert {"Fn::Sub": f"${{{logical_id}.Arn}}/index/*"} in statement["Resource"]
    assert len(statement["Resource"]) == 2 * len(tables)


def test_generating_leaves_an_imported_app_its_blueprints():
    import app
    from chalicelib.routes.auth_routes import auth_routes

    app_graph.describe_app.cache_clear()
    template.build_template("traffic")
    assert auth_routes.current_app is app.app


def test_main_writes_the_template(tmp_path):
    out = tmp_path / "nested" / "scheduled.json"
    assert template.main(["--app", "scheduled", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == template.build_template("scheduled")


def test_main_refuses_an_unknown_stage(tmp_path, capsys):
    assert template.main(["--app", "traffic", "--stage", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "'nope'" in capsys.readouterr().err


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


# --- DynamoDB adds one GSI per table per update (infra/index_steps.py, infra/deploy.sh) ---


def test_a_table_gaining_two_indexes_gets_them_in_two_updates():
    from infra.index_steps import plan

    wanted = {"chats": ["by_activity", "unanswered", "unread"], "members": ["by_user"]}
    # A stack from before both: this update adds "unanswered", holds "unread" back.
    before = {"chats": {"by_activity"}, "members": {"by_user"}}
    assert plan(wanted, before) == ["chats:unread"]
    # The next one can add the last; a new table is created with all its indexes.
    assert plan(wanted, {"chats": {"by_activity", "unanswered"}, "members": {"by_user"}}) == []
    assert plan(wanted, {"chats": None, "members": None}) == []


def test_a_replaced_index_is_deleted_in_an_update_of_its_own_before_its_successor_is_added():
    from infra.index_steps import plan

    wanted = {"chats": ["by_activity", "queue"], "members": ["by_user", "by_email"]}
    live = {"chats": {"by_activity", "waiting"}, "members": {"by_user"}}
    # First update: chats only drops "waiting" (its successor held back); members adds one.
    assert plan(wanted, live) == ["chats:queue"]
    # Then "queue" comes in the next.
    assert plan(wanted, {"chats": {"by_activity"}, "members": {"by_user", "by_email"}}) == []


def test_a_held_back_index_and_its_key_attribute_leave_the_template(monkeypatch):
    from chalicelib.models.chat import ChatModel

    prefix = get_settings().table_prefix
    monkeypatch.setenv("HOLD_BACK_INDEXES", "chats:unread")
    held = table_templates.table_resource(ChatModel, prefix, table_templates.held_back_indexes())[
        "Properties"
    ]
    whole = table_templates.table_resource(ChatModel, prefix)["Properties"]

    def names(properties):
        return [index["IndexName"] for index in properties["GlobalSecondaryIndexes"]]

    assert "unread" in names(whole) and names(held) == [n for n in names(whole) if n != "unread"]
    defined = {d["AttributeName"] for d in held["AttributeDefinitions"]}
    assert "unread_project_id" not in defined and "unanswered_key" in defined
    assert "unread_project_id" in {d["AttributeName"] for d in whole["AttributeDefinitions"]}


def test_a_malformed_hold_back_is_refused(monkeypatch):
    monkeypatch.setenv("HOLD_BACK_INDEXES", "chats")
    with pytest.raises(ValueError, match="<table>:<index>"):
        table_templates.held_back_indexes()


def test_index_steps_reads_the_live_tables(monkeypatch, capsys):
    import boto3
    import moto

    from infra import index_steps

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        # The chats table as a stack from before ``unanswered`` and ``unread`` has it.
        boto3.client("dynamodb").create_table(
            TableName="old-stack-chats",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "project_id", "KeyType": "HASH"},
                {"AttributeName": "chat_id", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "project_id", "AttributeType": "S"},
                {"AttributeName": "chat_id", "AttributeType": "S"},
                {"AttributeName": "activity_key", "AttributeType": "S"},
                {"AttributeName": "open_shard", "AttributeType": "S"},
                {"AttributeName": "last_activity_at", "AttributeType": "S"},
                {"AttributeName": "waiting_project_id", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": name,
                    "KeySchema": [
                        {"AttributeName": hash_key, "KeyType": "HASH"},
                        {"AttributeName": range_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
                for name, hash_key, range_key in (
                    ("by_activity", "project_id", "activity_key"),
                    ("open_idle", "open_shard", "last_activity_at"),
                    ("waiting", "waiting_project_id", "activity_key"),
                )
            ],
        )
        assert index_steps.main(["--prefix", "old-stack-"]) == 0

    # Every other table is new (created whole). The old chats table first loses "waiting"
    # (replaced by "queue") with everything it gains held back; then one a step.
    assert capsys.readouterr().out.strip() == (
        "chats:unanswered,chats:unread,chats:unseen_replies,chats:queue"
    )


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
