"""Start the real local stack (``python -m infra.local``) in a subprocess for a test session."""

from __future__ import annotations

import collections
import json
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
# What the stack's moto accepts (infra/local/aws.py), and its tables' prefix.
LOCAL_AWS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
}
TABLE_PREFIX = "livechat-local-"
PORTS_USED = 8  # the base port and the next seven: infra/local/ports.py


def _free_base_port() -> int:
    """A base port whose next seven ports are free too (infra/local/ports.py)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + PORTS_USED > 65535:
            continue
        try:
            for offset in range(PORTS_USED):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise RuntimeError(f"no {PORTS_USED} free ports in a row")


class LocalStack:
    def __init__(self, rate_limit_scale: float = 50, settings: dict | None = None):
        # Every browser test comes from 127.0.0.1, so the shared stack raises the
        # per-address limits (infra/rate_limits.py); a test of the limits passes 1.
        self.rate_limit_scale = rate_limit_scale
        # Settings of the app's (chalicelib/config.py) to set in its environment.
        self.settings = dict(settings or {})
        self.process: subprocess.Popen | None = None
        self.info: dict = {}
        self.log: list[str] | collections.deque[str] = []

    def start(self, timeout: float = 60, attempts: int = 3) -> LocalStack:
        """Start on free ports; another process can take a probed port before the stack
        binds it, so a failed start is retried on fresh ports."""
        for attempt in range(attempts):
            try:
                return self._start_once(timeout)
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
                self.log = []
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> LocalStack:
        port = _free_base_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        for name in ("DYNAMODB_ENDPOINT", "COGNITO_ENDPOINT", "TABLE_PREFIX", "USER_POOL_ID"):
            env.pop(name, None)
        env["RATE_LIMIT_SCALE"] = str(self.rate_limit_scale)
        env.update(self.settings)
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "infra.local", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.log.append(line)
            if line.startswith("READY "):
                self.info = json.loads(line[len("READY ") :])
                # Keep reading: a pipe nobody drains fills up (64 KB of request logs), and
                # then every thread that logs (each REST request does) blocks for good.
                threading.Thread(target=self._drain, daemon=True, name="stack-log").start()
                return self
        self.stop()
        raise RuntimeError("local stack did not start:\n" + "".join(self.log))

    def aws(self, service: str):
        """A boto3 client of the stack's moto (what tests read or move behind the app)."""
        import boto3

        return boto3.client(service, endpoint_url=self.info["moto"], **LOCAL_AWS)

    def table(self, name: str):
        """One of the stack's DynamoDB tables (``chats``, ``connections``...)."""
        import boto3

        resource = boto3.resource("dynamodb", endpoint_url=self.info["moto"], **LOCAL_AWS)
        return resource.Table(TABLE_PREFIX + name)

    def confirmation_code(self, email: str, timeout: float = 10) -> str:
        """The code the local mailbox holds for ``email`` (infra/local/mailbox.py)."""
        deadline = time.monotonic() + timeout
        while True:
            with urllib.request.urlopen(self.info["mailbox"] + "mails.json", timeout=10) as r:
                mails = json.load(r)["mails"]  # newest first
            found = [m["code"] for m in mails if m["to"] == email.lower() and "code" in m]
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if not found:
            raise AssertionError(f"no confirmation code was mailed to {email}")
        return found[0]

    def confirm(self, email: str) -> None:
        """Confirm a sign-up made through the API with its mailed code, as a newcomer
        types it (the local stack, like Cognito, waits for it before a login)."""
        body = json.dumps({"email": email, "code": self.confirmation_code(email)}).encode()
        request = urllib.request.Request(
            self.info["api"] + "/auth/confirm",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def _drain(self) -> None:
        """The stack's output after READY, the last lines kept for a failure's report."""
        for line in self.process.stdout:
            self.log.append(line)
            del self.log[:-200]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
