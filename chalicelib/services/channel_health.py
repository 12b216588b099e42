"""Token health of a messenger channel, and customers who cannot be reached.

A dead token (channel_errors' ``dead_token``) marks the channel "needs reconnecting":
the team sees a banner, sends are held (channel_outbox) until a reconnect saves a new,
healthy channel item. A customer who blocked the bot is marked on their chat.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib.models.channel import ChannelModel
from chalicelib.models.chat import ChatModel
from chalicelib.services.channel_errors import Verdict

NEEDS_RECONNECT = "needs_reconnect"


def needs_reconnect(channel: ChannelModel) -> bool:
    return channel.health == NEEDS_RECONNECT


def mark_dead(channel: ChannelModel, verdict: Verdict, now: datetime) -> bool:
    """Marks the channel once; True when this call marked it (the caller that did tells
    the team). A channel already marked keeps its first reason."""
    try:
        channel.update(
            actions=[
                ChannelModel.health.set(NEEDS_RECONNECT),
                ChannelModel.health_reason.set(verdict.reason),
                ChannelModel.health_at.set(now),
            ],
            condition=ChannelModel.health.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def mark_unreachable(chat: ChatModel, verdict: Verdict) -> None:
    chat.update(actions=[ChatModel.unreachable_reason.set(verdict.reason)])
