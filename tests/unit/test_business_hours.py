"""Business hours (chalicelib/services/business_hours.py): examples of the rules (ranges
past midnight, daylight saving in Berlin and New York, holidays, special hours), the
validator's 400s, and property tests against a brute-force, minute-by-minute reference
that reads the stored JSON on its own."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.errors import BadRequest
from chalicelib.services import business_hours as bh

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def schedule(zone="Europe/Berlin", exceptions=(), **days):
    weekly = {
        day: [{"start": start, "end": end} for start, end in ranges] for day, ranges in days.items()
    }
    return bh.parse(bh.dumps(bh.validate(
        {"time_zone": zone, "weekly": weekly, "exceptions": list(exceptions)})))  # fmt: skip


def local(zone, *parts, fold=0):
    return datetime(*parts, tzinfo=zone, fold=fold).astimezone(UTC)


def test_no_schedule_is_always_open():
    now = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert bh.is_open(None, now) and bh.next_change(None, now) is None
    assert bh.parse(None) is None and bh.parse("") is None


def test_a_weekday_range_and_the_next_opening_after_the_weekend():
    hours = schedule(**{d: [("09:00", "17:00")] for d in ("mon", "tue", "wed", "thu", "fri")})
    friday = local(BERLIN, 2026, 12, 4, 16, 59)
    assert bh.is_open(hours, friday)
    assert bh.next_change(hours, friday) == local(BERLIN, 2026, 12, 4, 17, 0)
    assert not bh.is_open(hours, local(BERLIN, 2026, 12, 4, 17, 0))  # the end is closed
    assert bh.next_change(hours, local(BERLIN, 2026, 12, 4, 17, 0)) == local(BERLIN, 2026, 12, 7, 9)


def test_several_ranges_a_day_split_shift():
    hours = schedule(mon=[("14:00", "18:00"), ("08:00", "12:00")])
    assert bh.is_open(hours, local(BERLIN, 2026, 12, 7, 11, 59))
    assert not bh.is_open(hours, local(BERLIN, 2026, 12, 7, 13, 0))
    assert bh.next_change(hours, local(BERLIN, 2026, 12, 7, 12, 30)) == local(
        BERLIN, 2026, 12, 7, 14
    )


def test_a_range_past_midnight_belongs_to_the_day_it_starts():
    hours = schedule(fri=[("22:00", "02:00")])
    assert bh.is_open(hours, local(BERLIN, 2026, 12, 5, 1, 30))  # Saturday night, Friday's
    assert not bh.is_open(hours, local(BERLIN, 2026, 12, 6, 1, 30))  # Sunday 01:30: no
    assert bh.next_change(hours, local(BERLIN, 2026, 12, 4, 23)) == local(BERLIN, 2026, 12, 5, 2)
    # Sunday's range into Monday runs across the week's end
    late = schedule(sun=[("20:00", "03:00")])
    assert bh.is_open(late, local(BERLIN, 2026, 12, 7, 2, 59))


def test_24_00_ends_the_day_and_touching_ranges_stay_open():
    hours = schedule(mon=[("00:00", "24:00")], tue=[("00:00", "08:00")])
    monday = local(BERLIN, 2026, 12, 7, 12)
    assert bh.next_change(hours, monday) == local(BERLIN, 2026, 12, 8, 8)


def test_a_closed_holiday_and_special_hours():
    week = {d: [("09:00", "17:00")] for d in bh.DAYS}
    hours = schedule(
        exceptions=[
            {"date": "2026-12-25", "closed": True},
            {"date": "2026-12-24", "ranges": [{"start": "09:00", "end": "12:00"}]},
        ],
        **week,
    )
    assert not bh.is_open(hours, local(BERLIN, 2026, 12, 25, 10))
    assert not bh.is_open(hours, local(BERLIN, 2026, 12, 24, 13))
    assert bh.next_change(hours, local(BERLIN, 2026, 12, 24, 11)) == local(BERLIN, 2026, 12, 24, 12)
    assert bh.next_change(hours, local(BERLIN, 2026, 12, 24, 12)) == local(BERLIN, 2026, 12, 26, 9)


def test_a_closed_day_keeps_the_range_that_began_the_night_before():
    hours = schedule(exceptions=[{"date": "2026-12-05", "closed": True}], fri=[("22:00", "02:00")])
    assert bh.is_open(hours, local(BERLIN, 2026, 12, 5, 1))


def test_spring_forward_in_berlin_skipped_times_are_never_shown():
    # 29 March 2026: 02:00 CET becomes 03:00 CEST.
    hours = schedule(sun=[("01:00", "03:00")])
    assert bh.is_open(hours, local(BERLIN, 2026, 3, 29, 1, 59))
    # The next change is the range's end as the clock reads it: 03:00 comes right after
    # 01:59:59, so 01:00-03:00 is open one real hour.
    assert bh.next_change(hours, local(BERLIN, 2026, 3, 29, 1, 30)) == local(BERLIN, 2026, 3, 29, 3)
    inside = schedule(sun=[("02:15", "02:45")], mon=[("09:00", "10:00")])
    before = local(BERLIN, 2026, 3, 29, 1, 0)
    assert bh.next_change(inside, before) == local(BERLIN, 2026, 3, 30, 9)  # never opens


def test_a_range_starting_in_the_skipped_hour_opens_when_the_clock_jumps():
    hours = schedule(sun=[("02:30", "05:00")])
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert bh.next_change(hours, local(BERLIN, 2026, 3, 29, 1, 0)) == jump
    assert bh.is_open(hours, jump) and not bh.is_open(hours, jump - timedelta(seconds=1))


def test_fall_back_in_new_york_repeated_times_are_open_both_times():
    # 1 November 2026: 02:00 EDT becomes 01:00 EST; 01:00-01:59 is shown twice.
    hours = schedule("America/New_York", sun=[("01:00", "02:00")])
    first = local(NEW_YORK, 2026, 11, 1, 1, 30, fold=0)
    second = local(NEW_YORK, 2026, 11, 1, 1, 30, fold=1)
    assert second - first == timedelta(hours=1)
    assert bh.is_open(hours, first) and bh.is_open(hours, second)
    assert bh.next_change(hours, first) == local(NEW_YORK, 2026, 11, 1, 2, 0)  # two hours
    # A range ending inside the repeated hour closes at its first showing, then opens
    # again when the clock goes back.
    short = schedule("America/New_York", sun=[("00:30", "01:30")])
    end = local(NEW_YORK, 2026, 11, 1, 1, 30, fold=0)
    assert bh.next_change(short, local(NEW_YORK, 2026, 11, 1, 0, 45)) == end
    again = bh.next_change(short, end)
    assert again == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 01:00 EST
    assert bh.next_change(short, again) == local(NEW_YORK, 2026, 11, 1, 1, 30, fold=1)


def test_spring_forward_in_new_york_and_autumn_in_berlin_keep_wall_clock_hours():
    ny = schedule("America/New_York", sun=[("09:00", "17:00")])
    day = local(NEW_YORK, 2026, 3, 8, 9)
    assert day == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # EDT already
    assert bh.next_change(ny, day - timedelta(hours=5)) == day
    berlin = schedule(sun=[("09:00", "17:00")])
    assert bh.next_change(berlin, datetime(2026, 10, 25, 0, 0, tzinfo=UTC)) == datetime(
        2026, 10, 25, 8, 0, tzinfo=UTC
    )  # 09:00 CET


def test_never_opening_and_never_closing_answer_none():
    nothing = schedule()
    always = schedule(**{d: [("00:00", "24:00")] for d in bh.DAYS})
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    assert not bh.is_open(nothing, now) and bh.next_change(nothing, now) is None
    assert bh.is_open(always, now) and bh.next_change(always, now) is None


def test_a_long_closure_is_seen_through_to_its_end():
    closed = [{"date": (date(2026, 12, 1) + timedelta(d)).isoformat(), "closed": True}
              for d in range(40)]  # fmt: skip
    hours = schedule(exceptions=closed, **{d: [("09:00", "17:00")] for d in bh.DAYS})
    opens = bh.next_change(hours, datetime(2026, 12, 1, tzinfo=UTC))
    assert opens == local(BERLIN, 2027, 1, 10, 9)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("mon", "must be an object"),
        ({"time_zone": "Mars/Olympus"}, "IANA time zone"),
        ({"time_zone": None}, "IANA time zone"),
        ({"time_zone": "UTC", "colour": 1}, "unknown fields: colour"),
        ({"time_zone": "UTC", "weekly": {"monday": []}}, "mon..sun"),
        ({"time_zone": "UTC", "weekly": {"mon": [{"start": "9:00", "end": "17:00"}]}}, "HH:MM"),
        ({"time_zone": "UTC", "weekly": {"mon": [{"start": "09:00", "end": "24:30"}]}}, "HH:MM"),
        ({"time_zone": "UTC", "weekly": {"mon": [{"start": "09:00", "end": "09:00"}]}}, "empty"),
        ({"time_zone": "UTC", "weekly": {"mon": [{"start": "24:00", "end": "02:00"}]}}, "24:00"),
        ({"time_zone": "UTC", "weekly": {"mon": [["09:00", "17:00"]]}}, "a range is"),
        (
            {
                "time_zone": "UTC",
                "weekly": {
                    "mon": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "17:00"}]
                },
            },
            "weekly.mon: ranges overlap (09:00-13:00 and 12:00-17:00)",
        ),  # fmt: skip
        (
            {
                "time_zone": "UTC",
                "weekly": {
                    "sun": [{"start": "22:00", "end": "03:00"}],
                    "mon": [{"start": "02:00", "end": "05:00"}],
                },
            },
            "weekly.sun: 22:00-03:00 overlaps weekly.mon 02:00-05:00",
        ),  # fmt: skip
        (
            {"time_zone": "UTC", "weekly": {"mon": [{"start": "00:00", "end": "01:00"}] * 7}},
            "at most 6 ranges",
        ),  # fmt: skip
        (
            {"time_zone": "UTC", "exceptions": [{"date": "2026-02-30", "closed": True}]},
            "YYYY-MM-DD",
        ),
        ({"time_zone": "UTC", "exceptions": [{"date": "2026-12-25"}]}, "either"),
        (
            {"time_zone": "UTC", "exceptions": [{"date": "2026-12-25", "ranges": []}]},
            "at least one",
        ),
        (
            {"time_zone": "UTC", "exceptions": [{"date": "2026-12-25", "closed": True}] * 2},
            "listed twice",
        ),
        (
            {"time_zone": "UTC", "exceptions": [{"date": "2026-12-25", "closed": True}] * 101},
            "at most 100",
        ),
    ],
)
def test_bad_schedules_are_refused_with_a_clear_message(body, says):
    with pytest.raises(BadRequest) as refused:
        bh.validate(body)
    assert says in refused.value.message


def test_the_stored_form_is_normalised_and_round_trips():
    body = {
        "time_zone": "America/New_York",
        "weekly": {"fri": [{"start": "22:00", "end": "02:00"}, {"start": "08:00", "end": "12:00"}]},
        "exceptions": [{"date": "2026-12-31", "closed": True}],
    }
    stored = bh.validate(body)
    assert stored["weekly"]["fri"] == [
        {"start": "08:00", "end": "12:00"},
        {"start": "22:00", "end": "02:00"},
    ]
    assert stored["weekly"]["mon"] == []
    assert bh.validate(stored) == stored


# ---------- properties: against a brute-force reference, minute by minute ----------

# Each zone with days around its daylight-saving changes (Lord Howe moves 30 minutes,
# Santiago at midnight; Kolkata and UTC have none).
AROUND = {
    "Europe/Berlin": [date(2026, 3, 29), date(2026, 10, 25)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],
    "America/Santiago": [date(2026, 4, 5), date(2026, 9, 6)],
    "Asia/Kolkata": [date(2026, 7, 15)],
    "UTC": [date(2026, 7, 15)],
}
# Quarter hours, half of them drawn from the night hours where the clocks change.
QUARTERS = st.one_of(st.integers(0, 96), st.integers(0, 16))


def _minute_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def day_ranges(draw, most=3):
    """Non-overlapping ranges of one day, on a 15-minute grid, the last (if it starts
    after 16:00) maybe past midnight (up to 04:00)."""
    points = sorted(draw(st.sets(QUARTERS, max_size=2 * most)))
    if len(points) % 2:
        points = points[:-1]
    ranges = [(points[i] * 15, points[i + 1] * 15) for i in range(0, len(points), 2)]
    ranges = [(s, e) for s, e in ranges if s < 1440]
    if ranges and ranges[-1][0] >= 16 * 60 and draw(st.booleans()):
        ranges[-1] = (ranges[-1][0], 1440 + draw(st.integers(1, 16)) * 15)
    return ranges


def _as_body(ranges):
    return [{"start": _minute_text(s), "end": _minute_text(e % 1440 if e > 1440 else e)}
            for s, e in ranges]  # fmt: skip


@st.composite
def schedules(draw):
    weekly = {day: draw(day_ranges()) for day in bh.DAYS}
    for index, day in enumerate(bh.DAYS):  # keep past-midnight ends clear of the next day
        after = weekly[bh.DAYS[(index + 1) % 7]]
        if weekly[day] and after and weekly[day][-1][1] > 1440 + after[0][0]:
            weekly[day][-1] = (weekly[day][-1][0], 1440 + after[0][0])
    zone = draw(st.sampled_from(sorted(AROUND)))
    base = draw(st.sampled_from(AROUND[zone]))
    exceptions = {}
    offsets = draw(st.sets(st.integers(-3, 4), max_size=3))
    if draw(st.booleans()):
        offsets.add(0)  # special hours on the very day the clocks change
    for offset in offsets:
        ranges = draw(day_ranges())
        exceptions[base + timedelta(offset)] = ranges
    body = {
        "time_zone": zone,
        "weekly": {day: _as_body(r) for day, r in weekly.items()},
        "exceptions": [
            {"date": d.isoformat(), "closed": True} if not r
            else {"date": d.isoformat(), "ranges": _as_body(r)}
            for d, r in exceptions.items()
        ],
    }  # fmt: skip
    start = datetime.combine(base, datetime.min.time(), UTC)
    instant = start + timedelta(minutes=draw(st.integers(-720, 1440)))
    return body, instant


def _reference(body: dict):
    """The rule read straight from the JSON: open when the local wall clock's minute is
    covered by a range of that date, or by the date before's range running past midnight
    (each date's covered minutes worked out once)."""
    zone = ZoneInfo(body["time_zone"])
    covered_on: dict = {}

    def ranges(day: date):
        for item in body["exceptions"]:
            if item["date"] == day.isoformat():
                return item.get("ranges", [])
        return body["weekly"][bh.DAYS[day.weekday()]]

    def span(item):
        start = int(item["start"][:2]) * 60 + int(item["start"][3:])
        end = int(item["end"][:2]) * 60 + int(item["end"][3:])
        return range(start, end if end > start else end + 1440)

    def covered(day: date) -> set:
        if day not in covered_on:
            minutes = {m for item in ranges(day) for m in span(item) if m < 1440}
            minutes |= {m - 1440 for item in ranges(day - timedelta(1))
                        for m in span(item) if m >= 1440}  # fmt: skip
            covered_on[day] = minutes
        return covered_on[day]

    def is_open(instant: datetime) -> bool:
        wall = instant.astimezone(zone)
        return wall.hour * 60 + wall.minute in covered(wall.date())

    return is_open


LOOK_MINUTES = 8 * 1440


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules())
def test_is_open_and_next_change_agree_with_a_minute_by_minute_reference(example):
    body, instant = example
    hours = bh.parse(bh.dumps(bh.validate(body)))
    reference = _reference(body)
    now_open = reference(instant)
    assert bh.is_open(hours, instant) == now_open
    found = bh.next_change(hours, instant)
    expected = None
    for step in range(1, LOOK_MINUTES):
        moment = instant + timedelta(minutes=step)
        if reference(moment) != now_open:
            expected = moment
            break
    if expected is None:
        assert found is None or found > instant + timedelta(minutes=LOOK_MINUTES - 1)
    else:
        assert found == expected
