"""How often the widget beats, and so how soon a proactive chat reaches a widget that has
no socket (it learns of the chat from its next heartbeat's answer).

Every answer that starts or continues the beat (the session, each heartbeat) says when
the next one is due (``beat``, seconds). The beat is long (``heartbeat_seconds``, 90)
while nobody on the team looks at the Visitors list, and short
(``heartbeat_watched_seconds``, 15) while someone does: the list is where proactive chats
are started, so a chat started from it reaches the visitor within about one short beat.

- Reading the list marks the project watched until ``visitors_watch_seconds`` (30) from
  then: one UpdateItem of the project's ``visitors_watched_until``, written only when less
  than half the window is left, so the panel's polls (every 10 s, from any number of
  tabs) write it at most about once per 15-20 s, and it never lapses between two polls.
- A heartbeat does not read the project: this container remembers each project's mark
  as last read (the session's and the list's project reads refresh it for free). A mark
  still in the future is known to hold; otherwise the memory is trusted for one short
  beat, then one small GetItem of the mark reads it again. So a heartbeat stays one
  UpdateItem, plus at most one read per project and container per short beat.
- The visitor's record keeps when their next beat is due (``next_beat_at``, in the same
  write), so the operator who starts a chat is told how soon it reaches the widget.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.config import get_settings
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import ProjectModel

FIRST_BEAT_SECONDS = 10  # a new visitor's first beat counts them (services/visitors.py)
# A beat this late is still on its way (timers, the network); later, the page is hidden
# (hidden pages do not beat) or gone: the chat reaches them when it is back in view.
LATE_BEAT = timedelta(seconds=5)
_REMEMBERED_PROJECTS = 10_000

# project id -> (when this container read the mark, the mark: watched until, or None)
_marks: dict[str, tuple[datetime, datetime | None]] = {}


def _remember(project_id: str, watched_until: datetime | None, now: datetime) -> None:
    if len(_marks) >= _REMEMBERED_PROJECTS:
        _marks.clear()
    _marks[project_id] = (now, watched_until)


def _seconds(watched_until: datetime | None, now: datetime) -> int:
    settings = get_settings()
    if watched_until is not None and watched_until > now:
        return settings.heartbeat_watched_seconds
    return settings.heartbeat_seconds


def beat_for(project: ProjectModel, now: datetime) -> int:
    """The beat for a project just read (a session, the beat that counts a visitor)."""
    _remember(project.project_id, project.visitors_watched_until, now)
    return _seconds(project.visitors_watched_until, now)


def beat_of(project_id: str, now: datetime) -> int:
    """The beat for a heartbeat, which reads no project: from this container's memory
    of the project's mark, read again when it may be out of date."""
    remembered = _marks.get(project_id)
    if remembered is None or not _still_true(remembered, now):
        try:
            mark = ProjectModel.get(
                project_id, attributes_to_get=["visitors_watched_until"]
            ).visitors_watched_until
        except DoesNotExist:
            mark = None
        _remember(project_id, mark, now)
        remembered = (now, mark)
    return _seconds(remembered[1], now)


def _still_true(remembered: tuple[datetime, datetime | None], now: datetime) -> bool:
    read_at, watched_until = remembered
    if watched_until is not None and watched_until > now:
        return True  # a mark only moves forward: watched at least until then
    age = now - read_at
    return timedelta(0) <= age < timedelta(seconds=get_settings().heartbeat_watched_seconds)


def mark_watched(project: ProjectModel, now: datetime) -> None:
    """Someone on the team is reading the Visitors list of ``project`` (just read): keep
    the widgets on the short beat. Writes only when less than half the window is left."""
    window = timedelta(seconds=get_settings().visitors_watch_seconds)
    watched_until = project.visitors_watched_until
    if watched_until is None or watched_until - now < window / 2:
        watched_until = now + window
        try:
            project.update(
                actions=[ProjectModel.visitors_watched_until.set(watched_until)],
                condition=ProjectModel.project_id.exists(),
            )
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
            return  # the project is gone
    _remember(project.project_id, watched_until, now)


def next_beat_at(seconds: int, now: datetime) -> datetime:
    return now + timedelta(seconds=seconds)


def chat_reaches_in(next_beat: datetime | None, now: datetime) -> int | None:
    """Seconds until a widget without a socket learns of a chat started now: its next
    heartbeat. None when that is unknown (a record from before) or overdue (the page is
    hidden or gone: the chat reaches them when it is back in view)."""
    if next_beat is None or next_beat + LATE_BEAT < now:
        return None
    return max(1, math.ceil((next_beat - now).total_seconds()))
