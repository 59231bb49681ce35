"""Property tests of the business-time core against a brute-force reference.

The reference below applies the counting rule literally and shares no code with the
implementation: it walks the UTC timeline in five-minute slots, converts each slot's first instant
to the schedule's wall-clock time with ``astimezone`` and asks whether that local date is a working
day and that local time lies in one of the day's periods. This is exact because every schedule
drawn here has period bounds on a five-minute grid, and in the years drawn (2025–2028) every zone
used has offsets and transition instants that are whole multiples of five minutes (Lord Howe's
+10:30/+11 and Kolkata's +5:30 included) — so a slot is counted or not as a whole. Starts and
durations carry seconds and microseconds; partial slots are handled exactly.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settings_app.business_time import WorkingSchedule

ZONES = ["Europe/Stockholm", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
SLOT = timedelta(minutes=5)
SLOTS_PER_DAY = 288
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RANGE_START = datetime(2025, 1, 1, tzinfo=UTC)
RANGE_END = datetime(2028, 12, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)

Week = tuple[tuple[tuple[int, int], ...], ...]
"""Per weekday 0..6, working periods as (start, end) slot numbers of the day (288 = 24:00)."""

PROPERTY_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


# -- the reference --------------------------------------------------------------------------------


class Reference:
    """The counting rule, applied slot by slot."""

    def __init__(self, zone: str, week: Week, holidays: frozenset[date]) -> None:
        self.zone = ZoneInfo(zone)
        self.week = week
        self.holidays = holidays

    def __repr__(self) -> str:  # shown in Hypothesis' falsifying examples
        return f"Reference({self.zone.key!r}, week={self.week!r}, holidays={sorted(self.holidays)})"

    def slot_counts(self, slot_start: datetime) -> bool:
        local = slot_start.astimezone(self.zone)
        assert local.second == 0 and local.minute % 5 == 0, "slot grid broken for this zone"
        if local.date() in self.holidays:
            return False
        slot_of_day = (local.hour * 60 + local.minute) // 5
        return any(a <= slot_of_day < b for a, b in self.week[local.weekday()])

    @staticmethod
    def slot_of(instant: datetime) -> datetime:
        """The UTC start of the five-minute slot holding ``instant``."""
        instant = instant.astimezone(UTC)
        return instant - (instant - EPOCH) % SLOT

    def add(self, start: datetime, duration: timedelta) -> datetime:
        start = start.astimezone(UTC)  # timedelta arithmetic in UTC is arithmetic on instants
        if duration == timedelta(0):
            return start
        remaining = duration
        at = start
        slot = self.slot_of(start)
        while True:
            slot_end = slot + SLOT
            if self.slot_counts(slot):
                piece = slot_end - at
                if remaining <= piece:
                    return at + remaining
                remaining -= piece
            at = slot = slot_end

    def between(self, start: datetime, end: datetime) -> timedelta:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        counted = timedelta(0)
        slot = self.slot_of(start)
        while slot < end:
            slot_end = slot + SLOT
            if self.slot_counts(slot):
                counted += min(slot_end, end) - max(slot, start)
            slot = slot_end
        return counted

    def next_working(self, at: datetime) -> datetime:
        at = at.astimezone(UTC)
        slot = self.slot_of(at)
        while not self.slot_counts(slot):
            slot += SLOT
        return max(slot, at)


# -- strategies -----------------------------------------------------------------------------------


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """UTC instants (to the minute) at which the zone's offset changes in 2025–2028."""
    tz = ZoneInfo(zone)
    found: list[datetime] = []
    day = RANGE_START
    while day < RANGE_END:
        nxt = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            lo, hi = day, nxt
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                mid -= (mid - EPOCH) % timedelta(minutes=1)
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        day = nxt
    return tuple(found)


# Slot numbers, biased towards midnight, 24:00 and the small hours where DST changes happen.
slot_numbers = st.one_of(
    st.sampled_from([0, 24, 30, 36, 282, SLOTS_PER_DAY]), st.integers(0, SLOTS_PER_DAY)
)


@st.composite
def weeks(draw: st.DrawFn) -> Week:
    """Random weekly periods, possibly touching, possibly an overnight shift, never empty."""
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    periods = st.tuples(st.integers(0, 6), slot_numbers, slot_numbers)
    for weekday, x, y in draw(st.lists(periods, min_size=1, max_size=6)):
        a, b = min(x, y), max(x, y)
        if a < b and all(b <= c or d <= a for c, d in days[weekday]):
            days[weekday].append((a, b))
    if draw(st.booleans()):  # an overnight shift from some day into the next
        day = draw(st.integers(0, 6))
        evening, morning = days[day], days[(day + 1) % 7]
        last_end = max((b for _a, b in evening), default=0)
        first_start = min((a for a, _b in morning), default=SLOTS_PER_DAY)
        if last_end < SLOTS_PER_DAY and first_start > 0:
            evening.append((draw(st.integers(last_end, SLOTS_PER_DAY - 1)), SLOTS_PER_DAY))
            morning.append((0, draw(st.integers(1, first_start))))
    if not any(days):
        days[0].append((108, 204))
    return tuple(tuple(sorted(day)) for day in days)


def bound(slot_number: int, as_time: bool) -> str | time:
    """A slot number as a period bound, either ``"HH:MM"`` or ``datetime.time``."""
    hours, minutes = divmod(slot_number * 5, 60)
    if as_time and slot_number < SLOTS_PER_DAY:
        return time(hours, minutes)
    return f"{hours:02d}:{minutes:02d}"


def weekly_minutes(week: Week) -> int:
    return sum((b - a) * 5 for day in week for a, b in day)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """An aware instant in 2025–2028, often within days of a DST change, in a random zone."""
    anchors = transitions(zone)
    if anchors and draw(st.booleans()):
        anchor = draw(st.sampled_from(anchors))
        seconds = draw(st.integers(-4 * 86_400, 4 * 86_400))
    else:
        anchor = RANGE_START
        seconds = draw(st.integers(0, int((RANGE_END - RANGE_START).total_seconds())))
    micros = draw(st.one_of(st.just(0), st.integers(0, 999_999)))
    if draw(st.booleans()):  # whole minutes, so that starts fall on period bounds
        seconds -= seconds % 60
        micros = 0
    instant = anchor + timedelta(seconds=seconds, microseconds=micros)
    shown_in = draw(
        st.sampled_from(
            [UTC, ZoneInfo(zone), ZoneInfo("Asia/Tokyo"), timezone(-timedelta(hours=3, minutes=17))]
        )
    )
    return instant.astimezone(shown_in)


@st.composite
def cases(draw: st.DrawFn) -> tuple[WorkingSchedule, Reference, datetime]:
    zone = draw(st.sampled_from(ZONES))
    week = draw(weeks())
    start = draw(instants(zone))
    local_day = start.astimezone(ZoneInfo(zone)).date()
    holidays = frozenset(
        local_day + timedelta(days=offset)
        for offset in draw(st.lists(st.integers(-2, 30), max_size=6))
    )
    as_time = draw(st.booleans())
    periods = {
        weekday: [(bound(a, as_time), bound(b, as_time)) for a, b in day]
        for weekday, day in enumerate(week)
        if day or draw(st.booleans())  # a day off is either missing or an empty list
    }
    schedule = WorkingSchedule(timezone=zone, periods=periods, holidays=holidays)
    return schedule, Reference(zone, week, holidays), start


def durations(week: Week) -> st.SearchStrategy[timedelta]:
    """Counted durations from zero up to two weeks' worth of the schedule (at most 60 h)."""
    cap = min(60 * 3600, 2 * weekly_minutes(week) * 60)
    return st.one_of(
        st.just(timedelta(0)),
        st.integers(1, cap).map(lambda s: timedelta(seconds=s)),
        st.integers(1, cap * 1_000_000).map(lambda us: timedelta(microseconds=us)),
        st.integers(1, cap // 300).map(lambda n: n * SLOT),
    )


def later(instant: datetime, elapsed: timedelta) -> datetime:
    """The instant ``elapsed`` of real time after ``instant``, in UTC.

    (Aware arithmetic in a ``ZoneInfo`` zone is wall-clock arithmetic, and ``==`` between zones
    is always false for a time in a repeated hour, so instants are compared in UTC.)
    """
    return instant.astimezone(UTC) + elapsed


def assert_utc(value: datetime) -> None:
    assert value.utcoffset() == timedelta(0)


# -- properties -----------------------------------------------------------------------------------


@settings(PROPERTY_SETTINGS, max_examples=1200)
@given(case=cases(), data=st.data())
def test_add_matches_reference(
    case: tuple[WorkingSchedule, Reference, datetime], data: st.DataObject
) -> None:
    schedule, reference, start = case
    duration = data.draw(durations(reference.week), label="duration")
    result = schedule.add_working_time(start, duration)
    assert_utc(result)
    assert result == reference.add(start, duration)


@settings(PROPERTY_SETTINGS, max_examples=800)
@given(case=cases(), span=st.integers(0, 9 * 86_400 * 1_000_000).map(lambda us: us * ONE_US))
def test_between_matches_reference(
    case: tuple[WorkingSchedule, Reference, datetime], span: timedelta
) -> None:
    schedule, reference, start = case
    end = later(start, span)
    assert schedule.working_time_between(start, end) == reference.between(start, end)


@settings(PROPERTY_SETTINGS, max_examples=1000)
@given(case=cases(), data=st.data())
def test_between_undoes_add(
    case: tuple[WorkingSchedule, Reference, datetime], data: st.DataObject
) -> None:
    schedule, reference, start = case
    duration = data.draw(durations(reference.week), label="duration")
    assert schedule.working_time_between(start, schedule.add_working_time(start, duration)) == (
        duration
    )


@settings(PROPERTY_SETTINGS, max_examples=1200)
@given(case=cases(), span=st.integers(0, 20 * 86_400).map(lambda s: timedelta(seconds=s)))
def test_add_of_between_lands_where_counted_time_runs_out(
    case: tuple[WorkingSchedule, Reference, datetime], span: timedelta
) -> None:
    schedule, _reference, start = case
    end = later(start, span)
    counted = schedule.working_time_between(start, end)
    landed = schedule.add_working_time(start, counted)
    assert landed <= end
    assert schedule.working_time_between(start, landed) == counted
    if counted:
        # The earliest such instant: one microsecond earlier, the counted time falls short.
        assert schedule.working_time_between(start, landed - ONE_US) == counted - ONE_US
        assert schedule.is_working_instant(landed - ONE_US)
    else:
        assert landed == start.astimezone(UTC)


@settings(PROPERTY_SETTINGS, max_examples=500)
@given(case=cases())
def test_helpers_match_reference(case: tuple[WorkingSchedule, Reference, datetime]) -> None:
    schedule, reference, at = case
    assert schedule.is_working_instant(at) is reference.slot_counts(reference.slot_of(at))
    following = schedule.next_working_instant(at)
    assert_utc(following)
    assert following == reference.next_working(at)
    end = later(at, timedelta(days=3))
    intervals = schedule.working_intervals(at, end)
    assert sum((b - a for a, b in intervals), timedelta(0)) == reference.between(at, end)
    for (_a, b), (c, _d) in zip(intervals, intervals[1:], strict=False):
        assert b < c  # maximal: touching stretches are merged


@settings(PROPERTY_SETTINGS, max_examples=200)
@given(
    zone=st.sampled_from(ZONES),
    start=instants("Europe/Stockholm"),
    duration=st.integers(0, 10**12).map(lambda us: us * ONE_US),
    week=weeks(),
)
def test_always_open_counts_every_instant(
    zone: str, start: datetime, duration: timedelta, week: Week
) -> None:
    periods = {
        d: [(bound(a, False), bound(b, False)) for a, b in day] for d, day in enumerate(week)
    }
    schedule = WorkingSchedule(
        timezone=zone, periods=periods, holidays=[start.date()], always_open=True
    )
    result = schedule.add_working_time(start, duration)
    assert_utc(result)
    assert result == later(start, duration)
    assert schedule.working_time_between(start, result) == duration


def test_reference_agrees_with_itself_on_a_known_week() -> None:
    """Guard the reference: Mon–Fri 09–17 in Stockholm holds 40 h in a plain week."""
    week: Week = tuple(((108, 204),) if d < 5 else () for d in range(7))
    reference = Reference("Europe/Stockholm", week, frozenset())
    start = datetime(2026, 3, 2, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert reference.between(start, start + timedelta(days=7)) == timedelta(hours=40)
    assert reference.add(start, timedelta(hours=8)) == datetime(
        2026, 3, 2, 17, tzinfo=ZoneInfo("Europe/Stockholm")
    )
