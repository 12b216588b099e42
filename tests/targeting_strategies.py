"""Hypothesis strategies for targeting rules: valid rule sets in their normalised form,
visitor facts that often come close to the rules' values (case changes, boundaries,
missing and mistyped facts, events in the server's list or this page's), and junk that
only looks like a rule set."""

from hypothesis import strategies as st

from chalicelib.targeting import FIELDS_BY_ID
from chalicelib.targeting.rules import EVENT_NAME

NOW = 1_700_000_000_000

# Words that rules and facts share, in several cases and scripts (German sharp s and
# umlauts, Turkish dotted I, Greek final sigma), so text comparisons really get tested.
WORDS = [
    "berlin", "Berlin", "BERLIN", "münchen", "MÜNCHEN", "straße", "İstanbul", "ΣΊΣΥΦΟΣ",
    "σίσυφος", "de", "DE", "en", "en-gb", "EN-US", "https://shop.example/pricing",
    "/Pricing", "?x=1", "google", "Windows NT", "cpc", "Spring_Sale", "sale", "a", "-",
]  # fmt: skip
LANGUAGES = ["en", "EN", "en-gb", "en-US", "eng", "de", "de-AT", "fr", "pt-BR", "pt"]
# Custom event names that rules and facts share; case variants of one are other names.
EVENT_NAMES = ["added_to_cart", "Added_To_Cart", "ADDED_TO_CART", "signup", "checkout.step-2",
               "a", "A", "x:1", "cart", "added_to_cart_2", "0"]  # fmt: skip
EVENT_NAME_VALUES = st.one_of(
    st.sampled_from(EVENT_NAMES), st.from_regex(EVENT_NAME, fullmatch=True).map(lambda n: n[:64])
)
LITERAL_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs", "Cc"),
        exclude_characters="*|\\^$",
    ),
    min_size=1,
    max_size=12,
)


def _text_value(field_type: str):
    if field_type == "language":
        return st.sampled_from(LANGUAGES)
    return st.one_of(st.sampled_from(WORDS), LITERAL_TEXT).map(str.strip).filter(bool)


def _value(field):
    if field.type == "bool":
        return st.booleans()
    if field.type == "count":
        return st.integers(0, 12)
    if field.type == "seconds":
        return st.integers(0, 16)
    if field.type == "enum":
        return st.sampled_from(field.values)
    if field.type == "event":
        return EVENT_NAME_VALUES
    if field.id == "country":  # two-letter codes only (rules.py)
        return st.sampled_from(["de", "DE", "De", "at", "FR", "us"])
    return _text_value(field.type)


@st.composite
def conditions(draw):
    field = FIELDS_BY_ID[draw(st.sampled_from(sorted(FIELDS_BY_ID)))]
    op = draw(st.sampled_from(field.ops))
    value = None if op in ("exists", "none") else draw(_value(field))
    return {"field": field.id, "op": op, "value": value}


def rule_sets(max_all: int = 5, max_groups: int = 3):
    return st.fixed_dictionaries(
        {
            "all": st.lists(conditions(), max_size=max_all),
            "any_groups": st.lists(
                st.lists(conditions(), min_size=1, max_size=4), max_size=max_groups
            ),
        }
    )


def _with_case_changes(text: str):
    return st.sampled_from(
        [text, text.upper(), text.lower(), text.title(), f"x{text}y", f"{text}-GB", f"{text}g"]
    )


def _fact_text(field_type: str):
    pool = LANGUAGES if field_type == "language" else WORDS
    return st.one_of(st.sampled_from(pool).flatmap(_with_case_changes), LITERAL_TEXT)


# Mostly a few whole seconds ago, give or take the milliseconds around a second's edge,
# so "equals N" and greater/less at N are met as often as missed.
TIMESTAMP = st.one_of(
    st.builds(
        lambda seconds, ms: NOW - seconds * 1000 - ms,
        st.integers(0, 16),
        st.sampled_from([0, 1, 499, 500, 501, 998.5, 999]),
    ),
    st.integers(-5_000, 20_000).map(lambda ago: NOW - ago),
    st.floats(-5_000, 20_000, allow_nan=False).map(lambda ago: NOW - ago),
)
WRONG_TYPES = st.sampled_from([None, "3", 1, True, [], {}])


def _fact(field):
    if field.type in ("bool", "presence"):
        right = st.booleans()
    elif field.type == "count":
        right = st.one_of(st.integers(0, 12), st.floats(0, 12, allow_nan=False))
    elif field.type == "enum":
        right = st.one_of(st.sampled_from(field.values).flatmap(_with_case_changes), LITERAL_TEXT)
    else:
        right = _fact_text(field.type)
    return st.one_of(right, right, right, WRONG_TYPES)


# A list of event names: mostly names, now and then something that names no event; or,
# rarely, not a list at all (a lone name counts as a list of it).
EVENT_LIST = st.one_of(
    st.lists(st.one_of(EVENT_NAME_VALUES, EVENT_NAME_VALUES, WRONG_TYPES), max_size=4),
    st.lists(st.sampled_from(EVENT_NAMES), max_size=3),
    EVENT_NAME_VALUES,
    WRONG_TYPES,
)

FACT_STRATEGIES = {
    field.id: _fact(field)
    for field in FIELDS_BY_ID.values()
    if field.type not in ("seconds", "event")
}
for _field in FIELDS_BY_ID.values():
    for _name in _field.facts:
        FACT_STRATEGIES[_name] = EVENT_LIST
for _field in FIELDS_BY_ID.values():
    for _name in (_field.from_fact, _field.to_fact):
        if _name and _name != "now":
            FACT_STRATEGIES[_name] = st.one_of(TIMESTAMP, TIMESTAMP, TIMESTAMP, WRONG_TYPES)


NOWS = st.one_of(st.just(NOW), st.just(NOW), st.integers(NOW - 1_000, NOW + 1_000))


def _fact_names(field) -> list[str]:
    return list(field.fact_names)


@st.composite
def examples(draw, max_all: int = 3, max_groups: int = 2):
    """(rules, facts, now): the facts the rules ask about are usually there, and text
    facts are often the rule's own value in another case, or around it."""
    rules = draw(rule_sets(max_all, max_groups))
    used = [c for c in rules["all"] + [c for group in rules["any_groups"] for c in group]]
    asked = {name for c in used for name in _fact_names(FIELDS_BY_ID[c["field"]])}
    facts = {}
    for name in sorted(FACT_STRATEGIES):
        if draw(st.integers(0, 9)) < (8 if name in asked else 2):
            facts[name] = draw(FACT_STRATEGIES[name])
    for condition in used:
        field, value = FIELDS_BY_ID[condition["field"]], condition["value"]
        if not draw(st.booleans()):
            continue
        if field.type == "event":
            # The rule's name (or another case of it) in the server's list or this page's
            part = draw(st.sampled_from(field.facts))
            names = facts.get(part)
            names = list(names) if isinstance(names, list) else []
            name = draw(st.one_of(st.just(value), _with_case_changes(value)))
            names.insert(draw(st.integers(0, len(names))), name)
            facts[part] = names
        elif isinstance(value, str):
            facts[field.id] = draw(_with_case_changes(value))
        elif field.type == "seconds":
            # Just around the condition's own number of seconds.
            end = NOW if field.to_fact == "now" else NOW - 1000 * draw(st.integers(0, 3))
            if field.to_fact != "now":
                facts[field.to_fact] = end
            ms = draw(st.sampled_from([0, 1, 499, 500, 999, 1000, 1001, -1]))
            facts[field.from_fact] = end - value * 1000 - ms
    return rules, facts, draw(NOWS)


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
JUNK_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELD_NAMES = st.one_of(st.sampled_from(sorted(FIELDS_BY_ID)), JUNK_JSON)
OP_NAMES = st.one_of(
    st.sampled_from(["is", "exists", "none", "equals", "contains", "is_not", "not_contains",
                     "greater", "less", "matches"]),
    JUNK_JSON,
)  # fmt: skip
ALMOST_CONDITIONS = st.one_of(
    st.fixed_dictionaries({"field": FIELD_NAMES, "op": OP_NAMES, "value": JUNK_JSON}),
    st.fixed_dictionaries({"field": FIELD_NAMES, "op": OP_NAMES}),
    conditions(),
    JUNK_JSON,
)
# Rule sets that are mostly well-formed, with junk where a value, a field or a list goes.
ALMOST_RULE_SETS = st.one_of(
    JUNK_JSON,
    st.fixed_dictionaries(
        {
            "all": st.one_of(st.lists(ALMOST_CONDITIONS, max_size=6), JUNK_JSON),
            "any_groups": st.one_of(
                st.lists(st.one_of(st.lists(ALMOST_CONDITIONS, max_size=4), JUNK_JSON), max_size=3),
                JUNK_JSON,
            ),
        }
    ),
)
