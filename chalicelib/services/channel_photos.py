"""A customer's photo from a messenger, kept in our attachments bucket (the platforms'
links expire): fetched from the platform, checked to be a raster image by its bytes (not
by what the platform or the customer says: the bucket is served from the panel's
domain), stored under ``attachments/<project>/channels/``, which the CDN serves."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.models.channel import ChannelModel
from chalicelib.services import platform_http, telegram
from chalicelib.services.attachments import public_url
from chalicelib.services.channel_events import PHOTO_LOST_NOTE, Incoming
from chalicelib.services.message_store import Draft
from chalicelib.services.platform_http import PlatformError

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF8", "image/gif", "gif"),
)


def image_kind(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a PNG, JPEG, GIF or WebP; None for anything else."""
    found = next(((t, e) for magic, t, e in _IMAGE_MAGIC if data.startswith(magic)), None)
    if found is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        found = ("image/webp", "webp")
    return found


def with_photo(draft: Draft, channel: ChannelModel, secret: dict, incoming: Incoming) -> Draft:
    """Keep the customer's photo in our bucket (the platform's link expires). Its key is
    derived from the event, so a replay writes the same object again, nothing more."""
    if not (incoming.photo_file_id or incoming.photo_url):
        return draft
    try:
        if incoming.photo_file_id:
            data, _ = telegram.download_file(secret["token"], incoming.photo_file_id)
        else:
            data, _ = platform_http.download(incoming.photo_url)
    except (PlatformError, KeyError):
        return replace(draft, text=PHOTO_LOST_NOTE)
    kind = image_kind(data)
    settings = get_settings()
    if kind is None or not settings.attachments_bucket:
        return replace(draft, text=PHOTO_LOST_NOTE)
    digest = hashlib.sha256(f"{channel.channel_id}:{incoming.event_key}".encode()).hexdigest()
    key = f"attachments/{channel.project_id}/channels/{digest[:32]}.{kind[1]}"
    deps.s3().put_object(
        Bucket=settings.attachments_bucket,
        Key=key,
        Body=data,
        ContentType=kind[0],
        ContentDisposition=f"inline; filename=photo.{kind[1]}",
    )
    return replace(draft, image_url=public_url(key))
