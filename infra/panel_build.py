"""The panel's service worker as it is served (panel/README.md, "Installable panel"):
``panel/sw.js`` with its two stamped lines, the shell's files and a version derived from
their bytes. The worker precaches that list, so a new deploy (any shell file changed)
is a new ``sw.js`` byte for byte, which is what makes browsers install it; and the list
is read from the disk, so it cannot drift from the files.

    python -m infra.panel_build OUT_DIR    # writes OUT_DIR/sw.js (infra/deploy.sh)

The local CDN (infra/local/sites.py) serves the same bytes, stamped per request.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PANEL = ROOT / "panel"

# What the shell is: every file the panel loads before it talks to the API.
SHELL_PATTERNS = (
    "index.html",
    "main.js",
    "*.css",
    "favicon.svg",
    "icon-192.png",  # notifications' icon and badge
    "manifest.webmanifest",
    "core/*.js",
    "views/*.js",
)
# Files of panel/ that are deliberately not in the shell (config.json is written at
# deploy and always read from the network). The 512 px icons are for installing only (the
# browser fetches them then): precaching them would add ~95 KB to every first load.
NOT_SHELL = frozenset({"README.md", "sw.js", "icon-512.png", "icon-maskable-512.png"})

_VERSION_LINE = re.compile(r"^const VERSION = .*;$", re.M)
_SHELL_LINE = re.compile(r"^const SHELL = .*;$", re.M)


def shell_files(panel: pathlib.Path = PANEL) -> list[str]:
    """The shell's paths relative to the panel's folder, sorted."""
    found = {p for pattern in SHELL_PATTERNS for p in panel.glob(pattern) if p.is_file()}
    return sorted(p.relative_to(panel).as_posix() for p in found)


def shell_version(panel: pathlib.Path = PANEL, files: list[str] | None = None) -> str:
    """A digest of every shell file's name and bytes, and of sw.js's own source."""
    digest = hashlib.sha256()
    for name in [*(files if files is not None else shell_files(panel)), "sw.js"]:
        digest.update(name.encode() + b"\0" + (panel / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def service_worker(panel: pathlib.Path = PANEL) -> bytes:
    """sw.js with ``const VERSION`` and ``const SHELL`` filled in."""
    source = (panel / "sw.js").read_text(encoding="utf-8")
    files = shell_files(panel)
    version = shell_version(panel, files)
    if not (_VERSION_LINE.search(source) and _SHELL_LINE.search(source)):
        raise ValueError("panel/sw.js lost its `const VERSION = ...;` or `const SHELL = ...;` line")
    source = _VERSION_LINE.sub(lambda _m: f"const VERSION = {json.dumps(version)};", source, 1)
    source = _SHELL_LINE.sub(lambda _m: f"const SHELL = {json.dumps(files)};", source, 1)
    return source.encode("utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m infra.panel_build OUT_DIR", file=sys.stderr)
        return 2
    out = pathlib.Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    (out / "sw.js").write_bytes(service_worker())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
