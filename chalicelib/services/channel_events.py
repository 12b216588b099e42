"""What a platform's webhook said, in one shape for both platforms (services/telegram.py
and services/messenger.py parse into it; services/channel_inbound.py stores it)."""

from __future__ import annotations

from dataclasses import dataclass

# What the team sees for content the panel cannot show yet.
STICKER_NOTE = "[sticker: not shown here; the customer sent a sticker]"
LOCATION_NOTE = "[location: the customer shared a location, not shown here]"
UNSUPPORTED_NOTE = "[a message of a kind not shown here: {kind}]"
PHOTO_NOTE = "[photo]"
PHOTO_LOST_NOTE = "[photo: it could not be fetched from the platform]"
# A file we could not keep: what it was, and why (too large, the platform refused it).
FILE_LOST_NOTE = "[{label} {name}: not kept here, {why}; ask the customer to send it another way]"
# What each kind of file is called to the team (the message's text without a caption).
_FILE_LABELS = {
    "document": "file",
    "file": "file",
    "voice": "voice message",
    "audio": "audio",
    "video": "video",
    "video_note": "video message",
    "animation": "GIF",
}


def file_note(kind: str) -> str:
    """The text of a file's message when the customer wrote no caption: "[voice message]"."""
    return f"[{_FILE_LABELS.get(kind, 'file')}]"


@dataclass(frozen=True)
class IncomingFile:
    """A customer's file to keep in our bucket (platform links expire), as the platform
    described it. ``kind`` is "photo" (shown as the message's picture) or what the file
    was sent as: "document", "voice", "audio", "video", "video_note", "animation" (Telegram),
    "file", "audio", "video" (Messenger)."""

    kind: str
    file_id: str | None = None  # Telegram: getFile, then the file URL
    url: str | None = None  # Messenger: the attachment's URL
    name: str | None = None  # the platform's file name, when it gives one
    content_type: str | None = None  # what the platform says (checked before it is served)
    size: int | None = None  # what the platform says, in bytes (Telegram's file_size)


@dataclass(frozen=True)
class Incoming:
    # Names the platform's event for good: the Telegram update_id, the Messenger mid.
    # It is the message's client id, so a replayed webhook finds the stored message.
    event_key: str
    # The customer's id on the platform (a Telegram chat id, a Page-scoped id).
    customer_id: str
    customer_name: str | None
    text: str
    # True for an echo: the Page itself sent it (from Facebook's own inbox).
    from_team: bool = False
    # A photo or file to keep in our bucket (services/channel_files.py).
    file: IncomingFile | None = None
    # The second and later attachments of one Messenger message: each is a message of
    # ours (one file each), but the platform's one message counts once on the quota.
    extra_part: bool = False
