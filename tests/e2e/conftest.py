"""Real headless Chromium (Debian's package) against the real local stack.

These tests never skip: if Chromium is missing or cannot start, they fail, so CI can
not go green without having run them. Never ``playwright install`` (it downloads).
"""

import shutil

import pytest

from tests.stack import LocalStack

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# While the team looks at the Visitors list, widgets beat every 3 s here (15 s in AWS),
# so a browser test of a proactive chat waits seconds (tests/e2e/test_panel_workflow.py).
WATCHED_BEAT_SECONDS = 3


@pytest.fixture(scope="session")
def stack():
    running = LocalStack(settings={"HEARTBEAT_WATCHED_SECONDS": str(WATCHED_BEAT_SECONDS)})
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: `make browser` (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()
