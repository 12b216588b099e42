"""Evaluating validated targeting rules against a visitor's facts, here and as a server pass.

A visitor's facts are turned once into one value per catalogue field (``field_values``:
text lower-cased, timers turned into whole seconds), and each rule set is compiled once
into small closures over those values (``compile_rules``), so evaluating 100 auto
messages for one visitor is 100 short loops of dictionary look-ups and comparisons.

``server_verdict`` is the pass the server makes with the facts it holds: a rule set is
definitely false, definitely true, or depends on the client-side (time-based) fields
that only the widget can evaluate; only the last two need to reach the widget, and
``client_residual`` reduces them to the conditions the widget still has to decide.

``widget/rules.js`` implements the same semantics; tests/cases/targeting_rules.json and
a property test hold both to it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chalicelib.targeting.catalogue import FIELDS, NEGATIONS, Field
from chalicelib.targeting.rules import validate_rules

Test = Callable[[dict], bool]


class Verdict(enum.Enum):
    FALSE = "false"  # cannot fire for this visitor, whatever the widget sees
    TRUE = "true"  # fires now
    DEPENDS = "depends"  # fires if the client-side conditions come to hold


def _is_number(value) -> bool:
    # bool is an int in Python but not a number in JSON or JavaScript.
    return type(value) is int or type(value) is float


def _extractor(field: Field) -> Callable[[dict, float], object]:
    """How one field's value is read from the facts; None is "unknown"."""
    name, default = field.id, field.default
    if field.type in ("text", "language", "enum"):

        def read_text(facts, now):
            value = facts.get(name)
            return value.lower() if type(value) is str else default

        return read_text
    if field.type in ("bool", "presence"):

        def read_bool(facts, now):
            value = facts.get(name)
            return value if type(value) is bool else default

        return read_bool
    if field.type == "count":

        def read_count(facts, now):
            value = facts.get(name)
            return value if _is_number(value) else default

        return read_count
    if field.type == "event":
        parts = field.facts

        def read_events(facts, now):
            # The union of the name lists (the server's, this page's). A fact that is not
            # a list counts as a list of itself (as JavaScript's concat has it), and only
            # text in them names an event.
            names = set()
            for part in parts:
                value = facts.get(part)
                items = value if type(value) in (list, tuple, set, frozenset) else (value,)
                names.update(item for item in items if type(item) is str)
            return frozenset(names)

        return read_events
    start_name, end_name = field.from_fact, field.to_fact
    never = math.inf if field.never == "infinity" else None

    def read_seconds(facts, now):
        start = facts.get(start_name)
        end = now if end_name == "now" else facts.get(end_name)
        if not (_is_number(start) and _is_number(end)):
            return never
        elapsed = (end - start) / 1000
        if not math.isfinite(elapsed):  # not a timestamp (JSON allows no NaN; Python does)
            return never
        # Whole seconds, so "equals 30" holds for the whole 30th second; a clock that
        # runs backwards (skew between tabs) counts as no time at all.
        return max(0, math.floor(elapsed))

    return read_seconds


_EXTRACTORS = tuple((field.id, _extractor(field)) for field in FIELDS.values())


def field_values(facts: dict, now: float) -> dict[str, object]:
    """One value per catalogue field for this visitor at ``now`` (epoch ms)."""
    return {name: read(facts, now) for name, read in _EXTRACTORS}


def _positive_test(field: Field, op: str, wanted) -> Test:
    name = field.id
    if op == "exists":
        return lambda values: values[name] is True
    if op == "none":
        return lambda values: values[name] is False
    if op == "is":
        return lambda values: values[name] is wanted
    if op == "happened":  # an exact, case-sensitive name (values[name] is never None)
        return lambda values: wanted in values[name]
    if op == "greater":
        return lambda values: values[name] is not None and values[name] > wanted
    if op == "less":
        return lambda values: values[name] is not None and values[name] < wanted
    if field.type in ("count", "seconds"):  # equals
        return lambda values: values[name] is not None and values[name] == wanted
    wanted = wanted.lower()
    if op == "contains":
        return lambda values: values[name] is not None and wanted in values[name]
    if field.type == "language":
        # "en" is every English; "en-gb" only British English.
        prefix = wanted + "-"
        return lambda values: (
            values[name] is not None and (values[name] == wanted or values[name].startswith(prefix))
        )
    return lambda values: values[name] == wanted


def _test(condition: dict) -> Test:
    field, op = FIELDS[condition["field"]], condition["op"]
    positive_op = NEGATIONS.get(op)
    if positive_op is None:
        return _positive_test(field, op, condition["value"])
    positive = _positive_test(field, positive_op, condition["value"])
    return lambda values: not positive(values)


_TRUE, _FALSE, _DEPENDS = Verdict.TRUE, Verdict.FALSE, Verdict.DEPENDS


@dataclass(frozen=True)
class _Condition:
    test: Test
    side: str  # the field's: "server", "client" or "both"
    negated: bool  # not_happened, is_not, not_contains
    source: dict  # the normalised condition, for the residual sent to the widget

    def settled(self, values: dict) -> Verdict:
        """What the server's values alone settle about this condition."""
        if self.side == "server":
            return _TRUE if self.test(values) else _FALSE
        if self.side == "client":
            return _DEPENDS
        # Held by both, a fact that only grows (the visitor's events): a positive condition
        # that holds on the server's part holds on the whole, and its negation fails; what
        # does not hold there may still come to hold in the widget.
        if self.negated:
            return _DEPENDS if self.test(values) else _FALSE
        return _TRUE if self.test(values) else _DEPENDS


def _condition(source: dict) -> _Condition:
    side, negated = FIELDS[source["field"]].side, source["op"] in NEGATIONS
    return _Condition(_test(source), side, negated, source)


def _compile_list(conditions: list[dict]) -> tuple[_Condition, ...]:
    return tuple(_condition(c) for c in conditions)


class CompiledRules:
    """A validated rule set, ready to evaluate many times."""

    def __init__(self, normalised: dict):
        self.rules = normalised
        self._all = _compile_list(normalised["all"])
        self._groups = tuple(_compile_list(group) for group in normalised["any_groups"])
        self._all_tests = tuple(c.test for c in self._all)
        self._group_tests = tuple(tuple(c.test for c in group) for group in self._groups)

    def matches(self, values: dict) -> bool:
        """Whether the rule set holds for these field values (see ``field_values``)."""
        for test in self._all_tests:
            if not test(values):
                return False
        if not self._group_tests:
            return True
        for group in self._group_tests:
            for test in group:
                if not test(values):
                    break
            else:
                return True
        return False

    def server_verdict(self, values: dict) -> Verdict:
        """Kleene three-valued AND/OR where what the server cannot settle is unknown."""
        verdict = _conjunction(self._all, values)
        if verdict is Verdict.FALSE or not self._groups:
            return verdict
        groups = [_conjunction(group, values) for group in self._groups]
        if Verdict.TRUE in groups:
            return verdict
        if Verdict.DEPENDS in groups:
            return Verdict.DEPENDS
        return Verdict.FALSE

    def client_residual(self, values: dict) -> dict | None:
        """The rule set reduced to its client-side conditions, given the server's facts:
        None if it cannot fire, ``{"all": [], "any_groups": []}`` if it fires now. For
        any client facts, the residual holds exactly when the whole rule set does, so
        the widget needs neither the server's facts nor its conditions."""
        if self.server_verdict(values) is Verdict.FALSE:
            return None
        # Every condition left in play that the server settled holds, so only the
        # unsettled ones remain (client-side ones, and events the server has not seen).
        residual_all = _unsettled(self._all, values)
        groups = [(group, _conjunction(group, values)) for group in self._groups]
        if any(verdict is Verdict.TRUE for _, verdict in groups):
            residual_groups = []
        else:
            residual_groups = [
                _unsettled(group, values) for group, verdict in groups if verdict is Verdict.DEPENDS
            ]
        return {"all": residual_all, "any_groups": residual_groups}


def _conjunction(conditions: Iterable[_Condition], values: dict) -> Verdict:
    verdict = _TRUE
    for condition in conditions:
        if condition.side == "server":  # the common case, without a call more
            if not condition.test(values):
                return _FALSE
            continue
        settled = condition.settled(values)
        if settled is _FALSE:
            return _FALSE
        if settled is _DEPENDS:
            verdict = _DEPENDS
    return verdict


def _unsettled(conditions: Iterable[_Condition], values: dict) -> list[dict]:
    return [c.source for c in conditions if c.settled(values) is _DEPENDS]


def compile_rules(rules) -> CompiledRules:
    """Validate (``BadRequest`` if invalid) and compile a rule set."""
    return CompiledRules(validate_rules(rules))


def evaluate(rules, facts: dict, now: float) -> bool:
    """Whether ``rules`` hold for a visitor with these facts at ``now`` (epoch ms)."""
    compiled = rules if isinstance(rules, CompiledRules) else compile_rules(rules)
    return compiled.matches(field_values(facts, now))


def evaluate_many(compiled: Iterable[CompiledRules], facts: dict, now: float) -> list[bool]:
    """Each rule set's result for one visitor: the facts are read once for all."""
    values = field_values(facts, now)
    return [rules.matches(values) for rules in compiled]


def server_verdict(rules, server_facts: dict) -> Verdict:
    """What the server can tell from the facts it holds; client-side fields are unknown
    whatever ``server_facts`` says about them, and fields held by both (events) are
    settled only as far as the server's part decides them."""
    compiled = rules if isinstance(rules, CompiledRules) else compile_rules(rules)
    # Server-side fields are not time-based, so the evaluation time does not matter.
    return compiled.server_verdict(field_values(server_facts, 0))


def server_pass(compiled: Iterable[CompiledRules], server_facts: dict) -> list[Verdict]:
    """``server_verdict`` for each rule set of a project, the facts read once; the
    auto messages whose verdict is not FALSE are the ones worth sending to the widget."""
    values = field_values(server_facts, 0)
    return [rules.server_verdict(values) for rules in compiled]


def client_residual(rules, server_facts: dict) -> dict | None:
    """What the widget still has to evaluate once the server has applied its facts (see
    ``CompiledRules.client_residual``); None when the auto message cannot fire."""
    compiled = rules if isinstance(rules, CompiledRules) else compile_rules(rules)
    return compiled.client_residual(field_values(server_facts, 0))
