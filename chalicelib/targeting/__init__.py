"""Targeting rules for proactive auto messages: one JSON rule set, validated when saved,
evaluated on the server for the facts it holds and in the widget (``widget/rules.js``)
for the time-based ones. The format and semantics are in docs/API.md, "Targeting rules".
"""

from chalicelib.targeting.catalogue import FIELDS as FIELDS_BY_ID
from chalicelib.targeting.catalogue import LIMITS
from chalicelib.targeting.evaluator import (
    CompiledRules,
    Verdict,
    client_residual,
    compile_rules,
    evaluate,
    evaluate_many,
    field_values,
    server_pass,
    server_verdict,
)
from chalicelib.targeting.rules import validate_rules

__all__ = [
    "FIELDS_BY_ID",
    "LIMITS",
    "CompiledRules",
    "Verdict",
    "client_residual",
    "compile_rules",
    "evaluate",
    "evaluate_many",
    "field_values",
    "server_pass",
    "server_verdict",
    "validate_rules",
]
