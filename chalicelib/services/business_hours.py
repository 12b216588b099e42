"""Business hours: when a project's team is there, as a pure function of the clock.

A schedule is an IANA time zone, weekly ranges (several a day) and dated exceptions (a
date closed, or special ranges that day). It is stored on the project as compact JSON,
so the widget's session, which reads the project anyway, costs no request for it; this
module parses it (once per text and container), validates what the panel sends, and
answers ``is_open`` and ``next_change``. No schedule: always open.

The rules, all in the project's local wall-clock time:
- A range belongs to the day it starts on. ``22:00-02:00`` on Friday is open from Friday
  22:00 to Saturday 02:00; ``24:00`` may end a range (the end of the day). A range is
  never empty and never 24 hours or more (``00:00-24:00`` is the whole day).
- An exception replaces the weekly ranges that start on its date (``closed``: none). A
  range of the day before that runs past midnight still ends as it would.
- Open means: the local clock reads a time inside one of the ranges (wall-clock time).
  So when the clocks go forward, the skipped times are simply never shown: a range
  01:00-03:00 on that night is open 01:00-02:00 and again from 03:00 (one hour in all),
  and a range lying wholly inside the skipped hour never opens. When the clocks go back,
  the repeated times are shown twice and are open both times: 01:00-03:00 that night is
  open three real hours. This is how a team that works "9 to 5 on the wall clock" works.
- Weekly ranges may not overlap (Sunday's late range against Monday's early ones too),
  nor may one exception's ranges; an exception's ranges may overlap a neighbouring day's
  (open is then the union).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from chalicelib.errors import BadRequest

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_RANGES_PER_DAY = 6
MAX_EXCEPTIONS = 100
DAY_MINUTES = 1440
WEEK_MINUTES = 7 * DAY_MINUTES
# How far ``next_change`` looks: beyond a week only as far as the exceptions reach.
_HORIZON_DAYS = 400
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Range = tuple[int, int]  # minutes from the start of its day: start < end <= start + 1439


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    weekly: tuple[tuple[Range, ...], ...]  # Monday first
    exceptions: dict  # date -> tuple[Range, ...] (empty: closed)

    def ranges_of(self, day: date) -> tuple[Range, ...]:
        found = self.exceptions.get(day)
        return found if found is not None else self.weekly[day.weekday()]


# ---------- validation (what the panel sends) and the stored form ----------


def _minutes(text, where: str) -> int:
    found = _TIME.match(text) if isinstance(text, str) else None
    if not found or (found.group(1) == "24" and found.group(2) != "00"):
        raise BadRequest(f"{where}: times are HH:MM, 00:00 to 24:00")
    return int(found.group(1)) * 60 + int(found.group(2))


def _range(item, where: str) -> Range:
    if not isinstance(item, dict) or set(item) != {"start", "end"}:
        raise BadRequest(f'{where}: a range is {{"start": "09:00", "end": "17:00"}}')
    start, end = _minutes(item["start"], where), _minutes(item["end"], where)
    if start == DAY_MINUTES:
        raise BadRequest(f"{where}: a range cannot start at 24:00 (use 00:00 of the next day)")
    if start == end:
        raise BadRequest(f"{where}: a range cannot be empty (the whole day is 00:00-24:00)")
    return (start, end if end > start else end + DAY_MINUTES)  # ends past midnight


def _ranges(items, where: str) -> tuple[Range, ...]:
    if not isinstance(items, list):
        raise BadRequest(f"{where}: must be a list of ranges")
    if len(items) > MAX_RANGES_PER_DAY:
        raise BadRequest(f"{where}: at most {MAX_RANGES_PER_DAY} ranges a day")
    ranges = tuple(sorted(_range(item, f"{where}[{i}]") for i, item in enumerate(items)))
    for earlier, later in zip(ranges, ranges[1:], strict=False):
        if later[0] < earlier[1]:
            raise BadRequest(f"{where}: ranges overlap ({_text(earlier)} and {_text(later)})")
    return ranges


def _weekly_overlap(weekly: tuple[tuple[Range, ...], ...]) -> None:
    """Ranges past midnight against the next day's (Sunday's against Monday's)."""
    for index, ranges in enumerate(weekly):
        if ranges and ranges[-1][1] > DAY_MINUTES:
            after = weekly[(index + 1) % 7]
            if after and after[0][0] < ranges[-1][1] - DAY_MINUTES:
                raise BadRequest(
                    f"weekly.{DAYS[index]}: {_text(ranges[-1])} overlaps"
                    f" weekly.{DAYS[(index + 1) % 7]} {_text(after[0])}"
                )


def _zone(name) -> ZoneInfo:
    if not isinstance(name, str) or name not in _zone_names():
        raise BadRequest("'time_zone' must be an IANA time zone name, e.g. Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest("'time_zone' must be an IANA time zone name, e.g. Europe/Berlin") from None


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def validate(body) -> dict:
    """The schedule as the panel sends it, checked and normalised (the stored form);
    BadRequest names the first problem."""
    if not isinstance(body, dict):
        raise BadRequest("'business_hours' must be an object or null (always open)")
    unknown = set(body) - {"time_zone", "weekly", "exceptions"}
    if unknown:
        raise BadRequest(f"'business_hours' has unknown fields: {', '.join(sorted(unknown))}")
    zone = _zone(body.get("time_zone"))
    weekly = body.get("weekly", {})
    if not isinstance(weekly, dict) or set(weekly) - set(DAYS):
        raise BadRequest("'weekly' must map mon..sun to lists of ranges")
    days = tuple(_ranges(weekly.get(day, []), f"weekly.{day}") for day in DAYS)
    _weekly_overlap(days)
    exceptions = body.get("exceptions", [])
    if not isinstance(exceptions, list) or len(exceptions) > MAX_EXCEPTIONS:
        raise BadRequest(f"'exceptions' must be a list of at most {MAX_EXCEPTIONS} dates")
    dated = {}
    for i, item in enumerate(exceptions):
        where = f"exceptions[{i}]"
        day = _exception_date(item, where)
        if day in dated:
            raise BadRequest(f"{where}: {day.isoformat()} is listed twice")
        closed, ranges = item.get("closed", False), item.get("ranges")
        if closed is True and ranges is None:
            dated[day] = ()
        elif closed is False and ranges is not None:
            dated[day] = _ranges(ranges, f"{where}.ranges") or _no_ranges(where)
        else:
            raise BadRequest(f'{where}: give either "closed": true or "ranges"')
    return _stored(zone.key, days, dated)


def _no_ranges(where: str):
    raise BadRequest(f'{where}: special hours need at least one range (or "closed": true)')


def _exception_date(item, where: str) -> date:
    if not isinstance(item, dict) or set(item) - {"date", "closed", "ranges"}:
        raise BadRequest(f'{where}: an exception is {{"date", "closed"}} or {{"date", "ranges"}}')
    text = item.get("date")
    try:
        if not isinstance(text, str) or not _DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{where}: 'date' must be a date, YYYY-MM-DD") from None


def _text(item: Range) -> str:
    return (
        f"{_clock(item[0])}-{_clock(item[1] % DAY_MINUTES if item[1] != DAY_MINUTES else item[1])}"
    )


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _range_view(item: Range) -> dict:
    end = item[1] if item[1] <= DAY_MINUTES else item[1] - DAY_MINUTES
    return {"start": _clock(item[0]), "end": _clock(end)}


def _stored(zone: str, weekly, exceptions: dict) -> dict:
    return {
        "time_zone": zone,
        "weekly": {day: [_range_view(r) for r in weekly[i]] for i, day in enumerate(DAYS)},
        "exceptions": [
            {"date": day.isoformat(), "closed": True}
            if not ranges
            else {"date": day.isoformat(), "ranges": [_range_view(r) for r in ranges]}
            for day, ranges in sorted(exceptions.items())
        ],
    }


def stored_view(stored: str | None) -> dict | None:
    """The schedule as the API shows it (the stored, normalised form)."""
    return json.loads(stored) if stored else None


def dumps(view: dict) -> str:
    return json.dumps(view, separators=(",", ":"), sort_keys=True)


@lru_cache(maxsize=512)
def parse(stored: str | None) -> Schedule | None:
    """The project's stored schedule (None: always open). Cached per text: a page view
    of a busy project parses nothing."""
    if not stored:
        return None
    view = validate(json.loads(stored))
    weekly = tuple(_ranges(view["weekly"][day], day) for day in DAYS)
    exceptions = {
        date.fromisoformat(item["date"]): _ranges(item.get("ranges", []), item["date"])
        for item in view["exceptions"]
    }
    return Schedule(ZoneInfo(view["time_zone"]), weekly, exceptions)


# ---------- open or closed, and when that changes ----------


def _wall(schedule: Schedule, instant: datetime) -> datetime:
    return instant.astimezone(schedule.zone).replace(tzinfo=None)


def open_at_wall(schedule: Schedule, wall: datetime) -> bool:
    """Whether the local clock reading ``wall`` (naive) is inside a range."""
    day = wall.date()
    minute = wall.hour * 60 + wall.minute + (wall.second + wall.microsecond / 1e6) / 60
    if any(start <= minute < end for start, end in schedule.ranges_of(day)):
        return True
    before = minute + DAY_MINUTES  # the same moment, counted from the day before's start
    return any(start <= before < end for start, end in schedule.ranges_of(day - timedelta(1)))


def is_open(schedule: Schedule | None, instant: datetime) -> bool:
    return True if schedule is None else open_at_wall(schedule, _wall(schedule, instant))


def _instants(schedule: Schedule, wall: datetime) -> list[datetime]:
    """The instants at which the local clock reads ``wall``: none (skipped), one, or two
    (repeated)."""
    found = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=schedule.zone, fold=fold).astimezone(UTC)
        if _wall(schedule, instant) == wall and instant not in found:
            found.append(instant)
    return found


def _transitions(schedule: Schedule, day: date) -> list[datetime]:
    """The instants the zone's offset changes during ``day`` (to the second)."""
    low = datetime.combine(day, time(), schedule.zone).astimezone(UTC)
    high = low + timedelta(hours=26)
    if low.astimezone(schedule.zone).utcoffset() == high.astimezone(schedule.zone).utcoffset():
        return []
    offset = low.astimezone(schedule.zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(schedule.zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    # The change is on a whole second in (low, high], and high - low <= 1 s.
    return [low.replace(microsecond=0) + timedelta(seconds=1)]


def _candidates(schedule: Schedule, day: date) -> list[datetime]:
    """Every instant the state may change at that comes from ``day``: its ranges' ends
    as the clock reads them (those past midnight on the next day) and its offset change."""
    midnight = datetime.combine(day, time())
    found = _transitions(schedule, day)
    for start, end in schedule.ranges_of(day):
        for minute in (start, end):
            found += _instants(schedule, midnight + timedelta(minutes=minute))
    return found


def next_change(schedule: Schedule | None, instant: datetime) -> datetime | None:
    """The first instant after ``instant`` at which ``is_open`` turns the other way (when
    an open project closes, when a closed one opens); None: never (always open, or no
    range left within ten days past the last exception)."""
    if schedule is None:
        return None
    now_open = is_open(schedule, instant)
    first = _wall(schedule, instant).date() - timedelta(days=1)
    last = max(schedule.exceptions, default=first)
    horizon = min(max(first, last) + timedelta(days=10), first + timedelta(days=_HORIZON_DAYS))
    pending: list[datetime] = []
    day = first - timedelta(days=1)
    while day <= horizon:
        pending = sorted({*pending, *(m for m in _candidates(schedule, day) if m > instant)})
        day += timedelta(days=1)
        # Every change point before the local midnight that starts the last day read comes
        # from a day already read: a day's points lie within its own and the next day's
        # wall clock, and the offset's shifts are far less than a day.
        cutoff = datetime.combine(day - timedelta(days=1), time(), schedule.zone).astimezone(UTC)
        while pending and pending[0] < cutoff:
            moment = pending.pop(0)
            if is_open(schedule, moment) != now_open:
                return moment
    return None
