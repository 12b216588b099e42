"""Telegram's Bot API: the calls channels make, and reading a webhook's ``Update``.

Calls go to ``<TELEGRAM_API_BASE>/bot<token>/<method>`` (the local stack's fake locally).
The token is in that path, so it never appears in a log or an error (platform_http).
"""

from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.services import platform_http, text_parts
from chalicelib.services.channel_events import (
    LOCATION_NOTE,
    PHOTO_NOTE,
    STICKER_NOTE,
    UNSUPPORTED_NOTE,
    Incoming,
    IncomingFile,
    file_note,
)
from chalicelib.services.platform_http import PlatformError

SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_TEXT_CHARS = 4096  # sendMessage's limit: longer replies go as several messages
ALLOWED_UPDATES = ["message"]  # what the webhook asks for; anything else is ignored
# The files a message may carry, in the order to look for them: an animation comes with a
# ``document`` too (for old clients), so it is looked for first.
FILE_KINDS = ("animation", "video_note", "video", "voice", "audio", "document")
# Round videos have no mime_type in the Bot API: they are always MPEG-4.
_DEFAULT_TYPES = {"video_note": "video/mp4", "voice": "audio/ogg"}


def _url(token: str, method: str) -> str:
    return f"{get_settings().telegram_api_base.rstrip('/')}/bot{token}/{method}"


def call(token: str, method: str, params: dict | None = None):
    """A Bot API method's ``result``; ``PlatformError`` when ``ok`` is false."""
    answer = platform_http.call("POST", _url(token, method), params, form=False)
    if not answer.get("ok"):
        raise PlatformError(200, answer.get("error_code"), str(answer.get("description", "")))
    return answer.get("result")


def get_me(token: str) -> dict:
    return call(token, "getMe")


def set_webhook(token: str, url: str, secret_token: str) -> None:
    call(
        token,
        "setWebhook",
        {"url": url, "secret_token": secret_token, "allowed_updates": ALLOWED_UPDATES},
    )


def webhook_info(token: str) -> dict:
    return call(token, "getWebhookInfo")


def delete_webhook(token: str) -> None:
    call(token, "deleteWebhook")


def parts(text: str) -> list[str]:
    return text_parts.split(text, MAX_TEXT_CHARS)


def send_part(token: str, chat_id: str, text: str) -> str:
    """One ``sendMessage`` of at most ``MAX_TEXT_CHARS``; the new message's id."""
    result = call(token, "sendMessage", {"chat_id": chat_id, "text": text})
    message_id = result.get("message_id") if isinstance(result, dict) else None
    if not isinstance(message_id, int):
        raise PlatformError(200, None, "Telegram's answer had no message_id")
    return str(message_id)


def send_message(token: str, chat_id: str, text: str, pace=None) -> list[str]:
    """The text as one message, or several when it is longer than Telegram takes; the
    ids of the messages sent. ``pace()`` runs before each (Telegram's ~1 a second per
    chat: services/channel_sender.py hands one in)."""
    sent = []
    for part in parts(text):
        if pace is not None:
            pace()
        sent.append(send_part(token, chat_id, part))
    return sent


def download_file(token: str, file_id: str) -> tuple[bytes, str]:
    info = call(token, "getFile", {"file_id": file_id})
    path = info.get("file_path") if isinstance(info, dict) else None
    if not isinstance(path, str) or not path:
        raise PlatformError(None, None, "the file has no path")
    base = get_settings().telegram_api_base.rstrip("/")
    return platform_http.download(f"{base}/file/bot{token}/{path}")


def profile_photo_file(token: str, user_id: str) -> str | None:
    """The file id of the customer's current profile picture in its size nearest an
    avatar's (the smallest at least 160 px wide; else the largest); None without one."""
    answer = call(token, "getUserProfilePhotos", {"user_id": user_id, "limit": 1})
    photos = answer.get("photos") if isinstance(answer, dict) else None
    sizes = photos[0] if isinstance(photos, list) and photos else None
    if not isinstance(sizes, list):
        return None
    sizes = [p for p in sizes if isinstance(p, dict) and isinstance(p.get("file_id"), str)]
    if not sizes:
        return None
    sizes.sort(key=lambda p: p.get("width") or 0)
    return next((p for p in sizes if (p.get("width") or 0) >= 160), sizes[-1])["file_id"]


def _name_of(sender: dict) -> str | None:
    parts = [sender.get("first_name"), sender.get("last_name")]
    name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    if not name and isinstance(sender.get("username"), str):
        name = "@" + sender["username"]
    return name[:100] or None


def parse_update(update: dict) -> Incoming | None:
    """The customer's message in an Update, or None for what we ignore (edits, other
    update kinds, groups and channels: only private chats are conversations)."""
    update_id = update.get("update_id")
    message = update.get("message")
    if not isinstance(update_id, int) or not isinstance(message, dict):
        return None
    chat = message.get("chat")
    sender = message.get("from")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(sender, dict):
        return None
    if sender.get("is_bot") or not isinstance(chat.get("id"), int):
        return None
    file = None
    caption = message.get("caption")
    caption = caption if isinstance(caption, str) and caption.strip() else None
    kind = next((k for k in FILE_KINDS if isinstance(message.get(k), dict)), None)
    if isinstance(message.get("text"), str):
        text = message["text"]
    elif isinstance(message.get("photo"), list) and message["photo"]:
        largest = message["photo"][-1]  # PhotoSizes come smallest first
        photo_id = largest.get("file_id") if isinstance(largest, dict) else None
        file = IncomingFile("photo", file_id=photo_id) if isinstance(photo_id, str) else None
        text = caption or PHOTO_NOTE
    elif kind is not None and isinstance(message[kind].get("file_id"), str):
        file = _file(kind, message[kind])
        text = caption or file_note(kind)
    elif "sticker" in message:
        sticker = message["sticker"] if isinstance(message["sticker"], dict) else {}
        emoji = sticker.get("emoji") if isinstance(sticker.get("emoji"), str) else ""
        text = f"{STICKER_NOTE} {emoji}".strip()
    elif "location" in message:
        text = LOCATION_NOTE
    else:
        kinds = [k for k in ("contact", "poll", "dice", "venue") if k in message]
        text = UNSUPPORTED_NOTE.format(kind=kinds[0] if kinds else "unknown")
    return Incoming(
        event_key=f"tg.{update_id}",
        customer_id=str(chat["id"]),
        customer_name=_name_of(sender),
        text=text,
        file=file,
    )


def _file(kind: str, found: dict) -> IncomingFile:
    """A Document, Voice, Audio, Video, VideoNote or Animation as the Bot API gives it."""
    name = found.get("file_name")
    content_type = found.get("mime_type")
    size = found.get("file_size")
    return IncomingFile(
        kind,
        file_id=found["file_id"],
        name=name[:255] if isinstance(name, str) else None,
        content_type=content_type if isinstance(content_type, str) else _DEFAULT_TYPES.get(kind),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
    )
