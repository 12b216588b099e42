"""Facebook Messenger through the Graph API: the calls channels make, the webhook's
signature, and reading its ``object: page`` body.

Every call sends ``appsecret_proof`` (HMAC-SHA256 of the Page token with the app
secret), so a wrong app secret is refused by Facebook at connection time rather than
found out at the first webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse

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

SIGNATURE_HEADER = "x-hub-signature-256"
# What the Page subscribes our app to; the app's webhook must have them too (README).
SUBSCRIBED_FIELDS = "messages,messaging_postbacks,message_echoes"
MAX_TEXT_CHARS = 2000  # the Send API's limit: longer replies go as several messages
# Our Send API messages carry this ``metadata``, which Facebook hands back in their echo:
# the echo of our own send is known at once, even when it arrives before the Send API's
# answer (and its mid) does. services/channel_inbound.py skips such echoes.
OUR_METADATA_PREFIX = "livechat:"


def _proof(page_token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), page_token.encode(), hashlib.sha256).hexdigest()


def graph(method: str, path: str, page_token: str, app_secret: str, params=None) -> dict:
    base = get_settings().graph_api_base.rstrip("/")
    query = {
        **(params or {}),
        "access_token": page_token,
        "appsecret_proof": _proof(page_token, app_secret),
    }
    return platform_http.call(method, f"{base}/{path.lstrip('/')}", query)


def page_of_token(page_token: str, app_secret: str) -> dict:
    """Which Page the token is for: ``{"id", "name"}``."""
    return graph("GET", "me", page_token, app_secret, {"fields": "id,name"})


def subscribe(page_id: str, page_token: str, app_secret: str) -> None:
    graph(
        "POST",
        f"{page_id}/subscribed_apps",
        page_token,
        app_secret,
        {"subscribed_fields": SUBSCRIBED_FIELDS},
    )


def unsubscribe(page_id: str, page_token: str, app_secret: str) -> None:
    graph("DELETE", f"{page_id}/subscribed_apps", page_token, app_secret)


def subscriptions(page_id: str, page_token: str, app_secret: str) -> list:
    return graph("GET", f"{page_id}/subscribed_apps", page_token, app_secret).get("data") or []


def parts(text: str) -> list[str]:
    return text_parts.split(text, MAX_TEXT_CHARS)


def send_part(
    page_token: str, app_secret: str, psid: str, text: str, tag=None, ours: str = ""
) -> str:
    """One Send API message (``POST /me/messages``): a ``RESPONSE`` inside the 24-hour
    window, or a ``MESSAGE_TAG`` with ``tag`` (HUMAN_AGENT) after it. Its ``mid``."""
    params = {
        "recipient": json.dumps({"id": psid}),
        "message": json.dumps({"text": text, "metadata": OUR_METADATA_PREFIX + ours}),
        "messaging_type": "MESSAGE_TAG" if tag else "RESPONSE",
    }
    if tag:
        params["tag"] = tag
    answer = graph("POST", "me/messages", page_token, app_secret, params)
    mid = answer.get("message_id")
    if not isinstance(mid, str) or not mid:
        raise platform_http.PlatformError(200, None, "Facebook's answer had no message_id")
    return mid


def send_message(
    page_token: str, app_secret: str, psid: str, text: str, tag=None, pace=None
) -> list[str]:
    """The text as one message, or several when it is longer than the Send API takes;
    the ``mid`` of each."""
    sent = []
    for part in parts(text):
        if pace is not None:
            pace()
        sent.append(send_part(page_token, app_secret, psid, part, tag))
    return sent


def is_our_echo(message: dict) -> bool:
    metadata = message.get("metadata")
    return isinstance(metadata, str) and metadata.startswith(OUR_METADATA_PREFIX)


def customer_profile(psid: str, page_token: str, app_secret: str) -> tuple[str | None, str | None]:
    """The customer's name and picture URL (``profile_pic``, a CDN link that expires)
    from one profile read; (None, None) when Facebook does not give them."""
    try:
        profile = graph(
            "GET", psid, page_token, app_secret, {"fields": "first_name,last_name,profile_pic"}
        )
    except platform_http.PlatformError:
        return None, None
    names = [profile.get("first_name"), profile.get("last_name")]
    name = " ".join(p for p in names if isinstance(p, str) and p.strip())[:100] or None
    picture = profile.get("profile_pic")
    return name, picture if isinstance(picture, str) and picture else None


def signature_ok(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """``X-Hub-Signature-256: sha256=<hex>`` over the raw bytes, constant-time."""
    if not header or not header.startswith("sha256=") or not app_secret:
        return False
    wanted = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].strip().lower(), wanted)


def parse_body(body: dict, page_id: str) -> list[Incoming]:
    """The messages, echoes and postbacks (a tapped button) addressed to this Page;
    everything else (reads, deliveries, other Pages' entries) is ignored."""
    if body.get("object") != "page" or not isinstance(body.get("entry"), list):
        return []
    found = []
    for entry in body["entry"]:
        if not isinstance(entry, dict) or str(entry.get("id")) != page_id:
            continue
        for event in entry.get("messaging") or []:
            if isinstance(event, dict):
                found.extend(_parse_event(event, page_id))
    return found


def _parse_event(event: dict, page_id: str) -> list[Incoming]:
    """One Incoming per message, or per attachment of a message with several (a customer
    may send a few photos at once: each is kept, under ``<mid>.<n>`` after the first)."""
    message = event.get("message")
    sender = (event.get("sender") or {}).get("id")
    recipient = (event.get("recipient") or {}).get("id")
    if isinstance(event.get("postback"), dict):
        tapped = _postback(event["postback"], sender, event.get("timestamp"), page_id)
        return [tapped] if tapped is not None else []
    if not isinstance(message, dict) or not isinstance(message.get("mid"), str):
        return []
    echo = bool(message.get("is_echo"))
    if echo and is_our_echo(message):
        return []  # our own Send API message, stored when it was written
    customer = recipient if echo else sender
    if not isinstance(customer, str) or not customer or customer == page_id:
        return []
    key = f"fb.{message['mid'][:200]}"
    return [
        Incoming(
            event_key=key if n == 0 else f"{key}.{n}",
            customer_id=customer,
            customer_name=None,
            text=text,
            from_team=echo,
            file=file,
            extra_part=n > 0,
        )
        for n, (text, file) in enumerate(_contents(message))
    ]


MAX_ATTACHMENTS = 10  # Messenger sends at most 10 in one message


def _contents(message: dict) -> list[tuple[str, IncomingFile | None]]:
    """The message's text, or each of its attachments (stickers and locations: a note)."""
    if isinstance(message.get("text"), str) and message["text"]:
        return [(message["text"], None)]
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
    if len(attachments) <= 1:
        return [_content(message)]
    return [_content({**message, "attachments": [a]}) for a in attachments[:MAX_ATTACHMENTS]]


def _postback(postback: dict, sender, timestamp, page_id: str) -> Incoming | None:
    """The customer tapped a button (Get Started, a menu entry): a note of what they
    tapped. Its ``mid`` makes it once-only; older events have none, then the sender and
    time name it."""
    if not isinstance(sender, str) or not sender or sender == page_id:
        return None
    key = postback.get("mid")
    if not isinstance(key, str) or not key:
        key = f"pb.{sender}.{timestamp}"
    title = postback.get("title") if isinstance(postback.get("title"), str) else ""
    return Incoming(
        event_key=f"fb.{key[:200]}",
        customer_id=sender,
        customer_name=None,
        text=f"[tapped the button: {title[:200] or postback.get('payload') or 'unnamed'}]",
    )


# Attachment types that are files to keep (images are photos; "fallback" is a shared link).
FILE_TYPES = ("file", "audio", "video")


def _name_in(url: str) -> str | None:
    """The file's name: the last part of its CDN URL's path (``.../report.pdf?...``), as
    Messenger's webhook names it nowhere else."""
    last = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    return last[:255] if "." in last.strip(".") else None


def _content(message: dict) -> tuple[str, IncomingFile | None]:
    if isinstance(message.get("text"), str) and message["text"]:
        return message["text"], None
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
    if not attachments:
        return UNSUPPORTED_NOTE.format(kind="empty"), None
    first = attachments[0]
    payload = first.get("payload") if isinstance(first.get("payload"), dict) else {}
    if "sticker_id" in message or "sticker_id" in payload:
        return STICKER_NOTE, None
    url = payload.get("url") if isinstance(payload.get("url"), str) else None
    if first.get("type") == "image" and url:
        return PHOTO_NOTE, IncomingFile("photo", url=url)
    if first.get("type") in FILE_TYPES and url:
        return file_note(first["type"]), IncomingFile(first["type"], url=url, name=_name_in(url))
    if first.get("type") == "location":
        return LOCATION_NOTE, None
    return UNSUPPORTED_NOTE.format(kind=str(first.get("type") or "unknown")[:20]), None
