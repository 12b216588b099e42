"""A small, faithful stand-in for the parts of Telegram's Bot API and Facebook's Graph API
that channels use, and for the customers who write to a bot or a Page.

Telegram (``<base>/bot<token>/<method>``, answers ``{"ok", "result" | "error_code",
"description"}`` as the Bot API does): ``getMe``, ``setWebhook`` (``url``,
``secret_token``, ``allowed_updates``), ``getWebhookInfo`` (``pending_update_count``,
``last_error_date``, ``last_error_message``), ``deleteWebhook``, ``getFile`` and the file
download at ``<base>/file/bot<token>/<path>``, ``getUserProfilePhotos`` (each customer has
one picture, in two sizes). A webhook delivery is a POST of a JSON
``Update`` with ``X-Telegram-Bot-Api-Secret-Token``; a non-2xx answer leaves the update
pending (the next delivery tries it first) and records the error, as Telegram does.

Facebook (``<base>/<version>/...``, errors as ``{"error": {"message", "type", "code"}}``):
``GET /me`` with a Page token (which Page it is), ``GET /<psid>`` (a customer's profile,
with a ``profile_pic`` CDN URL when ``fields`` asks for it),
``POST|GET|DELETE /<page id>/subscribed_apps``, and ``appsecret_proof`` checked when
sent (HMAC-SHA256 of the token with the app secret, as Graph does). The app's webhook is
set on the fake's page (the "app dashboard"): saving it runs Facebook's GET verification
(``hub.mode``, ``hub.verify_token``, ``hub.challenge``); deliveries are the ``object:
page`` body signed with ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the app
secret), sent only while the Page subscribed the app.

A bot or Page whose token died (``revoke()``: @BotFather's /revoke; the Page admin's
password changed, the app removed) answers every call as the platform does then:
Telegram 401 "Unauthorized", Graph code 190 with the subcode saying why.

What differs from the platforms, on purpose: webhook URLs may be plain http on any port
(Telegram wants https on 443/80/88/8443), and bots, Pages and tokens are made on the
fake's page rather than by @BotFather or in Meta's dashboard.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from infra.local.fake_messenger_customers import CustomerSide, signature, tiny_png
from infra.local.fake_messenger_sends import SendSide

GRAPH_VERSION = "v21.0"
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


facebook_signature = signature  # what the tests sign with

# Graph's messages for a dead token, by code 190's subcode (as Graph words them).
_DEAD_TOKEN_MESSAGES = {
    458: "Error validating access token: The user has not authorized application.",
    460: "Error validating access token: The session has been invalidated because the user"
    " changed their password or Facebook has changed the session for security reasons.",
    463: "Error validating access token: Session has expired.",
    467: "Error validating access token: The access token is invalid.",
}


@dataclass
class Bot:
    id: int
    token: str
    username: str
    first_name: str
    webhook_url: str = ""
    secret_token: str = ""
    allowed_updates: list = field(default_factory=list)
    pending: list = field(default_factory=list)  # updates not delivered yet, in order
    last_delivered: dict | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    next_update_id: int = 0
    customers: dict = field(default_factory=dict)  # name -> user id
    # The team's side (fake_messenger_sends.py): conversations by chat id, faults to play.
    conversations: dict = field(default_factory=dict)
    last_customer_at: dict = field(default_factory=dict)
    faults: dict = field(default_factory=dict)
    blocked: set = field(default_factory=set)
    sent_count: int = 0

    # Revoked at @BotFather (/revoke): every Bot API call with this token is 401.
    @property
    def revoked(self) -> bool:
        return "revoked" in self.faults

    def revoke(self) -> None:
        self.faults["revoked"] = 401


@dataclass
class Page:
    id: str
    name: str
    page_token: str
    app_id: str
    app_secret: str
    callback_url: str = ""
    verify_token: str = ""
    subscribed_fields: list = field(default_factory=list)
    last_delivered: bytes | None = None
    last_error: str | None = None
    customers: dict = field(default_factory=dict)  # name -> psid
    profiles: dict = field(default_factory=dict)  # psid -> {"first_name", "last_name"}
    conversations: dict = field(default_factory=dict)  # psid -> lines
    last_customer_at: dict = field(default_factory=dict)  # psid -> epoch seconds
    faults: dict = field(default_factory=dict)
    blocked: set = field(default_factory=set)

    # The Page token died (Graph code 190 with this subcode: 460 the password changed,
    # 458 the app removed, 463 expired): every Graph call with it is refused so.
    @property
    def revoked_subcode(self) -> int | None:
        return self.faults.get("revoked")

    @property
    def revoked(self) -> bool:
        return "revoked" in self.faults

    def revoke(self, subcode: int = 460) -> None:
        self.faults["revoked"] = subcode


class FakeMessengers(CustomerSide, SendSide):
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.lock = threading.RLock()
        self.bots: dict[str, Bot] = {}  # by token
        self.pages: dict[str, Page] = {}  # by id
        self.files: dict[str, tuple[str, bytes]] = {}  # file path -> (content type, bytes)
        self.telegram_files: dict[str, str] = {}  # file_id -> file path
        self.log: list[dict] = []  # deliveries, newest last (shown on the page)
        self.ui_memory: dict = {}  # the page's last target, customer name and notice
        self._ids = iter(range(7_000_000_001, 8_000_000_000))
        # How the fake reaches the app: ``(method, url, body, headers) -> (status, body)``.
        # HTTP by default; in-process tests hand it the Chalice test client instead.
        self.transport = http_transport
        self.clock = time.time  # tests move it (Messenger's 24-hour window)
        self.pending_echoes: list = []  # (page id, body) of our sends' echoes
        self.auto_echo = True  # in-process tests deliver them with deliver_echoes()

    # --- making bots and Pages (BotFather, Meta's dashboard) ---------------------------
    def create_bot(self, username: str, first_name: str | None = None) -> Bot:
        with self.lock:
            bot_id = next(self._ids)
            token = f"{bot_id}:{secrets.token_urlsafe(26)}"
            bot = Bot(bot_id, token, username, first_name or username)
            self.bots[token] = bot
            return bot

    def create_page(self, name: str) -> Page:
        with self.lock:
            page = Page(
                id=str(next(self._ids) * 100 + 7),
                name=name,
                page_token="EAAG" + secrets.token_urlsafe(40),
                app_id=str(next(self._ids)),
                app_secret=secrets.token_hex(16),
            )
            self.pages[page.id] = page
            return page

    # --- Telegram Bot API ---------------------------------------------------------------
    def telegram(self, token: str, method: str, params: dict) -> tuple[int, dict]:
        with self.lock:
            bot = self.bots.get(token)
            if bot is None or bot.revoked:
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            handler = {
                "sendMessage": self.telegram_send,
                "getMe": self._get_me,
                "setWebhook": self._set_webhook,
                "getWebhookInfo": self._webhook_info,
                "deleteWebhook": self._delete_webhook,
                "getFile": self._get_file,
                "getUserProfilePhotos": self._user_profile_photos,
            }.get(method)
            if handler is None:
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            return handler(bot, params)

    @staticmethod
    def _ok(result) -> tuple[int, dict]:
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _bad(description: str) -> tuple[int, dict]:
        return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}

    def _get_me(self, bot: Bot, params) -> tuple[int, dict]:
        return self._ok(
            {
                "id": bot.id,
                "is_bot": True,
                "first_name": bot.first_name,
                "username": bot.username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    def _set_webhook(self, bot: Bot, params) -> tuple[int, dict]:
        url = params.get("url", "")
        secret = params.get("secret_token")
        if url and not url.startswith(("http://", "https://")):
            return self._bad("bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            return self._bad("secret token contains unallowed characters")
        bot.webhook_url, bot.secret_token = url, secret or ""
        allowed = params.get("allowed_updates")
        if isinstance(allowed, str):
            allowed = json.loads(allowed)
        if allowed is not None:
            bot.allowed_updates = list(allowed)
        bot.last_error_date = bot.last_error_message = None
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _webhook_info(self, bot: Bot, params) -> tuple[int, dict]:
        info = {
            "url": bot.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(bot.pending),
            "max_connections": 40,
        }
        if bot.allowed_updates:
            info["allowed_updates"] = bot.allowed_updates
        if bot.last_error_date:
            info["last_error_date"] = bot.last_error_date
            info["last_error_message"] = bot.last_error_message
        return self._ok(info)

    def _delete_webhook(self, bot: Bot, params) -> tuple[int, dict]:
        bot.webhook_url = bot.secret_token = ""
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    def _get_file(self, bot: Bot, params) -> tuple[int, dict]:
        path = self.telegram_files.get(str(params.get("file_id", "")))
        if path is None:
            return self._bad("invalid file_id")
        size = len(self.files[path][1])
        file_id = params["file_id"]
        return self._ok(
            {
                "file_id": file_id,
                "file_unique_id": file_id[-8:],
                "file_size": size,
                "file_path": path,
            }
        )

    def _user_profile_photos(self, bot: Bot, params) -> tuple[int, dict]:
        """A customer's profile pictures, newest first, each in several sizes (as
        Telegram answers): every customer of the fake has one, made on first ask."""
        try:
            user_id = int(params.get("user_id"))
        except (TypeError, ValueError):
            return self._bad("user_id is not a number")
        if user_id not in bot.customers.values():
            return self._bad("user not found")
        sizes = []
        for width in (160, 640):
            file_id = f"AgACprofile{user_id}x{width}"
            if file_id not in self.telegram_files:
                path = f"profile_photos/{user_id}_{width}.png"
                self.files[path] = ("image/png", tiny_png((user_id % 200, 120, width % 256)))
                self.telegram_files[file_id] = path
            size = len(self.files[self.telegram_files[file_id]][1])
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": file_id[-8:],
                    "width": width,
                    "height": width,
                    "file_size": size,
                }
            )
        return self._ok({"total_count": 1, "photos": [sizes]})

    def profile_picture(self, page: Page, psid: str) -> str:
        """The Graph profile's ``profile_pic``: a CDN URL of the customer's picture (the
        real one expires; so does nothing here, but the app copies it all the same)."""
        path = f"fb-cdn/profile_{psid}.png"
        if path not in self.files:
            self.files[path] = ("image/png", tiny_png((60, int(psid[-2:]) % 256, 90)))
        return f"{self.base_url}/{path}?oh=00_signed"

    def telegram_file(self, token: str, path: str) -> tuple[str, bytes] | None:
        with self.lock:
            if token not in self.bots:
                return None
            return self.files.get(path)

    # --- Facebook Graph API -------------------------------------------------------------
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


def http_transport(method: str, url: str, body: bytes | None, headers: dict):
    """One request to the app; the status (or why it failed) and the answer's bytes."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        return f"unreachable ({error})", b""
