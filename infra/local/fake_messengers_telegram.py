"""The fake Telegram Bot API (mixed into ``fake_messengers.FakeMessengers``, whose state it
uses: bots, files, telegram_files, lock): ``<base>/bot<token>/<method>`` answering
``{"ok", "result" | "error_code", "description"}`` as the Bot API does, and the file
download at ``<base>/file/bot<token>/<path>``."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from infra.local.fake_messenger_customers import tiny_png

if TYPE_CHECKING:
    from infra.local.fake_messengers import Bot

GET_FILE_MAX_BYTES = 20 * 1024 * 1024  # bots may download files up to 20 MB
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class TelegramApi:
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
        if size > GET_FILE_MAX_BYTES:
            return self._bad("file is too big")
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

    def telegram_file(self, token: str, path: str) -> tuple[str, bytes] | None:
        with self.lock:
            if token not in self.bots:
                return None
            return self.files.get(path)
