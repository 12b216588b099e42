"""May the team reply on this Telegram/Messenger chat now, and with which Messenger tag.

``reply_tag`` is called before a reply is queued for the platform (channel_outbox). It
raises ``PaymentRequired`` (402, reason ``messenger_messages``) when the period's messenger
messages are used up, ``Conflict`` when Messenger's window is closed (24 hours from the
customer's last message; up to 7 days with ``HUMAN_AGENT`` where the project enables it,
never for automatic messages), and returns the tag the reply must carry (or None).

INTERFACE FIRST (session 21): the lead fixed this signature so the sender and the rules
could be built side by side; the rules themselves land with their tests.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.models.chat import ChatModel
from chalicelib.models.project import ProjectModel


def reply_tag(
    project: ProjectModel, chat: ChatModel, now: datetime, *, automatic: bool = False
) -> str | None:
    return None
