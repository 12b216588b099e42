"""The fake Facebook Graph API (mixed into ``fake_messengers.FakeMessengers``, whose state it
uses: pages, files, transport, lock): ``<base>/<version>/...``, errors as ``{"error":
{"message", "type", "code"}}``, ``appsecret_proof`` checked when sent, a dead Page token
refused with code 190 and the subcode saying why, and the app dashboard's webhook
verification."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import urllib.parse
from typing import TYPE_CHECKING

from infra.local.fake_messenger_customers import tiny_png

if TYPE_CHECKING:
    from infra.local.fake_messengers import Page

GRAPH_VERSION = "v21.0"

# Graph's messages for a dead token, by code 190's subcode (as Graph words them).
_DEAD_TOKEN_MESSAGES = {
    458: "Error validating access token: The user has not authorized application.",
    460: "Error validating access token: The session has been invalidated because the user"
    " changed their password or Facebook has changed the session for security reasons.",
    463: "Error validating access token: Session has expired.",
    467: "Error validating access token: The access token is invalid.",
}


class GraphApi:
    def profile_picture(self, page: Page, psid: str) -> str:
        """The Graph profile's ``profile_pic``: a CDN URL of the customer's picture (the
        real one expires; so does nothing here, but the app copies it all the same)."""
        path = f"fb-cdn/profile_{psid}.png"
        if path not in self.files:
            self.files[path] = ("image/png", tiny_png((60, int(psid[-2:]) % 256, 90)))
        return f"{self.base_url}/{path}?oh=00_signed"

    @staticmethod
    def _graph_error(message: str, code: int, kind="OAuthException", status=400, subcode=None):
        trace = secrets.token_urlsafe(8)
        error = {"message": message, "type": kind, "code": code, "fbtrace_id": trace}
        if subcode is not None:
            error["error_subcode"] = subcode
        return status, {"error": error}

    def _page_of_token(self, token: str) -> Page | None:
        return next((p for p in self.pages.values() if p.page_token == token), None)

    def graph(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        with self.lock:
            parts = [p for p in path.split("/") if p]
            if not parts or parts[0] != GRAPH_VERSION:
                return self._graph_error("Unknown path components", 2500, "OAuthException")
            parts = parts[1:]
            page = self._page_of_token(params.get("access_token", ""))
            if page is None:
                return self._graph_error(
                    "Invalid OAuth access token - Cannot parse access token", 190
                )
            if page.revoked:
                return self._graph_error(
                    _DEAD_TOKEN_MESSAGES.get(page.revoked_subcode, _DEAD_TOKEN_MESSAGES[467]),
                    190,
                    status=400,
                    subcode=page.revoked_subcode,
                )
            proof = params.get("appsecret_proof")
            if proof is not None:
                wanted = hmac.new(
                    page.app_secret.encode(), page.page_token.encode(), hashlib.sha256
                ).hexdigest()
                if not hmac.compare_digest(str(proof), wanted):
                    return self._graph_error(
                        "Invalid appsecret_proof provided in the API argument",
                        100,
                        "GraphMethodException",
                    )
            if method == "POST" and parts == ["me", "messages"]:
                return self.graph_send(page, params)
            if method == "GET" and parts == ["me"]:
                return 200, {"id": page.id, "name": page.name}
            if len(parts) == 2 and parts[1] == "subscribed_apps":
                if parts[0] != page.id:
                    return self._graph_error("(#200) Permissions error", 200)
                return self._subscribed_apps(method, page, params)
            if method == "GET" and len(parts) == 1 and parts[0] in page.profiles:
                profile = dict(page.profiles[parts[0]])
                if "profile_pic" in str(params.get("fields", "")).split(","):
                    profile["profile_pic"] = self.profile_picture(page, parts[0])
                return 200, {"id": parts[0], **profile}
            return self._graph_error(
                f"Unsupported {method.lower()} request. Object with ID '{'/'.join(parts)}' does "
                "not exist, cannot be loaded due to missing permissions, or does not support "
                "this operation.",
                100,
                "GraphMethodException",
            )

    def _subscribed_apps(self, method: str, page: Page, params: dict):
        if method == "POST":
            fields = params.get("subscribed_fields", "")
            page.subscribed_fields = [f for f in str(fields).split(",") if f]
            if not page.subscribed_fields:
                return self._graph_error(
                    "(#100) The parameter subscribed_fields is required", 100, "OAuthException"
                )
            return 200, {"success": True}
        if method == "DELETE":
            page.subscribed_fields = []
            return 200, {"success": True}
        data = []
        if page.subscribed_fields:
            data = [
                {
                    "id": page.app_id,
                    "name": f"{page.name} app",
                    "subscribed_fields": page.subscribed_fields,
                }
            ]
        return 200, {"data": data}

    def set_app_webhook(self, page_id: str, callback_url: str, verify_token: str) -> str | None:
        """The app dashboard's "Verify and save": Facebook's GET verification first.
        Returns the error shown to the developer, or None when saved."""
        page = self.pages.get(page_id)
        if page is None:
            return "no such Page"
        challenge = str(secrets.randbelow(10**9))
        query = urllib.parse.urlencode(
            {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
        )
        separator = "&" if "?" in callback_url else "?"
        status, answer = self.transport("GET", f"{callback_url}{separator}{query}", None, {})
        if not isinstance(status, int):
            return f"The URL couldn't be validated. Callback failed: {status}"
        if status != 200:
            return f"The URL couldn't be validated. Response: HTTP {status}"
        if answer.decode(errors="replace").strip() != challenge:
            return "The URL couldn't be validated. Response does not match challenge"
        with self.lock:
            page.callback_url, page.verify_token = callback_url, verify_token
        return None
