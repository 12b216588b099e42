"""Which auto messages a visitor's widget should hold, and what the widget reports back.

On a page view the server applies the facts it holds (country, page, visits, campaign,
custom events seen so far...) to every enabled widget auto message of the project,
through the targeting engine's three-valued pass. Those that cannot fire are dropped; the
others go to the widget with only their remaining client-side conditions (timers, exit
intent, events not seen yet), which ``rules.js`` evaluates. The widget then reports
``sent`` (shown to the visitor), ``opened`` (the chat opened on it) and ``replied``.

A project's auto messages are read with one Query and kept for a minute per Lambda
container, so most page views pay nothing for them; whether the team is online is read
only when a message depends on it, and kept for half a minute.
"""

from __future__ import annotations

import time
from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.errors import BadRequest, NotFound
from chalicelib.models.auto_message import AutoMessageModel
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import auto_messages
from chalicelib.targeting import compile_rules, field_values

MESSAGES_TTL = 60.0
TEAM_TTL = 30.0
WIDGET_TYPES = ("proactive", "targeted")
EVENTS = ("sent", "opened", "replied")
_messages_cache: dict[str, tuple[float, list]] = {}
_team_cache: dict[str, tuple[float, bool]] = {}


def _project_messages(project_id: str, clock=time.monotonic) -> list:
    cached = _messages_cache.get(project_id)
    if cached and clock() - cached[0] < MESSAGES_TTL:
        return cached[1]
    found = [
        (item, compile_rules(item.rules or {}), _widget_content(item))
        for item in AutoMessageModel.query(project_id)
        if item.enabled and item.type in WIDGET_TYPES and "widget" in (item.channels or [])
    ]
    _messages_cache[project_id] = (clock(), found)
    return found


def _widget_content(item: AutoMessageModel) -> dict:
    """The content as the widget reads it, made once per cache fill; empty parts left out
    (every page view carries it, up to 100 messages)."""
    content = auto_messages.view(item)["content"]
    return {key: value for key, value in content.items() if value not in (None, [], "")}


def _team_online(project_id: str, clock=time.monotonic) -> bool:
    cached = _team_cache.get(project_id)
    if cached and clock() - cached[0] < TEAM_TTL:
        return cached[1]
    online = any(
        m.presence == "online" and m.status == "online" and int(m.live_connections or 0) > 0
        for m in MemberModel.query(project_id)
    )
    _team_cache[project_id] = (clock(), online)
    return online


def server_facts(visitor: VisitorModel) -> dict:
    """The visitor as the targeting engine names its server-side facts."""
    utm = visitor.utm.as_dict() if visitor.utm else {}
    facts = {
        "browser_language": visitor.language,
        "chat_history": int(visitor.chat_count or 0) > 0,
        # identify's verified address or one the visitor gave (pre-chat form, away card)
        "email_known": bool(visitor.user_email or visitor.given_email),
        "city": visitor.city,
        "country": visitor.country,
        "page_url": visitor.page_url,
        "page_views": int(visitor.page_views) if visitor.page_views is not None else None,
        "invitations_sent": int(visitor.invitations_sent or 0),
        "visits": int(visitor.visits) if visitor.visits is not None else None,
        "user_agent": visitor.user_agent,
        "platform": visitor.platform,
        "rating": visitor.last_rating,
        "referrer_url": visitor.referrer,
        "source_url": visitor.source_url,
        # Custom events of earlier page views; the widget adds this page's (page_events).
        "event_names": sorted(visitor.event_names) if visitor.event_names else None,
        **{f"utm_{key}": value for key, value in utm.items()},
    }
    return {key: value for key, value in facts.items() if value is not None}


def candidates(project_id: str, visitor: VisitorModel) -> list[dict]:
    """The auto messages this visitor's widget should hold, with what it still has to
    check itself."""
    held = []
    values = None
    shown = set(visitor.shown_auto or [])
    logged_in = bool(visitor.user_id)
    for item, compiled, content in _project_messages(project_id):
        if item.audience == "visitors" and logged_in:
            continue
        if (item.audience == "users" or item.type == "targeted") and not logged_in:
            continue
        if item.once_per_user and item.message_id in shown:
            continue
        wanted_online = {"online": True, "offline": False}.get(item.team_status)
        if wanted_online is not None and _team_online(project_id) != wanted_online:
            continue
        # The visitor's facts are read once per page view, not once per message.
        values = values if values is not None else field_values(server_facts(visitor), 0)
        residual = compiled.client_residual(values)  # None: the server's facts say no
        if residual is not None:
            held.append({"id": item.message_id, "content": content, "rules": residual})
    return held


def record_event(identity: VisitorIdentity, message_id, body: dict, now: datetime) -> dict:
    """The widget reports an auto message ``sent`` (shown), ``opened`` or ``replied``.
    ``sent`` also moves the visitor's invitation facts and remembers the message (for
    "send only once per user")."""
    event = body.get("event")
    if event not in EVENTS:
        raise BadRequest("'event' must be sent, opened or replied")
    figures = auto_messages.record(identity.project_id, message_id, event)
    if event == "sent":
        try:
            VisitorModel(identity.project_id, identity.visitor_id).update(
                actions=[
                    VisitorModel.invitations_sent.set((VisitorModel.invitations_sent | 0) + 1),
                    VisitorModel.last_invitation_at.set(now),
                    VisitorModel.shown_auto.add({message_id}),
                ],
                condition=VisitorModel.visitor_id.exists(),
            )
        except UpdateError as error:
            if is_condition_failure(error):
                raise NotFound("unknown visitor: start a session") from None
            raise
    return {"stats": figures}
