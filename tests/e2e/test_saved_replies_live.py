"""A shared saved reply made, edited or deleted in one panel shows in another open panel
at once (the `saved_reply` frame), without a reload."""

import pytest
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import Account, _panel, _section

pytestmark = pytest.mark.browser


def test_shared_saved_replies_reach_another_open_panel_live(stack, new_page):
    account = Account(stack, "Tea House")
    writer = _panel(new_page, stack, account.email)
    reader = _panel(new_page, stack, account.email)  # a second window, left open
    _section(writer, "Saved replies")
    _section(reader, "Saved replies")
    expect(reader.locator("#reply-list")).to_contain_text("No saved replies yet.")

    writer.get_by_label("Shortcut").fill("ship")
    writer.get_by_label("Title").fill("Shipping")
    writer.get_by_label("Text", exact=True).fill("We ship worldwide.")
    writer.get_by_label("Shared with the whole team").check()
    writer.get_by_role("button", name="Save reply").click()

    item = reader.locator("#reply-list .reply-item")
    expect(item).to_contain_text("/ship")
    expect(item).to_contain_text("We ship worldwide.")

    writer.once("dialog", lambda dialog: dialog.accept())
    writer.locator("#reply-list .reply-item").get_by_role("button", name="Delete").click()

    expect(reader.locator("#reply-list")).to_contain_text("No saved replies yet.")
