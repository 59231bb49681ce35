"""Business-time arithmetic: counted working time on a weekly schedule in an IANA time zone.

A pure module (standard library and ``zoneinfo`` only; no Django, no clock, no I/O of its own).
``WorkingSchedule`` answers two questions for the SLA clocks:

* ``add_working_time(start, duration)`` — the instant at which ``duration`` of counted time,
  counted from ``start``, runs out;
* ``working_time_between(start, end)`` — how much counted time lies in ``[start, end)``.

The counting rule: an instant counts when the schedule's local wall-clock time at that instant lies
inside a working period ``[start, end)`` of that local date and that date is not a holiday. Across a
daylight-saving change a period therefore holds an hour less or more of real time, a period inside
the skipped hour holds nothing, a period inside the repeated hour counts both passes, and
Mon 22:00–24:00 followed by Tue 00:00–06:00 is one unbroken stretch. With ``always_open`` every
instant counts (24/7, holidays included).

How it is fast: time is handled as integer microseconds since the Unix epoch (UTC). The timeline is
cut into fixed blocks of ``_BLOCK_DAYS`` UTC days; for each block that a call touches, the UTC
working intervals (exact across offset changes, found by probing ``zoneinfo`` once a day) and the
running sums of their lengths are built once and cached, and every question is then answered with
``bisect``. A block is built week by week from the week's periods, so a sparse schedule (one hour
a week) costs a step per period, not a step per day. The cost of a call does not depend on the
duration, except for one cheap step per block crossed (about three per year).
"""

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from settings_app.time_zones import is_refused_name, load_zone

__all__ = ["HOLIDAY_YEARS_AHEAD", "HOLIDAY_YEARS_BACK", "WorkingSchedule", "holidays_expand"]

# Recurring holidays are expanded this many years before and after the current year; SLA clocks
# never look further ahead: a goal must count out within five calendar years (goal_reach).
HOLIDAY_YEARS_BACK = 2
HOLIDAY_YEARS_AHEAD = 10

_US_PER_SECOND = 1_000_000
_DAY_US = 86_400 * _US_PER_SECOND
_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# 1970-01-01 was a Thursday: weekday(day number) == (day number + 3) % 7, with Monday == 0.
_EPOCH_WEEKDAY = 3

# Length of one cached block of the timeline. About four months: small enough that the first
# call on a fresh schedule builds little, large enough that a 400-hour duration crosses at most
# one or two block boundaries.
_BLOCK_DAYS = 128
_BLOCK_US = _BLOCK_DAYS * _DAY_US
# Offsets are probed this far apart and transitions located to the second in between. That is
# exact as long as no zone changes its offset twice within one probe step: the closest two changes
# in the tz database are about four days apart (Africa/Freetown, 1939; then Asia/Gaza's predicted
# Ramadan changes, a week apart). tests/settings_app/test_business_time_zones.py checks every zone.
_PROBE_SECONDS = 24 * 3600
# Blocks are kept a day clear of datetime's range so that converting to any zone cannot overflow.
_MIN_US = (datetime(1, 1, 2, tzinfo=UTC) - _EPOCH) // _ONE_US
_MAX_US = (datetime(9999, 12, 30, tzinfo=UTC) - _EPOCH) // _ONE_US
# Built blocks shared between schedules with the same zone, week and holidays (a schedule is
# often rebuilt from stored settings for each request or task).
_SHARED_BLOCKS = 256

_HH_MM = re.compile(r"([0-9]{1,2}):([0-9]{2})")

PeriodBound = str | time
"""A period bound: ``"HH:MM"`` (``"24:00"`` allowed as an end only) or a naive ``datetime.time``."""

_Block = tuple[list[int], list[int], list[int], int]
"""UTC interval starts, ends, running totals through each interval, and the block's total (µs)."""


class WorkingSchedule:
    """A weekly working schedule in one IANA time zone, with optional holidays, or 24/7.

    ``periods`` maps a weekday (0 = Monday … 6 = Sunday) to its working periods, each a
    ``(start, end)`` pair of wall-clock times in the schedule's zone; a missing or empty day is a
    day off. ``holidays`` are local dates on which nothing counts (recurring holidays are expanded
    by the caller). With ``always_open`` every instant counts and periods and holidays are ignored
    (they are still checked when given).

    All datetimes passed in must be timezone-aware, in any zone; every datetime returned is in UTC.
    Durations are ``timedelta`` values of counted time, exact to the microsecond.

    Raises ``ValueError`` for an unknown zone, a malformed bound, a period whose start is not
    before its end, overlapping periods on one day, a weekday outside 0..6, a holiday that is not a
    date, or a schedule with no working time (unless ``always_open``). The methods raise
    ``ValueError`` for a naive datetime, a negative duration or an end before its start,
    ``TypeError`` for a value that is not a datetime or timedelta at all, and ``OverflowError``
    when an instant falls outside 0001-01-02 to 9999-12-30 UTC.

    The instance caches what it computes; it is safe to share between threads (a block built
    twice by a race is built identically).
    """

    __slots__ = ("_always_open", "_blocks", "_holiday_days", "_key", "_week", "_zone")

    def __init__(
        self,
        timezone: str | ZoneInfo,
        periods: Mapping[int, Iterable[Sequence[PeriodBound]]] | None = None,
        holidays: Iterable[date] = (),
        always_open: bool = False,
    ) -> None:
        self._zone = _load_zone(timezone)
        self._week = _parse_week(periods if periods is not None else {})
        self._holiday_days = _parse_holidays(holidays)
        self._always_open = bool(always_open)
        if not self._always_open and not any(self._week):
            raise ValueError(
                "The schedule has no working time: give at least one working period, "
                "or make it always open (24/7)."
            )
        self._key = (self._zone, self._week, self._holiday_days)
        self._blocks: dict[int, _Block] = {}

    def __repr__(self) -> str:
        if self._always_open:
            return f"WorkingSchedule(timezone={self._zone.key!r}, always_open=True)"
        days = sum(1 for day in self._week if day)
        return (
            f"WorkingSchedule(timezone={self._zone.key!r}, working_weekdays={days}, "
            f"holidays={len(self._holiday_days)})"
        )

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone; periods and holidays are read in its wall-clock time."""
        return self._zone

    @property
    def always_open(self) -> bool:
        """True when every instant counts (24/7)."""
        return self._always_open

    # -- the contract --------------------------------------------------------------------------

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """Return the instant (UTC) at which ``duration`` of counted time from ``start`` runs out.

        ``start`` is an aware datetime in any zone; ``duration`` a non-negative timedelta of
        counted time. A zero duration returns ``start`` itself (in UTC), even outside working
        hours. Otherwise counting begins at ``start`` or, outside working hours, at the next
        working period, and the result is the earliest instant at which the counted time equals
        ``duration`` — a period's end rather than the next period's start. Exact to the
        microsecond; the cost does not grow with ``duration``.

        Raises ``ValueError`` for a naive ``start`` or a negative ``duration``.
        """
        now_us = _to_us(start, "start")
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration must be a datetime.timedelta, got {type(duration).__name__}")
        need = duration // _ONE_US
        if need < 0:
            raise ValueError(f"duration must not be negative, got {duration}")
        if need == 0:
            return _from_us(now_us)
        if self._always_open:
            return _from_us(now_us + need)
        index = now_us // _BLOCK_US
        starts, ends, totals, total = self._block(index)
        target = _counted_before(starts, ends, totals, total, now_us) + need
        while target > total:
            target -= total
            index += 1
            starts, ends, totals, total = self._block(index)
        j = bisect_left(totals, target)
        return _from_us(ends[j] - (totals[j] - target))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Return the counted time in ``[start, end)`` as a timedelta (exact to the microsecond).

        Both are aware datetimes in any zone. Raises ``ValueError`` for a naive datetime or an
        ``end`` before ``start``.
        """
        start_us = _to_us(start, "start")
        end_us = _to_us(end, "end")
        if end_us < start_us:
            raise ValueError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
        if self._always_open:
            return timedelta(microseconds=end_us - start_us)
        first, last = start_us // _BLOCK_US, end_us // _BLOCK_US
        block = self._block(first)
        counted = -_counted_before(*block, start_us)
        for index in range(first, last):
            counted += block[3]
            block = self._block(index + 1)
        counted += _counted_before(*block, end_us)
        return timedelta(microseconds=counted)

    # -- helpers for the SLA engine ------------------------------------------------------------

    def is_working_instant(self, at: datetime) -> bool:
        """Return True when the instant ``at`` (aware, any zone) counts as working time."""
        at_us = _to_us(at, "at")
        if self._always_open:
            return True
        starts, ends, _totals, _total = self._block(at_us // _BLOCK_US)
        i = bisect_right(ends, at_us)
        return i < len(ends) and starts[i] <= at_us

    def next_working_instant(self, at: datetime) -> datetime:
        """Return the earliest instant at or after ``at`` that counts, in UTC.

        That is ``at`` itself inside working time, else the start of the next working period:
        where a clock started at ``at`` begins to count.
        """
        at_us = _to_us(at, "at")
        if self._always_open:
            return _from_us(at_us)
        index = at_us // _BLOCK_US
        starts, ends, _totals, _total = self._block(index)
        i = bisect_right(ends, at_us)
        while i == len(ends):
            index += 1
            starts, ends, _totals, _total = self._block(index)
            i = 0
        return _from_us(max(starts[i], at_us))

    def working_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Return the counted stretches of ``[start, end)`` as ``(from, to)`` UTC pairs.

        The pairs are sorted, disjoint, clipped to ``[start, end)`` and maximal: touching
        stretches (such as an overnight shift across midnight) come back as one. Their lengths sum
        to ``working_time_between(start, end)``. Raises ``ValueError`` like that method.
        """
        start_us = _to_us(start, "start")
        end_us = _to_us(end, "end")
        if end_us < start_us:
            raise ValueError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
        if self._always_open:
            return [(_from_us(start_us), _from_us(end_us))] if end_us > start_us else []
        merged: list[list[int]] = []
        for index in range(start_us // _BLOCK_US, end_us // _BLOCK_US + 1):
            starts, ends, _totals, _total = self._block(index)
            for i in range(bisect_right(ends, start_us), len(ends)):
                lo, hi = max(starts[i], start_us), min(ends[i], end_us)
                if lo >= hi:
                    break
                if merged and merged[-1][1] == lo:
                    merged[-1][1] = hi
                else:
                    merged.append([lo, hi])
        return [(_from_us(lo), _from_us(hi)) for lo, hi in merged]

    # -- internals -----------------------------------------------------------------------------

    def _block(self, index: int) -> _Block:
        block = self._blocks.get(index)
        if block is None:
            if not _MIN_US - _BLOCK_US < index * _BLOCK_US < _MAX_US:
                raise OverflowError("the result lies outside the supported date range")
            block = _shared_block(self._key, index)
            self._blocks[index] = block
        return block


def _counted_before(
    starts: list[int], ends: list[int], totals: list[int], total: int, at_us: int
) -> int:
    """Counted µs in the block before ``at_us`` (which lies inside the block)."""
    i = bisect_right(ends, at_us)
    if i == len(ends):
        return total
    return totals[i] - ends[i] + max(starts[i], at_us)


@lru_cache(maxsize=_SHARED_BLOCKS)
def _shared_block(
    key: tuple[ZoneInfo, tuple[tuple[tuple[int, int], ...], ...], frozenset[int]], index: int
) -> _Block:
    """Build block ``index``: the schedule's UTC working intervals in it, merged, with totals."""
    zone, week, holiday_days = key
    block_start = index * _BLOCK_US
    block_end = min(block_start + _BLOCK_US, _MAX_US)
    block_start = max(block_start, _MIN_US)
    weekly = _weekly_periods(week)
    starts: list[int] = []
    ends: list[int] = []
    for seg_start, seg_end, offset in _offset_segments(zone, block_start, block_end):
        # Over [seg_start, seg_end) the wall clock reads UTC + offset, so a wall-clock interval
        # [lo, hi) inside this segment's wall range is the UTC interval [lo - offset, hi - offset).
        wall_start, wall_end = seg_start + offset, seg_end + offset
        first_day = wall_start // _DAY_US
        # Whole weeks from the Monday on or before the first day; each week is its few periods.
        first_monday = first_day - (first_day + _EPOCH_WEEKDAY) % 7
        for monday in range(first_monday, (wall_end - 1) // _DAY_US + 1, 7):
            week_start = monday * _DAY_US
            for day_of_week, period_start, period_end in weekly:
                lo = max(week_start + period_start, wall_start)
                hi = min(week_start + period_end, wall_end)
                if lo >= hi or monday + day_of_week in holiday_days:
                    continue
                if ends and ends[-1] == lo - offset:
                    ends[-1] = hi - offset
                else:
                    starts.append(lo - offset)
                    ends.append(hi - offset)
    totals = list(accumulate(end - start for start, end in zip(starts, ends, strict=True)))
    return starts, ends, totals, totals[-1] if totals else 0


@lru_cache(maxsize=64)
def _weekly_periods(
    week: tuple[tuple[tuple[int, int], ...], ...],
) -> tuple[tuple[int, int, int], ...]:
    """The week's periods in time order as (weekday, start, end), in µs from Monday 00:00."""
    return tuple(
        (weekday, weekday * _DAY_US + start, weekday * _DAY_US + end)
        for weekday, day in enumerate(week)
        for start, end in day
    )


@lru_cache(maxsize=_SHARED_BLOCKS)
def _offset_segments(
    zone: ZoneInfo, start_us: int, end_us: int
) -> tuple[tuple[int, int, int], ...]:
    """Split UTC ``[start_us, end_us)`` into ``(from, to, offset)`` runs of constant UTC offset.

    All values are µs; ``start_us`` and ``end_us`` are whole seconds, as are transitions.
    """
    segments: list[tuple[int, int, int]] = []
    seg_from = start_us // _US_PER_SECOND
    end_s = end_us // _US_PER_SECOND
    offset = _offset_at(zone, seg_from)
    probe = seg_from
    while probe < end_s:
        next_probe = min(probe + _PROBE_SECONDS, end_s)
        if _offset_at(zone, next_probe) != offset:
            # Bisect to the first second with the new offset, in (probe, next_probe].
            lo, hi = probe, next_probe
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_at(zone, mid) == offset:
                    lo = mid
                else:
                    hi = mid
            if hi < end_s:
                segments.append((seg_from * _US_PER_SECOND, hi * _US_PER_SECOND, offset))
                seg_from, offset = hi, _offset_at(zone, hi)
            next_probe = hi
        probe = next_probe
    segments.append((seg_from * _US_PER_SECOND, end_us, offset))
    return tuple(segments)


def _offset_at(zone: ZoneInfo, utc_second: int) -> int:
    """The zone's UTC offset in µs at the given UTC second since the epoch."""
    try:
        local = datetime.fromtimestamp(utc_second, zone)  # one C call: the common, fast path
    except (OverflowError, OSError, ValueError):  # a platform that limits timestamps
        local = (_EPOCH + timedelta(seconds=utc_second)).astimezone(zone)
    return local.utcoffset() // _ONE_US  # type: ignore[operator]  # aware: never None


def _to_us(value: datetime, name: str) -> int:
    """An aware datetime as µs since the epoch (UTC)."""
    try:
        return (value - _EPOCH) // _ONE_US
    except TypeError:
        pass  # Not a datetime, or a naive one (aware minus naive raises TypeError).
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime.datetime, got {type(value).__name__}")
    raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}")


def _from_us(value: int) -> datetime:
    """µs since the epoch as an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=value)


def _load_zone(timezone: str | ZoneInfo) -> ZoneInfo:
    """The schedule's zone; ``ValueError`` for an unknown name and for the names SPEC refuses
    (``localtime``, ``Factory``, ``posixrules``, ``posix/…``, ``right/…``: see ``time_zones``)."""
    if isinstance(timezone, ZoneInfo):
        if timezone.key is not None and is_refused_name(timezone.key):
            raise ValueError(f"Unknown time zone: {timezone.key!r}")
        return timezone
    return load_zone(timezone)


def _parse_week(
    periods: Mapping[int, Iterable[Sequence[PeriodBound]]],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Validate ``periods``; return, per weekday 0..6, its sorted ``(start, end)`` µs of the day."""
    if not isinstance(periods, Mapping):
        raise ValueError(
            "periods must be a mapping of weekday (0 = Monday … 6 = Sunday) to periods"
        )
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for weekday, day_periods in periods.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(
                f"Weekday keys must be integers 0 (Monday) to 6 (Sunday), got {weekday!r}"
            )
        if isinstance(day_periods, str | bytes):
            raise ValueError(f"Weekday {weekday}: expected a list of (start, end) pairs")
        for period in day_periods:
            try:
                if isinstance(period, str | bytes):
                    raise TypeError
                raw_start, raw_end = period
            except (TypeError, ValueError):
                raise ValueError(
                    f"Weekday {weekday}: each period must be a (start, end) pair, got {period!r}"
                ) from None
            start = _parse_bound(raw_start, weekday=weekday, is_end=False)
            end = _parse_bound(raw_end, weekday=weekday, is_end=True)
            if start >= end:
                raise ValueError(
                    f"Weekday {weekday}: period {_show(start)}–{_show(end)} "
                    "must start before it ends"
                )
            week[weekday].append((start, end))
    for weekday, day in enumerate(week):
        day.sort()
        for (start_a, end_a), (start_b, end_b) in zip(day, day[1:], strict=False):
            if start_b < end_a:
                raise ValueError(
                    f"Weekday {weekday}: periods {_show(start_a)}–{_show(end_a)} and "
                    f"{_show(start_b)}–{_show(end_b)} overlap"
                )
    return tuple(tuple(day) for day in week)


def _parse_bound(value: PeriodBound, *, weekday: int, is_end: bool) -> int:
    """A period bound as µs since local midnight (``"24:00"`` → one whole day)."""
    if isinstance(value, str):
        match = _HH_MM.fullmatch(value)
        if match is None:
            raise ValueError(f"Weekday {weekday}: malformed time {value!r}, expected 'HH:MM'")
        hours, minutes = int(match[1]), int(match[2])
        if (hours, minutes) == (24, 0):
            if not is_end:
                raise ValueError(f"Weekday {weekday}: '24:00' is valid only as a period's end")
            return _DAY_US
        if hours > 23 or minutes > 59:
            raise ValueError(f"Weekday {weekday}: malformed time {value!r}, expected 'HH:MM'")
        return (hours * 3600 + minutes * 60) * _US_PER_SECOND
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(f"Weekday {weekday}: period times are wall-clock times, not aware")
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return seconds * _US_PER_SECOND + value.microsecond
    raise ValueError(
        f"Weekday {weekday}: a period bound must be 'HH:MM' or a datetime.time, got {value!r}"
    )


def _parse_holidays(holidays: Iterable[date]) -> frozenset[int]:
    """Holiday dates as day numbers since 1970-01-01."""
    days: set[int] = set()
    for holiday in holidays:
        if isinstance(holiday, datetime) or not isinstance(holiday, date):
            raise ValueError(f"Holidays must be datetime.date values, got {holiday!r}")
        days.add(holiday.toordinal() - _EPOCH_ORDINAL)
    return frozenset(days)


def _show(micros_of_day: int) -> str:
    """µs since midnight as ``HH:MM`` (with seconds when not whole minutes), for messages."""
    seconds, micros = divmod(micros_of_day, _US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    text = f"{minutes // 60:02d}:{minutes % 60:02d}"
    if second or micros:
        text += f":{second:02d}" + (f".{micros:06d}" if micros else "")
    return text


def holidays_expand(holidays: Iterable[tuple[date, bool]], *, today: date) -> list[date]:
    """Holiday dates, each ``(date, recurring)``, with the recurring ones repeated every year
    from ``HOLIDAY_YEARS_BACK`` before to ``HOLIDAY_YEARS_AHEAD`` after ``today``'s year (the
    expansion SPEC section 6 leaves to the caller), sorted, each once."""
    dates: set[date] = set()
    years = range(today.year - HOLIDAY_YEARS_BACK, today.year + HOLIDAY_YEARS_AHEAD + 1)
    for day, recurring in holidays:
        dates.add(day)
        if recurring:
            for year in years:
                try:
                    dates.add(day.replace(year=year))
                except ValueError:  # 29 February in a common year
                    continue
    return sorted(dates)
