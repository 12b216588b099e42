"""The local stand-in for the WAF rate-based rules (infra/rate_limits.py): the same limits
per client address over the same sliding windows, answering 429 with WAF's custom body
before the app sees the request. ``RATE_LIMIT_SCALE`` multiplies every limit: the browser
tests all come from 127.0.0.1 and raise it; ``make dev`` uses AWS's figures.
"""

from __future__ import annotations

import collections
import os
import threading
import time

from chalice.local import ChaliceRequestHandler

from infra.rate_limits import RATE_LIMITS, SLOW_DOWN, RateLimit


class SlidingWindowLimiter:
    def __init__(self, limits=RATE_LIMITS, scale: float = 1.0, clock=time.monotonic):
        self._limits = [(rule, max(1, int(rule.limit * scale))) for rule in limits]
        self._clock = clock
        self._seen: dict[tuple[str, str], collections.deque] = collections.defaultdict(
            collections.deque
        )
        self._lock = threading.Lock()

    def exceeded(self, path: str, address: str) -> RateLimit | None:
        """Count this request; the first rule it puts its address over, if any."""
        now = self._clock()
        over = None
        with self._lock:
            for rule, limit in self._limits:
                if not rule.applies_to(path):
                    continue
                seen = self._seen[(rule.name, address)]
                while seen and seen[0] <= now - rule.window_seconds:
                    seen.popleft()
                seen.append(now)
                if len(seen) > limit and over is None:
                    over = rule
        return over


def limited_handler(limiter: SlidingWindowLimiter) -> type:
    """Chalice's local request handler, behind the limiter."""

    class RateLimitedHandler(ChaliceRequestHandler):
        def _generic_handle(self) -> None:
            if limiter.exceeded(self.path.split("?", 1)[0].lower(), self.client_address[0]):
                length = int(self.headers.get("content-length", "0") or 0)
                if length:
                    self.rfile.read(length)
                self._send_http_response(429, {"Content-Type": "application/json"}, SLOW_DOWN)
                return
            super()._generic_handle()

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    return RateLimitedHandler


def from_environment() -> SlidingWindowLimiter:
    return SlidingWindowLimiter(scale=float(os.environ.get("RATE_LIMIT_SCALE") or 1))
