"""From a visitor's message stored to its push request received by the push service,
on the local stack (``python -m infra.local``: the message path queues the event in
moto's SQS, the stack's poller delivers it to the notifier as Lambda would, pywebpush
sends it to the fake push service, which checks and decrypts it). ~20 messages, one at a
time; median and 95th percentile."""

import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MESSAGES = 20


def run(messages: int = MESSAGES) -> dict:
    from tests.push_stack import subscribe_test_device, visitor_writes
    from tests.stack import LocalStack

    stack = LocalStack().start()
    try:
        _, device = subscribe_test_device(stack.info)
        texts = [f"Bench message {n}" for n in range(messages)]
        results = visitor_writes(stack.info, texts, device["id"])
    finally:
        stack.stop()
    seconds = sorted(delay for delay, _push in results)
    return {
        "median_ms": statistics.median(seconds) * 1000,
        "p95_ms": seconds[max(0, round(0.95 * len(seconds)) - 1)] * 1000,
        "max_ms": seconds[-1] * 1000,
        "count": len(seconds),
    }


def main():
    r = run()
    print("Web Push latency on the local stack (message stored -> push request received)")
    print(
        f"  {r['count']} messages: median {r['median_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms,"
        f" max {r['max_ms']:.0f} ms"
    )
    return r


if __name__ == "__main__":
    main()
