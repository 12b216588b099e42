"""Who is on the site now: heartbeats keep a visitor online, the panel lists the online
ones (as many as the plan tracks), and the clock app lets quiet ones drop off.

A visitor is online while their last page view or heartbeat is less than ``WINDOW`` old.
The widget beats while its page is visible (every 90 s; every 15 s while someone on the
team reads this list: services/heartbeat_cadence.py), so a reader who stays on one page
for ten minutes stays in the list; each beat is one UpdateItem and, in steady state, no
read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import iso
from chalicelib.errors import NotFound
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import ONLINE_SHARDS, VisitorModel, online_shard
from chalicelib.services import heartbeat_cadence, mail_contact, permissions, projects, quotas
from chalicelib.services.chat_reads import visible_chat

WINDOW = timedelta(minutes=4)
LIST_CAP = 500  # "unlimited" plans: one page of the live list


def online_actions(project_id: str, visitor_id: str, now: datetime) -> list:
    """The part of a page view's or heartbeat's write that keeps the visitor listed."""
    return [
        VisitorModel.online_project_id.set(project_id),
        VisitorModel.online_seen_at.set(iso(now)),
        VisitorModel.online_shard.set(online_shard(visitor_id)),
    ]


def heartbeat(identity: VisitorIdentity, now: datetime) -> dict:
    """Still here: one conditional UpdateItem (the visitor must exist). The answer says
    when to beat next (``beat``, seconds), which the record keeps too."""
    beat = heartbeat_cadence.beat_of(identity.project_id, now)
    visitor = VisitorModel(identity.project_id, identity.visitor_id)
    try:
        visitor.update(
            actions=[
                VisitorModel.last_seen_at.set(now),
                VisitorModel.next_beat_at.set(heartbeat_cadence.next_beat_at(beat, now)),
                *online_actions(identity.project_id, identity.visitor_id, now),
            ],
            condition=VisitorModel.visitor_id.exists(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("unknown visitor: start a session") from None
        raise
    # The visitor's dialogue, as the write returned it: a widget with no socket learns
    # here that an operator started a chat with them.
    return {"ok": True, "chat_id": visitor.current_chat_id, "beat": beat}


def visitor_view(visitor: VisitorModel, now: datetime) -> dict:
    started = visitor.visit_started_at or visitor.created_at
    return {
        "id": visitor.visitor_id,
        "name": visitor.name,
        "page_url": visitor.page_url,
        "referrer": visitor.referrer,
        "source_url": visitor.source_url,
        "visit_started_at": iso(started) if started else None,
        "seconds_on_site": int((now - started).total_seconds()) if started else None,
        "visits": int(visitor.visits or 1),
        "page_views": int(visitor.page_views or 1),
        "country": visitor.country,
        "city": visitor.city,
        "platform": visitor.platform,
        "os": visitor.os,
        "browser": visitor.browser,
        "language": visitor.language,
        "chat_id": visitor.current_chat_id,
        # A dialogue, and a live socket of theirs (the widget connects when chatting).
        "chatting": bool(visitor.current_chat_id and visitor.online),
    }


def visitor_of_chat(member: MemberModel, chat_id: str, now: datetime) -> dict:
    """Who the team is talking to in a dialogue they may see: the visitor's facts, and
    the site's logged-in user if identified."""
    chat = visible_chat(member, chat_id)
    try:
        visitor = VisitorModel.get(member.project_id, chat.visitor_id)
    except DoesNotExist:
        raise NotFound("no such visitor") from None
    view = visitor_view(visitor, now)
    view["online"] = bool(visitor.online_seen_at and visitor.online_seen_at > iso(now - WINDOW))
    view["user"] = (
        {"id": visitor.user_id, "name": visitor.user_name, "email": visitor.user_email}
        if visitor.user_id
        else None
    )
    view["last_event"] = visitor.last_event
    # The known address, and whether it stopped the team's e-mails (services/mail_contact).
    view["mail"] = mail_contact.facts(member.project_id, visitor)
    # What the visitor typed in the pre-chat form or away card (services/visitor_contact.py).
    view["given"] = (
        {"name": visitor.given_name, "email": visitor.given_email}
        if visitor.given_name or visitor.given_email
        else None
    )
    return view


def list_online(member: MemberModel, now: datetime) -> dict:
    """The visitors on the site now, latest activity first: one Query, bounded by the
    number the project's plan tracks. Someone is looking: the widgets beat often for a
    while (at most one write per ~15-20 s: services/heartbeat_cadence.py)."""
    permissions.require(member, "visitors.view")
    project = projects.require_project(member.project_id)
    heartbeat_cadence.mark_watched(project, now)
    limit = quotas.online_visitors_shown(project)
    cap = LIST_CAP if limit is None else limit
    found = VisitorModel.online_index.query(
        member.project_id,
        VisitorModel.online_seen_at > iso(now - WINDOW),
        scan_index_forward=False,
        limit=cap + 1,
    )
    visitors = [visitor_view(v, now) for v in found]
    return {
        "visitors": visitors[:cap],
        "limit": limit,
        # More are online than the plan tracks (or than one page shows).
        "more": len(visitors) > cap,
    }


def sweep_quiet(now: datetime) -> int:
    """Drop visitors quiet for longer than the window from both online indexes. Each
    removal is conditioned on the visitor not having come back meanwhile, so a rerun or
    a race with a heartbeat removes nothing it should not."""
    removed = 0
    cutoff = iso(now - WINDOW)
    for shard in range(ONLINE_SHARDS):
        for key in VisitorModel.quiet_index.query(
            str(shard), VisitorModel.online_seen_at <= cutoff
        ):
            try:
                VisitorModel(key.project_id, key.visitor_id).update(
                    actions=[
                        VisitorModel.online_project_id.remove(),
                        VisitorModel.online_seen_at.remove(),
                        VisitorModel.online_shard.remove(),
                    ],
                    condition=VisitorModel.online_seen_at <= cutoff,
                )
                removed += 1
            except UpdateError as error:
                if not is_condition_failure(error):
                    raise
    return removed
