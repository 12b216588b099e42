"""Settings -> Business hours shows the team's typical first reply (issue 13), from the
first replies the stack really recorded: nothing to show below 5 chats, then the median
of them, the figure the widget's session carries as ``reply_minutes``."""

import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _panel, _section, _visitor_writes

pytestmark = pytest.mark.browser


def _answer_every_chat(account):
    for chat in account.get(f"/projects/{account.project_id}/chats")["chats"]:
        sent = account.post(
            f"/projects/{account.project_id}/chats/{chat['id']}/messages",
            {"client_id": f"e2e-reply-{uuid.uuid4().hex[:16]}", "text": "Hello!"},
        )
        assert sent.status_code == 201, sent.text


def test_the_typical_first_reply_appears_from_five_answered_chats(new_page, stack):
    account = Account(stack, "Quick shop")
    for n in range(4):
        _visitor_writes(new_page, stack, account.project_id, f"Question {n}").close()
    _answer_every_chat(account)
    panel = _panel(new_page, stack, account.email)
    _section(panel, "Settings")
    line = panel.get_by_role("form", name="Business hours").locator("#hours-reply")
    expect(line).to_contain_text("not enough chats yet")

    _visitor_writes(new_page, stack, account.project_id, "Question 4").close()
    _answer_every_chat(account)  # the 4 answered ones get a later reply: not counted
    figure = account.get(f"/projects/{account.project_id}/business-hours")["reply_times"]
    assert figure == {"minutes": 1, "chats": 5, "days": 14}  # seconds: 1 min at least
    _section(panel, "Inbox")
    _section(panel, "Settings")  # shown again: it loads again
    expect(line).to_have_text(
        "Your typical first reply: 1 min (median of 5 chats, 14 days). "
        "The widget says \u201cTypically replies in 1 min\u201d."
    )
    session = requests.post(
        f"{stack.info['api']}/widget/session",
        json={"project_id": account.project_id, "page_url": f"{stack.info['demo_site']}/"},
        headers={"Origin": stack.info["demo_site"]},
        timeout=10,
    )
    assert session.status_code == 200, session.text
    assert session.json()["availability"]["reply_minutes"] == 1
