"""Billing in the local stack's TEST MODE, by hand as it were: no Stripe key, the fake
Stripe on its own port, and "Pay" completing through a locally signed webhook."""

import pytest
import requests

from tests.stack import LocalStack


@pytest.fixture(scope="module")
def stack():
    running = LocalStack().start()
    yield running
    running.stop()


def test_choosing_and_paying_a_plan_in_test_mode(stack):
    api, project = stack.info["api"], stack.info["project_id"]
    token = requests.post(api + "/auth/login", json=stack.info["login"], timeout=10).json()[
        "access_token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    before = requests.get(f"{api}/projects/{project}/billing", headers=auth, timeout=10).json()
    assert before["billing"]["test_mode"] is True
    assert before["billing"]["plan"]["id"] == "free"

    chosen = requests.post(
        f"{api}/projects/{project}/billing/plan",
        json={"plan": "premium", "interval": "annual"},
        headers=auth,
        timeout=10,
    ).json()
    checkout_url = chosen["checkout_url"]
    assert checkout_url.startswith(stack.info["stripe_test_mode"])
    page = requests.get(checkout_url, timeout=10).text
    assert "TEST MODE" in page
    widget = requests.post(
        f"{api}/widget/session",
        json={"project_id": project},
        headers={"Origin": stack.info["demo_site"]},
        timeout=10,
    )
    assert widget.status_code == 200  # chosen, not paid yet: still Free, still working
    assert widget.json()["powered_by"] is True

    paid = requests.post(checkout_url + "/pay", timeout=10, allow_redirects=False)
    assert paid.status_code == 303  # back to the panel, as Stripe would send them

    after = requests.get(f"{api}/projects/{project}/billing", headers=auth, timeout=10).json()
    assert (after["billing"]["plan"]["id"], after["billing"]["state"]) == ("premium", "ok")
    widget = requests.post(
        f"{api}/widget/session",
        json={"project_id": project},
        headers={"Origin": stack.info["demo_site"]},
        timeout=10,
    )
    assert widget.status_code == 200 and widget.json()["powered_by"] is False
