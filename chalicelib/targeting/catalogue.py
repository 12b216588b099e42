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
NEGATIONS = {"is_not": "equals", "not_contains": "contains", "not_happened": "happened"}
# Operators that take no value: the operator itself is the test.
VALUELESS_OPS = frozenset({"exists", "none"})
ALL_OPS = frozenset({"is", "exists", "none", "equals", "contains", "is_not", "not_contains",
                     "greater", "less", "happened", "not_happened"})  # fmt: skip
STRING_TYPES = frozenset({"text", "language", "enum"})
NUMBER_TYPES = frozenset({"count", "seconds"})


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    type: str
    ops: tuple[str, ...]
    side: str  # "server", "client" or "both" (each holds part of the fact)
    values: tuple[str, ...] = ()  # enum only
    default: object = None  # the value of a missing fact, if absence has a meaning
    from_fact: str | None = None  # seconds only: epoch-ms timestamps ...
    to_fact: str | None = None  # ... "now" being the evaluation time
    never: str | None = None  # seconds only: "unknown" or "infinity"
    # event only: the lists of names whose union is the fact, the server's part first
    facts: tuple[str, ...] = ()

    @property
    def client_side(self) -> bool:
        """Only the widget knows the fact: the server can never decide the condition."""
        return self.side == "client"

    @property
    def server_side(self) -> bool:
        """The server holds the whole fact: it decides the condition alone."""
        return self.side == "server"

    @property
    def fact_names(self) -> tuple[str, ...]:
        """The names the facts object holds this field's fact under."""
        if self.type == "seconds":
            return tuple(name for name in (self.from_fact, self.to_fact) if name != "now")
        return self.facts or (self.id,)


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
            facts=tuple(spec.get("facts", ())),
        )
        for field_id, spec in raw["fields"].items()
    }
    return fields, Limits(**raw["limits"])


FIELDS, LIMITS = _load()
# The facts the server holds (a page view's server pass is given only these); the rest
# only the widget knows (timers, widget state, this page's events).
SERVER_FACTS = frozenset(
    {field.id for field in FIELDS.values() if field.server_side}
    | {field.facts[0] for field in FIELDS.values() if field.side == "both"}
)
