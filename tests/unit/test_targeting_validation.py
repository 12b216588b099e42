"""Validation of targeting rule sets when saved: every problem is a BadRequest naming where
it is, and what passes comes back normalised."""

import pytest

from chalicelib.errors import BadRequest
from chalicelib.targeting import LIMITS, validate_rules


def cond(field, op, value=None):
    return {"field": field, "op": op, "value": value}


def test_a_valid_rule_set_comes_back_normalised():
    # Given values with stray spaces, an enum in capitals, a whole float, and no any_groups
    rules = {
        "all": [
            cond("country", "equals", "  DE "),
            cond("rating", "is_not", "Great"),
            cond("time_on_page", "greater", 30.0),
            {"field": "chat_history", "op": "none"},
        ]
    }
    # When validated
    normalised = validate_rules(rules)
    # Then
    assert normalised == {
        "all": [
            cond("country", "equals", "DE"),
            cond("rating", "is_not", "great"),
            cond("time_on_page", "greater", 30),
            cond("chat_history", "none"),
        ],
        "any_groups": [],
    }
    assert type(normalised["all"][2]["value"]) is int


def test_the_empty_rule_set_is_valid_and_holds_for_everyone():
    assert validate_rules({}) == {"all": [], "any_groups": []}


TOO_LONG = "x" * (LIMITS.text_chars + 1)


@pytest.mark.parametrize(
    "rules, path, message",
    [
        ([], "rules", "must be an object with 'all' and/or 'any_groups', not a list"),
        ({"every": []}, "rules", "unknown key 'every'"),
        ({"all": {}}, "rules.all", "must be a list of conditions, not an object"),
        ({"all": ["country"]}, "rules.all[0]", "must be an object with field, op and value"),
        ({"all": [{"field": "country", "op": "equals", "value": "DE", "x": 1}]},
         "rules.all[0]", "unknown key 'x'"),
        ({"all": [cond("planet", "equals", "Mars")]}, "rules.all[0].field", "unknown field 'planet'"),
        ({"all": [{"op": "equals", "value": "DE"}]}, "rules.all[0].field", "is required"),
        ({"all": [cond(7, "equals", "DE")]}, "rules.all[0].field", "must be a field name (text), not a number"),
        ({"all": [cond("country", "matches", "D.*")]}, "rules.all[0].op", "unknown operator 'matches'"),
        ({"all": [cond("country", None, "DE")]}, "rules.all[0].op", "is required"),
        ({"all": [cond("city", "equals", "Paris"), cond("country", "greater", 3)]},
         "rules.all[1].op", "'greater' is not allowed for 'country' (allowed: equals, is_not)"),
        ({"all": [cond("user_agent", "exists")]}, "rules.all[0].op", "'exists' is not allowed for 'user_agent'"),
        ({"all": [cond("country", "equals")]}, "rules.all[0].value", "is required for 'equals'"),
        ({"all": [cond("country", "equals", 49)]}, "rules.all[0].value", "must be text, not a number"),
        ({"all": [cond("country", "equals", "   ")]}, "rules.all[0].value", "must not be empty"),
        ({"all": [cond("country", "equals", "Germany")]}, "rules.all[0].value", "must be a two-letter country code such as DE, FR or US"),
        ({"all": [cond("page_url", "contains", TOO_LONG)]}, "rules.all[0].value",
         f"must be at most {LIMITS.text_chars} characters"),
        ({"all": [cond("city", "equals", "Ber\nlin")]}, "rules.all[0].value", "must not contain control characters"),
        ({"all": [cond("page_url", "contains", "/shop/.*")]}, "rules.all[0].value", "patterns are not supported"),
        ({"all": [cond("page_url", "equals", "^https://a")]}, "rules.all[0].value", "patterns are not supported"),
        ({"all": [cond("page_url", "equals", "/a$")]}, "rules.all[0].value", "patterns are not supported"),
        ({"all": [cond("utm_source", "equals", "fb|ig")]}, "rules.all[0].value", "patterns are not supported"),
        ({"all": [cond("utm_term", "contains", r"\d+")]}, "rules.all[0].value", "patterns are not supported"),
        ({"all": [cond("widget_open", "is", "true")]}, "rules.all[0].value", "must be true or false, not text"),
        ({"all": [cond("chat_history", "exists", True)]}, "rules.all[0].value", "'exists' takes no value"),
        ({"all": [cond("visits", "greater", True)]}, "rules.all[0].value", "must be a whole number, not true/false"),
        ({"all": [cond("visits", "greater", 1.5)]}, "rules.all[0].value", "must be a whole number"),
        ({"all": [cond("visits", "greater", "3")]}, "rules.all[0].value", "must be a whole number, not text"),
        ({"all": [cond("visits", "greater", -1)]}, "rules.all[0].value",
         f"must be between 0 and {LIMITS.count_max}"),
        ({"all": [cond("time_on_page", "greater", LIMITS.seconds_max + 1)]}, "rules.all[0].value",
         f"must be between 0 and {LIMITS.seconds_max}"),
        ({"all": [cond("browser_language", "equals", "English")]}, "rules.all[0].value",
         "must be a language tag such as en or en-GB"),
        ({"all": [cond("platform", "equals", "tablet")]}, "rules.all[0].value", "must be one of desktop, mobile"),
        ({"all": [cond("rating", "equals", "good")]}, "rules.all[0].value", "must be one of great, average, poor"),
        ({"any_groups": [cond("city", "equals", "Paris")]}, "rules.any_groups[0]", "must be a list of conditions"),
        ({"any_groups": [[]]}, "rules.any_groups[0]", "must not be empty"),
        ({"any_groups": [[cond("city", "equals", "Paris")], [cond("city", "less", 3)]]},
         "rules.any_groups[1][0].op", "'less' is not allowed for 'city'"),
        ({"any_groups": "city"}, "rules.any_groups", "must be a list of condition lists, not text"),
        ({"all": [cond("visits", "less", 3)] * (LIMITS.conditions_in_all + 1)}, "rules.all",
         f"has {LIMITS.conditions_in_all + 1} conditions; at most {LIMITS.conditions_in_all}"),
        ({"any_groups": [[cond("visits", "less", 3)]] * (LIMITS.groups + 1)}, "rules.any_groups",
         f"has {LIMITS.groups + 1} groups; at most {LIMITS.groups}"),
        ({"any_groups": [[cond("visits", "less", 3)] * (LIMITS.conditions_in_group + 1)]},
         "rules.any_groups[0]", f"has {LIMITS.conditions_in_group + 1} conditions; at most {LIMITS.conditions_in_group}"),
        ({"all": [cond("visits", "less", 3)] * LIMITS.conditions_in_all,
          "any_groups": [[cond("visits", "less", 3)] * LIMITS.conditions_in_group] * 4},
         "rules", f"has {LIMITS.conditions_in_all + 4 * LIMITS.conditions_in_group} conditions; at most {LIMITS.conditions_total}"),
    ],
)  # fmt: skip
def test_a_bad_rule_set_is_a_bad_request_that_says_where(rules, path, message):
    with pytest.raises(BadRequest) as raised:
        validate_rules(rules)
    assert raised.value.message.startswith(f"{path}: {message}")
    assert raised.value.details["errors"][0]["path"] == path


def test_every_problem_is_listed_and_the_message_counts_the_rest():
    rules = {
        "all": [cond("country", "greater", 3), cond("city", "equals", "")],
        "any_groups": [[cond("planet", "is", True)]],
    }
    with pytest.raises(BadRequest) as raised:
        validate_rules(rules)
    assert [problem["path"] for problem in raised.value.details["errors"]] == [
        "rules.all[0].op",
        "rules.all[1].value",
        "rules.any_groups[0][0].field",
    ]
    assert raised.value.message.endswith("(and 2 more)")


def test_a_flood_of_bad_conditions_lists_a_bounded_number_of_problems():
    rules = {"any_groups": [[cond("planet", "is", True)] * 10] * 10}
    with pytest.raises(BadRequest) as raised:
        validate_rules(rules)
    assert len(raised.value.details["errors"]) == 20


def test_literal_characters_that_are_not_patterns_are_kept():
    rules = {"all": [cond("page_url", "contains", "/search?q=a+b&x=(1).")]}
    assert validate_rules(rules)["all"][0]["value"] == "/search?q=a+b&x=(1)."
