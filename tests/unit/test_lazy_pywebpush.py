"""Web Push must not slow other handlers' cold start: pywebpush (and the requests and
aiohttp it imports) load on the first push only, never with ``import app``."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_importing_the_app_does_not_import_pywebpush():
    probe = (
        "import sys, app; "
        "print(sorted(m for m in ('pywebpush', 'http_ece', 'aiohttp', 'requests') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert out.stdout.strip() == "[]"
