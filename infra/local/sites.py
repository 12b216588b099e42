"""The local "CDN" (widget and panel files) and a demo customer website.

The demo site is on its own port, another origin than the API, as a customer's site
would be, so CORS and cross-site storage rules are exercised as in production.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import pathlib
import re

from aiohttp import web

from infra.panel_build import service_worker
from infra.widget_build import served

ROOT = pathlib.Path(__file__).resolve().parents[2]
NO_CACHE = {"Cache-Control": "no-cache"}


async def minify_widget() -> None:
    """Minify the widget once before the stack says READY: the first page view does not
    wait for node, and a missing minifier stops the start with "run make install"."""
    await asyncio.get_running_loop().run_in_executor(None, served, "loader.js")


def cdn_routes(
    api_url: str,
    websocket_url: str,
    s3_endpoint: str,
    widget_url: str = "",
    local_mailbox: str = "",
    local_push: str = "",
) -> list[web.RouteDef]:
    # widget_url: the Install page's <script> tag; local_mailbox: only the local stand-in
    # has one (the panel's confirmation step points there, as no e-mail is sent).
    panel_config = {"api_url": api_url, "ws_url": websocket_url, "widget_url": widget_url}
    if local_mailbox:
        panel_config["local_mailbox"] = local_mailbox
    if local_push:  # the fake push service's page: no real push service is reachable here
        panel_config["local_push"] = local_push
    attachments = attachment_files(s3_endpoint)

    async def config(_request):
        return web.json_response(panel_config, headers=NO_CACHE)

    async def panel_index(_request):
        return web.FileResponse(ROOT / "panel" / "index.html", headers=NO_CACHE)

    async def to_panel(_request):
        raise web.HTTPFound("/panel/")

    async def manifest(_request):
        return web.FileResponse(ROOT / "panel" / "manifest.webmanifest", headers=NO_CACHE)

    return [
        web.get("/", to_panel),
        web.get("/panel", to_panel),
        web.get("/panel/", panel_index),
        web.get("/panel/config.json", config),
        # The service worker and the manifest, as deploy uploads them (no-cache: a new
        # deploy's worker is found on the next load; infra/panel_build.py stamps it).
        web.get("/panel/sw.js", panel_worker),
        web.get("/panel/manifest.webmanifest", manifest),
        web.static("/panel", ROOT / "panel"),
        web.get("/widget/{name}", widget_script),
        web.get("/attachments/{rest:.+}", attachments),
    ]


async def panel_worker(request):
    """sw.js stamped from the files on disk now (an edited module is a new worker), with an
    ETag: the browser's update check on every load is a 304 when nothing changed."""
    body = await asyncio.get_running_loop().run_in_executor(None, service_worker)
    etag = hashlib.sha256(body).hexdigest()[:32]
    if any(e.value == etag for e in (request.if_none_match or ())):
        return web.Response(status=304, headers={**NO_CACHE, "ETag": f'"{etag}"'})
    return web.Response(
        body=body, content_type="text/javascript", headers={**NO_CACHE, "ETag": f'"{etag}"'}
    )


def attachment_files(s3_endpoint: str):
    """Published attachments from moto's S3, as CloudFront serves /attachments/* from the
    attachments bucket: drafts are not reachable, headers are the stored ones plus the
    security policy's nosniff."""
    import boto3
    from botocore.exceptions import ClientError

    from infra.local.aws import LOCAL_ATTACHMENTS_BUCKET, REGION

    s3 = boto3.client("s3", region_name=REGION, endpoint_url=s3_endpoint)

    def read(key):
        try:
            return s3.get_object(Bucket=LOCAL_ATTACHMENTS_BUCKET, Key=key)
        except ClientError:
            return None

    async def attachment(request):
        key = "attachments/" + request.match_info["rest"]
        found = await asyncio.get_running_loop().run_in_executor(None, read, key)
        if found is None:
            raise web.HTTPNotFound()
        headers = {"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"}
        if found.get("ContentDisposition"):
            headers["Content-Disposition"] = found["ContentDisposition"]
        return web.Response(
            body=found["Body"].read(), content_type=found["ContentType"], headers=headers
        )

    return attachment


async def widget_script(request):
    """The widget minified, as deploy uploads it (infra/widget_build: the same bytes), so
    the browser tests run the shipped code. An edited source is minified again (node, off
    the event loop); otherwise the answer comes from widget_build's cache."""
    body = await asyncio.get_running_loop().run_in_executor(
        None, served, request.match_info["name"]
    )
    if body is None:
        raise web.HTTPNotFound()
    return web.Response(body=body, content_type="text/javascript", headers=NO_CACHE)


# Each local page names its icon inline (data:,): the demo, mailbox, clock and fake
# platform servers have no /favicon.ico, and the 404 was a console error on every page.
DEMO_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>
  /* A customer's own, rather aggressive, styles: the widget must not care. */
  body {{ font: 17px/1.6 Georgia, serif; margin: 0; color: #222; background: #faf7f2; }}
  button {{ background: hotpink !important; font-size: 30px; border-radius: 0; }}
  div {{ box-sizing: content-box; }}
  header {{ background: #24453a; color: #fff; padding: 1.2rem 2rem; }}
  main {{ max-width: 760px; margin: 2rem auto; padding: 0 1rem; }}
  .card {{ background: #fff; padding: 1rem 1.5rem; border: 1px solid #e5ddd0; margin: 1rem 0; }}
</style>
</head>
<body>
<header><h1>{title}</h1><p>Hand-made outdoor gear since 1987</p></header>
<main>
  <div class="card"><h2>Alpine tent, 2 persons</h2><p>2.1 kg, three seasons. EUR 349.</p></div>
  <div class="card"><h2>Merino base layer</h2><p>Warm when wet, soft on skin. EUR 79.</p></div>
  <p>Questions about sizes or delivery? Use the chat button in the corner.</p>
</main>
<script src="{cdn}/widget/loader.js" data-project-id="{project_id}" data-api="{api}" async></script>
</body>
</html>
"""


_PROJECT_ID = re.compile(r"p_[0-9a-f]{1,32}")


def demo_site_routes(project_id: str, api_url: str, cdn_url: str) -> list[web.RouteDef]:
    async def page(request):
        # ?project=<id> shows the widget of another project (one made in the panel, say).
        chosen = request.query.get("project", "")
        shown = chosen if _PROJECT_ID.fullmatch(chosen) else project_id
        body = DEMO_PAGE.format(
            title="Acme Outdoor (demo shop)",
            cdn=html.escape(cdn_url),
            project_id=html.escape(shown),
            api=html.escape(api_url),
        )
        return web.Response(text=body, content_type="text/html", headers=NO_CACHE)

    async def info(_request):
        return web.json_response({"project_id": project_id})

    return [web.get("/", page), web.get("/demo.json", info)]


def site_info(values: dict) -> str:
    return json.dumps(values, indent=2)
