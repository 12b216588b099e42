"""Web Push on the real local stack: the fake push service's page makes a test device
for the demo member (logging in through the API, PUTting the subscription), a visitor
writes over the WebSocket, and the push arrives at the fake, which verified the VAPID
signature and decrypted the payload: shown on its page; marked gone, the device's
subscription is removed."""

import contextlib
import time

from tests.push_stack import call, inbox, subscribe_test_device, visitor_writes


def test_a_visitor_message_arrives_checked_and_decrypted_one_per_chat(stack):
    info = stack.info
    token, device = subscribe_test_device(info, "E2E device")
    [(first_delay, first), (_, second)] = visitor_writes(
        info, ["Do you ship to Norway?", "Or to Iceland?"], device["id"]
    )
    payload = first["payload"]
    assert payload["title"] == "Acme Outdoor · " + payload["title"].split(" · ", 1)[1]
    assert payload["kind"] == "new_chat"
    assert payload["url"].startswith(info["panel"]) and "/inbox/" in payload["url"]
    assert (first["ttl"], first["urgency"]) == (3600, "high")
    assert first["topic"] == second["topic"] and len(first["topic"]) <= 32
    assert 0 <= first_delay < 5
    # One pending notification per chat: the second replaced the first (same Topic).
    pending = inbox(info, device["id"])
    assert [p["payload"]["body"] for p in pending] == ["Or to Iceland?"]
    assert pending[0]["replaced"] == 1

    # Gone (the browser unsubscribed): the next push's 410 removes the subscription.
    call("POST", f"{info['push']}/devices/{device['id']}/answer", {"status": 410})
    with contextlib.suppress(AssertionError):  # a gone device keeps no push
        visitor_writes(info, ["Hello?"], device["id"], timeout=1.5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        listed = call("GET", f"{info['api']}/me/push-subscriptions", token=token)
        if all(s["label"] != "E2E device" for s in listed["subscriptions"]):
            break
        time.sleep(0.1)
    assert all(s["label"] != "E2E device" for s in listed["subscriptions"])


def test_a_newcomer_makes_a_test_device_on_the_page_and_sees_the_push(stack, new_page):
    info = stack.info
    page = new_page()
    page.goto(info["push"])
    assert page.locator("#email").input_value() == info["login"]["email"]  # prefilled
    page.fill("#label", "Page device")
    page.click("text=Log in and subscribe")
    page.wait_for_selector("#said:has-text('Subscribed')")
    device_id = page.locator("#said").inner_text().split()[1]
    visitor_writes(info, ["Hello from the page test"], device_id)
    box = page.locator(".device", has_text="Page device")
    box.locator(".push", has_text="Hello from the page test").wait_for()
    assert "Urgency high" in box.inner_text()
    box.locator("text=Mark gone (410)").click()
    box.locator(".meta", has_text="answers 410").wait_for()
