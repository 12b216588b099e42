"""The DynamoDB tables of the traffic stack, generated from ``chalicelib.models.ALL_MODELS``
(so the template and the models cannot drift)."""

from __future__ import annotations

import os
import re
import sys

from infra.app_graph import REPO_ROOT
from infra.cfn import sub


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


HOLD_BACK_ENV = "HOLD_BACK_INDEXES"


def held_back_indexes() -> frozenset[tuple[str, str]]:
    """``HOLD_BACK_INDEXES="chats:unread,..."`` (table base name : index name): global
    indexes this template leaves out. DynamoDB creates one GSI per table per update, so
    infra/deploy.sh deploys a table that gains two in steps (infra/index_steps.py)."""
    held = set()
    for item in os.environ.get(HOLD_BACK_ENV, "").split(","):
        if item.strip():
            table, _, index = item.strip().partition(":")
            if not table or not index:
                raise ValueError(f"{HOLD_BACK_ENV}: {item!r} is not <table>:<index>")
            held.add((table, index))
    return frozenset(held)


def table_resource(model, prefix: str, hold_back: frozenset = frozenset()) -> dict:
    """One ``AWS::DynamoDB::Table`` from a PynamoDB model's own schema, without the
    global indexes ``hold_back`` names ((base name, index name) pairs)."""
    if getattr(model.Meta, "billing_mode", None) != "PAY_PER_REQUEST":
        raise ValueError(f"{model.__name__}: only PAY_PER_REQUEST tables are templated")
    schema = model._get_schema()
    base = table_base_name(model, prefix)
    properties: dict = {
        "TableName": sub("${TablePrefix}" + base),
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(schema["key_schema"]),
    }
    keyed = {element["AttributeName"] for element in schema["key_schema"]}
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
            if (base, index["index_name"]) not in hold_back
        ]
        for index in indexes:
            keyed.update(element["AttributeName"] for element in index["KeySchema"])
        if indexes:
            properties[cfn_key] = indexes
    # Only attributes some key uses: CloudFormation refuses a definition nothing keys on.
    definitions = [d for d in schema["attribute_definitions"] if d["AttributeName"] in keyed]
    properties["AttributeDefinitions"] = _attribute_definitions(model, definitions)
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
    hold_back = held_back_indexes()
    resources: dict[str, dict] = {}
    for model in models:
        logical_id = table_logical_id(table_base_name(model, prefix))
        if logical_id in resources:
            raise ValueError(f"two models map to the resource {logical_id}")
        resources[logical_id] = table_resource(model, prefix, hold_back)
    return resources
