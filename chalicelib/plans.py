"""The plan catalogue: what each plan allows and what it costs, read from configuration.

The catalogue is ``chalicelib/plans.json`` unless the ``PLAN_CATALOGUE`` setting holds a
whole replacement (a deployment sets its own Stripe price ids there); code never names
a number. ``None`` as a limit means unlimited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chalicelib.config import get_settings
from chalicelib.errors import BadRequest

FREE = "free"
LIMITS = ("unique_visitors", "online_visitors", "team_members", "scenarios", "messenger_messages")
_DEFAULT_FILE = Path(__file__).with_name("plans.json")


@dataclass(frozen=True)
class Price:
    interval: str
    amount: int  # in the currency's smallest unit (cents)
    stripe_price_id: str


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    limits: dict
    powered_by: bool
    prices: dict  # interval -> Price

    def limit(self, resource: str) -> int | None:
        return self.limits.get(resource)

    @property
    def paid(self) -> bool:
        return bool(self.prices)


@dataclass(frozen=True)
class Catalogue:
    currency: str
    intervals: dict  # interval -> {"months": n, "discount_percent": p}
    plans: dict  # id -> Plan

    def plan(self, plan_id) -> Plan:
        """The plan ``plan_id``; an unknown id stored on a project counts as Free."""
        return self.plans.get(plan_id) or self.plans[FREE]

    def choose(self, plan_id, interval) -> tuple[Plan, Price | None]:
        """Validate a plan (and, for a paid one, an interval) chosen by a client."""
        if not isinstance(plan_id, str) or plan_id not in self.plans:
            raise BadRequest(f"'plan' must be one of {', '.join(self.plans)}")
        plan = self.plans[plan_id]
        if not plan.paid:
            return plan, None
        if interval not in plan.prices:
            raise BadRequest(f"'interval' must be one of {', '.join(plan.prices)}")
        return plan, plan.prices[interval]

    def by_price(self, stripe_price_id: str) -> tuple[Plan, Price] | None:
        for plan in self.plans.values():
            for price in plan.prices.values():
                if price.stripe_price_id and price.stripe_price_id == stripe_price_id:
                    return plan, price
        return None

    def months(self, interval: str | None) -> int:
        return int(self.intervals.get(interval or "monthly", {"months": 1})["months"])

    def view(self) -> dict:
        return {
            "currency": self.currency,
            "plans": [
                {
                    "id": plan.id,
                    "name": plan.name,
                    "limits": dict(plan.limits),
                    "powered_by": plan.powered_by,
                    "prices": [
                        {
                            "interval": price.interval,
                            "amount": price.amount,
                            "months": self.months(price.interval),
                            "discount_percent": self.intervals[price.interval]["discount_percent"],
                        }
                        for price in plan.prices.values()
                    ],
                }
                for plan in self.plans.values()
            ],
        }


def parse(raw: dict) -> Catalogue:
    plans = {}
    for plan_id, spec in raw["plans"].items():
        limits = {name: spec["limits"].get(name) for name in LIMITS}
        prices = {
            interval: Price(interval, int(p["amount"]), p.get("stripe_price_id") or "")
            for interval, p in (spec.get("prices") or {}).items()
        }
        unknown = set(prices) - set(raw["intervals"])
        if unknown:
            raise ValueError(f"plan {plan_id}: unknown intervals {sorted(unknown)}")
        plans[plan_id] = Plan(plan_id, spec["name"], limits, bool(spec["powered_by"]), prices)
    if FREE not in plans or plans[FREE].paid:
        raise ValueError("the catalogue needs a 'free' plan without prices")
    return Catalogue(raw.get("currency", "usd"), raw["intervals"], plans)


@lru_cache(maxsize=4)
def _load(text: str) -> Catalogue:
    return parse(json.loads(text or _DEFAULT_FILE.read_text()))


def catalogue() -> Catalogue:
    return _load(get_settings().plan_catalogue_json)
