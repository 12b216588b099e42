"""An account signed up through the API, the panel logged in, a visitor writing: shared by
the panel workflow browser tests."""

import re
import uuid
from urllib.parse import urlsplit

import requests
from playwright.sync_api import expect

PASSWORD = "workflow-pass-2026"


class Account:
    """An administrator with one project, signed up through the API."""

    def __init__(self, stack, project_name="Shop"):
        self.api = stack.info["api"]
        self.email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
        self.name = "Alma Admin"
        signed_up = requests.post(
            f"{self.api}/auth/signup",
            json={
                "email": self.email,
                "password": PASSWORD,
                "name": self.name,
                "project_name": project_name,
                # The demo website runs this project's widget (allowed domains).
                "domain": urlsplit(stack.info["demo_site"]).netloc,
            },
            timeout=10,
        )
        assert signed_up.status_code == 201, signed_up.text
        stack.confirm(self.email)
        self.project_id = signed_up.json()["project"]["id"]
        self.project_name = project_name
        login = {"email": self.email, "password": PASSWORD}
        token = requests.post(f"{self.api}/auth/login", json=login, timeout=10).json()
        self.auth = {"Authorization": f"Bearer {token['access_token']}"}

    def get(self, path):
        response = requests.get(f"{self.api}{path}", headers=self.auth, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path, body):
        return requests.post(f"{self.api}{path}", json=body, headers=self.auth, timeout=10)


def _panel(new_page, stack, email, password=PASSWORD):
    page = new_page(viewport={"width": 1400, "height": 900})
    page.goto(stack.info["panel"])
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-ws", "connected")
    return page


def _visitor_writes(new_page, stack, project_id, text):
    page = new_page()
    page.goto(f"{stack.info['demo_site']}/?project={project_id}")
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    page.get_by_role("textbox", name="Message", exact=True).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    # Stored means acknowledged over the socket (the widget's first connect included): up to
    # 15 s, as a loaded 2-core CI machine needed more than the default 5 once.
    expect(page.locator("#lc-root .lc-msg.lc-visitor[data-id]")).to_have_count(1, timeout=15_000)
    return page


def _section(page, name):
    page.get_by_role("navigation", name="Sections").get_by_role(
        "button", name=name, exact=True
    ).click()


def _open_chat(page, text):
    page.get_by_role("button", name=re.compile(re.escape(text))).click()
    return page.get_by_role("group", name="Dialogue actions")
