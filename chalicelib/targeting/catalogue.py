"""The targeting-rule field catalogue, read from ``catalogue.json``.

The JSON file is the single definition of fields, their value types, allowed operators
and where they are evaluated; the widget's ``rules.js`` embeds a compact copy that a test
compares with it, so the server and the browser cannot drift apart.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

CATALOGUE_PATH = pathlib.Path(__file__).with_name("catalogue.json")

# Operators that are the negation of another one: evaluated as ``not positive``, so a
# missing fact makes them true (see docs/API.md, "Targeting rules").
NEGATIONS = {"is_not": "equals", "not_contains": "contains"}
# Operators that take no value: the operator itself is the test.
VALUELESS_OPS = frozenset({"exists", "none"})
ALL_OPS = frozenset({"is", "exists", "none", "equals", "contains", "is_not", "not_contains",
                     "greater", "less"})  # fmt: skip
STRING_TYPES = frozenset({"text", "language", "enum"})
NUMBER_TYPES = frozenset({"count", "seconds"})


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    type: str
    ops: tuple[str, ...]
    side: str  # "server" or "client"
    values: tuple[str, ...] = ()  # enum only
    default: object = None  # the value of a missing fact, if absence has a meaning
    from_fact: str | None = None  # seconds only: epoch-ms timestamps ...
    to_fact: str | None = None  # ... "now" being the evaluation time
    never: str | None = None  # seconds only: "unknown" or "infinity"

    @property
    def client_side(self) -> bool:
        return self.side == "client"


@dataclass(frozen=True)
class Limits:
    conditions_in_all: int
    groups: int
    conditions_in_group: int
    conditions_total: int
    text_chars: int
    count_max: int
    seconds_max: int


def _load() -> tuple[dict[str, Field], Limits]:
    raw = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    fields = {
        field_id: Field(
            id=field_id,
            label=spec["label"],
            type=spec["type"],
            ops=tuple(spec["ops"]),
            side=spec["side"],
            values=tuple(spec.get("values", ())),
            default=spec.get("default"),
            from_fact=spec.get("from"),
            to_fact=spec.get("to"),
            never=spec.get("never"),
        )
        for field_id, spec in raw["fields"].items()
    }
    return fields, Limits(**raw["limits"])


FIELDS, LIMITS = _load()
