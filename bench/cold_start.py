"""``import app`` time against ``import chalice, boto3, pynamodb.models``, in fresh
interpreters, alternating, in one run (median of N each)."""

import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BASELINE = "import chalice, boto3, pynamodb.models"
APP = "import app"
PROBE = (
    "import time, sys; t=time.perf_counter(); {stmt}; "
    "print(time.perf_counter()-t); print(int('stripe' in sys.modules))"
)


def _time(stmt: str) -> tuple[float, bool]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(stmt=stmt)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONDONTWRITEBYTECODE": "0",
        },
    ).stdout.split()
    return float(out[0]), out[1] == "1"


def main(runs: int = 7):
    _time(APP)  # warm the bytecode cache once, as a deployed package has it
    base, app = [], []
    stripe_loaded = False
    for _ in range(runs):
        base.append(_time(BASELINE)[0])
        seconds, stripe = _time(APP)
        app.append(seconds)
        stripe_loaded |= stripe
    b, a = statistics.median(base), statistics.median(app)
    print(f"Cold import (median of {runs} fresh interpreters)")
    print(f"  {BASELINE:<40} {b * 1000:7.1f} ms")
    print(f"  {APP:<40} {a * 1000:7.1f} ms   ratio {a / b:.2f}")
    print(f"  stripe imported by app: {'yes' if stripe_loaded else 'no'}")
    # What the lazy import spares every non-billing handler (paid by the first billing call).
    stripe_ms = statistics.median(_time("import stripe")[0] for _ in range(3)) * 1000
    print(f"  {'import stripe (first billing call only)':<40} {stripe_ms:7.1f} ms")
    return {"baseline_ms": b * 1000, "app_ms": a * 1000, "ratio": a / b}


if __name__ == "__main__":
    main()
