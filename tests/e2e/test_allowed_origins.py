"""Allowed website domains in a real browser: the widget runs on the owner's site and
nowhere else, and a new visitor is counted when their page comes back (issue 14)."""

import re
import time
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account

pytestmark = pytest.mark.browser


def _unique_visitors(account):
    billing = account.get(f"/projects/{account.project_id}/billing")["billing"]
    return billing["usage"]["unique_visitors"]["used"]


def test_the_widget_runs_on_an_allowed_site_and_not_on_another(stack, new_page):
    account = Account(stack, "Origin shop")  # allows the demo site's 127.0.0.1:port
    demo = urlsplit(stack.info["demo_site"])
    foreign = f"http://localhost:{demo.port}"  # the same page, but an origin not allowed

    elsewhere = new_page()
    with elsewhere.expect_response(lambda r: r.url.endswith("/widget/session")) as answered:
        elsewhere.goto(f"{foreign}/?project={account.project_id}")
    assert answered.value.status == 403
    time.sleep(0.5)
    expect(elsewhere.locator("#lc-widget")).to_have_count(0)  # no launcher at all

    site = new_page()
    site.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    site.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(site.get_by_role("textbox", name="Message", exact=True)).to_be_visible()

    status = account.get(f"/projects/{account.project_id}/install")
    assert status["installed"]["origin"] == stack.info["demo_site"]
    (today,) = status["refused_by_day"]
    assert today["origins"][0]["origin"] == foreign


def test_a_new_visitor_is_counted_by_their_pages_first_heartbeat(stack, new_page):
    account = Account(stack, "Counting shop")
    page = new_page()
    page.clock.install()
    with page.expect_response(lambda r: r.url.endswith("/widget/session")) as answered:
        page.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    assert answered.value.json()["counted"] is False
    first_token = page.evaluate(f"localStorage.getItem('lc:{account.project_id}:token')")
    assert _unique_visitors(account) == 0

    with page.expect_response(lambda r: r.url.endswith("/widget/heartbeat")) as beat:
        page.clock.run_for(11_000)
    assert beat.value.status == 200
    assert _unique_visitors(account) == 1
    renewed = page.evaluate(f"localStorage.getItem('lc:{account.project_id}:token')")
    assert renewed and renewed != first_token  # the widget keeps the renewed token

    page.reload()
    assert _unique_visitors(account) == 1  # counted once
    assert requests.get(stack.info["api"] + "/me", timeout=10).status_code == 401


def test_the_install_page_tells_the_truth_once_every_domain_is_removed(stack, new_page):
    from tests.e2e.panel_workflow_helpers import _panel, _section

    account = Account(stack, "Removed shop")
    site = new_page()
    site.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    expect(site.get_by_role("button", name=re.compile("chat", re.I))).to_be_visible()
    panel = _panel(new_page, stack, account.email)
    _section(panel, "Install")
    status = panel.locator("#install-status")
    expect(status).to_have_attribute("data-installed", "true", timeout=15_000)
    # Installed long ago: the page says so, with no "just went live" toast on each visit.
    expect(panel.get_by_text(re.compile("The widget is live on"))).to_have_count(0)

    cleared = requests.patch(
        f"{stack.info['api']}/projects/{account.project_id}",
        json={"allowed_domains": []},
        headers=account.auth,
        timeout=10,
    )
    assert cleared.status_code == 200
    panel.reload()
    expect(status).to_have_attribute("data-installed", "false", timeout=15_000)
    expect(panel.locator("#install-status-title")).to_contain_text("Not installed")
