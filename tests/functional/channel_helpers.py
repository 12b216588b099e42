"""The fake Telegram and Facebook (infra/local/fake_messengers.py) for in-process tests:
the app calls the fake over HTTP on a free port, and the fake's webhook deliveries reach
the app through the Chalice test client (the same bytes and headers as over HTTP)."""

import json
from dataclasses import dataclass

from chalicelib.config import get_settings
from chalicelib.services import channel_secrets
from infra.local.fake_messengers import FakeMessengers
from infra.local.fake_messengers_server import serve

PUBLIC_API = "http://api.test"


@dataclass
class Channels:
    fake: FakeMessengers
    platform: object

    def connect_telegram(self, owner, username="acme_bot"):
        bot = self.fake.create_bot(username)
        response = self.platform.post(
            f"/projects/{owner.project_id}/channels/telegram", {"token": bot.token}, owner.auth
        )
        assert response.status_code == 201, response.json_body
        return bot, response.json_body["channel"]

    def connect_messenger(self, owner, name="Acme Page"):
        page = self.fake.create_page(name)
        response = self.platform.post(
            f"/projects/{owner.project_id}/channels/messenger",
            {"page_id": page.id, "page_token": page.page_token, "app_secret": page.app_secret},
            owner.auth,
        )
        assert response.status_code == 201, response.json_body
        channel = response.json_body["channel"]
        error = self.fake.set_app_webhook(page.id, channel["webhook_url"], channel["verify_token"])
        assert error is None, error
        return page, channel

    def chats(self, owner, query=""):
        response = self.platform.get(f"/projects/{owner.project_id}/chats{query}", owner.auth)
        assert response.status_code == 200, response.json_body
        return response.json_body["chats"]

    def messages(self, owner, chat_id):
        response = self.platform.get(
            f"/projects/{owner.project_id}/chats/{chat_id}/messages", owner.auth
        )
        assert response.status_code == 200, response.json_body
        return response.json_body["messages"]


def open_channels(platform, monkeypatch):
    """The body of each test module's ``channels`` fixture (``yield from`` it)."""
    fake = FakeMessengers("http://127.0.0.1:0")
    server = serve(fake, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    fake.base_url = base
    monkeypatch.setenv("TELEGRAM_API_BASE", base)
    monkeypatch.setenv("GRAPH_API_BASE", f"{base}/v21.0")
    monkeypatch.setenv("PUBLIC_API_URL", PUBLIC_API)
    get_settings.cache_clear()
    channel_secrets.reset()

    def transport(method, url, body, headers):
        if not url.startswith(PUBLIC_API):  # the fake's own files, say
            from infra.local.fake_messengers import http_transport

            return http_transport(method, url, body, headers)
        path = url[len(PUBLIC_API) :]
        http = platform.client.http
        if method == "GET":
            response = http.get(path, headers=headers)
        else:
            response = http.post(path, body=body, headers=headers)
        answer = response.body
        return response.status_code, answer if isinstance(answer, bytes) else answer.encode()

    fake.transport = transport
    yield Channels(fake, platform)
    server.shutdown()
    server.server_close()
    channel_secrets.reset()
    get_settings.cache_clear()


def body_of(response) -> dict:
    return json.loads(response.body) if isinstance(response.body, (bytes, str)) else response.body


def telegram_update(update_id, user_id=9001, text="hello", name="Ada"):
    """A Telegram Update of a private text message, as the Bot API delivers it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {"id": user_id, "is_bot": False, "first_name": name},
            "chat": {"id": user_id, "first_name": name, "type": "private"},
            "date": 1796418102,
            "text": text,
        },
    }
