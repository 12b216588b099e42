"""The shared case table (tests/cases/targeting_rules.json) on the server's evaluator; the
browser test runs the same table on widget/rules.js."""

import json
import pathlib

import pytest

from chalicelib.targeting import (
    FIELDS_BY_ID,
    Verdict,
    client_residual,
    evaluate,
    server_verdict,
    validate_rules,
)
from chalicelib.targeting.catalogue import SERVER_FACTS

CASES_PATH = pathlib.Path(__file__).parents[1] / "cases" / "targeting_rules.json"
CASES = json.loads(CASES_PATH.read_text(encoding="utf-8"))["cases"]


def test_the_table_covers_every_field_and_every_operator_it_allows():
    used = {(cond["field"], cond["op"]) for case in CASES for cond in _conditions(case["rules"])}
    allowed = {(field.id, op) for field in FIELDS_BY_ID.values() for op in field.ops}
    assert allowed - used == set()


def test_the_table_has_both_outcomes_and_unique_names():
    assert {case["expected"] for case in CASES} == {True, False}
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case):
    # Given rules as the server stores them (validation leaves them unchanged)
    assert validate_rules(case["rules"]) == case["rules"]
    # When evaluated against the facts at that time
    result = evaluate(case["rules"], case["facts"], case["now"])
    # Then
    assert result is case["expected"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_server_verdict_never_contradicts_the_full_evaluation(case):
    server_facts = {k: v for k, v in case["facts"].items() if k in SERVER_FACTS}
    verdict = server_verdict(case["rules"], server_facts)
    if verdict is not Verdict.DEPENDS:
        assert verdict is (Verdict.TRUE if case["expected"] else Verdict.FALSE)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_widget_decides_the_residual_with_its_own_facts_as_the_whole_table_says(case):
    # What a page view sends: the server's facts applied, the rest left to the widget
    server_facts = {k: v for k, v in case["facts"].items() if k in SERVER_FACTS}
    widget_facts = {k: v for k, v in case["facts"].items() if k not in SERVER_FACTS}
    residual = client_residual(case["rules"], server_facts)
    if residual is None:
        assert case["expected"] is False
    else:
        assert evaluate(residual, widget_facts, case["now"]) is case["expected"]


def test_the_server_settles_an_event_it_has_seen_and_leaves_the_others_to_the_widget():
    happened = {"all": [{"field": "custom_event", "op": "happened", "value": "added_to_cart"}]}
    not_happened = {
        "all": [{"field": "custom_event", "op": "not_happened", "value": "added_to_cart"}]
    }
    seen, unseen = {"event_names": ["added_to_cart"]}, {"event_names": ["signup"]}

    assert server_verdict(happened, seen) is Verdict.TRUE
    assert server_verdict(not_happened, seen) is Verdict.FALSE
    assert server_verdict(happened, unseen) is Verdict.DEPENDS  # this page may send it
    assert server_verdict(not_happened, unseen) is Verdict.DEPENDS
    assert client_residual(happened, seen) == {"all": [], "any_groups": []}
    assert client_residual(not_happened, seen) is None
    assert client_residual(happened, unseen) == validate_rules(happened)
    assert client_residual(not_happened, {}) == validate_rules(not_happened)


def _conditions(rules):
    yield from rules["all"]
    for group in rules["any_groups"]:
        yield from group
