"""Connecting a project's messenger channels (Settings -> Channels, leads only): a
Telegram bot by its token, a Facebook Page by its id, Page token and app secret.

- Telegram: ``getMe`` checks the token; we make a random ``secret_token`` and call
  ``setWebhook`` with ``<api>/channels/telegram/<channel id>`` (no token in the URL).
- Messenger: ``GET /me`` with the Page token (and ``appsecret_proof``, which checks the
  app secret) must name the Page; we subscribe the app to the Page's ``messages``,
  ``messaging_postbacks`` and ``message_echoes`` and make the verify token the owner
  pastes into the app's webhook settings with the callback URL.

Tokens and secrets go to Secrets Manager (services/channel_secrets.py) and never come
back: answers carry only the last four characters of the token. Disconnecting removes
the webhook (or the subscription), erases the tokens and keeps every chat; connecting the
same bot or Page again (its id is the channel's) continues its customers' chats.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import iso
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.models.channel import (
    CONNECTED,
    CONNECTED_SHARD,
    DISCONNECTED,
    MESSENGER,
    TELEGRAM,
    ChannelModel,
    channel_id_for,
)
from chalicelib.models.project import MemberModel
from chalicelib.services import (
    channel_health,
    channel_lookup,
    channel_outbox,
    channel_secrets,
    messenger,
    permissions,
    telegram,
)
from chalicelib.services.platform_http import PlatformError

_BOT_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")
_PAGE_ID = re.compile(r"[0-9]{1,30}")
_CHANNEL_ID = re.compile(r"(tg|fb)[0-9]{1,30}")


def webhook_url(api_base: str, channel: ChannelModel) -> str:
    return f"{api_base.rstrip('/')}/channels/{channel.kind}/{channel.channel_id}"


def hint(token: str) -> str:
    return "…" + token[-4:]


def view(channel: ChannelModel, api_base: str, secret: dict | None = None) -> dict:
    """What the panel sees: never a token or a secret (the verify token, which the owner
    must paste into Facebook, is not a credential: it opens nothing)."""
    body = {
        "id": channel.channel_id,
        "kind": channel.kind,
        "external_id": channel.external_id,
        "name": channel.name,
        "status": channel.status,
        "connected_at": iso(channel.connected_at),
        "disconnected_at": iso(channel.disconnected_at) if channel.disconnected_at else None,
        "token": channel.token_hint if channel.status == CONNECTED else None,
        "webhook_url": webhook_url(api_base, channel),
        # Token health (services/channel_health.py); the live checks below add their
        # fields to it (webhook, subscription).
        "health": channel_health.health_view(channel),
    }
    if channel.kind == MESSENGER and channel.status == CONNECTED and secret:
        body["verify_token"] = secret.get("verify_token")
        body["app_secret"] = "set"
    return body


def _token_field(body: dict, name: str, label: str, pattern: re.Pattern | None = None) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{name}': paste the {label}")
    value = value.strip()
    if len(value) > 500 or (pattern is not None and not pattern.fullmatch(value)):
        raise BadRequest(f"'{name}': this is not a {label}")
    return value


def _refused(platform: str, error: PlatformError, what: str) -> BadRequest:
    if error.status is None:
        return BadRequest(f"{platform} could not be reached to check the {what}; try again")
    return BadRequest(f"{platform} refused the {what}: {error.description}")


def _existing(channel_id: str, project_id: str) -> ChannelModel | None:
    try:
        channel = ChannelModel.get(channel_id, consistent_read=True)
    except DoesNotExist:
        return None
    if channel.project_id != project_id and channel.status == CONNECTED:
        raise Conflict("this bot or Page is connected to another project: disconnect it there")
    return channel


def _save(channel_id, kind, external_id, name, member, now, version, token) -> ChannelModel:
    channel = ChannelModel(
        channel_id,
        project_id=member.project_id,
        kind=kind,
        external_id=str(external_id),
        name=name,
        status=CONNECTED,
        connected_shard=CONNECTED_SHARD,  # in the daily token check's index
        connected_at=now,
        connected_by=member.user_id,
        secret_version=version,
        token_hint=hint(token),
    )
    channel.save()
    channel_lookup.forget(channel_id)  # the webhook checks against the new secret at once
    channel_health.tell_panels(channel)  # a reconnect: open panels drop their banner
    channel_outbox.release_held(channel)  # replies held while its token was dead go now
    return channel


def connect_telegram(member: MemberModel, body: dict, api_base: str, now: datetime) -> dict:
    permissions.require(member, "channels.manage")
    token = _token_field(body, "token", "bot token from @BotFather", _BOT_TOKEN)
    try:
        bot = telegram.get_me(token)
    except PlatformError as error:
        raise _refused("Telegram", error, "bot token") from None
    if not isinstance(bot, dict) or not bot.get("is_bot") or not isinstance(bot.get("id"), int):
        raise BadRequest("Telegram says this token is not a bot's")
    channel_id = channel_id_for(TELEGRAM, bot["id"])
    _existing(channel_id, member.project_id)
    secret_token = secrets.token_urlsafe(32)  # [A-Za-z0-9_-]: what Telegram allows
    name = "@" + str(bot.get("username") or bot.get("first_name") or bot["id"])
    draft = ChannelModel(channel_id, kind=TELEGRAM)
    try:
        telegram.set_webhook(token, webhook_url(api_base, draft), secret_token)
    except PlatformError as error:
        raise _refused("Telegram", error, "webhook") from None
    version = channel_secrets.store(channel_id, {"token": token, "secret_token": secret_token})
    channel = _save(channel_id, TELEGRAM, bot["id"], name, member, now, version, token)
    body = view(channel, api_base)
    body["health"].update(_telegram_health(token))
    return {"channel": body}


def connect_messenger(member: MemberModel, body: dict, api_base: str, now: datetime) -> dict:
    permissions.require(member, "channels.manage")
    page_id = _token_field(body, "page_id", "Facebook Page id (digits)", _PAGE_ID)
    page_token = _token_field(body, "page_token", "Page access token")
    app_secret = _token_field(body, "app_secret", "app secret (App settings -> Basic)")
    try:
        page = messenger.page_of_token(page_token, app_secret)
    except PlatformError as error:
        raise _refused("Facebook", error, "Page token or app secret") from None
    if str(page.get("id")) != page_id:
        raise BadRequest("this Page access token is for another Page than 'page_id'")
    channel_id = channel_id_for(MESSENGER, page_id)
    _existing(channel_id, member.project_id)
    try:
        messenger.subscribe(page_id, page_token, app_secret)
    except PlatformError as error:
        raise _refused("Facebook", error, "subscription to the Page's messages") from None
    secret = {
        "page_token": page_token,
        "app_secret": app_secret,
        "verify_token": secrets.token_urlsafe(24),
    }
    version = channel_secrets.store(channel_id, secret)
    name = str(page.get("name") or page_id)[:100]
    channel = _save(channel_id, MESSENGER, page_id, name, member, now, version, page_token)
    return {"channel": view(channel, api_base, secret)}


def _owned(member: MemberModel, channel_id: str) -> ChannelModel:
    if not isinstance(channel_id, str) or not _CHANNEL_ID.fullmatch(channel_id):
        raise NotFound("no such channel")
    try:
        channel = ChannelModel.get(channel_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("no such channel") from None
    if channel.project_id != member.project_id:
        raise NotFound("no such channel")
    return channel


def secret_of(channel: ChannelModel) -> dict:
    if channel.status != CONNECTED or not channel.secret_version:
        return {}
    return channel_secrets.load(channel.channel_id, channel.secret_version)


def list_channels(member: MemberModel, api_base: str) -> dict:
    permissions.require(member, "channels.manage")
    channels = ChannelModel.by_project.query(member.project_id)
    return {"channels": [view(c, api_base, _verify_only(c)) for c in channels]}


def _verify_only(channel: ChannelModel) -> dict | None:
    return (
        {"verify_token": secret_of(channel).get("verify_token")}
        if channel.kind == MESSENGER
        else None
    )


def get_channel(member: MemberModel, channel_id: str, api_base: str) -> dict:
    """The channel with its health, asked of the platform now."""
    permissions.require(member, "channels.manage")
    channel = _owned(member, channel_id)
    secret = secret_of(channel)
    body = view(channel, api_base, secret)
    if channel.status == CONNECTED and channel.kind == TELEGRAM:
        body["health"].update(_telegram_health(secret["token"]))
    elif channel.status == CONNECTED:
        body["health"].update(_messenger_health(channel, secret))
    return {"channel": body}


def _telegram_health(token: str) -> dict:
    try:
        info = telegram.webhook_info(token)
    except PlatformError as error:
        return {"ok": False, "error": f"Telegram: {error.description}"}
    error = info.get("last_error_message")
    return {
        "ok": bool(info.get("url")) and not error,
        "webhook_set": bool(info.get("url")),
        "pending_updates": int(info.get("pending_update_count") or 0),
        "last_error": error,
        "last_error_at": info.get("last_error_date"),
    }


def _messenger_health(channel: ChannelModel, secret: dict) -> dict:
    try:
        apps = messenger.subscriptions(
            channel.external_id, secret["page_token"], secret["app_secret"]
        )
    except PlatformError as error:
        return {"ok": False, "error": f"Facebook: {error.description}"}
    fields = sorted({f for app in apps for f in app.get("subscribed_fields") or []})
    return {"ok": "messages" in fields, "subscribed_fields": fields}


def disconnect(member: MemberModel, channel_id: str, api_base: str, now: datetime) -> dict:
    """Stop the platform's deliveries (best effort: a token revoked meanwhile must not
    keep the channel connected), erase the tokens, keep the chats."""
    permissions.require(member, "channels.manage")
    channel = _owned(member, channel_id)
    if channel.status == CONNECTED:
        secret = secret_of(channel)
        try:
            if channel.kind == TELEGRAM:
                telegram.delete_webhook(secret["token"])
            else:
                messenger.unsubscribe(
                    channel.external_id, secret["page_token"], secret["app_secret"]
                )
        except (PlatformError, KeyError):
            pass  # the platform will get 404s from our webhook and give up
        channel_secrets.erase(channel.channel_id)
        channel.update(
            actions=[
                ChannelModel.status.set(DISCONNECTED),
                ChannelModel.connected_shard.remove(),
                ChannelModel.disconnected_at.set(now),
                ChannelModel.secret_version.remove(),
                ChannelModel.token_hint.remove(),
            ]
        )
        channel_lookup.forget(channel.channel_id)  # after the write: nothing re-caches it
    return {"channel": view(channel, api_base)}


def chat_filter(value: str | None):
    """The inbox's ``channel`` filter: ``website``, ``telegram``, ``messenger`` or one
    channel's id; None: every chat."""
    from chalicelib.models.chat import ChatModel

    if value in (None, ""):
        return None
    if value == "website":
        return ChatModel.channel.does_not_exist()
    if value in (TELEGRAM, MESSENGER):
        return ChatModel.channel == value
    if isinstance(value, str) and _CHANNEL_ID.fullmatch(value):
        return ChatModel.channel_id == value
    raise BadRequest("'channel': website, telegram, messenger or a channel's id")
