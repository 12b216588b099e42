"""Web Push through the running local stack (tests/stack.py), as a newcomer would try it
on the fake push service's page: log in, make a test device, PUT its subscription; then
a visitor writes over the real WebSocket, and the fake push service (which checked the
VAPID JWT, decrypted the body, read TTL, Urgency and Topic) says what it received.

Used by tests/e2e/test_push_local_stack.py and bench/push_latency.py."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
import urllib.request
from datetime import datetime

import aiohttp


def call(method: str, url: str, body=None, token=None, origin=None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else {}


def subscribe_test_device(info: dict, label: str = "Bench device") -> tuple[str, dict]:
    """The page's steps: log in through the API, make a device with the app's key,
    PUT its subscription. Returns (operator token, device)."""
    api, push = info["api"], info["push"]
    login = call("POST", f"{api}/auth/login", info["login"])
    token = login["access_token"]
    key = call("GET", f"{api}/push/key", token=token)["public_key"]
    device = call("POST", f"{push}/devices", {"member": info["login"]["email"],
                  "label": label, "server_key": key})  # fmt: skip
    call("PUT", f"{api}/me/push-subscriptions", {"endpoint": device["endpoint"],
         "keys": device["keys"], "label": label, "prefs": {"when_offline": True}}, token)  # fmt: skip
    return token, device


def inbox(info: dict, device_id: str) -> list[dict]:
    state = call("GET", f"{info['push']}/state")["devices"]
    return next(d for d in state if d["id"] == device_id)["inbox"]


def _parse(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


async def _visitor_writes(info: dict, texts: list[str], device_id: str, timeout: float):
    """One visitor sends each text in turn and waits for its push; returns, per message,
    (seconds from stored to the push request received, the push as the fake kept it)."""
    site = info["demo_site"]
    session = call("POST", f"{info['api']}/widget/session",
                   {"project_id": info["project_id"], "page_url": f"{site}/"}, origin=site)  # fmt: skip
    token = session["token"]
    if not session.get("counted"):
        token = call("POST", f"{info['api']}/widget/heartbeat", {"token": token},
                     origin=site).get("token", token)  # fmt: skip
    results = []
    async with aiohttp.ClientSession() as http:
        url = f"{info['websocket']}/?token={token}"
        async with http.ws_connect(url, headers={"Origin": site}) as socket:
            chat_id = None
            for n, text in enumerate(texts):
                frame = {"action": "send", "token": token, "text": text,
                         "client_id": f"push-bench-{n:04d}-{int(time.time())}"}  # fmt: skip
                if chat_id:
                    frame["chat_id"] = chat_id
                await socket.send_str(json.dumps(frame))
                while True:
                    answer = json.loads((await socket.receive(timeout=10)).data)
                    if answer.get("type") == "ack":
                        break
                stored = _parse(answer["message"]["created_at"])
                chat_id = answer["message"]["chat_id"]
                deadline = time.monotonic() + timeout
                push = None
                while push is None and time.monotonic() < deadline:
                    found = [p for p in inbox(info, device_id) if p["payload"].get("body") == text]
                    push = found[0] if found else None
                    if push is None:
                        await asyncio.sleep(0.01)
                if push is None:
                    raise AssertionError(f"no push for {text!r} within {timeout} s")
                results.append((push["received_at"] - stored, push))
    return results


def visitor_writes(info: dict, texts: list[str], device_id: str, timeout: float = 10):
    # In a thread of its own: a caller may be inside an event loop (Playwright's).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _visitor_writes(info, texts, device_id, timeout)).result()
