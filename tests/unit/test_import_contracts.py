"""The runtime never imports the local stand-in. ``lint-imports`` (pyproject.toml) checks
chalicelib and scheduled/; app.py is a module, not a package, so import-linter cannot
take it as a root: this checks its own imports (its chalicelib ones are covered there)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_traffic_app_imports_nothing_of_infra():
    imported = _imported(ROOT / "app.py")
    assert imported, "app.py imports something: the walk above found nothing"
    assert [name for name in imported if name == "infra" or name.startswith("infra.")] == []
