"""`make dev` stops on SIGTERM as on Ctrl+C: every server of the local stack closes, its
ports are free again, and the exit is clean (code 0), even with a browser's socket open
(which used to keep it up: aiohttp waited for the open WebSocket handler)."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import aiohttp
import pytest
import requests

from tests.stack import ROOT, LocalStack, _free_base_port


def _ports(info: dict) -> list[int]:
    addresses = ("api", "websocket", "panel", "demo_site", "moto", "stripe_test_mode")
    return [urlsplit(info[name]).port for name in addresses]


def _free(port: int) -> bool:
    """Nobody listens there (a server could bind it; our own finished connections may
    still sit in TIME_WAIT, which SO_REUSEADDR allows, as every server here sets it)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _stop_with_a_socket_open(stack: LocalStack, signum: int) -> float:
    # From the demo site, the demo project's allowed origin (services/origins.py).
    site = {"Origin": stack.info["demo_site"]}
    token = requests.post(
        stack.info["api"] + "/widget/session",
        json={"project_id": stack.info["project_id"]},
        headers=site,
        timeout=10,
    ).json()["token"]
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{stack.info['websocket']}/?token={token}", headers=site)
        started = time.monotonic()
        if signum == signal.SIGTERM:
            await asyncio.to_thread(stack.stop)  # tests/stack.py's own way: terminate()
        else:
            stack.process.send_signal(signum)
            await asyncio.to_thread(stack.process.wait, 15)
        elapsed = time.monotonic() - started
        assert ws.closed or (await ws.receive(timeout=5)).type.name in ("CLOSE", "CLOSED")
    return elapsed


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_local_stack_stops_cleanly_on_a_signal(signum):
    stack = LocalStack().start()
    ports = _ports(stack.info)
    try:
        elapsed = asyncio.run(_stop_with_a_socket_open(stack, signum))

        assert stack.process.returncode == 0, "".join(stack.log[-30:])
        assert elapsed < 10  # (about 2 s here; stop() would kill it after 10)
        assert "Live chat stopped." in "".join(stack.log)
        assert all(_free(port) for port in ports), ports
    finally:
        if stack.process.poll() is None:
            stack.process.kill()


def test_a_signal_while_the_stack_is_starting_stops_it_too():
    base = _free_base_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "infra.local", "--port", str(base)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # moto listening: the stack is past its imports, still seeding (not READY).
        deadline = time.monotonic() + 30
        while _free(base + 4) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)

        assert process.returncode == 0, output
        assert "READY" not in output and "Live chat stopped." in output
        assert all(_free(base + offset) for offset in range(6))
    finally:
        if process.poll() is None:
            process.kill()
