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

import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from infra.local.fake_messenger_customers import CustomerSide, signature
from infra.local.fake_messenger_sends import SendSide
from infra.local.fake_messengers_graph import GRAPH_VERSION, GraphApi
from infra.local.fake_messengers_telegram import TelegramApi

__all__ = ["GRAPH_VERSION", "Bot", "FakeMessengers", "Page", "facebook_signature", "http_transport"]

facebook_signature = signature  # what the tests sign with


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


class FakeMessengers(TelegramApi, GraphApi, CustomerSide, SendSide):
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
