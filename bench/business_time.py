"""Benchmark of ``WorkingSchedule.add_working_time`` against three baselines, in one run.

Run with ``.venv/bin/python bench/business_time.py``; it prints Markdown for docs/BENCHMARKS.md.

Schedule: Mon–Fri 09:00–12:00 + 13:00–17:00 in Europe/Stockholm, Swedish public holidays
2026–2028. Durations 1 h, 8 h, 40 h and 400 h of counted time, added to the same seeded, varied
start instants (any time of day or week, holidays included, whole seconds) in 2026–mid 2027.

* ours — ``settings_app.business_time.WorkingSchedule`` (blocks warmed by one untimed pass);
* minute-stepping — the counting rule applied minute by minute, as naive SLA code does;
* businesstimedelta — ``WorkDayRule`` + ``LunchTimeRule`` + ``HolidayRule``, pytz time zone;
* pandas — ``Timestamp + CustomBusinessHour(n, start=[09, 13], end=[12, 17], holidays=…)``.

Method, as ``timeit`` does it: garbage collection off, each implementation adds one duration to
each of its starts in a loop (looped again until a repeat lasts 50 ms), the loop is repeated, and
the median of the repeats' µs per call is reported, in process CPU time. Slow implementations get
fewer starts (a prefix of the same seeded list, so the mix stays the same); the table shows how
many. Results are then checked against ours.
"""

import gc
import os
import platform
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import process_time
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import businesstimedelta  # noqa: E402
import pandas as pd  # noqa: E402
import pytz  # noqa: E402
from pandas.tseries.offsets import CustomBusinessHour  # noqa: E402

from settings_app.business_time import WorkingSchedule  # noqa: E402

ZONE_NAME = "Europe/Stockholm"
STOCKHOLM = ZoneInfo(ZONE_NAME)
HOURS = (1, 8, 40, 400)
STARTS = 1000
REPEATS = 11
# A slow implementation gets as many starts as fit in about this long per repeat (at least
# MIN_STARTS), and fewer repeats when a call takes longer than SLOW_CALL_SECONDS.
SECONDS_PER_REPEAT = 0.25
MIN_STARTS = 5
SLOW_CALL_SECONDS = 0.01
SLOW_REPEATS = 3
MIN_REPEAT_SECONDS = 0.05
# Results are compared with ours on the first AGREEMENT_STARTS starts and on every whole hour of
# Thu 2 – Mon 6 April 2026 (Easter: Good Friday and Easter Monday are holidays), which include
# starts whose result falls exactly on a period's end.
AGREEMENT_STARTS = 100

# Swedish public holidays (allmänna helgdagar) 2026–2028, weekend ones included. The de facto
# days off (Midsummer Eve, Christmas Eve, New Year's Eve) are not public holidays and not listed.
SWEDISH_HOLIDAYS = [
    date(2026, 1, 1),  # Nyårsdagen
    date(2026, 1, 6),  # Trettondedag jul
    date(2026, 4, 3),  # Långfredagen
    date(2026, 4, 5),  # Påskdagen
    date(2026, 4, 6),  # Annandag påsk
    date(2026, 5, 1),  # Första maj
    date(2026, 5, 14),  # Kristi himmelsfärdsdag
    date(2026, 5, 24),  # Pingstdagen
    date(2026, 6, 6),  # Sveriges nationaldag
    date(2026, 6, 20),  # Midsommardagen
    date(2026, 10, 31),  # Alla helgons dag
    date(2026, 12, 25),  # Juldagen
    date(2026, 12, 26),  # Annandag jul
    date(2027, 1, 1),
    date(2027, 1, 6),
    date(2027, 3, 26),
    date(2027, 3, 28),
    date(2027, 3, 29),
    date(2027, 5, 1),
    date(2027, 5, 6),
    date(2027, 5, 16),
    date(2027, 6, 6),
    date(2027, 6, 26),
    date(2027, 11, 6),
    date(2027, 12, 25),
    date(2027, 12, 26),
    date(2028, 1, 1),
    date(2028, 1, 6),
    date(2028, 4, 14),
    date(2028, 4, 16),
    date(2028, 4, 17),
    date(2028, 5, 1),
    date(2028, 5, 25),
    date(2028, 6, 4),
    date(2028, 6, 6),
    date(2028, 6, 24),
    date(2028, 11, 4),
    date(2028, 12, 25),
    date(2028, 12, 26),
]
HOLIDAY_SET = frozenset(SWEDISH_HOLIDAYS)
PERIODS = [((9, 0), (12, 0)), ((13, 0), (17, 0))]
WEEKDAYS = range(5)

Adder = Callable[[Any], object]


def edge_starts() -> list[datetime]:
    """Every whole hour, Stockholm time, from Thu 2 April 2026 00:00 to Tue 7 April 00:00."""
    first = datetime(2026, 4, 2, tzinfo=STOCKHOLM).astimezone(UTC)
    return [first + timedelta(hours=h) for h in range(5 * 24)]


def make_starts() -> list[datetime]:
    """Seeded, varied UTC start instants with whole seconds, 2026-01-01 to 2027-06-30."""
    rng = random.Random(2026)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    span = int((datetime(2027, 7, 1, tzinfo=UTC) - first).total_seconds())
    return [first + timedelta(seconds=rng.randrange(span)) for _ in range(STARTS)]


# -- the implementations --------------------------------------------------------------------------


def ours_schedule() -> WorkingSchedule:
    periods = [(f"{a[0]:02d}:{a[1]:02d}", f"{b[0]:02d}:{b[1]:02d}") for a, b in PERIODS]
    return WorkingSchedule(
        timezone=ZONE_NAME, periods=dict.fromkeys(WEEKDAYS, periods), holidays=SWEDISH_HOLIDAYS
    )


MINUTE = timedelta(minutes=1)
PERIOD_MINUTES = [(a[0] * 60 + a[1], b[0] * 60 + b[1]) for a, b in PERIODS]


def minute_stepping_add(start: datetime, duration: timedelta) -> datetime:
    """The counting rule, minute by minute in UTC (Stockholm's offsets are whole hours)."""
    at = start.astimezone(UTC)
    if not duration:
        return at
    remaining = duration
    minute = at.replace(second=0, microsecond=0)
    while True:
        following = minute + MINUTE
        local = minute.astimezone(STOCKHOLM)
        of_day = local.hour * 60 + local.minute
        if (
            local.weekday() in WEEKDAYS
            and local.date() not in HOLIDAY_SET
            and any(a <= of_day < b for a, b in PERIOD_MINUTES)
        ):
            piece = following - at
            if remaining <= piece:
                return at + remaining
            remaining -= piece
        at = minute = following


def businesstimedelta_rules() -> businesstimedelta.Rules:
    tz = pytz.timezone(ZONE_NAME)
    workday = businesstimedelta.WorkDayRule(
        start_time=time(9),
        end_time=time(17),
        working_days=list(WEEKDAYS),
        tz=tz,
    )
    lunch = businesstimedelta.LunchTimeRule(
        start_time=time(12),
        end_time=time(13),
        working_days=list(WEEKDAYS),
        tz=tz,
    )
    # HolidayRule reads dates in UTC unless given the zone.
    holidays = businesstimedelta.HolidayRule(HOLIDAY_SET, tz=tz)
    return businesstimedelta.Rules([workday, lunch, holidays])


def pandas_offset(hours: int) -> CustomBusinessHour:
    return CustomBusinessHour(
        n=hours,
        start=[f"{a[0]:02d}:{a[1]:02d}" for a, _ in PERIODS],
        end=[f"{b[0]:02d}:{b[1]:02d}" for _, b in PERIODS],
        holidays=SWEDISH_HOLIDAYS,
        weekmask="Mon Tue Wed Thu Fri",
    )


def adders(hours: int) -> dict[str, tuple[Adder, Callable[[datetime], Any]]]:
    """Per implementation: the call to time, and how to prepare its input from a UTC start."""
    duration = timedelta(hours=hours)
    schedule = ours_schedule()
    rules = businesstimedelta_rules()
    bt_delta = businesstimedelta.BusinessTimeDelta(rules, hours=hours)
    offset = pandas_offset(hours)
    return {
        "ours": (lambda s: schedule.add_working_time(s, duration), lambda s: s),
        "minute-stepping": (lambda s: minute_stepping_add(s, duration), lambda s: s),
        "businesstimedelta": (lambda s: s + bt_delta, lambda s: s),
        "pandas": (lambda s: s + offset, lambda s: pd.Timestamp(s).tz_convert(ZONE_NAME)),
    }


# -- measuring ------------------------------------------------------------------------------------


def per_call_us(add: Adder, inputs: Sequence[Any], repeats: int, loops: int) -> float:
    """Median over ``repeats`` of the mean µs per call, each repeat calling ``add`` on every
    input ``loops`` times; garbage collection off, as in ``timeit``.

    Measured in CPU time of this process, so that other work on a shared machine inflates the
    numbers less than it would wall-clock time.
    """
    samples = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            begin = process_time()
            for _ in range(loops):
                for value in inputs:
                    add(value)
            samples.append((process_time() - begin) / (loops * len(inputs)) * 1e6)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(samples)


def plan(name: str, add: Adder, inputs: Sequence[Any]) -> tuple[int, int, int]:
    """How many starts, repeats and loops over them to time, judged on an untimed warm-up.

    Ours warms up on every start (building the blocks it will use, as a long-running process
    would have); a baseline on a few, which also tells how slow it is. A fast implementation
    loops over its starts until a repeat lasts about MIN_REPEAT_SECONDS, so that a repeat is not
    lost in the noise of a shared machine.
    """
    sample = inputs if name == "ours" else inputs[:MIN_STARTS]
    begin = process_time()
    for value in sample:
        add(value)
    each = (process_time() - begin) / len(sample)
    count = max(MIN_STARTS, min(len(inputs), int(SECONDS_PER_REPEAT / each)))
    if name == "ours":
        count = len(inputs)
    loops = max(1, round(MIN_REPEAT_SECONDS / (each * count)))
    return count, SLOW_REPEATS if each > SLOW_CALL_SECONDS else REPEATS, loops


def to_utc(value: object) -> datetime:
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").to_pydatetime()
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def main() -> None:
    starts = make_starts()
    schedule = ours_schedule()
    names = ["ours", "minute-stepping", "businesstimedelta", "pandas"]
    timings: dict[tuple[str, int], tuple[float, int]] = {}
    # Per baseline: results identical to ours, results one step later by design, results checked.
    agreement: dict[str, list[int]] = {name: [0, 0, 0] for name in names[1:]}

    cold_begin = process_time()
    WorkingSchedule(
        timezone=ZONE_NAME, periods={0: [("09:00", "17:00")]}, holidays=[date(2026, 1, 1)]
    ).add_working_time(starts[0], timedelta(hours=1))
    cold_us = (process_time() - cold_begin) * 1e6

    for hours in HOURS:
        for name, (add, prepare) in adders(hours).items():
            inputs = [prepare(s) for s in starts]
            count, repeats, loops = plan(name, add, inputs)
            timings[name, hours] = (per_call_us(add, inputs[:count], repeats, loops), count)
            if name == "ours":
                continue
            checked = starts[:AGREEMENT_STARTS] + edge_starts()
            for start, value in zip(checked, map(prepare, checked), strict=True):
                expected = schedule.add_working_time(start, timedelta(hours=hours))
                got = to_utc(add(value))
                tally = agreement[name]
                tally[2] += 1
                if got == expected:
                    tally[0] += 1
                elif got == schedule.next_working_instant(expected):
                    tally[1] += 1  # ours ends on a period's end; the baseline on the next start

    print("## Business-time core\n")
    print(
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{_cpu_model()}, pandas {pd.__version__}.\n"
    )
    print(
        "| counted duration | ours µs/call | minute-stepping µs/call | businesstimedelta µs/call "
        "| pandas CustomBusinessHour µs/call | speedup vs fastest of businesstimedelta/pandas |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for hours in HOURS:
        cells = []
        for name in names:
            us, count = timings[name, hours]
            cells.append(f"{us:,.1f}" + (f" (n={count})" if count != STARTS else ""))
        fastest = min(timings["businesstimedelta", hours][0], timings["pandas", hours][0])
        speedup = fastest / timings["ours", hours][0]
        print(f"| {hours} h | " + " | ".join(cells) + f" | {speedup:,.0f}× |")
    print(
        f"\nMedian of {REPEATS} repeats ({SLOW_REPEATS} for calls slower than "
        f"{SLOW_CALL_SECONDS * 1000:.0f} ms), each over {STARTS} starts or the first n of them "
        f"(looped to last at least {MIN_REPEAT_SECONDS * 1000:.0f} ms), in process CPU time. "
        f"First call on a fresh schedule (builds one block of the timeline): {cold_us:,.0f} µs.\n"
    )
    print(
        f"Agreement with ours ({AGREEMENT_STARTS} of the starts and {len(edge_starts())} whole "
        f"hours around Easter 2026, × {len(HOURS)} durations):\n"
    )
    for name, (same, shifted, total) in agreement.items():
        line = f"- {name}: {same}/{total} identical"
        if shifted:
            line += (
                f", {shifted}/{total} differ by design — ours ends on the period's end (12:00 "
                "or 17:00), the baseline on the next period's start"
            )
        print(line + ("." if same + shifted == total else f"; {total - same - shifted} DIFFER."))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ×{_cpus()}"
    except OSError:
        pass
    return f"{platform.processor() or 'unknown CPU'} ×{_cpus()}"


def _cpus() -> int:
    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
