"""Files attached to auto messages, kept in S3 and served through the CDN.

The browser uploads straight to S3 with a presigned POST (the file never passes through
a Lambda): ``start_upload`` signs a policy for one key under ``drafts/<project>/``, of
the declared media type and exact size. Drafts are never served, and a lifecycle rule
deletes them after a day, so a file chosen and never saved costs nothing for long.

Saving an auto message ``settle``s its attachments: a draft is checked (it exists, its
size, its media type is one we serve) and copied server-side to ``attachments/<project>/``
(under a new id, named after its display name) with the media type and
``Content-Disposition`` written by us, not by the uploader; a renamed one is copied again. Only
that prefix is public (CloudFront ``/attachments/*``). Files of a removed attachment or a
deleted message are deleted after the change is stored.

Why a fixed list of media types: attachments are served from the panel's CDN domain, so
an uploaded HTML or SVG file would be script on the panel's origin. Raster images show
inline; everything else downloads (``attachment`` disposition, and ``nosniff`` from the
CDN's security headers).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from urllib.parse import quote

from botocore.exceptions import ClientError

from chalicelib import deps, ids
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.errors import BadRequest, TemporarilyUnavailable
from chalicelib.models.project import MemberModel
from chalicelib.services import permissions

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_NAME_CHARS = 255
UPLOAD_SECONDS = 600  # how long a signed upload form stays valid
DRAFTS = "drafts"
PUBLISHED = "attachments"

# Media types we serve, and whether a browser may show them inline.
MEDIA_TYPES = {
    "image/png": True,
    "image/jpeg": True,
    "image/gif": True,
    "image/webp": True,
    "application/pdf": False,
    "text/plain": False,
    "text/csv": False,
    "application/zip": False,
    "application/msword": False,
    "application/vnd.ms-excel": False,
    "application/vnd.ms-powerpoint": False,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": False,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": False,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": False,
    "application/vnd.oasis.opendocument.text": False,
    "application/vnd.oasis.opendocument.spreadsheet": False,
    "audio/mpeg": False,
    "video/mp4": False,
}

_ULID = r"[0-7][0-9A-HJKMNP-TV-Z]{25}"
_FILE = r"[A-Za-z0-9._-]{1,100}"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE_IN_KEY = re.compile(r"[^A-Za-z0-9._-]+")


def _key_pattern(prefix: str, project_id: str) -> re.Pattern:
    return re.compile(rf"{prefix}/{re.escape(project_id)}/{_ULID}/{_FILE}")


def _bucket() -> str:
    bucket = get_settings().attachments_bucket
    if not bucket:
        raise TemporarilyUnavailable("attachments are not configured (ATTACHMENTS_BUCKET)")
    return bucket


def public_url(key: str) -> str:
    return f"{get_settings().attachments_url.rstrip('/')}/{quote(key)}"


def file_name_for_key(name: str) -> str:
    """The display name made safe for an S3 key and a URL (the display name is kept)."""
    safe = _UNSAFE_IN_KEY.sub("_", name).strip("._") or "file"
    stem, dot, extension = safe.rpartition(".")
    if dot and len(extension) <= 10:
        return f"{stem[: 99 - len(extension)]}.{extension}"
    return safe[:100]


def _disposition(name: str, content_type: str) -> str:
    kind = "inline" if MEDIA_TYPES[content_type] else "attachment"
    return f"{kind}; filename*=UTF-8''{quote(name, safe='')}"


def _display_name(value, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{path}: must be the file's name")
    value = value.strip()
    if len(value) > MAX_NAME_CHARS or _CONTROL.search(value):
        raise BadRequest(f"{path}: must be at most {MAX_NAME_CHARS} characters, one line")
    return value


def start_upload(member: MemberModel, body: dict, now: datetime) -> dict:
    """A presigned POST for one file: ``{"upload": {"url", "fields"}, "attachment":
    {"key", "name", "content_type", "size"}}``. The browser posts ``fields`` plus the
    file (last) to ``url``; then the auto message is saved with the attachment."""
    permissions.require(member, "auto_messages.manage")
    name = _display_name(body.get("name"), "name")
    content_type = body.get("content_type")
    if not isinstance(content_type, str) or content_type.lower() not in MEDIA_TYPES:
        raise BadRequest(
            "content_type: this kind of file cannot be attached; images, PDF, text, CSV, "
            "office documents, zip, mp3 and mp4 can"
        )
    content_type = content_type.lower()
    size = body.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_BYTES:
        raise BadRequest(f"size: a file must be 1 byte to {MAX_BYTES // (1024 * 1024)} MB")
    key = f"{DRAFTS}/{member.project_id}/{ids.message_id(now)}/{file_name_for_key(name)}"
    fields = {"Content-Type": content_type}
    post = deps.s3().generate_presigned_post(
        _bucket(),
        key,
        Fields=fields,
        # S3 itself refuses another type or size; settle() checks again anyway.
        Conditions=[fields, ["content-length-range", size, size]],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return {
        "upload": {"url": post["url"], "fields": post["fields"]},
        "attachment": {"key": key, "name": name, "content_type": content_type, "size": size},
    }


def settle(project_id: str, wanted: list[dict], current: list[dict]) -> list[dict]:
    """The attachments to store, from what an auto message is being saved with:
    each ``{"key", "name"}`` is a draft of this project (checked, then published) or an
    attachment the message already has (kept as it is). Returns ``{"key", "name",
    "content_type", "size"}`` per attachment, in order; BadRequest names the first bad
    one and publishes nothing more."""
    held = {attachment["key"]: attachment for attachment in current}
    drafts = _key_pattern(DRAFTS, project_id)
    settled = []
    for index, attachment in enumerate(wanted):
        path = f"content.attachments[{index}]"
        key, name = attachment["key"], attachment["name"]
        if key in held and held[key]["name"] == name:
            settled.append(held[key])
        elif key in held:
            # Renamed: a copy under a new key says the new name when downloaded (the CDN
            # keeps a key's headers for a year); the old key is discarded with the change.
            settled.append(_copy(key, name, held[key]["content_type"], held[key]["size"]))
        elif drafts.fullmatch(key):
            settled.append(_publish(key, name, path))
        else:
            raise BadRequest(f"{path}.key: upload the file first (POST .../attachments)")
    return settled


def _publish(draft_key: str, name: str, path: str) -> dict:
    s3, bucket = deps.s3(), _bucket()
    try:
        head = s3.head_object(Bucket=bucket, Key=draft_key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            raise BadRequest(f"{path}: the upload did not finish (or is over a day old)") from None
        raise
    size = int(head["ContentLength"])
    content_type = (head.get("ContentType") or "").split(";")[0].strip().lower()
    if content_type not in MEDIA_TYPES or not 0 < size <= MAX_BYTES:
        raise BadRequest(f"{path}: the uploaded file cannot be attached (its type or size)")
    return _copy(draft_key, name, content_type, size)


def _copy(source_key: str, name: str, content_type: str, size: int) -> dict:
    """``source_key`` published under a new key of its project, with our headers."""
    project_id, source_file = source_key.split("/")[1], source_key.rsplit("/", 1)[1]
    file_name = file_name_for_key(name)
    extension = source_file.rpartition(".")[2] if "." in source_file else ""
    if extension and not file_name.lower().endswith("." + extension.lower()):
        file_name = f"{file_name[: 99 - len(extension)]}.{extension}"  # "Your coupon" .pdf
    key = f"{PUBLISHED}/{project_id}/{ids.message_id(utcnow())}/{file_name}"
    bucket = _bucket()
    deps.s3().copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": source_key},
        MetadataDirective="REPLACE",
        ContentType=content_type,
        ContentDisposition=_disposition(name, content_type),
        CacheControl="public, max-age=31536000, immutable",  # a key never changes content
    )
    return {"key": key, "name": name, "content_type": content_type, "size": size}


def publish_bytes(project_id: str, name: str, content_type: str, data: bytes) -> dict:
    """A file received another way (an e-mail reply's attachment, services/
    inbound_mail.py) published like a settled one: one of our media types, our headers.
    -> ``{"name", "url"}`` for a message's files."""
    if content_type not in MEDIA_TYPES or len(data) > MAX_BYTES:
        raise BadRequest(f"{name}: not a file type or size we keep")
    key = f"{PUBLISHED}/{project_id}/{ids.message_id(utcnow())}/{file_name_for_key(name)}"
    deps.s3().put_object(
        Bucket=_bucket(),
        Key=key,
        Body=data,
        ContentType=content_type,
        ContentDisposition=_disposition(name, content_type),
        CacheControl="public, max-age=31536000, immutable",
    )
    return {"name": name, "url": public_url(key)}


def discard(keys) -> None:
    """Delete published files no message uses any more. Best effort: the message change
    is already stored, and a file left behind is only storage."""
    keys = [key for key in keys if key.startswith(f"{PUBLISHED}/")]
    if not keys:
        return
    try:
        deps.s3().delete_objects(
            Bucket=_bucket(), Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
        )
    except Exception:  # noqa: BLE001 - see above
        log.exception("deleting attachments %s", keys)
