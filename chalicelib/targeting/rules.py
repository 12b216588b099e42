"""Validation of a targeting rule set when it is saved.

``validate_rules`` checks a rule set against the field catalogue and returns it
normalised (values trimmed, enum values lower-cased, whole numbers as ints, every key
present), or raises ``BadRequest`` whose message names the first problem by its path
(``rules.all[2].op: 'greater' is not allowed for 'country' ...``) and whose
``details["errors"]`` lists every problem found as ``{"path", "message"}``.

There are no patterns: ``equals`` and ``contains`` match literal text, so no value can
make evaluation slow. Values that look like a pattern (``*``, ``|``, ``\\``, a leading
``^`` or a trailing ``$``) are refused, because whoever typed them expected a match the
literal comparison would never make.
"""

from __future__ import annotations

import math
import re

from chalicelib.errors import BadRequest
from chalicelib.targeting.catalogue import ALL_OPS, FIELDS, LIMITS, VALUELESS_OPS, Field

RULE_KEYS = ("all", "any_groups")
CONDITION_KEYS = frozenset({"field", "op", "value"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PATTERN_LIKE = re.compile(r"[*|\\]|^\^|\$$")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
# A custom event's name, as LiveChat.event(name) may report it (services/visitor_events.py
# refuses any other); a rule naming anything else could never be matched.
EVENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
EVENT_NAME_RULE = "1-64 letters, digits, _ . : - (starting with a letter or digit)"
# More problems than this in one rule set are not worth listing one by one.
MAX_REPORTED_ERRORS = 20


class Problems:
    """Every problem found, by path; raised as one ``BadRequest`` naming the first (the
    auto-message validator collects its own problems with it too)."""

    def __init__(self):
        self.found: list[dict] = []

    def add(self, path: str, message: str) -> None:
        if len(self.found) < MAX_REPORTED_ERRORS:
            self.found.append({"path": path, "message": message})

    def extend(self, errors) -> None:
        for error in errors:
            self.add(error["path"], error["message"])

    def raise_if_any(self) -> None:
        if not self.found:
            return
        first = self.found[0]
        more = f" (and {len(self.found) - 1} more)" if len(self.found) > 1 else ""
        raise BadRequest(f"{first['path']}: {first['message']}{more}", errors=self.found)


def _describe(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


_COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")


def _text_value(value, path: str, problems: Problems) -> str | None:
    if not isinstance(value, str):
        problems.add(path, f"must be text, not {_describe(value)}")
        return None
    value = value.strip()
    if not value:
        problems.add(path, "must not be empty")
    elif len(value) > LIMITS.text_chars:
        problems.add(path, f"must be at most {LIMITS.text_chars} characters")
    elif _CONTROL.search(value):
        problems.add(path, "must not contain control characters")
    elif _PATTERN_LIKE.search(value):
        problems.add(
            path,
            "patterns are not supported: values are matched literally "
            "(use 'contains' for part of a text, and any_groups for alternatives)",
        )
    else:
        return value
    return None


def _whole_number(value, maximum: int, path: str, problems: Problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(path, f"must be a whole number, not {_describe(value)}")
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            problems.add(path, "must be a whole number")
            return None
        value = int(value)
    if not 0 <= value <= maximum:
        problems.add(path, f"must be between 0 and {maximum}")
        return None
    return value


def _value(field: Field, op: str, condition: dict, path: str, problems: Problems):
    present = "value" in condition and condition["value"] is not None
    if op in VALUELESS_OPS:
        if present:
            problems.add(path, f"'{op}' takes no value")
        return None
    if not present:
        problems.add(path, f"is required for '{op}'")
        return None
    value = condition["value"]
    if field.type == "bool":
        if not isinstance(value, bool):
            problems.add(path, f"must be true or false, not {_describe(value)}")
            return None
        return value
    if field.type == "count":
        return _whole_number(value, LIMITS.count_max, path, problems)
    if field.type == "seconds":
        return _whole_number(value, LIMITS.seconds_max, path, problems)
    if field.type == "enum":
        if not isinstance(value, str) or value.strip().lower() not in field.values:
            problems.add(path, f"must be one of {', '.join(field.values)}")
            return None
        return value.strip().lower()
    if field.type == "event":
        # Matched exactly (case-sensitive), like the names the visitor's events keep.
        if not isinstance(value, str) or not EVENT_NAME.fullmatch(value.strip()):
            problems.add(path, f"must be an event name: {EVENT_NAME_RULE}")
            return None
        return value.strip()
    text = _text_value(value, path, problems)
    if text is not None and field.type == "language" and not _LANGUAGE_TAG.fullmatch(text):
        problems.add(path, "must be a language tag such as en or en-GB")
        return None
    if text is not None and field.id == "country" and not _COUNTRY_CODE.fullmatch(text):
        # CloudFront reports ISO 3166 codes: "Germany" could never match.
        problems.add(path, "must be a two-letter country code such as DE, FR or US")
        return None
    return text


def _condition(condition, path: str, problems: Problems) -> dict | None:
    if not isinstance(condition, dict):
        problems.add(
            path, f"must be an object with field, op and value, not {_describe(condition)}"
        )
        return None
    unexpected = sorted(str(key) for key in condition if key not in CONDITION_KEYS)
    if unexpected:
        problems.add(path, f"unknown key {unexpected[0]!r} (a condition has field, op, value)")
        return None
    field_id, op = condition.get("field"), condition.get("op")
    if not isinstance(field_id, str):
        problems.add(f"{path}.field", _name_problem(field_id, "a field name"))
        return None
    field = FIELDS.get(field_id)
    if field is None:
        problems.add(f"{path}.field", f"unknown field {field_id[:40]!r}")
        return None
    if not isinstance(op, str):
        problems.add(f"{path}.op", _name_problem(op, "an operator"))
        return None
    if op not in ALL_OPS:
        problems.add(f"{path}.op", f"unknown operator {op[:40]!r}")
        return None
    if op not in field.ops:
        problems.add(
            f"{path}.op",
            f"{op!r} is not allowed for {field.id!r} (allowed: {', '.join(field.ops)})",
        )
        return None
    before = len(problems.found)
    value = _value(field, op, condition, f"{path}.value", problems)
    if len(problems.found) != before:
        return None
    return {"field": field.id, "op": op, "value": value}


def _name_problem(value, what: str) -> str:
    return "is required" if value is None else f"must be {what} (text), not {_describe(value)}"


def _condition_list(conditions, limit: int, path: str, problems: Problems) -> list[dict]:
    if not isinstance(conditions, list):
        problems.add(path, f"must be a list of conditions, not {_describe(conditions)}")
        return []
    if len(conditions) > limit:
        problems.add(path, f"has {len(conditions)} conditions; at most {limit} are allowed")
        return []
    checked = [_condition(c, f"{path}[{i}]", problems) for i, c in enumerate(conditions)]
    return [c for c in checked if c is not None]


def validate_rules(rules, path: str = "rules") -> dict:
    """The rule set, normalised to ``{"all": [...], "any_groups": [[...], ...]}``, or
    ``BadRequest`` naming every problem by its path."""
    problems = Problems()
    if not isinstance(rules, dict):
        problems.add(
            path, f"must be an object with 'all' and/or 'any_groups', not {_describe(rules)}"
        )
        problems.raise_if_any()
    unexpected = sorted(str(key) for key in rules if key not in RULE_KEYS)
    if unexpected:
        problems.add(path, f"unknown key {unexpected[0]!r} (a rule set has all, any_groups)")
    all_conditions = _condition_list(
        rules.get("all", []), LIMITS.conditions_in_all, f"{path}.all", problems
    )
    groups = rules.get("any_groups", [])
    any_groups: list[list[dict]] = []
    if not isinstance(groups, list):
        problems.add(
            f"{path}.any_groups", f"must be a list of condition lists, not {_describe(groups)}"
        )
    elif len(groups) > LIMITS.groups:
        problems.add(
            f"{path}.any_groups", f"has {len(groups)} groups; at most {LIMITS.groups} are allowed"
        )
    else:
        for i, group in enumerate(groups):
            group_path = f"{path}.any_groups[{i}]"
            if isinstance(group, list) and not group:
                problems.add(group_path, "must not be empty (an empty group would always hold)")
                continue
            any_groups.append(
                _condition_list(group, LIMITS.conditions_in_group, group_path, problems)
            )
    total = len(all_conditions) + sum(len(group) for group in any_groups)
    if total > LIMITS.conditions_total:
        problems.add(path, f"has {total} conditions; at most {LIMITS.conditions_total} are allowed")
    problems.raise_if_any()
    return {"all": all_conditions, "any_groups": any_groups}
