"""Widget calls refused because their origin is not among the project's allowed domains,
counted per project, day and origin, so an owner can spot a domain they forgot to add.

Access patterns:
- count a refusal: UpdateItem ADD on (P, "<day>#<origin>"), no read.  -> OriginRefusalModel
- refusals of P in the last days: Query hash P with range >= "<first day>" (the key
  sorts by day first).                                                 -> OriginRefusalModel
Items expire (DynamoDB TTL) a month after their day, so the table holds a month at most.
"""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


def refusal_key(day: str, origin: str) -> str:
    return f"{day}#{origin}"


class OriginRefusalModel(Model):
    Meta = table_meta("origin_refusals")

    project_id = UnicodeAttribute(hash_key=True)
    day_origin = UnicodeAttribute(range_key=True)  # "2026-12-03#http://evil.example"
    refused = NumberAttribute(default=0)
    last_at = UnicodeAttribute(null=True)  # ISO time of the latest refusal
    expires_at = TTLAttribute()
