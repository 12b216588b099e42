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
    # A picture to keep in our bucket (platform links expire): how to fetch it.
    photo_file_id: str | None = None  # Telegram: getFile, then the file URL
    photo_url: str | None = None  # Messenger: the attachment's URL
