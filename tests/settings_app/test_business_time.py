"""Table tests of the business-time core, with expected instants worked out by hand.

Calendar used throughout (2026): Mon 2 March; Europe/Stockholm springs forward on Sun 29 March
(02:00 CET → 03:00 CEST, 01:00 UTC) and falls back on Sun 25 October (03:00 CEST → 02:00 CET,
01:00 UTC); America/New_York on Sun 8 March (02:00 → 03:00) and Sun 1 November (02:00 → 01:00);
Australia/Lord_Howe (+10:30 standard, +11 summer) falls back half an hour on Sun 5 April
(02:00 → 01:30) and springs forward half an hour on Sun 4 October (02:00 → 02:30).
Expected values are written as wall-clock times (``fold=1`` for the second pass of a repeated hour)
and compared as instants in UTC.
"""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from settings_app.business_time import WorkingSchedule

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
TOKYO = ZoneInfo("Asia/Tokyo")

H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)
US = timedelta(microseconds=1)

OFFICE_DAY = [("09:00", "12:00"), ("13:00", "17:00")]


def sto(day: str, clock: str = "00:00", fold: int = 0) -> datetime:
    """Stockholm wall-clock time, e.g. ``sto("2026-03-02", "10:00:30.5")``."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=STOCKHOLM, fold=fold)


def nyc(day: str, clock: str = "00:00", fold: int = 0) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=NEW_YORK, fold=fold)


def lhi(day: str, clock: str = "00:00", fold: int = 0) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=LORD_HOWE, fold=fold)


def utc(day: str, clock: str = "00:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def assert_same_instant(result: datetime, expected: datetime) -> None:
    """Equal instants, and the result in UTC (inter-zone ``==`` is unreliable in a fold)."""
    assert result.utcoffset() == timedelta(0)
    assert result == expected.astimezone(UTC), f"{result.astimezone(expected.tzinfo)} != {expected}"


# Mon–Fri 09–12 + 13–17 in Stockholm, 7 h a day, 35 h a week.
OFFICE = WorkingSchedule(timezone="Europe/Stockholm", periods=dict.fromkeys(range(5), OFFICE_DAY))
# Every night 00:00–06:00 in Stockholm.
NIGHTS = WorkingSchedule(
    timezone="Europe/Stockholm", periods={d: [("00:00", "06:00")] for d in range(7)}
)
# One overnight shift, Mon 22:00 to Tue 06:00, entered as two periods.
OVERNIGHT = WorkingSchedule(
    timezone="Europe/Stockholm", periods={0: [("22:00", "24:00")], 1: [("00:00", "06:00")]}
)
# Sat 22:00 to Sun 06:00, to cross the spring-forward night in one stretch.
WEEKEND_NIGHT = WorkingSchedule(
    timezone="Europe/Stockholm", periods={5: [("22:00", "24:00")], 6: [("00:00", "06:00")]}
)
# A Sunday period inside 02:00–03:00 (skipped in spring, repeated in autumn) and Monday 09–10.
SMALL_HOURS = WorkingSchedule(
    timezone="Europe/Stockholm", periods={6: [("02:15", "02:45")], 0: [("09:00", "10:00")]}
)
# All of Sunday in New York.
NY_SUNDAYS = WorkingSchedule(timezone="America/New_York", periods={6: [("00:00", "24:00")]})
# Sunday small hours on Lord Howe Island.
LH_SUNDAYS = WorkingSchedule(timezone="Australia/Lord_Howe", periods={6: [("00:00", "06:00")]})
ALWAYS = WorkingSchedule(
    timezone="Europe/Stockholm", periods={}, holidays=[date(2026, 3, 29)], always_open=True
)


ADD_CASES = [
    # -- inside hours, lunch break, period ends --------------------------------------------------
    pytest.param(
        OFFICE, sto("2026-03-02", "10:00"), H, sto("2026-03-02", "11:00"), id="mid-period"
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "10:00"), 2 * H, sto("2026-03-02", "12:00"), id="to-lunch"
    ),
    pytest.param(
        OFFICE,
        sto("2026-03-02", "10:00"),
        2 * H + 30 * M,
        sto("2026-03-02", "13:30"),
        id="over-lunch",
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "11:30"), H, sto("2026-03-02", "13:30"), id="lunch-split"
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "12:30"), 30 * M, sto("2026-03-02", "13:30"), id="in-lunch"
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "16:00"), H, sto("2026-03-02", "17:00"), id="to-day-end"
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "16:00"), H + S, sto("2026-03-03", "09:00:01"), id="past-day-end"
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "09:00"), 7 * H, sto("2026-03-02", "17:00"), id="full-day"
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "09:00"), 35 * H, sto("2026-03-06", "17:00"), id="full-week"
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "09:00"), 36 * H, sto("2026-03-09", "10:00"), id="week+1h"
    ),
    # -- weekend carry-over and starts outside hours --------------------------------------------
    pytest.param(
        OFFICE, sto("2026-03-06", "16:00"), 2 * H, sto("2026-03-09", "10:00"), id="weekend"
    ),
    pytest.param(
        OFFICE, sto("2026-03-07", "12:00"), H, sto("2026-03-09", "10:00"), id="from-saturday"
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "07:00"), 3 * H, sto("2026-03-02", "12:00"), id="before-open"
    ),
    pytest.param(OFFICE, sto("2026-03-02", "17:00"), H, sto("2026-03-03", "10:00"), id="at-close"),
    pytest.param(OFFICE, sto("2026-03-02", "12:00"), H, sto("2026-03-02", "14:00"), id="at-lunch"),
    # -- zero duration: the start itself, even outside hours ------------------------------------
    pytest.param(
        OFFICE, sto("2026-03-02", "10:00"), 0 * H, sto("2026-03-02", "10:00"), id="zero-in"
    ),
    pytest.param(
        OFFICE, sto("2026-03-07", "12:00"), 0 * H, sto("2026-03-07", "12:00"), id="zero-out"
    ),
    pytest.param(
        OFFICE,
        sto("2026-03-02", "17:00:00.123456"),
        0 * H,
        sto("2026-03-02", "17:00:00.123456"),
        id="zero-out-us",
    ),
    # -- second and microsecond precision -------------------------------------------------------
    pytest.param(
        OFFICE,
        sto("2026-03-02", "10:15:30"),
        H + 44 * M + 30 * S,
        sto("2026-03-02", "12:00"),
        id="seconds-to-period-end",
    ),
    pytest.param(
        OFFICE, sto("2026-03-02", "10:15:30"), 2 * H, sto("2026-03-02", "13:15:30"), id="seconds"
    ),
    pytest.param(
        OFFICE,
        sto("2026-03-02", "11:59:59.999999"),
        US,
        sto("2026-03-02", "12:00"),
        id="1us-to-end",
    ),
    pytest.param(
        OFFICE,
        sto("2026-03-02", "11:59:59.999999"),
        2 * US,
        sto("2026-03-02", "13:00:00.000001"),
        id="2us-over-lunch",
    ),
    pytest.param(
        OFFICE,
        sto("2026-03-07", "08:00:00.5"),
        timedelta(seconds=1.25),
        sto("2026-03-09", "09:00:01.25"),
        id="subsecond-duration",
    ),
    # -- starts given in other zones ------------------------------------------------------------
    pytest.param(OFFICE, utc("2026-03-02", "08:00"), H, sto("2026-03-02", "10:00"), id="start-utc"),
    # 04:00 EST = 09:00 UTC = 10:00 CET.
    pytest.param(
        OFFICE, nyc("2026-03-02", "04:00"), 3 * H, sto("2026-03-02", "14:00"), id="start-ny"
    ),
    # New York is already on EDT (-4) while Stockholm is still on CET: 04:00 EDT = 09:00 CET.
    pytest.param(
        OFFICE,
        nyc("2026-03-16", "04:00"),
        H,
        sto("2026-03-16", "10:00"),
        id="start-ny-dst-gap-weeks",
    ),
    # 17:30 JST = 08:30 UTC = 09:30 CET.
    pytest.param(
        OFFICE,
        datetime(2026, 3, 2, 17, 30, tzinfo=TOKYO),
        4 * H,
        sto("2026-03-02", "14:30"),
        id="start-tokyo",
    ),
    # -- DST in Stockholm -----------------------------------------------------------------------
    pytest.param(
        OFFICE,
        sto("2026-03-27", "16:00"),
        2 * H,
        sto("2026-03-30", "10:00"),
        id="office-over-spring",
    ),
    pytest.param(
        OFFICE, sto("2026-10-23", "16:00"), 2 * H, sto("2026-10-26", "10:00"), id="office-over-fall"
    ),
    # 00:00–06:00 on the spring-forward Sunday holds 5 h.
    pytest.param(NIGHTS, sto("2026-03-29"), 5 * H, sto("2026-03-29", "06:00"), id="spring-5h"),
    pytest.param(
        NIGHTS, sto("2026-03-29"), 5 * H + 30 * M, sto("2026-03-30", "00:30"), id="spring-next"
    ),
    pytest.param(
        NIGHTS, sto("2026-03-29", "01:30"), H, sto("2026-03-29", "03:30"), id="spring-jump"
    ),
    pytest.param(NIGHTS, sto("2026-03-29"), 2 * H, sto("2026-03-29", "03:00"), id="spring-to-gap"),
    # 00:00–06:00 on the fall-back Sunday holds 7 h.
    pytest.param(NIGHTS, sto("2026-10-25"), 7 * H, sto("2026-10-25", "06:00"), id="fall-7h"),
    pytest.param(NIGHTS, sto("2026-10-25"), 6 * H, sto("2026-10-25", "05:00"), id="fall-6h"),
    pytest.param(
        NIGHTS, sto("2026-10-25", "02:30"), H, sto("2026-10-25", "02:30", fold=1), id="fall-repeat"
    ),
    pytest.param(
        NIGHTS,
        sto("2026-10-25", "02:30", fold=1),
        H,
        sto("2026-10-25", "03:30"),
        id="fall-2nd-pass",
    ),
    # A period inside the skipped hour holds nothing; on other Sundays it holds 30 min.
    pytest.param(
        SMALL_HOURS, sto("2026-03-21", "12:00"), 30 * M, sto("2026-03-22", "02:45"), id="gap-normal"
    ),
    pytest.param(
        SMALL_HOURS,
        sto("2026-03-28", "12:00"),
        30 * M,
        sto("2026-03-30", "09:30"),
        id="gap-skipped",
    ),
    # A period inside the repeated hour counts both passes: 2 × 30 min.
    pytest.param(
        SMALL_HOURS, sto("2026-10-24", "12:00"), 30 * M, sto("2026-10-25", "02:45"), id="fold-pass1"
    ),
    pytest.param(
        SMALL_HOURS,
        sto("2026-10-24", "12:00"),
        45 * M,
        sto("2026-10-25", "02:30", fold=1),
        id="fold-pass2",
    ),
    pytest.param(
        SMALL_HOURS,
        sto("2026-10-24", "12:00"),
        60 * M,
        sto("2026-10-25", "02:45", fold=1),
        id="fold-both",
    ),
    pytest.param(
        SMALL_HOURS, sto("2026-10-24", "12:00"), 61 * M, sto("2026-10-26", "09:01"), id="fold-after"
    ),
    # -- DST in New York ------------------------------------------------------------------------
    # Sunday 8 March holds 23 h; it ends at Monday 00:00 EDT.
    pytest.param(NY_SUNDAYS, nyc("2026-03-07", "12:00"), 23 * H, nyc("2026-03-09"), id="ny-spring"),
    pytest.param(
        NY_SUNDAYS, nyc("2026-03-07", "12:00"), 24 * H, nyc("2026-03-15", "01:00"), id="ny-spring+1"
    ),
    pytest.param(
        NY_SUNDAYS, nyc("2026-03-08"), 3 * H, nyc("2026-03-08", "04:00"), id="ny-spring-gap"
    ),
    # Sunday 1 November holds 25 h.
    pytest.param(NY_SUNDAYS, nyc("2026-11-01"), 25 * H, nyc("2026-11-02"), id="ny-fall"),
    pytest.param(
        NY_SUNDAYS, nyc("2026-11-01"), H + 30 * M, nyc("2026-11-01", "01:30"), id="ny-fall-pass1"
    ),
    pytest.param(
        NY_SUNDAYS,
        nyc("2026-11-01"),
        2 * H + 30 * M,
        nyc("2026-11-01", "01:30", fold=1),
        id="ny-fall-pass2",
    ),
    # -- Lord Howe's half-hour DST --------------------------------------------------------------
    # Sunday 5 April 00:00–06:00 holds 6 h 30 min (01:30–02:00 twice).
    pytest.param(
        LH_SUNDAYS, lhi("2026-04-05"), 6 * H + 30 * M, lhi("2026-04-05", "06:00"), id="lh-fall"
    ),
    pytest.param(
        LH_SUNDAYS, lhi("2026-04-05"), 2 * H, lhi("2026-04-05", "01:30", fold=1), id="lh-fall-pass2"
    ),
    pytest.param(
        LH_SUNDAYS,
        lhi("2026-04-05"),
        6 * H + 31 * M,
        lhi("2026-04-12", "00:01"),
        id="lh-fall-next-week",
    ),
    # Sunday 4 October 00:00–06:00 holds 5 h 30 min (02:00–02:30 never happens).
    pytest.param(
        LH_SUNDAYS, lhi("2026-10-04"), 5 * H + 30 * M, lhi("2026-10-04", "06:00"), id="lh-spring"
    ),
    pytest.param(
        LH_SUNDAYS, lhi("2026-10-04"), 2 * H, lhi("2026-10-04", "02:30"), id="lh-spring-gap"
    ),
    pytest.param(
        LH_SUNDAYS, lhi("2026-10-04"), 2 * H + M, lhi("2026-10-04", "02:31"), id="lh-spring-after"
    ),
    # -- overnight shifts -----------------------------------------------------------------------
    pytest.param(
        OVERNIGHT, sto("2026-03-02", "23:00"), 2 * H, sto("2026-03-03", "01:00"), id="night"
    ),
    pytest.param(
        OVERNIGHT, sto("2026-03-02", "22:00"), 8 * H, sto("2026-03-03", "06:00"), id="shift"
    ),
    pytest.param(
        OVERNIGHT, sto("2026-03-02", "22:00"), 8 * H + M, sto("2026-03-09", "22:01"), id="shift+1m"
    ),
    pytest.param(OVERNIGHT, sto("2026-03-02", "23:59:59"), S, sto("2026-03-03"), id="to-midnight"),
    pytest.param(
        OVERNIGHT,
        sto("2026-03-02", "23:59:59"),
        2 * S,
        sto("2026-03-03", "00:00:01"),
        id="midnight",
    ),
    pytest.param(
        OVERNIGHT, sto("2026-03-03"), 6 * H, sto("2026-03-03", "06:00"), id="from-midnight"
    ),
    pytest.param(
        OVERNIGHT,
        sto("2026-03-01", "12:00"),
        3 * H,
        sto("2026-03-03", "01:00"),
        id="night-from-sunday",
    ),
    # Sat 22:00 CET to Sun 06:00 CEST on the spring-forward night: 2 h + 5 h, unbroken.
    pytest.param(
        WEEKEND_NIGHT, sto("2026-03-28", "22:00"), 7 * H, sto("2026-03-29", "06:00"), id="night-dst"
    ),
    pytest.param(
        WEEKEND_NIGHT, sto("2026-03-28", "23:30"), H, sto("2026-03-29", "00:30"), id="night-dst-mid"
    ),
    # -- 24/7: every instant counts, holidays and DST play no part ------------------------------
    # Sat 23:00 CET (22:00 UTC) + 5 h of real time = Sun 03:00 UTC = 05:00 CEST.
    pytest.param(
        ALWAYS, sto("2026-03-28", "23:00"), 5 * H, sto("2026-03-29", "05:00"), id="24/7-dst"
    ),
    pytest.param(
        ALWAYS, sto("2026-10-25", "02:30"), H, sto("2026-10-25", "02:30", fold=1), id="24/7-fall"
    ),
    pytest.param(
        ALWAYS,
        sto("2026-03-02", "10:00:00.25"),
        0 * H,
        sto("2026-03-02", "10:00:00.25"),
        id="24/7-0",
    ),
    pytest.param(
        ALWAYS, sto("2026-03-02", "10:00"), 400 * H, sto("2026-03-19", "02:00"), id="24/7-400h"
    ),
]


@pytest.mark.parametrize(("schedule", "start", "duration", "expected"), ADD_CASES)
def test_add_working_time(
    schedule: WorkingSchedule, start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert_same_instant(schedule.add_working_time(start, duration), expected)


HOLIDAY_CASES = [
    # Christmas Eve (Thu) off: Wed 16:00 + 2 h → Fri 10:00.
    pytest.param(
        OFFICE_DAY,
        [date(2026, 12, 24)],
        sto("2026-12-23", "16:00"),
        2 * H,
        sto("2026-12-25", "10:00"),
        id="christmas-eve",
    ),
    pytest.param(
        OFFICE_DAY,
        [date(2026, 12, 24), date(2026, 12, 25)],
        sto("2026-12-23", "16:00"),
        2 * H,
        sto("2026-12-28", "10:00"),
        id="eve-and-day",
    ),
    # A start on a holiday waits for the next working period.
    pytest.param(
        OFFICE_DAY,
        [date(2026, 12, 24)],
        sto("2026-12-24", "10:00"),
        H,
        sto("2026-12-25", "10:00"),
        id="start-on-holiday",
    ),
    # Zero duration on a holiday is still the start.
    pytest.param(
        OFFICE_DAY,
        [date(2026, 12, 24)],
        sto("2026-12-24", "10:00"),
        0 * H,
        sto("2026-12-24", "10:00"),
        id="zero-on-holiday",
    ),
    # A holiday on a weekend changes nothing.
    pytest.param(
        OFFICE_DAY,
        [date(2026, 12, 26)],
        sto("2026-12-23", "16:00"),
        2 * H,
        sto("2026-12-24", "10:00"),
        id="weekend-holiday",
    ),
    # Year end: 31 Dec (Thu) and 1 Jan (Fri) off.
    pytest.param(
        OFFICE_DAY,
        [date(2026, 12, 31), date(2027, 1, 1)],
        sto("2026-12-30", "16:30"),
        H,
        sto("2027-01-04", "09:30"),
        id="new-year",
    ),
]


@pytest.mark.parametrize(("day", "holidays", "start", "duration", "expected"), HOLIDAY_CASES)
def test_add_working_time_with_holidays(
    day: list[tuple[str, str]],
    holidays: list[date],
    start: datetime,
    duration: timedelta,
    expected: datetime,
) -> None:
    schedule = WorkingSchedule(
        timezone="Europe/Stockholm", periods=dict.fromkeys(range(5), day), holidays=holidays
    )
    assert_same_instant(schedule.add_working_time(start, duration), expected)


def test_holiday_on_spring_forward_day() -> None:
    schedule = WorkingSchedule(
        timezone="Europe/Stockholm",
        periods={d: [("00:00", "06:00")] for d in range(7)},
        holidays=[date(2026, 3, 29)],
    )
    # Sat 05:00 + 2 h: one hour on Saturday, Sunday off, one hour on Monday.
    assert_same_instant(
        schedule.add_working_time(sto("2026-03-28", "05:00"), 2 * H), sto("2026-03-30", "01:00")
    )
    # Sat 6 h + Sun 0 + Mon 6 h (Sunday would hold 5 h without the holiday).
    assert schedule.working_time_between(sto("2026-03-28"), sto("2026-03-31")) == 12 * H
    assert NIGHTS.working_time_between(sto("2026-03-28"), sto("2026-03-31")) == 17 * H


def test_holiday_on_fall_back_day_in_new_york() -> None:
    schedule = WorkingSchedule(
        timezone="America/New_York",
        periods={6: [("00:00", "24:00")]},
        holidays=[date(2026, 11, 1)],
    )
    assert_same_instant(
        schedule.add_working_time(nyc("2026-10-31", "12:00"), H), nyc("2026-11-08", "01:00")
    )
    assert schedule.working_time_between(nyc("2026-10-31"), nyc("2026-11-09")) == 24 * H


def test_always_open_ignores_holidays_and_periods() -> None:
    assert ALWAYS.working_time_between(sto("2026-03-29"), sto("2026-03-30")) == 23 * H
    assert ALWAYS.working_time_between(sto("2026-10-25"), sto("2026-10-26")) == 25 * H
    assert ALWAYS.is_working_instant(sto("2026-03-29", "12:00"))
    office_but_open = WorkingSchedule(
        timezone="Europe/Stockholm",
        periods=dict.fromkeys(range(5), OFFICE_DAY),
        holidays=[date(2026, 3, 2)],
        always_open=True,
    )
    assert_same_instant(
        office_but_open.add_working_time(sto("2026-03-02", "18:00"), H), sto("2026-03-02", "19:00")
    )


BETWEEN_CASES = [
    pytest.param(OFFICE, sto("2026-03-02", "09:00"), sto("2026-03-02", "17:00"), 7 * H, id="day"),
    pytest.param(OFFICE, sto("2026-03-02", "10:00"), sto("2026-03-02", "14:00"), 3 * H, id="lunch"),
    pytest.param(
        OFFICE, sto("2026-03-02", "12:15"), sto("2026-03-02", "12:45"), 0 * H, id="in-lunch"
    ),
    pytest.param(
        OFFICE, sto("2026-03-06", "16:00"), sto("2026-03-09", "10:00"), 2 * H, id="weekend"
    ),
    pytest.param(OFFICE, sto("2026-03-07"), sto("2026-03-09"), 0 * H, id="saturday-sunday"),
    pytest.param(OFFICE, sto("2026-03-02", "10:00"), sto("2026-03-02", "10:00"), 0 * H, id="empty"),
    pytest.param(OFFICE, sto("2026-03-02", "09:00"), sto("2026-03-09", "09:00"), 35 * H, id="week"),
    pytest.param(OFFICE, sto("2026-03-02"), sto("2027-03-01"), 52 * 35 * H, id="52-weeks"),
    pytest.param(
        OFFICE,
        sto("2026-03-02", "11:59:59.5"),
        sto("2026-03-02", "13:00:00.25"),
        timedelta(microseconds=750_000),
        id="sub-second",
    ),
    pytest.param(
        OFFICE,
        sto("2026-03-02", "16:59:59"),
        sto("2026-03-03", "09:00:01"),
        2 * S,
        id="seconds-overnight",
    ),
    pytest.param(
        OFFICE,
        utc("2026-03-02", "08:00"),
        nyc("2026-03-02", "06:00"),
        3 * H,
        id="mixed-zones",
    ),
    pytest.param(
        OFFICE, sto("2026-03-27", "09:00"), sto("2026-03-30", "17:00"), 14 * H, id="over-spring"
    ),
    pytest.param(NIGHTS, sto("2026-03-29"), sto("2026-03-30"), 5 * H, id="spring-day"),
    pytest.param(NIGHTS, sto("2026-10-25"), sto("2026-10-26"), 7 * H, id="fall-day"),
    pytest.param(NIGHTS, sto("2026-10-25", "02:00"), sto("2026-10-25", "03:00"), 2 * H, id="fold"),
    pytest.param(
        NIGHTS,
        sto("2026-10-25", "02:00", fold=1),
        sto("2026-10-25", "03:00"),
        H,
        id="fold-2nd-pass",
    ),
    pytest.param(SMALL_HOURS, sto("2026-03-28"), sto("2026-03-30"), 0 * H, id="period-in-gap"),
    pytest.param(SMALL_HOURS, sto("2026-10-24"), sto("2026-10-26"), H, id="period-in-fold"),
    pytest.param(SMALL_HOURS, sto("2026-03-21"), sto("2026-03-23"), 30 * M, id="period-normal"),
    pytest.param(NY_SUNDAYS, nyc("2026-03-07"), nyc("2026-03-09"), 23 * H, id="ny-spring"),
    pytest.param(NY_SUNDAYS, nyc("2026-10-31"), nyc("2026-11-02"), 25 * H, id="ny-fall"),
    pytest.param(LH_SUNDAYS, lhi("2026-04-04"), lhi("2026-04-06"), 6 * H + 30 * M, id="lh-fall"),
    pytest.param(LH_SUNDAYS, lhi("2026-10-03"), lhi("2026-10-05"), 5 * H + 30 * M, id="lh-spring"),
    pytest.param(
        OVERNIGHT, sto("2026-03-02", "21:00"), sto("2026-03-03", "07:00"), 8 * H, id="overnight"
    ),
    pytest.param(
        OVERNIGHT, sto("2026-03-02", "23:30"), sto("2026-03-03", "00:30"), H, id="across-midnight"
    ),
    pytest.param(
        WEEKEND_NIGHT, sto("2026-03-28", "12:00"), sto("2026-03-29", "12:00"), 7 * H, id="night-dst"
    ),
    pytest.param(
        ALWAYS, sto("2026-03-02", "10:00"), sto("2026-03-02", "10:00:00.5"), S / 2, id="24/7"
    ),
]


@pytest.mark.parametrize(("schedule", "start", "end", "expected"), BETWEEN_CASES)
def test_working_time_between(
    schedule: WorkingSchedule, start: datetime, end: datetime, expected: timedelta
) -> None:
    assert schedule.working_time_between(start, end) == expected


def test_working_time_between_with_holidays_across_years() -> None:
    schedule = WorkingSchedule(
        timezone="Europe/Stockholm",
        periods=dict.fromkeys(range(5), OFFICE_DAY),
        holidays=[date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)],
    )
    # Mon 21 Dec 2026 – Fri 8 Jan 2027: 15 weekdays, 4 of them holidays.
    assert schedule.working_time_between(sto("2026-12-21"), sto("2027-01-09")) == 11 * 7 * H


PERIOD_FORMS = [
    pytest.param({0: [(time(9), "12:00"), (time(13), time(17))]}, 7 * H, id="time-objects"),
    pytest.param({0: [("09:00", "12:00"), ("12:00", "13:00")]}, 4 * H, id="touching"),
    pytest.param({0: [("13:00", "17:00"), ("09:00", "12:00")]}, 7 * H, id="unsorted"),
    pytest.param({0: [("9:00", "12:00")]}, 3 * H, id="one-digit-hour"),
    pytest.param(
        {0: [(time(9, 0, 30), time(9, 0, 30, 500))]}, timedelta(microseconds=500), id="us"
    ),
    pytest.param({0: [("00:00", "24:00")], 1: []}, 24 * H, id="whole-day"),
]


@pytest.mark.parametrize(("periods", "monday"), PERIOD_FORMS)
def test_period_forms(periods: dict[int, list[tuple[object, object]]], monday: timedelta) -> None:
    schedule = WorkingSchedule(timezone="Europe/Stockholm", periods=periods)  # type: ignore[arg-type]
    assert schedule.working_time_between(sto("2026-03-02"), sto("2026-03-03")) == monday


def test_touching_periods_do_not_break_the_result_at_the_seam() -> None:
    schedule = WorkingSchedule(
        timezone="Europe/Stockholm", periods={0: [("09:00", "12:00"), ("12:00", "13:00")]}
    )
    assert_same_instant(
        schedule.add_working_time(sto("2026-03-02", "11:00"), 2 * H), sto("2026-03-02", "13:00")
    )
    assert schedule.working_intervals(sto("2026-03-02"), sto("2026-03-03")) == [
        (sto("2026-03-02", "09:00").astimezone(UTC), sto("2026-03-02", "13:00").astimezone(UTC))
    ]


def test_add_and_between_are_exact_for_long_durations() -> None:
    start = sto("2026-01-05", "09:00")
    for weeks in (1, 10, 52, 150):
        end = OFFICE.add_working_time(start, weeks * 35 * H)
        assert_same_instant(end, sto("2026-01-09", "17:00") + timedelta(weeks=weeks - 1))
        assert OFFICE.working_time_between(start, end) == weeks * 35 * H


def test_result_is_utc() -> None:
    result = OFFICE.add_working_time(sto("2026-03-02", "10:00"), H)
    assert result.tzinfo is UTC
    assert OFFICE.add_working_time(sto("2026-03-02", "10:00"), 0 * H).tzinfo is UTC


# -- helpers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "at", "working"),
    [
        pytest.param(OFFICE, sto("2026-03-02", "09:00"), True, id="period-start"),
        pytest.param(OFFICE, sto("2026-03-02", "11:59:59.999999"), True, id="before-end"),
        pytest.param(OFFICE, sto("2026-03-02", "12:00"), False, id="period-end"),
        pytest.param(OFFICE, sto("2026-03-07", "10:00"), False, id="saturday"),
        pytest.param(OVERNIGHT, sto("2026-03-03"), True, id="midnight-in-shift"),
        pytest.param(SMALL_HOURS, sto("2026-10-25", "02:30", fold=1), True, id="fold-2nd-pass"),
        pytest.param(LH_SUNDAYS, lhi("2026-10-04", "02:30"), True, id="after-lh-gap"),
        pytest.param(ALWAYS, sto("2026-03-29", "12:00"), True, id="always"),
    ],
)
def test_is_working_instant(schedule: WorkingSchedule, at: datetime, working: bool) -> None:
    assert schedule.is_working_instant(at) is working


@pytest.mark.parametrize(
    ("schedule", "at", "expected"),
    [
        pytest.param(OFFICE, sto("2026-03-02", "10:00"), sto("2026-03-02", "10:00"), id="inside"),
        pytest.param(OFFICE, sto("2026-03-02", "12:00"), sto("2026-03-02", "13:00"), id="lunch"),
        pytest.param(OFFICE, sto("2026-03-06", "17:00"), sto("2026-03-09", "09:00"), id="weekend"),
        pytest.param(
            SMALL_HOURS, sto("2026-03-28", "12:00"), sto("2026-03-30", "09:00"), id="gap-period"
        ),
        pytest.param(ALWAYS, sto("2026-03-07", "10:00"), sto("2026-03-07", "10:00"), id="always"),
    ],
)
def test_next_working_instant(schedule: WorkingSchedule, at: datetime, expected: datetime) -> None:
    assert_same_instant(schedule.next_working_instant(at), expected)


def test_working_intervals_merge_an_overnight_shift() -> None:
    intervals = OVERNIGHT.working_intervals(sto("2026-03-02", "23:00"), sto("2026-03-10"))
    assert intervals == [
        (utc("2026-03-02", "22:00"), utc("2026-03-03", "05:00")),
        (utc("2026-03-09", "21:00"), utc("2026-03-09", "23:00")),
    ]
    assert sum((b - a for a, b in intervals), timedelta()) == OVERNIGHT.working_time_between(
        sto("2026-03-02", "23:00"), sto("2026-03-10")
    )


def test_a_schedule_with_periods_on_one_day_only_reaches_far() -> None:
    schedule = WorkingSchedule(timezone="UTC", periods={2: [("10:00", "10:01")]})
    # One minute a week: 600 minutes is 600 Wednesdays (11.5 years) later.
    start = utc("2026-03-04", "10:01")
    assert_same_instant(
        schedule.add_working_time(start, 600 * M), utc("2026-03-04", "10:01") + timedelta(weeks=600)
    )


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"periods": {}}, "no working time", id="no-periods"),
        pytest.param({"periods": {0: [], 3: []}}, "no working time", id="empty-days"),
        pytest.param({"periods": None}, "no working time", id="periods-none"),
        pytest.param({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone", id="unknown-zone"),
        pytest.param({"timezone": ""}, "Unknown time zone", id="empty-zone"),
        pytest.param({"timezone": "Europe"}, "Unknown time zone", id="zone-directory"),
        pytest.param({"timezone": "../etc/passwd"}, "Unknown time zone", id="zone-path"),
        pytest.param({"periods": {0: [("9.00", "12:00")]}}, "malformed", id="dot"),
        pytest.param({"periods": {0: [("0900", "12:00")]}}, "malformed", id="no-colon"),
        pytest.param({"periods": {0: [("09:60", "12:00")]}}, "malformed", id="minute-60"),
        pytest.param({"periods": {0: [("25:00", "26:00")]}}, "malformed", id="hour-25"),
        pytest.param({"periods": {0: [("09:00", "24:01")]}}, "malformed", id="24:01"),
        pytest.param({"periods": {0: [(" 09:00", "12:00")]}}, "malformed", id="space"),
        pytest.param({"periods": {0: [("09:00:00", "12:00")]}}, "malformed", id="seconds"),
        pytest.param({"periods": {0: [("", "12:00")]}}, "malformed", id="empty-string"),
        pytest.param(
            {"periods": {0: [("24:00", "24:00")]}}, "only as a period's end", id="24-start"
        ),
        pytest.param({"periods": {0: [(9, 12)]}}, "'HH:MM' or a datetime.time", id="ints"),
        pytest.param({"periods": {0: [("09:00",)]}}, "(start, end) pair", id="one-bound"),
        pytest.param({"periods": {0: ["09:00-12:00"]}}, "(start, end) pair", id="string-period"),
        pytest.param({"periods": {0: ("09:00", "12:00")}}, "(start, end) pair", id="not-a-list"),
        pytest.param(
            {"periods": {0: [(time(9, tzinfo=UTC), time(12))]}}, "wall-clock", id="aware-time"
        ),
        pytest.param(
            {"periods": {0: [("10:00", "10:00")]}}, "start before it ends", id="zero-length"
        ),
        pytest.param({"periods": {0: [("12:00", "09:00")]}}, "start before it ends", id="inverted"),
        pytest.param(
            {"periods": {0: [(time(10), time(9))]}}, "start before it ends", id="inv-time"
        ),
        pytest.param(
            {"periods": {0: [("09:00", "12:00"), ("11:00", "13:00")]}}, "overlap", id="overlap"
        ),
        pytest.param(
            {"periods": {0: [("09:00", "17:00"), ("10:00", "11:00")]}}, "overlap", id="nested"
        ),
        pytest.param(
            {"periods": {0: [("09:00", "12:00"), ("09:00", "12:00")]}}, "overlap", id="duplicate"
        ),
        pytest.param({"periods": {7: [("09:00", "12:00")]}}, "Weekday keys", id="weekday-7"),
        pytest.param({"periods": {-1: [("09:00", "12:00")]}}, "Weekday keys", id="weekday-neg"),
        pytest.param({"periods": {"0": [("09:00", "12:00")]}}, "Weekday keys", id="weekday-str"),
        pytest.param({"periods": {True: [("09:00", "12:00")]}}, "Weekday keys", id="weekday-bool"),
        pytest.param({"periods": [("09:00", "12:00")]}, "mapping", id="periods-list"),
        pytest.param(
            {"holidays": [datetime(2026, 12, 24)]}, "datetime.date", id="holiday-datetime"
        ),
        pytest.param({"holidays": ["2026-12-24"]}, "datetime.date", id="holiday-str"),
    ],
)
def test_invalid_schedule(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "timezone": "Europe/Stockholm",
        "periods": {0: [("09:00", "17:00")]},
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        WorkingSchedule(**arguments)  # type: ignore[arg-type]


def test_unknown_zone_is_an_error_even_when_always_open() -> None:
    with pytest.raises(ValueError, match="Unknown time zone"):
        WorkingSchedule(timezone="Nowhere/Special", periods={}, always_open=True)


def test_always_open_needs_no_periods() -> None:
    assert WorkingSchedule(timezone="UTC", always_open=True).always_open


NAIVE = datetime(2026, 3, 2, 10, 0)
AWARE = sto("2026-03-02", "10:00")


@pytest.mark.parametrize("schedule", [OFFICE, ALWAYS], ids=["office", "24/7"])
@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda s: s.add_working_time(NAIVE, H), "timezone-aware", id="add-naive"),
        pytest.param(lambda s: s.add_working_time(AWARE, -S), "negative", id="add-negative"),
        pytest.param(lambda s: s.add_working_time(AWARE, -US), "negative", id="add-negative-us"),
        pytest.param(
            lambda s: s.working_time_between(NAIVE, AWARE),
            "timezone-aware",
            id="between-naive-start",
        ),
        pytest.param(
            lambda s: s.working_time_between(AWARE, NAIVE), "timezone-aware", id="between-naive-end"
        ),
        pytest.param(
            lambda s: s.working_time_between(AWARE, AWARE - US),
            "before start",
            id="end-before-start",
        ),
        pytest.param(
            lambda s: s.is_working_instant(NAIVE), "timezone-aware", id="is-working-naive"
        ),
        pytest.param(lambda s: s.next_working_instant(NAIVE), "timezone-aware", id="next-naive"),
        pytest.param(
            lambda s: s.working_intervals(AWARE, AWARE - H), "before start", id="intervals-inverted"
        ),
    ],
)
def test_invalid_call(
    schedule: WorkingSchedule, call: Callable[[WorkingSchedule], object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call(schedule)


def test_wrong_types_are_type_errors() -> None:
    with pytest.raises(TypeError, match="datetime.datetime"):
        OFFICE.add_working_time(date(2026, 3, 2), H)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="timedelta"):
        OFFICE.add_working_time(AWARE, 3600)  # type: ignore[arg-type]
