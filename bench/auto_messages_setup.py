"""What bench/auto_messages_page_view.py's two halves share: the environment, the 100
auto messages of 10 conditions, the visitor's campaign and place, and how figures print."""

import math
import os
import sys

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "TABLE_PREFIX": "bench-",
        "VISITOR_TOKEN_SECRET": "bench-secret-bench-secret-bench-secret-00",
    }
)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


MESSAGES, CONDITIONS = 100, 10
TICK_SECONDS = 20.0  # how long the widget's real ticks are watched (one a second)
PASSWORD = "bench-pass-2026"
CAMPAIGN = "utm_source=google&utm_medium=cpc&utm_campaign=spring_sale"
# Where the visitor is: CloudFront's viewer headers in AWS, the local stand-in's in the
# browser (added to the session request past CORS, as CloudFront adds them).
WHERE = {"country": "DE", "city": "Berlin"}
LOCAL_GEO = {"x-local-viewer-country": WHERE["country"], "x-local-viewer-city": WHERE["city"]}
CLOUDFRONT_GEO = {
    "CloudFront-Viewer-Country": WHERE["country"],
    "CloudFront-Viewer-City": WHERE["city"],
}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}

SERVER_SIDE, CLIENT_SIDE = 6, 4


def _server_conditions(n: int) -> list[dict]:
    """Six of these server-side conditions, all holding for the bench's visitor (Chromium
    in German on the demo site, from the campaign, on a desktop), in a row from n."""
    pool = [
        {"field": "country", "op": "equals", "value": "DE"},
        {"field": "city", "op": "equals", "value": "Berlin"},
        {"field": "browser_language", "op": "equals", "value": "de"},
        {"field": "page_url", "op": "contains", "value": "utm_campaign=spring_sale"},
        {"field": "utm_source", "op": "equals", "value": "google"},
        {"field": "utm_medium", "op": "is_not", "value": "email"},
        {"field": "utm_campaign", "op": "contains", "value": "spring"},
        {"field": "platform", "op": "equals", "value": "desktop"},
        {"field": "user_agent", "op": "not_contains", "value": "bot"},
        {"field": "visits", "op": "less", "value": 1000 + n},
        {"field": "page_views", "op": "greater", "value": 0},
        {"field": "chat_history", "op": "none"},
    ]
    return [pool[(n + i) % len(pool)] for i in range(SERVER_SIDE)]


def message_body(n: int) -> dict:
    """Auto message n: six server-side conditions that hold, then four client-side ones of
    which only the last (an hour on the page) keeps it from firing during the bench, so
    the widget tests all four of every message on every tick."""
    client = [
        {"field": "widget_open", "op": "is", "value": False},
        {"field": "time_since_last_invitation", "op": "greater", "value": 60 + n},
        {"field": "time_this_visit", "op": "less", "value": 3600 + n},
        {"field": "time_on_page", "op": "greater", "value": 3600 + n},
    ]
    return {
        "name": f"Bench {n:03d}",
        "type": "proactive",
        "content": {"text": f"Fragen zu Zelten? Wir helfen gern. ({n})"},
        "rules": {"all": _server_conditions(n) + client},
    }


assert len(message_body(0)["rules"]["all"]) == SERVER_SIDE + CLIENT_SIDE == CONDITIONS


def _percentile(values, q: float) -> float:
    """Nearest rank: the smallest value with at least q of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _counted(counts: dict) -> str:
    writes = {k: v for k, v in counts.items() if k in WRITES}
    return (
        f"{sum(counts.values())} DynamoDB requests {dict(sorted(counts.items()))}; "
        f"writes: {sum(writes.values())}"
    )


# --- the widget, on the local stack -----------------------------------------------------
