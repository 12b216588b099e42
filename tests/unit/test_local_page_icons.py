"""Every page of the local stack (the demo shop, the mailbox, the clock, the fake platforms'
pages) names its icon inline, so a browser never asks for /favicon.ico, which 404s there and
left a console error on each page in `make dev`."""

import asyncio
import re
import types

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from infra.local import clock, fake_push_server, fake_stripe_server, mailbox, sites
from infra.local.fake_messengers import FakeMessengers
from infra.local.fake_messengers_server import render_page

ICON = re.compile(r'<link rel="icon" href="data:[^"]*">')


def _served(routes, path: str) -> str:
    async def get():
        app = web.Application()
        app.add_routes(routes)
        async with TestClient(TestServer(app)) as client:
            answer = await client.get(path)
            assert answer.status == 200
            return await answer.text()

    return asyncio.run(get())


def _head(page: str) -> str:
    # The icon must come before the body, where the browser looks for it.
    return page.split("<body", 1)[0]


def test_the_demo_shop_mailbox_and_clock_pages_name_an_inline_icon():
    demo = _served(sites.demo_site_routes("p1", "http://api", "http://cdn"), "/")
    mail = _served(mailbox.routes(), "/local-mailbox/")
    no_jobs = types.SimpleNamespace(event_sources=[], handler_map={})
    clock_page = _served(clock.routes(clock.Clock(no_jobs, "eu-west-1")), "/local-clock/")
    for page in (demo, mail, clock_page):
        assert ICON.search(_head(page)), page[:300]


def test_the_fake_platform_pages_name_an_inline_icon():
    messengers = render_page(FakeMessengers("http://127.0.0.1:1"))
    stripe = fake_stripe_server._PAGE  # noqa: SLF001 - the page template as served
    push = fake_push_server._PAGE  # noqa: SLF001
    for page in (messengers, stripe, push):
        assert ICON.search(page), page[:300]
