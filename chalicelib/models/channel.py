"""Messenger channels: a project's Telegram bots and Facebook Pages.

The id is the platform's own (``tg<bot id>``, ``fb<page id>``), so connecting the same
bot or Page again finds the same record and its customers' chats continue; a bot or
Page belongs to one project at a time (a bot has one webhook). The tokens and secrets
are not here: they are in Secrets Manager (services/channel_secrets.py), and this record
says which version of that secret is current.

Access patterns:
- channel C (a webhook's path names it): GetItem.                      -> ChannelModel
- a project's channels (Settings -> Channels): Query GSI ``by_project``.
                                                           -> ChannelModel.by_project
"""

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import table_meta

TELEGRAM = "telegram"
MESSENGER = "messenger"
KINDS = (TELEGRAM, MESSENGER)
CONNECTED = "connected"
DISCONNECTED = "disconnected"


def channel_id_for(kind: str, external_id: str) -> str:
    return ("tg" if kind == TELEGRAM else "fb") + str(external_id)


class ChannelsByProject(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_project"
        projection = AllProjection()

    project_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute(range_key=True)


class ConnectedChannels(GlobalSecondaryIndex):
    """Every connected channel, for the clock app's daily token check (a Query, never a
    Scan): sparse, ``connected_shard`` is present only while the channel is connected."""

    class Meta:
        index_name = "connected"
        projection = AllProjection()

    connected_shard = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute(range_key=True)


# One shard: a channel is a bot or a Page, a few per account, read once a day.
CONNECTED_SHARD = "connected"


class ChannelModel(Model):
    Meta = table_meta("channels")

    channel_id = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # telegram | messenger
    external_id = UnicodeAttribute()  # the bot's id, the Page's id
    name = UnicodeAttribute()  # the bot's @username, the Page's name
    status = UnicodeAttribute(default=CONNECTED)
    connected_shard = UnicodeAttribute(null=True)  # CONNECTED_SHARD while connected
    connected_at = UTCDateTimeAttribute()
    connected_by = UnicodeAttribute()
    disconnected_at = UTCDateTimeAttribute(null=True)
    # The Secrets Manager version holding this connection's token and secrets (a new
    # connection is a new version: a Lambda's cache keyed by it is never stale).
    secret_version = UnicodeAttribute(null=True)
    # The last four characters of the token, so the panel can tell which one is in use.
    token_hint = UnicodeAttribute(null=True)
    # Token health (services/channel_health.py): "needs_reconnect" once the platform says
    # the token is dead; absent while healthy. A reconnect saves a new item: healthy again.
    health = UnicodeAttribute(null=True)
    health_reason = UnicodeAttribute(null=True)  # channel_errors' reason, for the banner
    health_at = UTCDateTimeAttribute(null=True)
    health_mailed_at = UTCDateTimeAttribute(null=True)  # the one e-mail to the administrator

    by_project = ChannelsByProject()
    connected = ConnectedChannels()
