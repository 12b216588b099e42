"""The customers' side of the fake messenger platforms (infra/local/fake_messengers.py):
a customer writes to a bot or a Page, the Page's team answers from Facebook's own inbox
(an echo), and each is delivered to the app's webhook as the platform would: Telegram's
JSON ``Update`` with ``X-Telegram-Bot-Api-Secret-Token``, retried in order while it
fails; Facebook's ``object: page`` body signed with ``X-Hub-Signature-256``. "Again"
sends the last delivery once more, as a platform's retry would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import struct
import time
import zlib


def tiny_png(rgb=(30, 136, 229)) -> bytes:
    """A valid 96x64 PNG of one colour (a customer's "photo")."""
    width, height = 96, 64
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


# What a customer's file of each kind is, as the platforms would store it: (name or None
# when the platform gives none, Telegram's mime_type or None, the bytes' start).
_SAMPLES = {
    "document": ("order-1234.pdf", "application/pdf", b"%PDF-1.4\n% the customer's order\n"),
    "file": ("order-1234.pdf", "application/pdf", b"%PDF-1.4\n% the customer's order\n"),
    "voice": (None, "audio/ogg", b"OggS\x00\x02" + bytes(20) + b"OpusHead"),
    "audio": ("song.mp3", "audio/mpeg", b"ID3\x03\x00\x00\x00"),
    "video": ("clip.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"),
    "video_note": (None, None, b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"),
    "animation": ("dance.gif.mp4", "video/mp4", b"\x00\x00\x00\x18ftypisom"),
}
TELEGRAM_FILE_KINDS = ("document", "voice", "audio", "video", "video_note", "animation")
MESSENGER_FILE_KINDS = ("file", "audio", "video")


def sample_file(kind: str, size: int | None = None) -> tuple[str | None, str | None, bytes]:
    """A customer's file of ``kind`` (``size`` bytes long, padded, when given)."""
    name, content_type, head = _SAMPLES[kind]
    data = head + secrets.token_bytes(64)
    if size is not None:
        data = (data + bytes(max(0, size - len(data))))[:size]
    return name, content_type, data


def signature(body: bytes, app_secret: str) -> str:
    """Facebook's X-Hub-Signature-256: HMAC-SHA256 of the raw body with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


class CustomerSide:
    """Mixed into ``FakeMessengers`` (its state: bots, pages, files, log, lock)."""

    # --- the customer's side ------------------------------------------------------------
    def telegram_customer_says(
        self, token: str, name: str, kind: str, text: str = "", size: int | None = None
    ) -> dict:
        """A customer named ``name`` writes to the bot; the update is delivered. ``kind``:
        text, photo, sticker, location or a file (TELEGRAM_FILE_KINDS, ``size`` bytes)."""
        with self.lock:
            bot = self.bots[token]
            user_id = bot.customers.get(name) or bot.customers.setdefault(name, next(self._ids))
            first, _, last = name.partition(" ")
            sender = {"id": user_id, "is_bot": False, "first_name": first, "language_code": "en"}
            if last:
                sender["last_name"] = last
            message = {
                "message_id": bot.next_update_id + 1,
                "from": sender,
                "chat": {"id": user_id, "first_name": first, "type": "private"},
                "date": int(time.time()),
                **self._telegram_content(kind, text, size),
            }
            bot.next_update_id += 1
            update = {"update_id": 100_000_000 + bot.next_update_id, "message": message}
            bot.pending.append(update)
            self.note_customer_line(bot, user_id, text or f"[{kind}]")
        return self.deliver_telegram(token)

    def _telegram_content(self, kind: str, text: str, size: int | None = None) -> dict:
        if kind in TELEGRAM_FILE_KINDS:
            return self._telegram_file_message(kind, text, size)
        if kind == "photo":
            file_id = "AgAC" + secrets.token_urlsafe(12)
            path = f"photos/file_{len(self.telegram_files)}.png"
            self.files[path] = ("image/png", tiny_png())
            self.telegram_files[file_id] = path
            photo = {"file_id": file_id, "file_unique_id": file_id[-8:], "width": 96, "height": 64}
            return {"photo": [{**photo, "file_size": len(self.files[path][1])}]} | (
                {"caption": text} if text else {}
            )
        if kind == "sticker":
            sticker = {
                "file_id": "CAAC" + secrets.token_urlsafe(12),
                "emoji": "👍",
                "type": "regular",
            }
            return {"sticker": {**sticker, "width": 512, "height": 512, "is_animated": False}}
        if kind == "location":
            return {"location": {"latitude": 52.52, "longitude": 13.405}}
        return {"text": text}

    def _telegram_file_message(self, kind: str, text: str, size: int | None) -> dict:
        """The Bot API's Document, Voice, Audio, Video, VideoNote or Animation, its bytes
        behind getFile (an Animation comes with a Document too, as Telegram sends it)."""
        name, content_type, data = sample_file(kind, size)
        file_id = "BQAC" + secrets.token_urlsafe(12)
        path = f"{'voice' if kind == 'voice' else 'documents'}/file_{len(self.telegram_files)}"
        self.files[path] = (content_type or "video/mp4", data)
        self.telegram_files[file_id] = path
        found = {"file_id": file_id, "file_unique_id": file_id[-8:], "file_size": len(data)}
        if name:
            found["file_name"] = name
        if content_type:
            found["mime_type"] = content_type
        if kind in ("voice", "audio", "video", "video_note", "animation"):
            found["duration"] = 3
        message = {kind: found} | ({"caption": text} if text else {})
        return message | ({"document": dict(found)} if kind == "animation" else {})

    def deliver_telegram(self, token: str, again: bool = False) -> dict:
        """Deliver the bot's pending updates in order (``again``: the last delivered one
        once more, as a retry would). Stops at the first failure, as Telegram does."""
        with self.lock:
            bot = self.bots[token]
            batch = [bot.last_delivered] if again and bot.last_delivered else list(bot.pending)
            url, secret = bot.webhook_url, bot.secret_token
        results = []
        for update in batch:
            if not url:
                results.append({"update_id": update["update_id"], "status": "no webhook set"})
                break
            body = json.dumps(update).encode()
            headers = {"Content-Type": "application/json"}
            if secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            status = self._post(url, body, headers)
            results.append({"update_id": update["update_id"], "status": status})
            with self.lock:
                if isinstance(status, int) and 200 <= status < 300:
                    bot.last_delivered = update
                    if update in bot.pending:
                        bot.pending.remove(update)
                    continue
                bot.last_error_date = int(time.time())
                bot.last_error_message = f"Wrong response from the webhook: {status}"
            break
        return self._logged("telegram", bot.username, results)

    def messenger_customer_says(
        self, page_id: str, name: str, kind: str, text: str = "", size: int | None = None
    ) -> dict:
        """``kind``: text, photo, sticker, location or a file (MESSENGER_FILE_KINDS)."""
        with self.lock:
            page = self.pages[page_id]
            psid = page.customers.get(name) or page.customers.setdefault(
                name, f"24{next(self._ids)}"
            )
            first, _, last = name.partition(" ")
            page.profiles[psid] = {"first_name": first, "last_name": last}
            event = self._messaging_event(page, psid, kind, text, echo=False, size=size)
            self.note_customer_line(page, psid, text or f"[{kind}]")
        return self.deliver_messenger(page_id, self._envelope(page, event))

    def page_replies(self, page_id: str, name: str, text: str) -> dict:
        """Someone on the Page's team answers from Facebook's own inbox: an echo."""
        with self.lock:
            page = self.pages[page_id]
            psid = page.customers.get(name)
            if psid is None:
                return {"error": "this customer has not written to the Page"}
            event = self._messaging_event(page, psid, "text", text, echo=True)
        return self.deliver_messenger(page_id, self._envelope(page, event))

    def _messaging_event(self, page, psid: str, kind: str, text: str, echo: bool, size=None):
        message: dict = {"mid": "m_" + secrets.token_urlsafe(30)}
        if echo:
            message.update({"is_echo": True, "app_id": int(page.app_id)})
        if kind == "photo":
            path = f"fb-cdn/{secrets.token_hex(8)}.png"
            self.files[path] = ("image/png", tiny_png((229, 57, 53)))
            url = f"{self.base_url}/{path}?oh=00_signed&oe={int(time.time()) + 3600:x}"
            message["attachments"] = [{"type": "image", "payload": {"url": url}}]
        elif kind == "sticker":
            path = f"fb-cdn/sticker_{secrets.token_hex(4)}.png"
            self.files[path] = ("image/png", tiny_png((255, 193, 7)))
            url = f"{self.base_url}/{path}"
            message["attachments"] = [
                {"type": "image", "payload": {"url": url, "sticker_id": 369239263222822}}
            ]
            message["sticker_id"] = 369239263222822
        elif kind in MESSENGER_FILE_KINDS:
            # Facebook's CDN names the file in the URL's path; the webhook says no more.
            file_name, content_type, data = sample_file(kind, size)
            if kind == "audio":  # a voice clip recorded in Messenger, as its CDN names it
                file_name = f"audioclip-{int(time.time() * 1000)}-{secrets.randbelow(10**4)}.mp4"
                content_type = "audio/mp4"
            path = f"fb-cdn/{secrets.token_hex(8)}/{file_name}"
            self.files[path] = (content_type, data)
            url = f"{self.base_url}/{path}?oh=00_signed&oe={int(time.time()) + 3600:x}"
            message["attachments"] = [{"type": kind, "payload": {"url": url}}]
        elif kind == "location":
            message["attachments"] = [{"type": "location", "payload": {"coordinates": {}}}]
        else:
            message["text"] = text
        sender, recipient = (page.id, psid) if echo else (psid, page.id)
        return {
            "sender": {"id": sender},
            "recipient": {"id": recipient},
            "timestamp": int(time.time() * 1000),
            "message": message,
        }

    @staticmethod
    def _envelope(page, event: dict) -> bytes:
        entry = {"id": page.id, "time": int(time.time() * 1000), "messaging": [event]}
        # Facebook escapes non-ASCII in its bodies (the signature covers those bytes).
        return json.dumps({"object": "page", "entry": [entry]}).encode()

    def deliver_messenger(self, page_id: str, body: bytes | None = None) -> dict:
        """POST ``body`` (None: the last one again) signed with the app secret."""
        with self.lock:
            page = self.pages[page_id]
            body = body if body is not None else page.last_delivered
            url, secret = page.callback_url, page.app_secret
            subscribed = "messages" in page.subscribed_fields
        if body is None:
            return self._logged("messenger", page.name, [{"status": "nothing sent yet"}])
        if not url or not subscribed:
            why = "no callback URL verified" if not url else "the Page has not subscribed the app"
            return self._logged("messenger", page.name, [{"status": why}])
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature(body, secret),
            "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
        }
        status = self._post(url, body, headers)
        with self.lock:
            page.last_delivered = body
            page.last_error = None if status == 200 else f"HTTP {status}"
        return self._logged("messenger", page.name, [{"status": status}])

    def _post(self, url: str, body: bytes, headers: dict):
        return self.transport("POST", url, body, headers)[0]

    def _logged(self, platform: str, target: str, results: list) -> dict:
        entry = {"platform": platform, "to": target, "results": results, "at": int(time.time())}
        with self.lock:
            self.log.append(entry)
            del self.log[:-50]
        return entry
