"""Per-address rate limits on the widget's calls: the local stack's limiter answers as
the WAF rules of the template would (infra/rate_limits.py), so a burst from one address
is bounded, and everyone else is unaffected."""

import concurrent.futures

import pytest
import requests

from infra.local.rate_limiter import SlidingWindowLimiter
from infra.rate_limits import RATE_LIMITS, RateLimit
from tests.stack import LocalStack

SESSION_LIMIT = next(r.limit for r in RATE_LIMITS if r.path_part == "/widget/session")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_limiter_slides_its_window_per_address():
    clock = Clock()
    rule = RateLimit("test", "/widget/", 3, window_seconds=60)
    limiter = SlidingWindowLimiter([rule], clock=clock)
    assert [limiter.exceeded("/widget/session", "1.1.1.1") for _ in range(3)] == [None] * 3
    assert limiter.exceeded("/widget/session", "1.1.1.1") is rule
    assert limiter.exceeded("/widget/session", "2.2.2.2") is None  # another address
    assert limiter.exceeded("/projects/p/chats", "1.1.1.1") is None  # not a widget call
    clock.now += 61
    assert limiter.exceeded("/widget/heartbeat", "1.1.1.1") is None


def test_the_scale_multiplies_every_limit():
    limiter = SlidingWindowLimiter([RateLimit("t", "/widget/", 2)], scale=2, clock=Clock())
    assert [limiter.exceeded("/widget/x", "a") for _ in range(5)][-2:] == [
        None,
        limiter._limits[0][0],
    ]


@pytest.fixture(scope="module")
def strict_stack():
    running = LocalStack(rate_limit_scale=1).start()  # the limits of AWS
    yield running
    running.stop()


def test_a_burst_from_one_address_is_cut_off_and_counts_at_most_the_limit(strict_stack):
    api, site = strict_stack.info["api"], strict_stack.info["demo_site"]
    body = {"project_id": strict_stack.info["project_id"]}

    def page_view(_):
        return requests.post(
            f"{api}/widget/session", json=body, headers={"Origin": site}, timeout=30
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(page_view, range(SESSION_LIMIT + 30)))
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == SESSION_LIMIT
    assert statuses.count(429) == 30
    slow = next(a for a in answers if a.status_code == 429).json()["error"]
    assert slow["code"] == "slow_down"

    # The script comes back with every token it got: each is one counted visitor, at most.
    tokens = [a.json()["token"] for a in answers if a.status_code == 200]
    for token in tokens:
        requests.post(
            f"{api}/widget/heartbeat", json={"token": token}, headers={"Origin": site}, timeout=30
        )
    login = requests.post(f"{api}/auth/login", json=strict_stack.info["login"], timeout=10).json()
    billing = requests.get(
        f"{api}/projects/{strict_stack.info['project_id']}/billing",
        headers={"Authorization": f"Bearer {login['access_token']}"},
        timeout=10,
    ).json()
    assert billing["billing"]["usage"]["unique_visitors"]["used"] <= SESSION_LIMIT
    # The panel's own calls are not widget calls: never limited.
    assert all(
        requests.get(
            f"{api}/me", headers={"Authorization": f"Bearer {login['access_token']}"}, timeout=10
        ).status_code
        == 200
        for _ in range(3)
    )
