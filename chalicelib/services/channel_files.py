"""A customer's photo or file from a messenger, kept in our attachments bucket (the
platforms' links expire) under ``attachments/<project>/channels/``, which the CDN serves.

A photo becomes the message's picture; it is checked to be a raster image by its bytes
(not by what the platform or the customer says: the bucket is served from the panel's
domain). Any other file (a document, a voice note, audio, video) becomes one of the
message's ``files`` (a link with its name), at most the size the website's files may be
(services/attachments.py), stored with its name and a content type from a fixed list,
always as a download unless its bytes are a raster image (an HTML or SVG file named
"invoice.pdf" must never run on the panel's origin). A file too large, or one the
platform will not give us (Telegram's getFile refuses files over 20 MB), is a note that
says so, and nothing is stored.

Keys are derived from the event, so a replayed webhook writes the same object again,
nothing more."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import replace
from urllib.parse import quote

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.models.channel import ChannelModel
from chalicelib.services import platform_http, telegram
from chalicelib.services.attachments import (
    MAX_BYTES,
    MAX_NAME_CHARS,
    MEDIA_TYPES,
    file_name_for_key,
    public_url,
)
from chalicelib.services.channel_events import (
    FILE_LOST_NOTE,
    PHOTO_LOST_NOTE,
    Incoming,
    IncomingFile,
    file_note,
)
from chalicelib.services.message_store import Draft
from chalicelib.services.platform_http import PlatformError

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF8", "image/gif", "gif"),
)

# What a customer's file may be served as: the website's types plus the audio and video
# messengers record (a Telegram voice note is OGG Opus, an iPhone video QuickTime).
# Anything else is kept as bytes to download (application/octet-stream).
CHANNEL_MEDIA_TYPES = frozenset(MEDIA_TYPES) | {
    "audio/ogg",
    "audio/opus",
    "audio/mp4",
    "audio/aac",
    "audio/x-m4a",
    "audio/wav",
    "audio/webm",
    "video/quicktime",
    "video/webm",
    "video/3gpp",
}
_EXTENSIONS = {"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "video/mp4": ".mp4", "audio/mp4": ".m4a"}
# The name a file gets when the platform gives none (voice notes, round videos).
_UNNAMED = {"voice": "voice message", "video_note": "video message", "animation": "animation"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MB = 1024 * 1024


def image_kind(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a PNG, JPEG, GIF or WebP; None for anything else."""
    found = next(((t, e) for magic, t, e in _IMAGE_MAGIC if data.startswith(magic)), None)
    if found is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        found = ("image/webp", "webp")
    return found


def with_file(draft: Draft, channel: ChannelModel, secret: dict, incoming: Incoming) -> Draft:
    """The draft with the customer's photo or file kept in our bucket, or with a note
    saying why it is not."""
    file = incoming.file
    if file is None:
        return draft
    if file.kind == "photo":
        return _with_photo(draft, channel, secret, incoming)
    name = _display_name(file)
    if file.size is not None and file.size > MAX_BYTES:
        return _lost(draft, file, name, _too_large(file.size))
    try:
        data, served_as = _fetch(secret, file)
    except (PlatformError, KeyError) as error:
        return _lost(draft, file, name, _refused(error))
    if len(data) > MAX_BYTES:
        return _lost(draft, file, name, _too_large(len(data)))
    settings = get_settings()
    if not settings.attachments_bucket:
        return _lost(draft, file, name, "files are not kept on this server")
    image = image_kind(data)
    declared = (file.content_type or served_as or "").split(";")[0].strip().lower()
    if image is not None:
        content_type, disposition = image[0], "inline"
    elif declared in CHANNEL_MEDIA_TYPES and not declared.startswith("image/"):
        content_type, disposition = declared, "attachment"
    else:
        content_type, disposition = "application/octet-stream", "attachment"
    if "." not in name:
        name += _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ""
    digest = _digest(channel, incoming)
    key = f"attachments/{channel.project_id}/channels/{digest}/{file_name_for_key(name)}"
    deps.s3().put_object(
        Bucket=settings.attachments_bucket,
        Key=key,
        Body=data,
        ContentType=content_type,
        ContentDisposition=f"{disposition}; filename*=UTF-8''{quote(name, safe='')}",
        CacheControl="public, max-age=31536000, immutable",  # a key never changes content
    )
    return replace(draft, files=(*draft.files, {"name": name, "url": public_url(key)}))


def _fetch(secret: dict, file: IncomingFile) -> tuple[bytes, str]:
    if file.file_id:
        return telegram.download_file(secret["token"], file.file_id)
    if file.url:
        return platform_http.download(file.url)
    raise PlatformError(None, None, "the platform gave no link to it")


def _with_photo(draft: Draft, channel: ChannelModel, secret: dict, incoming: Incoming) -> Draft:
    try:
        data, _ = _fetch(secret, incoming.file)
    except (PlatformError, KeyError):
        return replace(draft, text=PHOTO_LOST_NOTE)
    url = keep_image(f"{channel.project_id}/channels/{_digest(channel, incoming)}", data, "photo")
    return replace(draft, image_url=url) if url else replace(draft, text=PHOTO_LOST_NOTE)


def keep_image(stem: str, data: bytes, filename: str) -> str | None:
    """Put a raster image in our bucket under ``attachments/<stem>.<ext>``, shown inline;
    its public URL, or None when the bytes are no image we serve or no bucket is set."""
    kind = image_kind(data)
    settings = get_settings()
    if kind is None or not settings.attachments_bucket:
        return None
    key = f"attachments/{stem}.{kind[1]}"
    deps.s3().put_object(
        Bucket=settings.attachments_bucket,
        Key=key,
        Body=data,
        ContentType=kind[0],
        ContentDisposition=f"inline; filename={filename}.{kind[1]}",
    )
    return public_url(key)


def _digest(channel: ChannelModel, incoming: Incoming) -> str:
    return hashlib.sha256(f"{channel.channel_id}:{incoming.event_key}".encode()).hexdigest()[:32]


def _display_name(file: IncomingFile) -> str:
    name = _CONTROL.sub("", file.name or "").strip()[:MAX_NAME_CHARS]
    return name or _UNNAMED.get(file.kind, file.kind.replace("_", " "))


def _too_large(size: int) -> str:
    return f"it is {size / _MB:.1f} MB and files may be at most {MAX_BYTES // _MB} MB"


def _refused(error: Exception) -> str:
    if isinstance(error, PlatformError) and "too large" in error.description:
        return f"it is larger than the {MAX_BYTES // _MB} MB files may be"
    why = error.description if isinstance(error, PlatformError) else "no token"
    return f"the platform would not give it to us ({why[:120]})"


def _lost(draft: Draft, file: IncomingFile, name: str, why: str) -> Draft:
    """The note in place of the file; the customer's caption, if any, follows it."""
    note = FILE_LOST_NOTE.format(label=file_note(file.kind)[1:-1], name=f"“{name}”", why=why)
    caption = "" if draft.text == file_note(file.kind) else draft.text
    return replace(draft, text=f"{note}\n{caption}" if caption else note)
