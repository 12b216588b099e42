"""The field catalogue is consistent with the issue's list and with itself, and the
widget's evaluator, as served (minified), stays within its size budget. (That widget/rules.js embeds the same
catalogue is checked in Chromium: tests/e2e/test_targeting_rules_browser.py.)"""

import gzip

from chalicelib.targeting import FIELDS_BY_ID
from chalicelib.targeting.catalogue import ALL_OPS, SERVER_FACTS
from infra.widget_build import served

OPS_BY_TYPE = {
    "text": {"equals", "contains", "is_not", "not_contains"},
    "language": {"equals", "is_not"},
    "enum": {"equals", "is_not"},
    "bool": {"is"},
    "presence": {"exists", "none"},
    "count": {"greater", "less", "equals"},
    "seconds": {"greater", "less", "equals"},
    "event": {"happened", "not_happened"},
}
TIMESTAMP_FACTS = {"page_opened_at", "visit_started_at", "exit_intent_at", "waiting_since",
                   "widget_closed_at", "last_invitation_at", "now"}  # fmt: skip


def test_the_issue_fields_are_all_there():
    assert len(FIELDS_BY_ID) == 27  # the issue's 25, custom events, e-mail known (issue 13)
    utm = {f"utm_{part}" for part in ("campaign", "content", "medium", "source", "term")}
    assert utm <= set(FIELDS_BY_ID)


def test_each_field_allows_only_operators_of_its_type():
    for field in FIELDS_BY_ID.values():
        assert field.ops, field.id
        assert set(field.ops) <= OPS_BY_TYPE[field.type], field.id
        assert set(field.ops) <= ALL_OPS


def test_timers_are_client_side_and_say_where_their_time_comes_from():
    for field in FIELDS_BY_ID.values():
        if field.type == "seconds":
            assert field.client_side, field.id
            assert {field.from_fact, field.to_fact} <= TIMESTAMP_FACTS, field.id
            assert field.never in ("unknown", "infinity"), field.id
        else:
            assert field.from_fact is field.to_fact is field.never is None, field.id
    client_side = {field.id for field in FIELDS_BY_ID.values() if field.client_side}
    timers = {field.id for field in FIELDS_BY_ID.values() if field.type == "seconds"}
    assert client_side == timers | {"widget_open"}


def test_custom_events_are_held_by_both_as_two_lists_of_names():
    both = [field for field in FIELDS_BY_ID.values() if field.side == "both"]
    assert [field.id for field in both] == ["custom_event"]
    [events] = both
    assert events.type == "event" and events.facts == ("event_names", "page_events")
    assert events.fact_names == events.facts
    # The server holds the first list (earlier page views), only the widget the second
    assert "event_names" in SERVER_FACTS and "page_events" not in SERVER_FACTS
    for field in FIELDS_BY_ID.values():
        assert field.side in ("server", "client", "both"), field.id
        assert bool(field.facts) == (field.type == "event"), field.id


def test_the_server_holds_exactly_the_facts_of_server_side_fields_and_its_events():
    server_fields = {field.id for field in FIELDS_BY_ID.values() if field.server_side}
    assert server_fields | {"event_names"} == SERVER_FACTS


def test_enum_values_are_lower_case_as_normalised_values_are():
    for field in FIELDS_BY_ID.values():
        assert list(field.values) == [value.lower() for value in field.values]
        assert bool(field.values) == (field.type == "enum")


def test_rules_js_stays_within_its_size_aim():
    size = len(gzip.compress(served("rules.js"), compresslevel=9))
    assert size <= 1536, f"widget/rules.js is served in {size} B gzipped"
