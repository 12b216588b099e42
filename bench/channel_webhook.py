"""How fast the Telegram webhook answers on the local stack (moto, Chalice's local
server): a bot is connected through the fake Telegram, then a known customer's updates
are posted to the webhook as Telegram posts them (JSON Update, secret header), one after
another. Telegram and Facebook wait seconds for an answer; ours must be far inside that.
(DynamoDB requests per message: tests/functional/test_channel_inbound.py.)"""

import json
import os
import statistics
import sys
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import boto3  # noqa: E402

from tests.stack import LocalStack  # noqa: E402

MESSAGES = 40


def _post(url, body, headers=None):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def main() -> None:
    stack = LocalStack().start()
    try:
        api, fake = stack.info["api"], stack.info["messengers"]
        email = f"bench-{uuid.uuid4().hex[:6]}@example.com"
        signup = {"email": email, "password": "bench-pass-2026", "name": "Bench",
                  "project_name": "Bench", "domain": "bench.example"}  # fmt: skip
        project = _post(f"{api}/auth/signup", signup)["project"]["id"]
        stack.confirm(email)
        token = _post(f"{api}/auth/login", {"email": email, "password": "bench-pass-2026"})
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        bot = _post(f"{fake}/ui/bots", {"username": "bench_bot"})
        channel = _post(
            f"{api}/projects/{project}/channels/telegram", {"token": bot["token"]}, auth
        )
        channel_id = channel["channel"]["id"]
        secrets = boto3.client(
            "secretsmanager", region_name="us-east-1", endpoint_url=stack.info["moto"],
            aws_access_key_id="local", aws_secret_access_key="local",
        )  # fmt: skip
        name = f"livechat-local-channels/{channel_id}"
        secret = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret["secret_token"]}
        url = f"{api}/channels/telegram/{channel_id}"
        times = []
        for n in range(MESSAGES + 1):
            update = {"update_id": 900 + n, "message": {
                "message_id": n, "date": int(time.time()), "text": f"message {n}",
                "from": {"id": 42, "is_bot": False, "first_name": "Ada"},
                "chat": {"id": 42, "type": "private", "first_name": "Ada"}}}  # fmt: skip
            started = time.perf_counter()
            answer = _post(url, update, headers)
            times.append((time.perf_counter() - started) * 1000)
            assert answer["stored"] == 1, answer
        first, known = times[0], sorted(times[1:])
        p95 = known[int(len(known) * 0.95) - 1]
        print("Telegram webhook answer time (local stack, moto, this machine):")
        print(f"  first message (opens the chat):   {first:.0f} ms")
        print(f"  known customer, median of {MESSAGES}:    {statistics.median(known):.0f} ms")
        print(f"  known customer, p95:              {p95:.0f} ms")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
