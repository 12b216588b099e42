"""The traffic template (infra/template.py) before packaging: its tables follow the
PynamoDB models, its buckets, user pool, distribution and function policy are what the
app needs (index steps: test_index_steps.py)."""

import json
import re

import pytest
from pynamodb.attributes import TTLAttribute
from pynamodb.indexes import GlobalSecondaryIndex, LocalSecondaryIndex

from chalicelib.config import get_settings
from chalicelib.models import ALL_MODELS
from infra import app_graph, cdn, cfn, cognito, template
from infra import tables as table_templates
from tests.unit.infra_helpers import ROOT, resources_of_type


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
