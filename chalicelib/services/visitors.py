"""Visitor sessions: who is on the site, under a token bound to one project and one page
origin.

Unique visitors (services/quotas.py) are counted on real activity, not on the first
session call: the project id is public, so a script calling the session endpoint in a loop
must not use up the plan. A new visitor's first page view writes their record, uncounted,
with a TTL (a caller that never comes back leaves nothing behind after two days), and gets
a token that says "not counted yet" (``cnt`` 0). The visitor is counted when that token
comes back: a heartbeat (the widget's first one comes 10 s after a new visitor's page
view), an event, a message, the next page view. Counting is then:
- a visitor already counted in this billing period: one UpdateItem, conditioned on
  ``counted_period``; no quota write;
- otherwise one TransactWriteItems: the visitor record (conditioned on not being counted
  in this period) and the period's counter (ADD 1, conditioned on staying within the
  plan's limit). Many new visitors at once at the edge of the limit admit exactly the
  limit.
The answer that counted a visitor carries a renewed token (``cnt``: the period's end), so
later calls cost nothing extra until the period ends.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.auth.identities import VisitorIdentity
from chalicelib.auth.visitor_tokens import VisitorTokens
from chalicelib.errors import BadRequest, Conflict, Unauthorized, Unavailable
from chalicelib.models.base import cancellation_codes, is_condition_failure, transaction_connection
from chalicelib.models.project import ProjectModel
from chalicelib.models.usage import UsageModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.periods import Period
from chalicelib.services import (
    auto_delivery,
    availability,
    consent,
    heartbeat_cadence,
    mail_contact,
    online_visitors,
    origins,
    prechat,
    projects,
    quotas,
    visitor_facts,
)
from chalicelib.services.validation import text_field
from chalicelib.services.widget_look import view as widget_look_view

_ATTEMPTS = 5
# An uncounted visitor's record lives this long unless their token comes back.
UNCOUNTED_KEPT = timedelta(days=2)
NOT_COUNTED = 0  # the token's ``cnt`` until the visitor is counted
log = logging.getLogger(__name__)

_UTM_KEYS = ("source", "medium", "campaign", "term", "content")


def display_name(visitor_id: str) -> str:
    """A stable, friendly name until the visitor tells us theirs. Six hex digits: with
    four, two of a few hundred visitors online were likely to share a name."""
    return "Visitor " + visitor_id[-6:].upper()


def _facts(body: dict) -> dict:
    facts = {
        "page_url": text_field(body, "page_url", 2048, required=False),
        "referrer": text_field(body, "referrer", 2048, required=False),
        "language": text_field(body, "language", 35, required=False),
    }
    utm = body.get("utm")
    if isinstance(utm, dict):
        facts["utm"] = {
            key: utm[key][:256] for key in _UTM_KEYS if isinstance(utm.get(key), str) and utm[key]
        }
    return facts


def _page_view_actions(
    project_id: str,
    visitor_id: str,
    facts: dict,
    body: dict,
    headers,
    now: datetime,
    trust_local_geo: bool,
    is_new: bool,
) -> list:
    """What a page view adds to the visitor's one UpdateItem: online now, and, when the
    loader says this is a page view (``page_view``), the visit's facts. The widget also
    says whether it starts a new visit (``new_visit``: it keeps the visitor's last
    activity, so no read is needed here); the hint only shapes this visitor's own facts,
    so trusting it cannot touch anyone else's. Device and location are worked out once
    per visit. A new visitor is listed online once counted, when their token comes back.
    """
    actions = [] if is_new else online_visitors.online_actions(project_id, visitor_id, now)
    if body.get("page_view") is not True:
        return actions  # the chat UI renewing its session: not a page view
    if body.get("new_visit") is not True:
        return [*actions, VisitorModel.page_views.set((VisitorModel.page_views | 0) + 1)]
    actions += [
        VisitorModel.visits.set((VisitorModel.visits | 0) + 1),
        VisitorModel.visit_started_at.set(now),
        VisitorModel.page_views.set(1),
    ]
    if facts.get("page_url"):
        actions.append(VisitorModel.source_url.set(facts["page_url"]))
    if not facts.get("utm"):
        actions.append(VisitorModel.utm.remove())  # campaigns belong to the visit
    seen = {
        **visitor_facts.device_of(headers.get("user-agent")),
        **visitor_facts.location_of(headers, trust_local_geo),
    }
    actions += [getattr(VisitorModel, key).set(value) for key, value in seen.items()]
    return actions


def start_session(
    tokens: VisitorTokens,
    websocket_url: str,
    body: dict,
    now: datetime,
    headers=None,
    trust_local_geo: bool = False,
) -> dict:
    project_id = body.get("project_id")
    if not isinstance(project_id, str) or not project_id:
        raise BadRequest("'project_id' must be the project's id (data-project-id)")
    project = projects.require_project(project_id)
    # First: a page the owner did not allow learns nothing more and counts nothing.
    origin = origins.require_allowed(project, headers, now)
    if not project.chats_enabled:
        raise Unavailable("chats are switched off for this project")
    quotas.require_widget(project, now)

    visitor_id = _returning_visitor(tokens, body.get("token"), project, origin)
    is_new = visitor_id is None
    if is_new:
        visitor_id = ids.new_visitor_id()

    # When the widget beats first: a new visitor's first beat counts them.
    beat = (
        heartbeat_cadence.FIRST_BEAT_SECONDS if is_new else heartbeat_cadence.beat_for(project, now)
    )
    facts = _facts(body)
    actions = [
        VisitorModel.last_seen_at.set(now),
        VisitorModel.next_beat_at.set(heartbeat_cadence.next_beat_at(beat, now)),
        VisitorModel.created_at.set(VisitorModel.created_at | now),
        VisitorModel.chat_count.set(VisitorModel.chat_count | 0),
        VisitorModel.name.set(VisitorModel.name | display_name(visitor_id)),
    ]
    actions += [getattr(VisitorModel, key).set(value) for key, value in facts.items() if value]
    actions += _page_view_actions(
        project.project_id, visitor_id, facts, body, headers or {}, now, trust_local_geo, is_new
    )
    if is_new:
        visitor = _record_uncounted(project, visitor_id, actions, now)
    else:
        visitor = record_visit(project, visitor_id, False, actions, now)
    origins.mark_installed(project, origin, now)
    return _session(tokens, websocket_url, project, visitor, origin, now, beat)


def _returning_visitor(tokens: VisitorTokens, prior, project: ProjectModel, origin) -> str | None:
    """The visitor the widget's earlier token names, if it is this project's and this
    site's; None: a new visitor."""
    if not prior:
        return None
    try:
        identity = tokens.verify_for_renewal(prior)
    except Unauthorized:
        return None  # a stale or forged token just means a new visitor
    if identity.project_id == project.project_id and identity.origin in (None, origin):
        return identity.visitor_id
    return None


def _session(
    tokens: VisitorTokens,
    websocket_url: str,
    project: ProjectModel,
    visitor: VisitorModel,
    origin,
    now: datetime,
    beat: int,
) -> dict:
    """The session's answer: the visitor's token, what the widget shows, and when its
    first heartbeat is due (``beat``, seconds)."""
    visitor_id = visitor.visitor_id
    period = quotas.period_of(project, now)
    counted = visitor.counted_period == period.key
    counted_until = period.end.timestamp() if counted else NOT_COUNTED
    return {
        "token": tokens.issue(project.project_id, visitor_id, counted_until, origin),
        "visitor_id": visitor_id,
        "counted": counted,
        "chat_id": visitor.current_chat_id,
        "beat": beat,
        "ws_url": websocket_url,
        "project": {"id": project.project_id, "name": project.name},
        # What a new dialogue asks first (None: nothing); existing dialogues go on.
        "consent": (needed.view() if (needed := consent.requirement(project)) else None),
        # Every plan but Premium shows a small "powered by" label in the widget.
        "powered_by": quotas.plan_of(project).powered_by,
        "look": widget_look_view(project),  # colour, title, greeting set in the panel
        # online, away or offline, and when that changes: from the project read above.
        "availability": availability.widget_view(project, now),
        # The pre-chat form (None: off), and whether an address to reply at is known
        # (identify's verified one or one the visitor gave): away, the widget asks if not.
        "prechat": prechat.widget_view(project),
        "email_known": prechat.email_known(visitor),
        # ...and whether the team may write to it (not found bounced, complained of or
        # unsubscribed): only then does the away header promise a reply by e-mail.
        "email_usable": mail_contact.usable_email(visitor),
        # Auto messages that may still fire for this visitor, with what the widget checks.
        "auto_messages": auto_delivery.candidates(project.project_id, visitor),
    }


def _record_uncounted(
    project: ProjectModel, visitor_id: str, actions: list, now: datetime
) -> VisitorModel:
    """A new visitor's first page view: their record, not counted (and not listed online:
    see ``_page_view_actions``) yet, expiring unless counted."""
    visitor = VisitorModel(project.project_id, visitor_id)
    visitor.update(
        actions=[*actions, VisitorModel.expires_at.set(now + UNCOUNTED_KEPT)],
        condition=VisitorModel.visitor_id.does_not_exist(),
    )
    return visitor


def needs_counting(identity: VisitorIdentity, now: datetime) -> bool:
    """Whether this token's visitor must be counted (again) before going on: never
    counted (``cnt`` 0), or counted in a billing period that has ended. Tokens from
    before counting existed (no ``cnt``) are left alone."""
    if identity.counted_until is None:
        return False
    return identity.counted_until == NOT_COUNTED or now.timestamp() >= identity.counted_until


def heartbeat(tokens: VisitorTokens, identity: VisitorIdentity, now: datetime) -> dict:
    """Still here. Usually one UpdateItem (services/online_visitors.py); the beat that
    counts a visitor also hands them a renewed token, which says until when they are
    counted, so nothing is counted again in this period."""
    if not needs_counting(identity, now):
        return online_visitors.heartbeat(identity, now)
    project = projects.require_project(identity.project_id)
    beat = heartbeat_cadence.beat_for(project, now)
    next_beat = VisitorModel.next_beat_at.set(heartbeat_cadence.next_beat_at(beat, now))
    visitor = _count_returning(project, identity, now, [next_beat])
    end = quotas.period_of(project, now).end.timestamp()
    return {
        "ok": True,
        "chat_id": visitor.current_chat_id,
        "beat": beat,
        "token": tokens.issue(identity.project_id, identity.visitor_id, end, identity.origin),
    }


def count_activity(identity: VisitorIdentity, now) -> None:
    """A visitor's token came back (an event, a message): count them in the current
    period if they are not yet (PaymentRequired if the plan has no room). Costs nothing
    when the token says they are counted."""
    if needs_counting(identity, now):
        _count_returning(projects.require_project(identity.project_id), identity, now)


def _count_returning(
    project: ProjectModel, identity: VisitorIdentity, now, more_actions=()
) -> VisitorModel:
    visitor_id = identity.visitor_id
    actions = [
        *more_actions,
        VisitorModel.last_seen_at.set(now),
        # In case DynamoDB's TTL removed an uncounted record before its token came back.
        VisitorModel.created_at.set(VisitorModel.created_at | now),
        VisitorModel.chat_count.set(VisitorModel.chat_count | 0),
        VisitorModel.name.set(VisitorModel.name | display_name(visitor_id)),
        *online_visitors.online_actions(identity.project_id, visitor_id, now),
    ]
    return record_visit(project, identity.visitor_id, False, actions, now)


def record_visit(
    project: ProjectModel, visitor_id: str, is_new: bool, actions: list, now, sleep=time.sleep
) -> VisitorModel:
    """Record a page view, counting the visitor once per billing period within the
    plan's limit (PaymentRequired past it). Returns the visitor as stored."""
    period = quotas.period_of(project, now)
    visitor = VisitorModel(project.project_id, visitor_id)
    if not is_new:
        try:
            # The common case: counted already this period. ALL_NEW comes back into
            # ``visitor``; a stale (or missing) counted_period fails the condition.
            visitor.update(actions=actions, condition=VisitorModel.counted_period == period.key)
            return visitor
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
    for attempt in range(_ATTEMPTS):
        outcome = _count_visitor(project, visitor, is_new, actions, period)
        if outcome == "counted":
            try:
                quotas.visitor_counted(project, period)  # the 80%/100% warnings
                # A transaction returns nothing: read the visitor back (once per visitor and
                # period) for its dialogue and the facts auto messages are matched against.
                visitor.refresh(consistent_read=True)
            except Exception:  # noqa: BLE001 - counted and stored: answering beats a 500,
                # after which the widget would come back as a new visitor, counted twice.
                log.exception("after counting visitor %s", visitor.visitor_id)
            return visitor
        if outcome == "counted_elsewhere":
            # Another tab of the same visitor counted them in this period a moment ago.
            visitor.update(actions=actions)
            return visitor
        if outcome == "full":
            quotas.visitors_exhausted(project, period, now)
            raise quotas.refusal(quotas.UNIQUE_VISITORS)
        sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 (jitter)
    raise Conflict("busy; try again")


def _count_visitor(
    project: ProjectModel, visitor: VisitorModel, is_new: bool, actions: list, period: Period
) -> str:
    """One transaction: the visitor, counted in ``period``, and the period's counter."""
    if is_new:
        not_counted = VisitorModel.visitor_id.does_not_exist()
    else:
        not_counted = VisitorModel.counted_period.does_not_exist() | (
            VisitorModel.counted_period != period.key
        )
    room = quotas.visitor_room_condition(quotas.plan_of(project).limit(quotas.UNIQUE_VISITORS))
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(
                visitor,
                actions=[
                    *actions,
                    VisitorModel.counted_period.set(period.key),
                    VisitorModel.expires_at.remove(),  # counted: kept
                ],
                condition=not_counted,
            )
            transaction.update(
                UsageModel(project.project_id, period.key),
                actions=[UsageModel.unique_visitors.add(1)],
                condition=room,
            )
    except TransactWriteError as error:
        reasons = cancellation_codes(error)
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return "counted_elsewhere"
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            return "full"
        if "TransactionConflict" in reasons:
            return "conflict"
        raise
    return "counted"
