"""What the infra tests share: the repository, the installed tools, finding a resource
by type."""

import shutil
import sys
from pathlib import Path

from infra import app_graph

ROOT = Path(app_graph.REPO_ROOT)
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is not installed (requirements-dev.txt)"
    return path


def resources_of_type(cfn: dict, kind: str) -> dict:
    return {name: r for name, r in cfn["Resources"].items() if r["Type"] == kind}
