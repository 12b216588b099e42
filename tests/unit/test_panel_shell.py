"""The panel's service worker as served (infra/panel_build.py): its precache list is the
shell on disk, its version changes with any shell byte, and the local CDN serves it (and
the manifest) uncached, with an ETag the browser's update check can revalidate."""

import asyncio
import json
import re
import shutil
import subprocess

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from infra import panel_build
from infra.local import sites

PANEL = panel_build.PANEL


def _stamped(body: bytes) -> tuple[str, list[str]]:
    text = body.decode()
    version = json.loads(re.search(r"^const VERSION = (.*);$", text, re.M).group(1))
    shell = json.loads(re.search(r"^const SHELL = (.*);$", text, re.M).group(1))
    return version, shell


def test_every_file_of_the_panel_is_in_the_shell_or_deliberately_not():
    on_disk = {p.relative_to(PANEL).as_posix() for p in PANEL.rglob("*") if p.is_file()}
    shell = set(panel_build.shell_files())
    assert shell | panel_build.NOT_SHELL == on_disk, (
        "a panel file is neither precached nor listed in infra/panel_build.py NOT_SHELL: "
        f"{sorted(on_disk - shell - panel_build.NOT_SHELL)}"
    )
    # What the panel cannot start without, and what installing it needs.
    for needed in ("index.html", "main.js", "core/dom.js", "manifest.webmanifest", "icon-192.png"):
        assert needed in shell
    assert "config.json" not in shell  # always read from the network


def test_every_module_the_panel_imports_is_precached():
    shell = set(panel_build.shell_files())
    for source in [PANEL / "main.js", *PANEL.glob("core/*.js"), *PANEL.glob("views/*.js")]:
        for target in re.findall(r"from '(\.[^']+)'", source.read_text()):
            path = (source.parent / target).resolve().relative_to(PANEL).as_posix()
            assert path in shell, f"{source.name} imports {target}, which is not precached"


def test_the_stamped_worker_lists_the_shell_and_runs(tmp_path):
    version, shell = _stamped(panel_build.service_worker())
    assert shell == panel_build.shell_files()
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    out = tmp_path / "out"
    assert panel_build.main([str(out)]) == 0
    assert (out / "sw.js").read_bytes() == panel_build.service_worker()
    node = shutil.which("node")
    assert node, "node is not installed (make install)"
    checked = subprocess.run([node, "--check", str(out / "sw.js")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_any_changed_shell_byte_is_a_new_worker(tmp_path):
    copy = tmp_path / "panel"
    shutil.copytree(PANEL, copy)
    before, _ = _stamped(panel_build.service_worker(copy))
    assert _stamped(panel_build.service_worker(copy))[0] == before  # deterministic
    view = copy / "views" / "inbox.js"
    view.write_text(view.read_text() + "\n// edited\n")
    after, _ = _stamped(panel_build.service_worker(copy))
    assert after != before
    (copy / "views" / "new-part.js").write_text("export function mount() {}\n")
    added, shell = _stamped(panel_build.service_worker(copy))
    assert "views/new-part.js" in shell and added != after


def test_a_worker_without_its_stamped_lines_is_refused(tmp_path):
    copy = tmp_path / "panel"
    shutil.copytree(PANEL, copy)
    (copy / "sw.js").write_text("self.addEventListener('fetch', () => {});\n")
    try:
        panel_build.service_worker(copy)
    except ValueError as e:
        assert "const VERSION" in str(e)
    else:
        raise AssertionError("an unstampable sw.js was accepted")


def test_the_local_cdn_serves_the_worker_and_manifest_uncached():
    async def run():
        app = web.Application()
        app.add_routes(sites.cdn_routes("http://api", "ws://ws", "http://s3"))
        async with TestClient(TestServer(app)) as client:
            worker = await client.get("/panel/sw.js")
            assert worker.status == 200
            assert worker.headers["Cache-Control"] == "no-cache"
            assert worker.headers["Content-Type"].startswith("text/javascript")
            assert await worker.read() == panel_build.service_worker()
            etag = worker.headers["ETag"]
            again = await client.get("/panel/sw.js", headers={"If-None-Match": etag})
            assert again.status == 304 and await again.read() == b""
            other = await client.get("/panel/sw.js", headers={"If-None-Match": '"other"'})
            assert other.status == 200
            manifest = await client.get("/panel/manifest.webmanifest")
            assert manifest.status == 200
            assert manifest.headers["Cache-Control"] == "no-cache"
            assert manifest.headers["Content-Type"].startswith("application/manifest+json")
            data = json.loads(await manifest.read())
            assert data["display"] == "standalone"

    asyncio.run(run())


def test_the_manifest_matches_the_panels_colours_and_icons():
    data = json.loads((PANEL / "manifest.webmanifest").read_text())
    css = (PANEL / "core.css").read_text()
    light = css[: css.index("@media (prefers-color-scheme: dark)")]
    assert f"--accent: {data['theme_color']};" in light
    assert f"--bg: {data['background_color']};" in light
    assert data["start_url"] == "index.html" and data["scope"] == "./"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in data["icons"]:
        png = (PANEL / icon["src"]).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]
    index = (PANEL / "index.html").read_text()
    assert '<link rel="manifest" href="manifest.webmanifest">' in index
    assert f'<meta name="theme-color" content="{data["theme_color"]}">' in index
    assert "manifest-src 'self'" in index and "worker-src 'self'" in index
