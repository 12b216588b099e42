"""Whether the team is there, as the widget, the panel and distribution see it.

Three states, from the business hours (services/business_hours.py) and live presence:
- ``online``: within hours, and a member who may take chats is online (their status
  online, a panel socket open: the project's ``available_members``);
- ``away``: within hours, nobody online;
- ``offline``: outside hours (the widget says when it opens).
No schedule means always within hours, so a project without one is online or away by
presence alone.

Everything here reads the project item only, which the widget's session, the first
message of a chat and distribution read anyway: availability adds no request to a page
view. The settings (the schedule and the away message) are read and written with
``GET``/``PUT /projects/{pid}/business-hours``.

"Typically replies in N min": ``reply_minutes`` in the widget's view, the median of the
project's recent first replies kept on the project item (services/reply_times.py),
absent until there are enough of them.

A widget already open hears a change of presence (``announce``): when a member's panel
connects or its last one goes, or a member changes their status, the project is read
again (one consistent GetItem: an operator's event, never a visitor's message or page
view) and, when that member was the first in or the last out (the state moved between
online and away; a second tab of the only member is told again, which changes nothing),
the visitors with a socket open get an ``availability`` frame: one Query of the
project's online visitors (the sparse ``online`` index, filtered to those with a live
socket: the widget open or a dialogue live), then, per such visitor, the Query of their
connections and one post each; at most ``MAX_ANNOUNCED`` visitors (the rest learn at
their next session). Hours need no announcement: the widget moves itself at
``closes_at`` and asks again at ``opens_at``. (A panel socket dropped without a
``$disconnect``, found by a 410 or the sweep, is not announced: the widgets learn at
their next session.)
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import iso
from chalicelib.errors import BadRequest
from chalicelib.models.connection import visitor_audience
from chalicelib.models.message import AUTHOR_OPERATOR, MessageModel
from chalicelib.models.project import MemberModel, ProjectModel, period_shard
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime import frames
from chalicelib.services import business_hours, mail_contact, permissions, projects, reply_times
from chalicelib.services.message_store import Draft

ONLINE, AWAY, OFFLINE = "online", "away", "offline"
log = logging.getLogger(__name__)
MAX_AWAY_MESSAGE = 1000
MAX_ANNOUNCED = 500  # open widgets told of a change of presence at once (module docstring)
AWAY_AUTHOR = "away"  # the away message's author id (the widget: not a reply)


def schedule_of(project: ProjectModel) -> business_hours.Schedule | None:
    """The project's schedule; one that no longer parses (a time zone gone from a newer
    time-zone database) counts as none, so the widget stays up rather than failing."""
    try:
        return business_hours.parse(project.business_hours)
    except (BadRequest, ValueError):
        log.warning("project %s: stored business hours unreadable", project.project_id)
        return None


def within_hours(project: ProjectModel, now: datetime) -> bool:
    return business_hours.is_open(schedule_of(project), now)


def state(project: ProjectModel, now: datetime) -> str:
    if not within_hours(project, now):
        return OFFLINE
    return ONLINE if project.available_members else AWAY


# (stored schedule, minute) -> _times: kept per Lambda container, so the sessions of a
# busy project work the hours out once a minute (~0.1-0.3 ms each time).
_times_cache: dict[tuple[str, int], tuple] = {}


def _times(project: ProjectModel, now: datetime) -> tuple[bool, datetime | None, datetime | None]:
    """Open now; when it closes next (None: never, or closed now); when it opens next.
    Ranges and the zones' offset changes fall on whole minutes, so the answer for the
    minute's start holds for the whole minute."""
    schedule = schedule_of(project)
    if schedule is None:
        return True, None, None
    key = (project.business_hours, int(now.timestamp() // 60))
    found = _times_cache.get(key)
    if found is None:
        if len(_times_cache) > 2048:
            _times_cache.clear()
        minute = datetime.fromtimestamp(key[1] * 60, now.tzinfo or UTC)
        found = _times_cache[key] = _work_out(schedule, minute)
    return found


def _work_out(schedule: business_hours.Schedule, now: datetime) -> tuple:
    change = business_hours.next_change(schedule, now)
    if not business_hours.is_open(schedule, now):
        return False, None, change
    return True, change, business_hours.next_change(schedule, change) if change else None


def widget_view(project: ProjectModel, now: datetime) -> dict:
    """The session's ``availability``: the state, and the times the widget needs to move
    from online or away to offline by itself (``closes_at``) and to say when the team is
    back (``opens_at``), formatted there in the visitor's own zone and language."""
    is_open, closes, opens = _times(project, now)
    current = (ONLINE if project.available_members else AWAY) if is_open else OFFLINE
    found = {
        "state": current,
        "closes_at": iso(closes) if closes else None,
        "opens_at": iso(opens) if opens else None,
        # Away or offline, the widget asks for an e-mail address only if replies go there.
        "email_replies": mail_contact.replies_by_email(),
    }
    # "Typically replies in N min": present only with enough recent first replies.
    minutes = reply_times.reply_minutes(project, now)
    if minutes is not None:
        found["reply_minutes"] = minutes
    return found


def announce(project_id: str, fanout, now: datetime, joined: str | None = None) -> int:
    """After a member's presence or status moved: tell the open widgets the project's
    availability if it changed (module docstring). ``joined``: the member who just became
    available (None: one just left). Returns the frames posted."""
    try:
        project = ProjectModel.get(project_id, consistent_read=True)
    except DoesNotExist:
        return 0
    available = set(project.available_members or ())
    if available != ({joined} if joined else set()):
        return 0  # someone else was there before and is still: online all along
    return _tell_widgets(project, now, fanout)


def _tell_widgets(project: ProjectModel, now: datetime, fanout) -> int:
    """The project's availability to its visitors with a socket (at most MAX_ANNOUNCED)."""
    project_id = project.project_id
    frame = frames.availability(widget_view(project, now))
    live = VisitorModel.online_index.query(
        project_id,
        filter_condition=VisitorModel.online == True,  # noqa: E712 (a condition, not a test)
        limit=MAX_ANNOUNCED,
    )
    audiences = [(visitor_audience(project_id, v.visitor_id), frame) for v in live]
    return fanout.deliver(audiences) if audiences else 0


def away_reply(project: ProjectModel, message: MessageModel) -> MessageModel | None:
    """The project's away message, a millisecond after the visitor's first words, when
    their chat starts while away or outside hours (None: online, or no message set).
    services/messaging.py stores it in the chat's own opening transaction, with its
    guard on the client id ``away.<chat id>``: once per chat, never twice."""
    text = project.away_message
    if not text or state(project, message.created_at) == ONLINE:
        return None
    chat_id = message.chat_id
    draft = Draft(project.project_id, chat_id, AUTHOR_OPERATOR, AWAY_AUTHOR, project.name, text,
                  f"away.{chat_id}")  # fmt: skip
    return draft.at(message.created_at + timedelta(milliseconds=1))


def opening_actions(project_id: str, stored: str | None, now: datetime) -> list:
    """Where the opening job finds the project: the next opening after ``now`` in the
    sparse ``opening_due`` index (removed when there are no hours, or none ahead)."""
    try:
        schedule = business_hours.parse(stored)
    except (BadRequest, ValueError):
        schedule = None  # unreadable (see schedule_of): out of the index
    change = business_hours.next_change(schedule, now) if schedule else None
    if change is not None and business_hours.is_open(schedule, now):
        change = business_hours.next_change(schedule, change)  # after this closing
    if change is None:
        return [ProjectModel.opens_next_key.remove(), ProjectModel.hours_shard.remove()]
    return [
        ProjectModel.opens_next_key.set(iso(change)),
        ProjectModel.hours_shard.set(period_shard(project_id)),
    ]


# ---------- the settings: GET / PUT /projects/{pid}/business-hours ----------


def _label(project: ProjectModel, now: datetime) -> str:
    """The panel's preview, in the project's zone: "Open now · closes at 17:00",
    "Closed · opens Monday 09:00" (computed here so panel and widget agree)."""
    is_open, closes, opens = _times(project, now)
    schedule = schedule_of(project)
    if schedule is None:
        return "Always open (no business hours set)"
    if is_open:
        return "Open now \u00b7 " + (
            f"closes {_when(schedule, now, closes)}" if closes else "never closes"
        )
    return "Closed \u00b7 " + (
        f"opens {_when(schedule, now, opens)}" if opens else "no opening hours ahead"
    )


def _when(schedule: business_hours.Schedule, now: datetime, moment: datetime) -> str:
    local, today = moment.astimezone(schedule.zone), now.astimezone(schedule.zone).date()
    days = (local.date() - today).days
    clock = local.strftime("%H:%M")
    if days == 0:
        return f"at {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    if days < 7:
        return f"{local.strftime('%A')} {clock}"
    return f"{local.strftime('%A')} {local.day} {local.strftime('%B')} {clock}"


def view(member: MemberModel, now: datetime, project: ProjectModel | None = None) -> dict:
    """The schedule, the away message and the preview (every member may read them)."""
    permissions.require(member, "project.view")
    project = project or projects.require_project(member.project_id)
    hours = business_hours.stored_view(project.business_hours)
    return {
        "business_hours": hours,
        "away_message": project.away_message,
        # The team's own figure: {minutes, chats, days} or None (too few chats yet).
        "reply_times": reply_times.summary(project, now),
        "now": _now_view(project, now),
    }


def _now_view(project: ProjectModel, now: datetime) -> dict:
    is_open, closes, opens = _times(project, now)
    return {
        "state": state(project, now),
        "open": is_open,
        "closes_at": iso(closes) if closes else None,
        "opens_at": iso(opens) if opens else None,
        "label": _label(project, now),
    }


def preview(member: MemberModel, body: dict, now: datetime) -> dict:
    """``POST .../business-hours/preview`` ``{business_hours}``: the ``now`` a schedule
    being edited would give (as GET's, with the team's live presence), checked as PUT
    checks it, and saved nowhere. The panel shows it before Save, so the preview never
    disagrees with what the widget will say (one rule set: this module's)."""
    permissions.require(member, "project.settings")
    if not isinstance(body, dict) or "business_hours" not in body:
        raise BadRequest("give 'business_hours' (an object, or null: always open)")
    hours = body["business_hours"]
    stored = business_hours.dumps(business_hours.validate(hours)) if hours is not None else None
    project = projects.require_project(member.project_id)
    project.business_hours = stored  # in memory only: never saved
    return {"now": _now_view(project, now)}


def update(member: MemberModel, body: dict, now: datetime, fanout=None) -> dict:
    """Replace the schedule and/or the away message (administrator and managers). Every
    field is checked before anything is written. A new schedule is told to the open
    widgets at once (``fanout``), as presence changes are: "We're back ..." or online."""
    permissions.require(member, "project.settings")
    if not isinstance(body, dict) or not {"business_hours", "away_message"} & body.keys():
        raise BadRequest(
            "give 'business_hours' (an object, or null: always open) and/or 'away_message'"
        )
    unknown = body.keys() - {"business_hours", "away_message"}
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}")
    actions = []
    if "business_hours" in body:
        hours = body["business_hours"]
        stored = business_hours.dumps(business_hours.validate(hours)) if hours is not None else None
        actions.append(
            ProjectModel.business_hours.set(stored)
            if stored
            else ProjectModel.business_hours.remove()
        )
        actions += opening_actions(member.project_id, stored, now)
    if "away_message" in body:
        text = body["away_message"]
        if text is not None and (not isinstance(text, str) or len(text.strip()) > MAX_AWAY_MESSAGE):
            raise BadRequest(
                f"'away_message' must be text up to {MAX_AWAY_MESSAGE} characters or null"
            )
        actions.append(
            ProjectModel.away_message.set(text.strip())
            if text and text.strip()
            else ProjectModel.away_message.remove()
        )
    project = ProjectModel(member.project_id)
    project.update(actions=actions, condition=ProjectModel.project_id.exists())
    if "business_hours" in body and fanout is not None:
        _tell_widgets(project, now, fanout)  # the update's answer holds the whole item
    return view(member, now, project)
