"""The widget as it is served: every ``widget/*.js`` minified by rjsmin, its ``/*!``
header kept. The sources stay readable; the host page downloads the small form, and the
budgets (loader 3 KB, whole widget 15 KB gzipped) are measured on what is served.

    python -m infra.widget_build OUT_DIR    # what infra/deploy.sh uploads
"""

from __future__ import annotations

import functools
import pathlib
import sys

import rjsmin

WIDGET = pathlib.Path(__file__).resolve().parents[1] / "widget"


def minified(source: str) -> str:
    return rjsmin.jsmin(source, keep_bang_comments=True)


@functools.lru_cache(maxsize=32)
def _served(path: pathlib.Path, mtime_ns: int) -> bytes:
    return minified(path.read_text(encoding="utf-8")).encode()


def served(name: str) -> bytes | None:
    """The served form of ``widget/<name>`` (None if there is no such script). Cached by
    modification time, so the local stack serves an edited file at once."""
    path = WIDGET / name
    if path.suffix != ".js" or path.parent != WIDGET or not path.is_file():
        return None
    return _served(path, path.stat().st_mtime_ns)


def build(out_dir: pathlib.Path) -> list[pathlib.Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(WIDGET.glob("*.js")):
        target = out_dir / path.name
        target.write_bytes(served(path.name))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m infra.widget_build OUT_DIR", file=sys.stderr)
        return 2
    for path in build(pathlib.Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
