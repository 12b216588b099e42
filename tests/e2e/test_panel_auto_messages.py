"""The panel's "Auto messages" section in real Chromium against the local stack: the rule
editor built from the catalogue, buttons, the preview, saving, editing, the server's
errors shown with their paths, and the section hidden from operators.

Each test signs up an account of its own, so tests share nothing but the stack.
"""

import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import PASSWORD, Account, _panel, _section

pytestmark = pytest.mark.browser


def _auto_messages(account):
    return account.get(f"/projects/{account.project_id}/auto-messages")["auto_messages"]


def _open_new_editor(panel):
    _section(panel, "Auto messages")
    expect(panel.locator("#auto-body")).to_contain_text("No auto messages yet.")
    panel.get_by_role("button", name="New auto message").click()
    form = panel.locator("#auto-form")
    expect(form).to_be_visible()
    return form


def _add_condition(form, field_label, op_label, value=None):
    form.get_by_role("button", name="Add condition", exact=True).click()
    row = form.locator("#auto-rules-all .rule-row").last
    row.get_by_label("Field").select_option(label=field_label)
    row.get_by_label("Operator").select_option(label=op_label)
    if value is not None:
        row.get_by_label("Value").fill(value)
    return row


def test_a_lead_creates_previews_saves_and_disables_an_auto_message(stack, new_page):
    account = Account(stack, "Pricing shop")
    panel = _panel(new_page, stack, account.email)

    # Given the editor of a new auto message
    form = _open_new_editor(panel)
    form.get_by_label("Name").fill("Pricing help")
    form.get_by_label("Type").select_option("proactive")
    form.get_by_label("Message text").fill("Questions about our <b>plans</b>?")

    # When the lead adds two rules and a button
    _add_condition(form, "Current page URL", "contains", "pricing")
    timer = _add_condition(form, "Time on page", "greater than", "10")
    expect(timer.get_by_label("Value")).to_be_visible()
    presence = _add_condition(form, "Chat history", "none")
    expect(presence.get_by_label("Value")).to_be_hidden()  # exists/none take no value
    presence.get_by_role("button", name="Remove condition").click()
    form.get_by_role("button", name="Add button").click()
    button_row = form.locator("#auto-buttons .button-row").last
    button_row.get_by_label("Button label").fill("See plans")
    button_row.get_by_label("Button URL").fill("https://shop.example/plans")

    # Then the preview shows the bubble as the widget would, markup as plain text
    preview = panel.locator("#auto-preview")
    expect(preview.locator(".preview-text")).to_have_text("Questions about our <b>plans</b>?")
    expect(preview.locator("b")).to_have_count(0)
    expect(preview.locator(".preview-button")).to_have_text("See plans ↗")

    # When it is saved
    form.get_by_role("button", name="Save auto message").click()

    # Then the list shows it with no figures yet, and the API has it as built
    row = panel.locator("#auto-body tr[data-auto-id]")
    expect(row).to_have_count(1)
    expect(row.locator(".auto-name")).to_have_text("Pricing help")
    expect(row.locator(".auto-type")).to_have_text("Proactive chat")
    expect(row.locator(".auto-sent")).to_have_text("0")
    expect(row.locator(".auto-opened")).to_have_text("0")
    expect(row.locator(".auto-replied")).to_have_text("0")
    expect(row.get_by_role("checkbox")).to_be_checked()
    [stored] = _auto_messages(account)
    assert stored["rules"] == {
        "all": [
            {"field": "page_url", "op": "contains", "value": "pricing"},
            {"field": "time_on_page", "op": "greater", "value": 10},
        ],
        "any_groups": [],
    }
    assert stored["content"]["buttons"] == [
        {"label": "See plans", "action": "link", "url": "https://shop.example/plans"}
    ]
    assert stored["enabled"] is True

    # When the lead edits it to disabled
    row.get_by_role("button", name="Edit Pricing help").click()
    expect(form.get_by_label("Name")).to_have_value("Pricing help")
    expect(form.locator("#auto-rules-all .rule-row")).to_have_count(2)
    form.get_by_label("Enabled").uncheck()
    form.get_by_role("button", name="Save changes").click()

    # Then the list and the API say it is off, everything else as it was
    expect(form).to_be_hidden()
    expect(row.get_by_role("checkbox")).not_to_be_checked()
    [edited] = _auto_messages(account)
    assert edited["enabled"] is False
    assert edited["rules"] == stored["rules"] and edited["content"] == stored["content"]

    # The list's toggle switches it back on
    row.get_by_role("checkbox", name="Enabled: Pricing help").check()
    expect(row.get_by_role("checkbox")).to_be_enabled()  # disabled while the PATCH runs
    assert _auto_messages(account)[0]["enabled"] is True

    # Delete asks first: declined, nothing happens; accepted, it is gone
    panel.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Delete Pricing help").click()
    expect(row).to_have_count(1)
    assert len(_auto_messages(account)) == 1
    panel.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete Pricing help").click()
    expect(panel.locator("#auto-body")).to_contain_text("No auto messages yet.")
    assert _auto_messages(account) == []


def test_a_group_of_conditions_is_saved_as_any_groups(stack, new_page):
    account = Account(stack, "Grouped shop")
    panel = _panel(new_page, stack, account.email)
    form = _open_new_editor(panel)
    form.get_by_label("Name").fill("Ads visitors")
    form.get_by_label("Message text").fill("Welcome from our ad!")

    form.get_by_role("button", name="Add group").click()
    group = form.get_by_role("group", name="Group 1")
    group.get_by_label("Field").select_option(label="UTM medium")
    group.get_by_label("Value").fill("cpc")
    form.get_by_role("button", name="Save auto message").click()

    expect(panel.locator("#auto-body tr[data-auto-id]")).to_have_count(1)
    [stored] = _auto_messages(account)
    assert stored["rules"] == {
        "all": [],
        "any_groups": [[{"field": "utm_medium", "op": "equals", "value": "cpc"}]],
    }


@pytest.mark.parametrize(
    "field, op, value, path, message",
    [
        ("Time on page", "greater than", "abc", "rules.all[0].value", "must be a whole number"),
        ("Current page URL", "contains", "*pricing*", "rules.all[0].value", "patterns are not"),
    ],
    ids=["text for seconds", "a pattern"],
)
def test_a_bad_rule_shows_the_servers_error_with_its_path_and_saves_nothing(
    stack, new_page, field, op, value, path, message
):
    account = Account(stack, "Strict shop")
    panel = _panel(new_page, stack, account.email)
    form = _open_new_editor(panel)
    form.get_by_label("Name").fill("Broken")
    form.get_by_label("Message text").fill("Hello")
    row = _add_condition(form, field, op, value)

    form.get_by_role("button", name="Save auto message").click()

    errors = panel.locator("#auto-errors")
    expect(errors).to_be_visible()
    listed = errors.locator(f'li[data-error-path="{path}"]')
    expect(listed).to_contain_text("Condition 1")  # what the lead calls it, not the path
    expect(listed).to_contain_text(message, ignore_case=True)  # in sentence case
    expect(row.locator(".row-error")).to_contain_text(message, ignore_case=True)  # beside it
    expect(row.get_by_label("Value")).to_have_attribute("aria-invalid", "true")
    assert _auto_messages(account) == []
    expect(panel.locator("#auto-body")).to_contain_text("No auto messages yet.")


def test_an_operator_does_not_see_the_section(stack, new_page):
    account = Account(stack, "Team shop")
    email = f"op-{uuid.uuid4().hex[:8]}@example.com"
    invited = account.post(
        f"/projects/{account.project_id}/members",
        {"email": email, "name": "Otto", "role": "operator"},
    )
    assert invited.status_code == 201, invited.text
    api = stack.info["api"]
    first = requests.post(
        f"{api}/auth/login",
        json={"email": email, "password": invited.json()["temporary_password"]},
        timeout=10,
    ).json()
    changed = requests.post(
        f"{api}/auth/new-password",
        json={"email": email, "session": first["error"]["session"], "new_password": PASSWORD},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text

    operator = _panel(new_page, stack, email)
    nav = operator.get_by_role("navigation", name="Sections")
    expect(nav.get_by_role("button", name="Team", exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Auto messages")).to_be_hidden()
    # Nor by address: the section falls back to the inbox once the role is known
    operator.goto(f"{stack.info['panel']}#/{account.project_id}/auto")
    operator.reload()
    expect(operator.locator("body")).to_have_attribute("data-state", "ready")
    expect(operator.locator("body")).to_have_attribute("data-view", "inbox")
    expect(operator.locator("#view-auto")).to_be_hidden()

    # While the administrator does see it
    admin = _panel(new_page, stack, account.email)
    expect(
        admin.get_by_role("navigation", name="Sections").get_by_role("button", name="Auto messages")
    ).to_be_visible()


def test_a_lead_attaches_files_and_the_visitor_gets_them_from_the_cdn(stack, new_page):
    account = Account(stack, "Catalogue shop")
    panel = _panel(new_page, stack, account.email)
    form = _open_new_editor(panel)
    form.get_by_label("Name").fill("Catalogue")
    form.get_by_label("Message text").fill("Our new catalogue is out.")
    pdf = b"%PDF-1.7 the catalogue " + uuid.uuid4().hex.encode()

    # When the lead attaches a PDF and, by mistake, a web page
    panel.locator("#auto-attach-input").set_input_files(
        [
            {"name": "catalogue 2027.pdf", "mimeType": "application/pdf", "buffer": pdf},
            {"name": "page.html", "mimeType": "text/html", "buffer": b"<script>x</script>"},
        ]
    )

    # Then the PDF uploads straight to S3, the page is refused with the server's reason
    rows = form.locator("#auto-attachments .attachment-row")
    expect(rows.nth(0)).to_have_attribute("data-state", "done")
    expect(rows.nth(1)).to_have_attribute("data-state", "failed")
    expect(rows.nth(1)).to_contain_text("cannot be attached")
    expect(panel.locator("#auto-preview .preview-file")).to_have_text(["↓ catalogue 2027.pdf"])
    rows.nth(1).get_by_role("button", name="Remove attachment page.html").click()
    form.get_by_role("button", name="Save auto message").click()
    expect(panel.locator("#auto-body tr[data-auto-id]")).to_have_count(1)

    # And the message holds the published file, served by the CDN as a download
    [message] = _auto_messages(account)
    [attachment] = message["content"]["attachments"]
    assert attachment["name"] == "catalogue 2027.pdf" and attachment["size"] == len(pdf)
    assert attachment["url"].startswith(
        f"{stack.info['panel'].rsplit('/panel/', 1)[0]}/attachments/"
    )
    served = requests.get(attachment["url"], timeout=10)
    assert served.status_code == 200 and served.content == pdf
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    # And a visitor sees it as a link on the message
    site = new_page()
    site.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    link = site.locator("#lc-root .lc-teaser a.lc-file")
    expect(link).to_have_text("↓ catalogue 2027.pdf", timeout=15_000)
    assert link.get_attribute("href") == attachment["url"]
    assert link.get_attribute("rel") == "noopener"


def test_a_full_plan_is_said_before_the_form_is_filled(stack, new_page):
    account = Account(stack, "Small plan shop")
    for n in range(2):  # Free allows two
        account.post(
            f"/projects/{account.project_id}/auto-messages",
            {"name": f"Message {n}", "type": "proactive", "content": {"text": "Hi"}},
        )
    panel = _panel(new_page, stack, account.email)
    _section(panel, "Auto messages")
    expect(panel.locator("#auto-body tr[data-auto-id]")).to_have_count(2)

    panel.get_by_role("button", name="New auto message").click()

    note = panel.locator("#auto-plan-limit")
    expect(note).to_contain_text("Your plan allows 2 auto messages")
    expect(panel.locator("#auto-form")).to_be_hidden()
    note.get_by_role("button", name="choose a larger plan").click()
    expect(panel.locator("#view-billing")).to_be_visible()


def test_the_auto_message_a_visitor_answers_shows_its_picture_in_the_panel(stack, new_page):
    """Issue 15 reported the auto message's picture missing from the panel's copy of the
    dialogue: the stored first message, the REST answer and the panel's drawing (live and
    after a reload) are checked here. No internet: the <img> and its src are what count."""
    account = Account(stack, "Picture shop")
    picture = "https://shop.example/wave.gif"
    created = account.post(
        f"/projects/{account.project_id}/auto-messages",
        {
            "name": "Wave",
            "type": "proactive",
            "once_per_user": False,
            "content": {"text": "Hello there!", "image_url": picture},
        },
    )
    assert created.status_code == 201, created.text
    panel = _panel(new_page, stack, account.email)  # open before the dialogue exists: live

    site = new_page()
    site.goto(f"{stack.info['demo_site']}/?project={account.project_id}")
    expect(site.get_by_role("dialog", name=re.compile("Message from"))).to_be_visible(
        timeout=15_000
    )
    site.get_by_role("button", name="Open chat").click()
    site.get_by_role("textbox", name="Message", exact=True).fill("Nice picture, a question")
    site.get_by_role("button", name="Send", exact=True).click()
    expect(site.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1)

    chats = account.get(f"/projects/{account.project_id}/chats")["chats"]
    stored = account.get(f"/projects/{account.project_id}/chats/{chats[0]['id']}/messages")
    first = stored["messages"][0]
    assert (first["text"], first.get("image_url")) == ("Hello there!", picture), stored

    def shows_the_picture():
        panel.get_by_role("button", name=re.compile("Nice picture")).click()
        auto = panel.locator("#messages .msg[data-id]").first
        expect(auto).to_contain_text("Hello there!")
        expect(auto).to_contain_text("auto message")
        expect(auto.locator("img.msg-image")).to_have_attribute("src", picture)

    shows_the_picture()  # live: the dialogue arrived while the panel was open
    panel.reload()
    expect(panel.locator("body")).to_have_attribute("data-ws", "connected")
    shows_the_picture()  # a fresh load
