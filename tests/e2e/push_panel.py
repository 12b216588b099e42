"""Helpers of tests/e2e/test_panel_push.py: a test device on the fake push service
(infra/local/fake_push.py) standing in for pushManager.subscribe, and what the real
server, the notifier's queue and the fake hold, read from the outside."""

import json

import requests
from boto3.dynamodb.conditions import Key
from playwright.sync_api import expect

from tests.e2e.panel_workflow_helpers import PASSWORD, _section
from tests.e2e.test_panel_pwa import _until

PUSH_KEYS = "Object.keys(localStorage).filter((k) => k.startsWith('lc-panel:push:'))"


def _fake_device(stack, account, label="Panel device"):
    """A test device on the fake push service for the app's VAPID key: what a browser's
    push service hands pushManager.subscribe (the fake keeps its private key)."""
    key = account.get("/push/key")["public_key"]
    made = requests.post(
        f"{stack.info['push']}/devices",
        json={"member": account.email, "label": label, "server_key": key},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    return {**made.json(), "server_key": key}


def _subscribe_stand_in(page, device):
    """pushManager.subscribe answers with ``device``, kept across reloads (sessionStorage)
    as a browser keeps its subscription; it records the applicationServerKey it was given."""
    page.add_init_script(
        """((device) => {
      const KEY = 'test:push-subscription';
      const b64 = (bytes) => btoa(String.fromCharCode(...bytes))
        .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
      const make = (key) => ({
        endpoint: device.endpoint,
        options: { applicationServerKey: key.buffer, userVisibleOnly: true },
        toJSON() { return { endpoint: device.endpoint, keys: device.keys }; },
        unsubscribe() {
          sessionStorage.removeItem(KEY);
          window.__unsubscribed = (window.__unsubscribed || 0) + 1;
          return Promise.resolve(true);
        },
      });
      PushManager.prototype.subscribe = function (o) {
        const key = new Uint8Array(o.applicationServerKey);
        window.__subscribedWith = b64(key);
        sessionStorage.setItem(KEY, JSON.stringify(Array.from(key)));
        return Promise.resolve(make(key));
      };
      PushManager.prototype.getSubscription = function () {
        const kept = sessionStorage.getItem(KEY);
        return Promise.resolve(kept ? make(Uint8Array.from(JSON.parse(kept))) : null);
      };
    })("""
        + json.dumps({"endpoint": device["endpoint"], "keys": device["keys"]})
        + ")"
    )


def _subscribe_in_settings(page):
    page.context.grant_permissions(["notifications"])
    _section(page, "Settings")
    card = page.get_by_role("region", name="Notifications on this device")
    card.get_by_role("button", name="Notify me on this device").click()
    expect(card.get_by_role("status")).to_contain_text("is notified")
    return card


def _listed(stack, email):
    """GET /me/push-subscriptions as the member (a login of its own: the panel's logout
    ends the panel's session, not this one's)."""
    api = stack.info["api"]
    login = {"email": email, "password": PASSWORD}
    token = requests.post(f"{api}/auth/login", json=login, timeout=10).json()["access_token"]
    got = requests.get(
        f"{api}/me/push-subscriptions", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert got.status_code == 200, got.text
    return {s["label"]: s for s in got.json()["subscriptions"]}


def _device_state(stack, device_id):
    state = requests.get(f"{stack.info['push']}/state", timeout=10).json()["devices"]
    return next(d for d in state if d["id"] == device_id)


def _push_for(page, stack, device_id, text):
    """The push the fake received and decrypted for the message ``text``."""
    found = []

    def arrived():
        inbox = _device_state(stack, device_id)["inbox"]
        found[:] = [p for p in inbox if p["payload"].get("body") == text]
        return found

    _until(page, arrived)
    return found[0]


def _queue_drained(stack):
    """The notifier's queue (moto's SQS) holds nothing, not even in flight: every event
    sent so far was handled (the local poller deletes a message after the handler)."""
    sqs = stack.aws("sqs")
    url = sqs.get_queue_url(QueueName="livechat-push")["QueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(counts[name] == "0" for name in names)


def _viewing_records(stack, project_id):
    """viewing_chat_id of the project's team connection records (moto's DynamoDB)."""
    table = stack.table("connections")
    items = table.query(KeyConditionExpression=Key("audience").eq(f"P#{project_id}#team"))
    return [i.get("viewing_chat_id") for i in items["Items"] if i.get("principal_id")]


def _visitor_adds(visitor, text, count):
    visitor.get_by_role("textbox", name="Message", exact=True).fill(text)
    visitor.get_by_role("button", name="Send", exact=True).click()
    expect(visitor.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(count)
