"""Replies by e-mail must not slow other handlers' cold start: the reply parser (and the
inbound path) load on the first e-mail, never by ``import app``."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_importing_either_app_loads_no_reply_parser():
    probe = (
        "import sys, app; print(any(m in sys.modules for m in "
        "('mailparser_reply', 'chalicelib.services.inbound_mail')))"
    )
    for directory in (ROOT, ROOT / "scheduled"):
        out = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=directory,
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
        )
        assert out.stdout.strip() == "False", directory
