"""The widget as it is served (widget/README.md): every ``widget/*.js``, and ``chat.js``
assembled from ``widget/chat/*.js``, minified by terser (pinned in package.json, run by
``infra/widget_minify.js``): locals renamed, ``/*!`` headers kept, globals and properties
untouched. The sources can use readable names; the host page downloads the small form, and
the budgets (loader 3 KB, whole widget 15 KB gzipped) are measured on what is served.

A folder ``widget/<name>/`` is served as one script, ``<name>.js``: its parts, in the order
of their file names, inside one function, as if they were one file. So the parts share
their top-level names as locals of that function (terser renames them all) and the page
makes one request, not one per part. The function opens with the script's guard (run once,
after the loader drew the launcher); the first part's ``/*!`` header comes before it.

    python -m infra.widget_build OUT_DIR    # what infra/deploy.sh uploads

Node runs once for every batch of sources not yet seen: results are cached by source
text, so the local CDN and the tests do not start node per request.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
import shutil
import subprocess
import sys
import threading

ROOT = pathlib.Path(__file__).resolve().parents[1]
WIDGET = ROOT / "widget"
MINIFIER = ROOT / "infra" / "widget_minify.js"
TERSER = ROOT / "node_modules" / "terser" / "package.json"

_CACHE: dict[str, str] = {}  # sha256 of a source -> its minified form
_CACHE_LIMIT = 64  # a few versions of each file, for a local stack whose sources are edited
_LOCK = threading.Lock()


class MinifierError(RuntimeError):
    """The minifier is missing (node, or terser in node_modules) or refused a source."""


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def _terser(named_sources: list[tuple[str, str]]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise MinifierError("node is not installed (the widget's minifier): run make install")
    if not TERSER.is_file():
        raise MinifierError(f"terser is not in {TERSER.parents[1]}: run make install")
    payload = json.dumps([{"name": name, "source": source} for name, source in named_sources])
    done = subprocess.run(  # noqa: S603 (a fixed script; the sources go in on stdin)
        [node, str(MINIFIER)],
        input=payload,
        capture_output=True,
        encoding="utf-8",
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise MinifierError(f"terser failed: {done.stderr.strip() or done.returncode}")
    return json.loads(done.stdout)


def minified_all(named_sources: list[tuple[str, str]]) -> list[str]:
    """The minified form of each ``(name, source)``, in order; node runs once for those not
    cached (the name only labels errors)."""
    keys = [_digest(source) for _, source in named_sources]
    with _LOCK:
        todo = {}
        for key, (name, source) in zip(keys, named_sources, strict=True):
            if key not in _CACHE:
                todo.setdefault(key, (name, source))
        if todo:
            results = _terser(list(todo.values()))
            if len(_CACHE) + len(todo) > _CACHE_LIMIT:
                _CACHE.clear()
            _CACHE.update(zip(todo, results, strict=True))
        return [_CACHE[key] for key in keys]


def minified(source: str, name: str = "script.js") -> str:
    return minified_all([(name, source)])[0]


HEADER = re.compile(r"\s*/\*!.*?\*/\n?", re.S)
BUNDLE_OPEN = """(function (w, d) {{
  var W = w.__lcWidget;
  if (!W || W.{name} || !W.root) return; // no launcher yet, or this script ran already
  W.{name} = 1;
"""
BUNDLE_CLOSE = "})(window, document);\n"


def bundle(folder: pathlib.Path) -> str:
    """The readable source of the script a folder of parts makes (module docstring)."""
    parts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.js"))]
    if not parts:
        raise MinifierError(f"{folder} has no parts (*.js)")
    header = HEADER.match(parts[0])
    if header:
        parts[0] = parts[0][header.end() :]
    head = header.group(0).strip() + "\n" if header else ""
    body = "\n".join(part.rstrip("\n") + "\n" for part in parts)
    return head + BUNDLE_OPEN.format(name=folder.name) + body + BUNDLE_CLOSE


def sources() -> dict[str, str]:
    """Each served script's readable source, by served name: ``widget/<name>.js`` as it
    is, and the bundle of each folder ``widget/<name>/`` as ``<name>.js``."""
    scripts = {p.name: p.read_text(encoding="utf-8") for p in sorted(WIDGET.glob("*.js"))}
    for folder in sorted(p for p in WIDGET.iterdir() if p.is_dir()):
        name = folder.name + ".js"
        if name in scripts:
            raise MinifierError(f"widget/{name} and widget/{folder.name}/ would both be {name}")
        scripts[name] = bundle(folder)
    return scripts


def _served_all() -> dict[str, bytes]:
    scripts = sources()
    codes = minified_all(list(scripts.items()))
    return {name: code.encode() for name, code in zip(scripts, codes, strict=True)}


def served(name: str) -> bytes | None:
    """The served form of the script ``name`` (``loader.js``, ``chat.js``...; None if
    there is no such script: a part of a bundle is not served alone). Cached by content,
    so the local stack serves an edited file at once (the scripts that changed are
    minified together, in one node run)."""
    return _served_all().get(name)


def build(out_dir: pathlib.Path) -> list[pathlib.Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in _served_all().items():
        target = out_dir / name
        target.write_bytes(body)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m infra.widget_build OUT_DIR", file=sys.stderr)
        return 2
    try:
        written = build(pathlib.Path(args[0]))
    except MinifierError as err:
        print(f"infra.widget_build: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
