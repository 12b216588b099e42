"""widget/rules.js in real Chromium: the shared case table, its copy of the field
catalogue, and random rule sets and facts evaluated in Python and in the browser alike.

The page is blank (no local stack needed): ``window.__lcWidget`` is created first, as
loader.js does, and rules.js is added as a script, as the widget would load it.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings

from chalicelib.targeting import FIELDS_BY_ID, evaluate
from infra.widget_build import served
from tests.targeting_strategies import examples
from tests.unit.test_targeting_cases import CASES

pytestmark = pytest.mark.browser

# The form the CDN serves (minified), so the shipped code is what is tested.
RULES_JS = served("rules.js").decode()
TYPE_CODES = {"text": "t", "language": "l", "enum": "e", "bool": "b", "presence": "p",
              "count": "c", "seconds": "s", "event": "v"}  # fmt: skip
EVALUATE_ALL = """examples => examples.map(
    e => window.__lcWidget.rules.evaluate(e.rules, e.facts, e.now))"""


@pytest.fixture(scope="module")
def rules_page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.set_content("<!doctype html><title>rules</title>")
    page.evaluate("window.__lcWidget = {}")
    page.add_script_tag(content=RULES_JS)
    assert page.evaluate("typeof window.__lcWidget.rules.evaluate") == "function"
    yield page
    context.close()


def test_every_case_of_the_shared_table_holds_in_chromium(rules_page):
    results = rules_page.evaluate(EVALUATE_ALL, CASES)
    wrong = [
        f"{case['name']}: expected {case['expected']}, got {result}"
        for case, result in zip(CASES, results, strict=True)
        if result is not case["expected"]
    ]
    assert wrong == []
    assert len(results) == len(CASES) > 150


def _compact_catalogue_entry(field) -> list:
    if field.type == "seconds":
        return ["s", field.from_fact, field.to_fact, 1 if field.never == "infinity" else 0]
    if field.type == "event":
        return ["v", *field.facts]
    entry = [TYPE_CODES[field.type]]
    if field.default is not None:
        entry.append(field.default)
    return entry


def test_the_widget_field_table_is_the_catalogue(rules_page):
    in_widget = rules_page.evaluate("window.__lcWidget.rules.fields")
    expected = {field.id: _compact_catalogue_entry(field) for field in FIELDS_BY_ID.values()}
    # Compared as JSON, so false and 0 (equal in Python) stay different.
    assert json.dumps(in_widget, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_rules_js_never_creates_the_widget_global(new_page):
    # Given a page without the loader: creating __lcWidget would make a later loader stop
    page = new_page()
    page.set_content("<!doctype html><title>no loader</title>")
    # When rules.js loads
    page.add_script_tag(content=RULES_JS)
    # Then it registers nothing
    assert page.evaluate("typeof window.__lcWidget") == "undefined"


def test_python_and_chromium_agree_on_random_rule_sets_and_facts(rules_page):
    # Hypothesis draws the examples and Python evaluates them; Chromium then evaluates the
    # whole batch in one call (one round trip per example would take minutes).
    batch = []

    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(examples())
    def collect(example):
        rules, facts, now = example
        batch.append(
            {"rules": rules, "facts": facts, "now": now, "python": evaluate(rules, facts, now)}
        )

    collect()
    in_browser = rules_page.evaluate(EVALUATE_ALL, batch)
    disagreements = [
        example
        for example, result in zip(batch, in_browser, strict=True)
        if result is not example["python"]
    ]
    smallest = min(disagreements, key=lambda e: len(json.dumps(e)), default=None)
    assert smallest is None, f"{len(disagreements)} disagreements, e.g. {smallest}"
    # Both outcomes were exercised, so agreement is not agreement on "always false".
    assert {e["python"] for e in batch} == {True, False}
    assert len(batch) >= 300
