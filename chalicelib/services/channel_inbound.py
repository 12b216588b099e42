"""Incoming messenger webhooks: checked, read, stored once, announced to the team.

- Telegram: the ``X-Telegram-Bot-Api-Secret-Token`` header must equal the secret made at
  connection (constant-time); Facebook: ``X-Hub-Signature-256`` over the raw body with
  the app secret (Chalice's ``raw_body`` is already base64-decoded when the gateway
  flagged the body so). A missing check is 401, a wrong one 403, and nothing is stored.
- Once: the platform's own id of the event (Telegram's update_id, Messenger's mid) is the
  message's client id, so the idempotency guard stored with the message (a conditional
  put with a TTL, services/message_store.py) turns a retry or a replay into "already
  stored": nothing new, not counted again. The guard is scoped by the channel's
  customer, so a Telegram update id is per bot.
- The quota: an incoming message (not an echo) adds one to the period's
  ``messenger_messages`` in the same transaction as its message and guard, so the count
  is exact under retries and concurrent deliveries; never refused (it arrived).
- One chat per (channel, customer) while open: the customer is a visitor record with an
  id derived from (channel, platform id), and their chats are that visitor's chats, so a
  closed chat is followed by a new one and a reconnected channel continues.
- Messenger's reply window (services/channel_gate.py) counts from the chat's
  ``customer_last_at``: set by a customer's message (not an echo) in its own write.
- The channel and its secret come from the container's cache (services/channel_lookup.py).
- Fast: store and fan out (and distribution for a new chat), as a website message does.
  A photo or file is fetched and put in our bucket first (services/channel_files.py); a new
  customer's name and picture once, with their first message (services/channel_pictures.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import replace

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.clock import iso, utcnow
from chalicelib.errors import BadRequest, Conflict, Forbidden, TooLarge, Unauthorized
from chalicelib.models.base import cancellation_codes, is_condition_failure, transaction_connection
from chalicelib.models.channel import MESSENGER, TELEGRAM, ChannelModel
from chalicelib.models.chat import (
    STATUS_CLOSED,
    STATUS_OPEN,
    ChatModel,
    activity_key,
    open_shard,
    queued_key,
)
from chalicelib.models.connection import team_audience
from chalicelib.models.message import AUTHOR_OPERATOR, AUTHOR_VISITOR
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime import frames
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import (
    channel_consent,
    channel_files,
    channel_lookup,
    channel_outbox,
    channel_pictures,
    distribution,
    messenger,
    messenger_quota,
    permissions,
    projects,
    queue,
    telegram,
)
from chalicelib.services.channel_events import Incoming
from chalicelib.services.chat_reads import last_message_of, message_view, summary_after
from chalicelib.services.message_store import (
    WRITE_ATTEMPTS,
    Draft,
    Posted,
    assignee_is,
    backoff,
    chat_actions,
    duplicate_of,
    save_message,
    save_opening,
    store,
)

MAX_TEXT_CHARS = 4096  # Telegram's own limit (Messenger's is 2,000)
MAX_BODY_BYTES = 256 * 1024


# --- the webhooks ---------------------------------------------------------------------


def _parsed(raw: bytes) -> dict:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _raw(raw_body) -> bytes:
    raw = raw_body if isinstance(raw_body, bytes) else (raw_body or "").encode()
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge("the body is too large")
    return raw


def telegram_webhook(channel_id: str, headers, raw_body, fanout: Fanout, clock=utcnow) -> dict:
    given = headers.get(telegram.SECRET_HEADER)

    def check(secret: dict) -> None:
        if not given:
            raise Unauthorized("the X-Telegram-Bot-Api-Secret-Token header is missing")
        if not hmac.compare_digest(given.encode(), str(secret.get("secret_token", "")).encode()):
            raise Forbidden("the X-Telegram-Bot-Api-Secret-Token header is wrong")

    channel, secret = channel_lookup.connected(channel_id, TELEGRAM, check)
    incoming = telegram.parse_update(_parsed(_raw(raw_body)))
    if incoming is None:
        return {"ok": True, "stored": 0, "ignored": "not a message in a private chat"}
    posted = receive(channel, secret, incoming, fanout, clock)
    return {"ok": True, "stored": 0 if posted.duplicate else 1}


def messenger_verify(channel_id: str, params: dict) -> str:
    """Facebook's subscription check: echo ``hub.challenge`` for our verify token."""
    channel, secret = channel_lookup.connected(channel_id, MESSENGER, fresh=True)
    wanted = str(secret.get("verify_token", ""))
    given = str(params.get("hub.verify_token") or "")
    if params.get("hub.mode") != "subscribe" or not given:
        raise BadRequest("expected hub.mode=subscribe with hub.verify_token and hub.challenge")
    if not hmac.compare_digest(given.encode(), wanted.encode()):
        raise Forbidden("hub.verify_token is not this channel's verify token")
    challenge = params.get("hub.challenge")
    if not isinstance(challenge, str) or not challenge or len(challenge) > 200:
        raise BadRequest("hub.challenge is missing")
    return challenge


def messenger_webhook(channel_id: str, headers, raw_body, fanout: Fanout, clock=utcnow) -> dict:
    raw = _raw(raw_body)
    signature = headers.get(messenger.SIGNATURE_HEADER)

    def check(secret: dict) -> None:
        if not signature:
            raise Unauthorized("the X-Hub-Signature-256 header is missing")
        if not messenger.signature_ok(raw, signature, str(secret.get("app_secret", ""))):
            raise Forbidden("the X-Hub-Signature-256 signature does not match the body")

    channel, secret = channel_lookup.connected(channel_id, MESSENGER, check)
    events = messenger.parse_body(_parsed(raw), channel.external_id)
    stored = 0
    for incoming in events:
        stored += not receive(channel, secret, incoming, fanout, clock).duplicate
    return {"ok": True, "stored": stored, "events": len(events)}


# --- storing --------------------------------------------------------------------------


def customer_visitor_id(channel_id: str, customer_id: str) -> str:
    """The visitor standing for a channel's customer: derived, so no lookup table."""
    return "v_" + hashlib.sha256(f"{channel_id}:{customer_id}".encode()).hexdigest()[:20]


def receive(
    channel: ChannelModel,
    secret: dict,
    incoming: Incoming,
    fanout: Fanout,
    clock=utcnow,
    sleep=time.sleep,
) -> Posted:
    if len(incoming.text) > MAX_TEXT_CHARS:
        raise TooLarge(f"a message may have at most {MAX_TEXT_CHARS} characters")
    project = projects.require_project(channel.project_id)
    visitor = _customer(channel, secret, incoming, clock())
    counted = not incoming.from_team and not incoming.extra_part
    draft = Draft(
        channel.project_id,
        "",
        AUTHOR_OPERATOR if incoming.from_team else AUTHOR_VISITOR,
        f"channel.{channel.channel_id}" if incoming.from_team else visitor.visitor_id,
        channel.name if incoming.from_team else visitor.name,
        incoming.text,
        incoming.event_key,
    )
    draft = channel_files.with_file(draft, channel, secret, incoming)
    posted = None
    for attempt in range(WRITE_ATTEMPTS):
        now = clock()
        usage, adding, period = messenger_quota.count_item(project, now)

        def count(transaction, usage=usage, adding=adding):
            if counted:
                transaction.update(usage, actions=adding)

        posted = _append(draft, visitor, count, clock, sleep)
        if posted is None:
            posted = _open(draft, visitor, channel, count, now)
        if posted is not None:
            break
        backoff(attempt, sleep)
        visitor = VisitorModel.get(visitor.project_id, visitor.visitor_id, consistent_read=True)
        channel_lookup.keep_customer(visitor)
    if posted is None:
        raise Conflict("the chat is busy; deliver again")
    if posted.opened:  # the kept copy follows what the opening wrote (save_opening)
        visitor.current_chat_id = posted.message.chat_id
        visitor.chat_count = int(visitor.chat_count or 0) + 1
        visitor.closed_chats = None
        channel_lookup.keep_customer(visitor)
    if not posted.duplicate:
        if counted:
            messenger_quota.counted(project, period)
        _announce(posted, channel, visitor, fanout)
        if posted.opened and counted:
            _notify_consent(project, posted, channel, visitor, fanout, clock)
        if posted.opened:
            distribution.distribute(
                channel.project_id, fanout, opened=queue.key_of_opened(posted.message)
            )
    return posted


def _notify_consent(project, posted: Posted, channel, visitor, fanout: Fanout, clock) -> None:
    """A new dialogue: the privacy notice, if the project asks (services/channel_consent)."""
    notice = channel_consent.send_notice(project, posted, clock)
    if notice is not None:
        _announce(notice, channel, visitor, fanout)
        channel_outbox.queued(notice.message, notice.assignee_id, fanout)


def _customer(channel: ChannelModel, secret: dict, incoming: Incoming, now) -> VisitorModel:
    visitor_id = customer_visitor_id(channel.channel_id, incoming.customer_id)
    kept = channel_lookup.customer(channel.project_id, visitor_id)
    if kept is not None:
        return kept
    try:
        visitor = VisitorModel.get(channel.project_id, visitor_id, consistent_read=True)
    except DoesNotExist:
        pass
    else:
        if visitor.channel_customer_id is None:  # a customer stored before replies went out
            visitor.update(actions=[VisitorModel.channel_customer_id.set(incoming.customer_id)])
        return channel_lookup.keep_customer(visitor)
    # Their first message: the name (Messenger's profile) and picture, asked once.
    name, picture = channel_pictures.first_look(channel, secret, incoming, visitor_id)
    fallback = "Telegram user" if channel.kind == TELEGRAM else "Messenger user"
    visitor = VisitorModel(
        channel.project_id,
        visitor_id,
        name=name or fallback,
        created_at=now,
        last_seen_at=now,
        chat_count=0,
        channel_id=channel.channel_id,
        channel_customer_id=incoming.customer_id,
        picture_url=picture,
    )
    try:
        visitor.save(condition=VisitorModel.visitor_id.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):
            raise
        return VisitorModel.get(channel.project_id, visitor_id, consistent_read=True)
    return visitor


def _append(draft: Draft, visitor: VisitorModel, count, clock, sleep) -> Posted | None:
    """Into the customer's open chat; None when there is none (or it closed meanwhile)."""
    current = visitor.current_chat_id
    if not current:
        return None
    try:
        chat = ChatModel.get(visitor.project_id, current, consistent_read=True)
    except DoesNotExist:
        return None
    if chat.status == STATUS_CLOSED:
        return None
    condition = (ChatModel.status != STATUS_CLOSED) & assignee_is(chat.assignee_id)

    def also(transaction, message, now):
        transaction.update(
            ChatModel(message.project_id, message.chat_id),
            actions=chat_actions(message) + _customer_wrote(message),
            condition=condition,
        )
        count(transaction)

    posted = store(
        replace(draft, chat_id=current),
        clock,
        sleep,
        also=also,
        assignee_id=chat.assignee_id,
        busy="the chat is busy; deliver again",
    )
    if posted is not None:
        posted.visitor_name = chat.visitor_name
    return posted


def _customer_wrote(message) -> list:
    """Messenger's reply window counts from the customer's last message (not an echo of
    the Page's): set in that message's own UpdateItem, so it costs no request."""
    if message.author_type != AUTHOR_VISITOR:
        return []
    return [
        ChatModel.customer_last_at.set(message.created_at),
        ChatModel.unreachable_reason.remove(),  # they wrote: whatever said they blocked us is over
    ]


def _open(draft: Draft, visitor: VisitorModel, channel: ChannelModel, count, now) -> Posted | None:
    """A new chat for the customer (their first, or the one after a close): one
    transaction of guard + message, the chat (conditional put on its deterministic id),
    the visitor's current chat (on the count of chats as read) and the count. None: a
    concurrent delivery moved first (the caller reads again and appends)."""
    sequence = int(visitor.chat_count or 0) + 1
    chat_id = ids.chat_id_for(visitor.visitor_id, sequence)
    message = draft.at(now, chat_id=chat_id)
    stamp = iso(now)
    from_customer = draft.author_type == AUTHOR_VISITOR
    chat = ChatModel(
        visitor.project_id,
        chat_id,
        visitor_id=visitor.visitor_id,
        visitor_name=visitor.name,
        status=STATUS_OPEN,
        created_at=now,
        last_activity_at=stamp,
        activity_key=activity_key(stamp, chat_id),
        open_shard=open_shard(chat_id),
        waiting_project_id=visitor.project_id,
        queued_key=queued_key(stamp, chat_id),
        unanswered_key=stamp if from_customer else None,
        last_message=last_message_of(message),
        unread_by_team=1 if from_customer else 0,
        # In the ``unread`` index (GET /me/unread) as a website chat's first message is.
        unread_project_id=visitor.project_id if from_customer else None,
        unread_by_visitor=0 if from_customer else 1,
        channel=channel.kind,
        channel_id=channel.channel_id,
        channel_name=channel.name,
        customer_last_at=now if from_customer else None,
        visitor_picture_url=visitor.picture_url,
    )
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            save_message(transaction, message, now)
            save_opening(transaction, chat, visitor, sequence)
            count(transaction)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if codes[:1] == ["ConditionalCheckFailed"]:
            return duplicate_of(draft)
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            return None
        raise
    return Posted(message, duplicate=False, opened=True, visitor_name=visitor.name)


def _announce(posted: Posted, channel: ChannelModel, visitor: VisitorModel, fanout: Fanout) -> None:
    """To the team sockets that may see the chat (nobody else: the customer is on the
    platform, not on a socket)."""
    message = posted.message
    summary = summary_after(
        message,
        message.chat_id,
        visitor.visitor_id,
        posted.assignee_id,
        posted.visitor_name or visitor.name,
    )
    summary["channel"] = {"kind": channel.kind, "id": channel.channel_id, "name": channel.name}
    if visitor.picture_url:
        summary["visitor_picture_url"] = visitor.picture_url
    if message.author_type == AUTHOR_VISITOR:  # the window's start (an echo leaves it)
        summary["channel"]["customer_last_at"] = iso(message.created_at)
        summary["unreachable_reason"] = None  # cleared by this message's write
    fanout.deliver(
        [
            (
                team_audience(message.project_id),
                frames.message_to_team(message_view(message), summary),
                permissions.team_sockets_for(posted.assignee_id),
            )
        ]
    )
