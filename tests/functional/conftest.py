"""A ``platform`` fixture that drives the traffic app the way API Gateway would:
REST through ``chalice.test.Client``, WebSocket events through ``lambda_.invoke``."""

import copy
import itertools
import json
import pathlib
from dataclasses import dataclass

import pytest
from chalice.test import Client

EVENTS = pathlib.Path(__file__).parent.parent / "events"
_counter = itertools.count(1)
# The customer's website: projects signed up here allow it, the widget calls come from it.
SITE_DOMAIN = "shop.example"
SITE_ORIGIN = "https://shop.example"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


@dataclass
class Operator:
    email: str
    token: str
    project_id: str
    user_id: str

    @property
    def auth(self):
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}


@dataclass
class Visitor:
    token: str
    visitor_id: str
    project_id: str

    @property
    def auth(self):
        return {"Authorization": f"Bearer {self.token}"}


class Platform:
    def __init__(self, client: Client, sender):
        self.client = client
        self.sender = sender

    # --- REST -----------------------------------------------------------------
    def post(self, path, body=None, headers=None, raw=None):
        payload = raw if raw is not None else json.dumps(body or {})
        hdrs = {"Content-Type": "application/json", **self._site(path), **(headers or {})}
        return self.client.http.post(path, body=payload, headers=hdrs)

    def get(self, path, headers=None):
        return self.client.http.get(path, headers={**self._site(path), **(headers or {})})

    @staticmethod
    def _site(path: str) -> dict:
        """The widget's calls come from the customer's page, as a browser says."""
        return {"Origin": SITE_ORIGIN} if path.startswith("/widget/") else {}

    def sign_up(self, email=None, project_name="Acme", name="Olga", password="Passw0rd!long"):
        email = email or f"op{next(_counter)}@example.com"
        response = self.post(
            "/auth/signup",
            {
                "email": email,
                "password": password,
                "name": name,
                "project_name": project_name,
                "domain": SITE_DOMAIN,
            },
        )
        assert response.status_code == 201, response.json_body
        login = self.post("/auth/login", {"email": email, "password": password})
        assert login.status_code == 200, login.json_body
        return Operator(
            email=email,
            token=login.json_body["access_token"],
            project_id=response.json_body["project"]["id"],
            user_id=response.json_body["user"]["id"],
        )

    def member(self, owner: "Operator", role: str, name="Teammate") -> "Operator":
        """Invite someone to the owner's project and complete their first sign-in."""
        email = f"member{next(_counter)}@example.com"
        invited = self.post(
            f"/projects/{owner.project_id}/members",
            {"email": email, "name": name, "role": role},
            owner.auth,
        )
        assert invited.status_code == 201, invited.json_body
        first = self.post(
            "/auth/login", {"email": email, "password": invited.json_body["temporary_password"]}
        )
        assert first.json_body["error"]["code"] == "new_password_required"
        tokens = self.post(
            "/auth/new-password",
            {
                "email": email,
                "session": first.json_body["error"]["session"],
                "new_password": "Passw0rd!long",
            },
        ).json_body
        return Operator(
            email=email,
            token=tokens["access_token"],
            project_id=owner.project_id,
            user_id=invited.json_body["member"]["user_id"],
        )

    def visitor(self, project_id, token=None, counted=True) -> Visitor:
        """A visitor's page view; ``counted``: and the widget's first heartbeat, which
        counts a new visitor and renews their token (as a real visitor's page does)."""
        body = {"project_id": project_id, "page_url": "https://shop.example/"}
        if token:
            body["token"] = token
        response = self.post("/widget/session", body)
        assert response.status_code == 200, response.json_body
        data = response.json_body
        visitor = Visitor(data["token"], data["visitor_id"], project_id)
        if counted and not data["counted"]:
            beat = self.post("/widget/heartbeat", {"token": visitor.token})
            assert beat.status_code == 200, beat.json_body
            visitor.token = beat.json_body["token"]
        return visitor

    # --- WebSocket ------------------------------------------------------------
    def connect(self, token, project=None, connection_id=None):
        connection_id = connection_id or f"conn{next(_counter)}="
        event = load_event("ws_connect.json")
        event["requestContext"]["connectionId"] = connection_id
        event["queryStringParameters"] = {"token": token}
        event["headers"] = {**event.get("headers", {}), "Origin": SITE_ORIGIN}
        if project:
            event["queryStringParameters"]["project"] = project
        result = self.client.lambda_.invoke("websocket_connect", event)
        return connection_id, result.payload

    def frame(self, connection_id, body):
        event = load_event("ws_message.json")
        event["requestContext"]["connectionId"] = connection_id
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        return self.client.lambda_.invoke("websocket_message", event).payload

    def disconnect(self, connection_id):
        event = copy.deepcopy(load_event("ws_disconnect.json"))
        event["requestContext"]["connectionId"] = connection_id
        return self.client.lambda_.invoke("websocket_disconnect", event).payload


@pytest.fixture
def platform(aws, sender):
    import app

    with Client(app.app) as client:
        yield Platform(client, sender)


@pytest.fixture
def channels(platform, monkeypatch):
    """The fake Telegram and Facebook on a free port, the app pointed at them
    (channel_helpers.open_channels)."""
    from tests.functional.channel_helpers import open_channels

    yield from open_channels(platform, monkeypatch)


@pytest.fixture
def queue(platform, channels, monkeypatch):
    """The channel sender's queue (moto's SQS), delivered by hand (channel_reply_helpers)."""
    from tests.functional.channel_reply_helpers import ChannelQueue

    channels.fake.auto_echo = False  # echoes are delivered by the tests that want them
    return ChannelQueue(platform, monkeypatch)


@pytest.fixture
def stripe_fake(aws, monkeypatch):
    """Stripe's real SDK against the local fake Stripe (billing_helpers)."""
    from tests.functional.billing_helpers import install_fake_stripe

    return install_fake_stripe(monkeypatch)


@pytest.fixture
def scheduled_app(aws):
    """The clock app (scheduled/app.py) in Chalice's test client: its jobs are invoked as
    the EventBridge rules would."""
    import importlib.util

    root = pathlib.Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("scheduled_app", root / "scheduled" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with Client(module.app, project_dir=str(root / "scheduled")) as client:
        yield client
