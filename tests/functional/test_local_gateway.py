"""The local stand-in for AWS, over real sockets: REST, the WebSocket front, and the
``@connections`` management API (including 410 for a gone connection)."""

import asyncio
import concurrent.futures
import json

import aiohttp
import boto3
import pytest
import requests

from tests.stack import LocalStack


@pytest.fixture(scope="module")
def stack():
    running = LocalStack().start()
    yield running
    running.stop()


def _session(stack):
    response = requests.post(
        stack.info["api"] + "/widget/session",
        json={"project_id": stack.info["project_id"]},
        headers={"Origin": stack.info["demo_site"]},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.json()


def _operator_token(stack):
    login = requests.post(stack.info["api"] + "/auth/login", json=stack.info["login"], timeout=10)
    assert login.status_code == 200
    return login.json()["access_token"]


def run_async(coroutine):
    """``asyncio.run`` on a thread of its own: Playwright's sync API (browser tests in
    the same session) keeps an event loop running on the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _next_frame(ws, timeout=5):
    message = await asyncio.wait_for(ws.receive(), timeout)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)


def test_visitor_and_operator_exchange_messages_over_real_sockets(stack):
    session = _session(stack)
    operator_token = _operator_token(stack)
    project = stack.info["project_id"]

    async def scenario():
        async with aiohttp.ClientSession() as http:
            operator = await http.ws_connect(
                f"{stack.info['websocket']}/?token={operator_token}&project={project}"
            )
            visitor = await http.ws_connect(
                f"{session['ws_url']}/?token={session['token']}", origin=stack.info["demo_site"]
            )
            await visitor.send_json(
                {
                    "action": "send",
                    "token": session["token"],
                    "client_id": "gw-test-01",
                    "text": "<b>hello</b>",
                }
            )
            ack = await _next_frame(visitor)
            seen = await _next_frame(operator)
            await operator.close()
            await visitor.close()
            return ack, seen

    ack, seen = run_async(scenario())
    assert ack["type"] == "ack" and ack["message"]["text"] == "<b>hello</b>"
    assert seen["type"] == "message" and seen["message"]["id"] == ack["message"]["id"]


def test_a_bad_token_is_refused_at_the_handshake(stack):
    async def scenario():
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"{stack.info['websocket']}/?token=forged.token.here")
            return refused.value.status

    assert run_async(scenario()) == 401


def test_management_api_answers_410_for_a_gone_connection(stack):
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.info["websocket"].replace("ws://", "http://"),
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="Z29uZS1pZA==", Data=b"{}")


def test_malformed_frames_get_error_frames_and_keep_the_socket(stack):
    session = _session(stack)

    async def scenario():
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(
                f"{session['ws_url']}/?token={session['token']}", origin=stack.info["demo_site"]
            )
            await ws.send_str("not json")
            first = await _next_frame(ws)
            await ws.send_json({"action": "dance", "token": session["token"]})
            second = await _next_frame(ws)
            await ws.send_json({"action": "ping"})
            third = await _next_frame(ws)
            await ws.close()
            return first, second, third

    first, second, third = run_async(scenario())
    assert first == {"type": "error", "code": "bad_request", "message": "Frames must be JSON"}
    assert second["code"] == "bad_request" and "Unknown action" in second["message"]
    assert third == {"type": "pong"}
