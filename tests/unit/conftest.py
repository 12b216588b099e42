"""The built traffic template and its tables, for the infra tests (built once a module)."""

import pytest

from infra import template
from tests.unit.infra_helpers import resources_of_type


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
