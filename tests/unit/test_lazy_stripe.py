"""Billing must not slow other handlers' cold start: Stripe's SDK is imported on the
first billing call, never by ``import app``."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_importing_the_app_does_not_import_stripe():
    probe = "import sys, app; print('stripe' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert out.stdout.strip() == "False"


def test_the_scheduled_app_does_not_import_stripe_either():
    probe = "import sys, app; print('stripe' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT / "scheduled",
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert out.stdout.strip() == "False"
