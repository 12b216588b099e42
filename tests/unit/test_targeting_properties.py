"""Properties of the targeting rules on the server: the validator accepts every rule set
the generator makes and turns any junk into BadRequest, and the server's three-valued
pass never contradicts the full evaluation. (Python against Chromium: tests/e2e.)"""

from hypothesis import HealthCheck, given, settings

from chalicelib.errors import BadRequest
from chalicelib.targeting import (
    FIELDS_BY_ID,
    Verdict,
    client_residual,
    evaluate,
    server_verdict,
    validate_rules,
)
from chalicelib.targeting.catalogue import SERVER_FACTS as SERVER_FACT_NAMES
from tests.targeting_strategies import ALMOST_RULE_SETS, examples, rule_sets

# Fields the widget has a say in: client-side ones, and those held by both (events).
CLIENT_FIELDS = {field.id for field in FIELDS_BY_ID.values() if not field.server_side}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_sets())
def test_the_validator_accepts_every_generated_rule_set_unchanged(rules):
    assert validate_rules(rules) == rules


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ALMOST_RULE_SETS)
def test_junk_is_either_a_valid_rule_set_or_a_bad_request_naming_a_path(junk):
    try:
        normalised = validate_rules(junk)
    except BadRequest as error:
        assert error.details["errors"], "a BadRequest lists its problems"
        assert all(problem["path"].startswith("rules") for problem in error.details["errors"])
        assert error.message.startswith(error.details["errors"][0]["path"] + ": ")
    else:
        # What passed is a rule set: validating it again changes nothing.
        assert validate_rules(normalised) == normalised


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(examples())
def test_the_server_pass_never_contradicts_the_full_evaluation(example):
    rules, facts, now = example
    server_facts = {name: value for name, value in facts.items() if name in SERVER_FACT_NAMES}
    verdict = server_verdict(rules, server_facts)
    full = evaluate(rules, facts, now)
    if verdict is Verdict.TRUE:
        assert full is True
    elif verdict is Verdict.FALSE:
        assert full is False
    else:
        uses_client_fields = any(
            condition["field"] in CLIENT_FIELDS
            for condition in rules["all"] + [c for group in rules["any_groups"] for c in group]
        )
        assert uses_client_fields, "only what the widget knows can leave a rule set open"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(examples())
def test_the_client_residual_decides_exactly_as_the_whole_rule_set(example):
    # Given what the server knows, and what only the widget knows
    rules, facts, now = example
    server_facts = {name: value for name, value in facts.items() if name in SERVER_FACT_NAMES}
    client_facts = {name: value for name, value in facts.items() if name not in SERVER_FACT_NAMES}
    # When the server reduces the rule set
    residual = client_residual(rules, server_facts)
    # Then the widget, with its facts alone, decides as the whole rule set with all facts
    if residual is None:
        assert evaluate(rules, facts, now) is False
    else:
        assert validate_rules(residual) == residual
        assert all(
            c["field"] in CLIENT_FIELDS
            for c in residual["all"] + [c for group in residual["any_groups"] for c in group]
        )
        assert evaluate(residual, client_facts, now) is evaluate(rules, facts, now)
