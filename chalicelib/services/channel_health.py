"""Token health of a messenger channel, and customers who cannot be reached.

A dead token (channel_errors' ``dead_token``) marks the channel "needs reconnecting":
sends are held (channel_outbox) until a reconnect saves a new, healthy channel item
(``channels._save`` replaces the whole item, so the marks below go with the old token).
The call that marks it tells the team, once:

- a ``channel_health`` frame to every team socket of the project, so an open panel shows
  the banner at once (operators too: they see replies held and must know why);
- one e-mail to the project's administrator (the account owner: one per project) saying
  which channel, why, that replies are held and how to reconnect. ``health_mailed_at`` is
  claimed with a conditional write before the mail goes, so concurrent senders (and the
  daily check, which retries a mail that failed) send it once; a failed send gives the
  claim back.

Telling the team never raises into the caller: the sender holding a reply, or the daily
check, must go on whatever SES or a socket does. A customer who blocked the bot is marked
on their chat (``unreachable_reason``), and the team's sockets hear the chat's new summary.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import quote

from pynamodb.exceptions import UpdateError

from chalicelib import deps
from chalicelib.clock import iso
from chalicelib.config import get_settings
from chalicelib.models.base import is_condition_failure
from chalicelib.models.channel import CONNECTED, TELEGRAM, ChannelModel
from chalicelib.models.chat import ChatModel
from chalicelib.models.connection import team_audience
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.realtime import frames
from chalicelib.services import permissions
from chalicelib.services.channel_errors import Verdict
from chalicelib.services.chat_reads import chat_view

log = logging.getLogger(__name__)

NEEDS_RECONNECT = "needs_reconnect"
OK = "ok"


def needs_reconnect(channel: ChannelModel) -> bool:
    return channel.health == NEEDS_RECONNECT


def health_view(channel: ChannelModel) -> dict:
    """``{state: ok|needs_reconnect, reason, since}``: what the panel shows. Only a
    connected channel can need reconnecting (a disconnected one has no token)."""
    if not needs_reconnect(channel) or channel.status != CONNECTED:
        return {"state": OK, "reason": None, "since": None}
    since = iso(channel.health_at) if channel.health_at else None
    return {"state": NEEDS_RECONNECT, "reason": channel.health_reason, "since": since}


def alert_view(channel: ChannelModel) -> dict:
    """A channel needing reconnecting as every member may see it (the banner): no token,
    no webhook, nothing of Settings -> Channels but its name and why."""
    return {
        "id": channel.channel_id,
        "kind": channel.kind,
        "name": channel.name,
        "health": health_view(channel),
    }


def alerts(project_id: str) -> list[dict]:
    """The project's connected channels that need reconnecting (the project answer
    carries them, so the banner costs the panel no request of its own): one Query of the
    few channels a project has."""
    return [
        alert_view(channel)
        for channel in ChannelModel.by_project.query(project_id)
        if channel.status == CONNECTED and needs_reconnect(channel)
    ]


def mark_dead(channel: ChannelModel, verdict: Verdict, now: datetime) -> bool:
    """Marks the channel once; True when this call marked it (and told the team). A
    channel already marked keeps its first reason. Only the connection whose token
    failed is marked: a reconnect in the meantime (a new secret version) or a disconnect
    is left alone, so a late failure of the old token cannot mark the new one dead."""
    condition = ChannelModel.health.does_not_exist() & (ChannelModel.status == CONNECTED)
    if channel.secret_version:
        condition &= ChannelModel.secret_version == channel.secret_version
    try:
        channel.update(
            actions=[
                ChannelModel.health.set(NEEDS_RECONNECT),
                ChannelModel.health_reason.set(verdict.reason),
                ChannelModel.health_at.set(now),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    tell_panels(channel)
    mail_once(channel, now)
    return True


def tell_panels(channel: ChannelModel) -> None:
    """The channel's health to every team socket of its project: marked dead here, healthy
    again after a reconnect (channels._save), so open banners come and go live."""
    try:
        frame = frames.channel_health(alert_view(channel))
        deps.fanout().deliver([(team_audience(channel.project_id), frame)])
    except Exception:  # noqa: BLE001 - the banner also comes with the next project load
        log.exception("channel_health frame for %s failed", channel.channel_id)


def mail_once(channel: ChannelModel, now: datetime) -> bool:
    """E-mail the administrator about a channel marked dead, unless someone did. True
    when this call sent it. The daily check calls it again for a channel marked but not
    mailed (a send that failed, a process that stopped between the mark and the mail)."""
    if not _claim_mail(channel, now):
        return False
    try:
        project = ProjectModel.get(channel.project_id)
        owner = MemberModel.get(channel.project_id, project.owner_id)
        subject, text = email(project, channel)
        deps.mailer().send(owner.email, subject, text)
        return True
    except Exception:  # noqa: BLE001 - logged; the claim goes back for the next try
        log.exception("needs-reconnecting e-mail for %s failed", channel.channel_id)
    try:
        channel.update(
            actions=[ChannelModel.health_mailed_at.remove()],
            condition=ChannelModel.health_mailed_at == now,
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            log.exception("could not give back the e-mail claim of %s", channel.channel_id)
    return False


def _claim_mail(channel: ChannelModel, now: datetime) -> bool:
    condition = ChannelModel.health_mailed_at.does_not_exist() & (
        ChannelModel.health == NEEDS_RECONNECT
    )
    try:
        channel.update(actions=[ChannelModel.health_mailed_at.set(now)], condition=condition)
    except UpdateError as error:
        if is_condition_failure(error):
            return False  # mailed already (or reconnected meanwhile)
        raise
    return True


def settings_link(project_id: str) -> str:
    base = get_settings().panel_url or "https://example.invalid/panel/"
    return f"{base}#/{quote(project_id, safe='')}/settings"


def channel_label(channel: ChannelModel) -> str:
    return ("Telegram " if channel.kind == TELEGRAM else "Messenger Page ") + channel.name


def email(project: ProjectModel, channel: ChannelModel) -> tuple[str, str]:
    """The e-mail's subject and plain text (names are the platforms' and the owner's:
    plain text, no HTML part)."""
    name = " ".join(project.name.split())
    label = channel_label(channel)
    if channel.kind == TELEGRAM:
        how = (
            "In Telegram, ask @BotFather for the bot's current token (/mybots, then the"
            " bot, then API Token), and paste it in the panel's Settings -> Channels,"
            " Reconnect."
        )
    else:
        how = (
            "In your Meta app (Messenger -> API settings) generate a new Page access token"
            f" for the Page (id {channel.external_id}), and paste it with the app secret in"
            " the panel's Settings -> Channels, Reconnect."
        )
    text = "\n".join(
        [
            f"{label} in {name} needs reconnecting: {channel.health_reason}.",
            "",
            "Replies your team writes to its customers are held, not lost: they are sent"
            " as soon as it is reconnected.",
            "",
            how,
            "",
            f"Open Settings -> Channels: {settings_link(project.project_id)}",
            "",
            "You get this e-mail once for this connection, as the project's administrator.",
        ]
    )
    return f"[{name}] {label} needs reconnecting", text


def mark_unreachable(chat: ChatModel, verdict: Verdict) -> None:
    """The customer blocked the bot (or left the platform): shown on the chat until they
    write again (channel_inbound clears it in the message's own write)."""
    chat.update(actions=[ChatModel.unreachable_reason.set(verdict.reason)])
    try:
        deps.fanout().deliver(
            [
                (
                    team_audience(chat.project_id),
                    frames.chat(chat_view(chat)),
                    permissions.team_sockets_for(chat.assignee_id),
                )
            ]
        )
    except Exception:  # noqa: BLE001 - the chat's next read shows it anyway
        log.exception("chat frame for the unreachable chat %s failed", chat.chat_id)
