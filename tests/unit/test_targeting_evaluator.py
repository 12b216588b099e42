"""The server evaluator's entry points beyond the case table: compiled rule sets,
many rule sets against one visitor, and the server pass over a project's auto messages."""

import pytest

from chalicelib.errors import BadRequest
from chalicelib.targeting import (
    Verdict,
    client_residual,
    compile_rules,
    evaluate,
    evaluate_many,
    server_pass,
    server_verdict,
)

NOW = 1_700_000_000_000
GERMANY = {"field": "country", "op": "equals", "value": "DE"}
AFTER_30_S = {"field": "time_on_page", "op": "greater", "value": 30}
MOBILE = {"field": "platform", "op": "equals", "value": "mobile"}


def test_evaluate_refuses_an_invalid_rule_set():
    with pytest.raises(BadRequest):
        evaluate({"all": [{"field": "country", "op": "less", "value": 3}]}, {}, NOW)


def test_a_compiled_rule_set_gives_the_same_answers_as_the_raw_one():
    rules = {"all": [GERMANY, AFTER_30_S]}
    compiled = compile_rules(rules)
    for opened_ago in (10_000, 31_000):
        facts = {"country": "de", "page_opened_at": NOW - opened_ago}
        assert evaluate(compiled, facts, NOW) is evaluate(rules, facts, NOW)
    assert evaluate(compiled, {"country": "de", "page_opened_at": NOW - 31_000}, NOW) is True


def test_evaluate_many_answers_each_rule_set_in_order():
    compiled = [compile_rules({"all": [GERMANY]}), compile_rules({"all": [MOBILE]})]
    assert evaluate_many(compiled, {"country": "DE", "platform": "desktop"}, NOW) == [True, False]


def test_the_server_pass_keeps_what_could_still_fire():
    # Given a project's auto messages and what the server knows of a German desktop visitor
    compiled = [
        compile_rules({"all": [GERMANY]}),
        compile_rules({"all": [MOBILE, AFTER_30_S]}),
        compile_rules({"all": [GERMANY, AFTER_30_S]}),
        compile_rules({"any_groups": [[MOBILE], [AFTER_30_S]]}),
        compile_rules({"any_groups": [[MOBILE], [GERMANY]]}),
    ]
    # When the server passes over them (timer facts it is given are ignored)
    verdicts = server_pass(compiled, {"country": "DE", "platform": "desktop", "page_opened_at": 0})
    # Then
    assert verdicts == [
        Verdict.TRUE,
        Verdict.FALSE,
        Verdict.DEPENDS,
        Verdict.DEPENDS,
        Verdict.TRUE,
    ]
    assert [
        server_verdict(c, {"country": "DE", "platform": "desktop"}) for c in compiled
    ] == verdicts


def test_the_client_residual_keeps_only_what_the_widget_must_decide():
    server_facts = {"country": "DE", "platform": "desktop"}
    # Server conditions that hold go; a group that cannot hold goes; timers stay
    rules = {"all": [GERMANY, AFTER_30_S], "any_groups": [[MOBILE], [GERMANY, AFTER_30_S]]}
    assert client_residual(rules, server_facts) == {
        "all": [AFTER_30_S],
        "any_groups": [[AFTER_30_S]],
    }
    # A group the server already knows holds settles the groups
    rules = {"any_groups": [[AFTER_30_S], [GERMANY]]}
    assert client_residual(rules, server_facts) == {"all": [], "any_groups": []}
    # A rule set the server knows is false has no residual
    assert client_residual({"all": [MOBILE, AFTER_30_S]}, server_facts) is None
