"""A messenger customer's picture, fetched once, with their first message, and kept in our
attachments bucket (the platforms' links expire): Telegram's ``getUserProfilePhotos`` then
``getFile``; Facebook's ``profile_pic`` from the same profile read that names the customer.
Checked to be a raster image by its bytes, as photos are (services/channel_files.py).
The key is the customer's visitor id, so a concurrent first delivery writes the same
object again, nothing more. Any failure leaves the customer without a picture: it never
holds up their message."""

from __future__ import annotations

import logging

from chalicelib.models.channel import MESSENGER, TELEGRAM, ChannelModel
from chalicelib.services import messenger, platform_http, telegram
from chalicelib.services.channel_events import Incoming
from chalicelib.services.channel_files import keep_image
from chalicelib.services.platform_http import PlatformError

log = logging.getLogger(__name__)


def first_look(
    channel: ChannelModel, secret: dict, incoming: Incoming, visitor_id: str
) -> tuple[str | None, str | None]:
    """A new customer's name and picture URL in our bucket (either may be None)."""
    name, source = incoming.customer_name, None
    try:
        if channel.kind == MESSENGER and "page_token" in secret:
            given, source = messenger.customer_profile(
                incoming.customer_id, secret["page_token"], secret["app_secret"]
            )
            name = name or given
            data = platform_http.download(source)[0] if source else None
        elif channel.kind == TELEGRAM and "token" in secret:
            file_id = telegram.profile_photo_file(secret["token"], incoming.customer_id)
            data = telegram.download_file(secret["token"], file_id)[0] if file_id else None
        else:
            data = None
    except (PlatformError, KeyError, TypeError):
        # The platform's error names neither token nor customer (platform_http).
        log.info("no picture for a new %s customer of %s", channel.kind, channel.channel_id)
        return name, None
    return name, _keep(channel, visitor_id, data) if data else None


def _keep(channel: ChannelModel, visitor_id: str, data: bytes) -> str | None:
    return keep_image(f"{channel.project_id}/channels/customers/{visitor_id}", data, "picture")
