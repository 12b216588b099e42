"""Bytes the panel's load costs over the network, on the local stack in headless Chromium
(an administrator logged in, the inbox open and its socket connected): the first load,
a repeat load served by the service worker (panel/sw.js), and, to compare, a repeat load
with service workers blocked (the browser's HTTP cache and 304s only).

Counted with the DevTools protocol (Network.loadingFinished's encodedDataLength: headers
and body as they crossed the wire) per origin: the panel's files (the CDN) and the API.
The worker's own precache requests at its install are read from its Resource Timing
(transferSize). The WebSocket's frames are not counted. No timings: only bytes.

    .venv/bin/python bench/panel_load.py      (also part of ``make bench``)
"""

import os
import shutil
import sys
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Meter:
    """Bytes and requests of one page, by origin, from the DevTools protocol."""

    def __init__(self, page):
        self.urls, self.from_worker, self.bytes = {}, set(), {}
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})

    def _sent(self, event):
        self.urls[event["requestId"]] = event["request"]["url"]

    def _received(self, event):
        if event["response"].get("fromServiceWorker"):
            self.from_worker.add(event["requestId"])

    def _finished(self, event):
        self.bytes[event["requestId"]] = event["encodedDataLength"]

    def reset(self):
        self.urls.clear(), self.from_worker.clear(), self.bytes.clear()

    def by_origin(self, origin: str) -> dict:
        ids = [i for i, url in self.urls.items() if url.startswith(origin) and i in self.bytes]
        return {
            "requests": len(ids),
            "from_worker": sum(1 for i in ids if i in self.from_worker),
            "bytes": sum(self.bytes[i] for i in ids),
        }


def _login(page, stack, email, password):
    from playwright.sync_api import expect

    page.goto(stack.info["panel"])
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("body")).to_have_attribute("data-ws", "connected", timeout=30_000)


def _ready(page):
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_attribute("data-ws", "connected", timeout=30_000)
    page.wait_for_timeout(500)  # the inbox's first calls after the socket opened


def measure() -> dict:
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_panel_workflow import PASSWORD, Account
    from tests.stack import LocalStack

    stack = LocalStack().start()
    try:
        account = Account(stack)
        cdn = "{0.scheme}://{0.netloc}".format(urlsplit(stack.info["panel"]))
        api = stack.info["api"]
        figures = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            for workers in ("allow", "block"):
                context = browser.new_context(service_workers=workers)
                page = context.new_page()
                meter = Meter(page)
                _login(page, stack, account.email, PASSWORD)
                _ready(page)
                if workers == "allow":
                    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
                    [worker] = [w for w in context.service_workers if w.url.endswith("/sw.js")]
                    precache = worker.evaluate(
                        "performance.getEntriesByType('resource').reduce((n, e) => n + e.transferSize, 0)"
                    )
                    first = {"cdn": meter.by_origin(cdn), "api": meter.by_origin(api)}
                    first["worker_precache_bytes"] = precache
                    figures["first"] = first
                meter.reset()
                page.reload()
                _ready(page)
                figures["repeat_" + ("worker" if workers == "allow" else "http_cache")] = {
                    "cdn": meter.by_origin(cdn),
                    "api": meter.by_origin(api),
                }
                context.close()
            browser.close()
        return figures
    finally:
        stack.stop()


def main():
    f = measure()
    print(
        "Panel load bytes over the network (local stack, headless Chromium; socket frames not counted)"
    )

    def line(name, row, extra=""):
        cdn, api = row["cdn"], row["api"]
        print(
            f"  {name:<30} panel files {cdn['bytes']:>7} B in {cdn['requests']:>2} requests"
            f" ({cdn['from_worker']} from the worker)   API {api['bytes']:>6} B in"
            f" {api['requests']:>2}{extra}"
        )

    line("first load", f["first"], f"   + worker precache {f['first']['worker_precache_bytes']} B")
    line("repeat load, service worker", f["repeat_worker"])
    line("repeat load, HTTP cache only", f["repeat_http_cache"])
    print(
        "  (the local CDN sends no max-age, so the HTTP cache answers without asking; in AWS,\n"
        "   max-age=300, a repeat load after five minutes without the worker revalidates every\n"
        "   file: a 304 each. config.json is the one panel file the worker leaves to the network.)"
    )
    return f


if __name__ == "__main__":
    main()
