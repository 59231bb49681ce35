"""Benchmark of the worst schedules that SPEC §2 accepts: due moments five years away.

Run with ``.venv/bin/python bench/goal_reach.py``; it prints Markdown for docs/BENCHMARKS.md.

A goal must count out within five calendar years (``settings_app.goal_reach``), so the longest
walk ``WorkingSchedule.add_working_time`` ever makes is about five years of the timeline. Four
worst cases, each with the longest goal that a save on 1 January 2026 accepts (a year's goal,
525,600 minutes, where that fits):

* one minute a week (Mon 09:00–09:01, Europe/Stockholm);
* one hour a week (Mon 09:00–10:00);
* a year's goal on a 40-hour week (Mon–Fri 09:00–17:00);
* the 40-hour week with 200 recurring holidays (expanded over 13 years, as the engine does).

For each: the save-time check (``counted_within_reach``, cold caches), the first due moment on a
new schedule (every cache of the module emptied first: a new process, or new settings), and the
due moment once the schedule is cached (as in a long-running worker). Starts are seeded instants
in 2026, so results land up to six years out. Times are process CPU time (the machine is shared;
wall time is printed beside the first-call figures), garbage collection off.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from settings_app import business_time  # noqa: E402
from settings_app.business_time import WorkingSchedule  # noqa: E402

ZONE = "Europe/Stockholm"
SAVED_AT = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
YEAR_OF_MINUTES = 525_600
FIRST_CALLS = 30  # cold first calls per case (each on emptied caches)
CACHED_STARTS = 1000
REPEATS = 11
MIN_REPEAT_SECONDS = 0.05
WEEKDAYS = {day: [("09:00", "17:00")] for day in range(5)}


def _holidays_200() -> list[date]:
    """200 recurring holidays (every weekday-ish date, spread over the year), expanded from two
    years back to ten ahead as ``settings_app.business_time.holidays_expand`` does."""
    rng = random.Random(200)
    days = sorted(rng.sample(range(365), 200))
    base = [date(2026, 1, 1) + timedelta(days=d) for d in days]
    expanded = set()
    for holiday in base:
        for year in range(2024, 2037):
            try:
                expanded.add(holiday.replace(year=year))
            except ValueError:
                continue
    return sorted(expanded)


CASES: dict[str, dict[str, Any]] = {
    "one minute a week": {"timezone": ZONE, "periods": {0: [("09:00", "09:01")]}},
    "one hour a week": {"timezone": ZONE, "periods": {0: [("09:00", "10:00")]}},
    "a year's goal on a 40-hour week": {"timezone": ZONE, "periods": WEEKDAYS},
    "40-hour week, 200 recurring holidays": {
        "timezone": ZONE,
        "periods": WEEKDAYS,
        "holidays": _holidays_200(),
    },
}


def clear_caches() -> None:
    """Forget every block, offset probe and week the module has cached."""
    business_time._shared_block.cache_clear()  # noqa: SLF001
    business_time._offset_segments.cache_clear()  # noqa: SLF001
    weekly = getattr(business_time, "_weekly_periods", None)  # absent before the week walk
    if weekly is not None:
        weekly.cache_clear()


def starts(count: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    span = int((datetime(2027, 1, 1, tzinfo=UTC) - SAVED_AT).total_seconds())
    return [SAVED_AT + timedelta(seconds=rng.randrange(span)) for _ in range(count)]


def longest_goal(kwargs: dict[str, Any]) -> int:
    """The longest goal (minutes, at most a year) that a save at SAVED_AT accepts."""
    from settings_app.goal_reach import GOAL_REACH_YEARS, years_later

    schedule = WorkingSchedule(**kwargs)
    end = years_later(SAVED_AT, years=GOAL_REACH_YEARS, zone=schedule.zone)
    within = schedule.working_time_between(SAVED_AT, end)
    return min(YEAR_OF_MINUTES, int(within.total_seconds() // 60))


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = process_time(), perf_counter()
    call()
    return process_time() - cpu, perf_counter() - wall


def check_at_save(kwargs: dict[str, Any]) -> list[float]:
    from settings_app.goal_reach import counted_within_reach

    results = []
    for _ in range(FIRST_CALLS):
        clear_caches()
        schedule = WorkingSchedule(**kwargs)
        results.append(timed(lambda s=schedule: counted_within_reach(s, now=SAVED_AT))[0])
    return results


def first_calls(kwargs: dict[str, Any], goal: timedelta) -> tuple[list[float], list[float]]:
    cpu_times, wall_times = [], []
    for start in starts(FIRST_CALLS, seed=1):
        clear_caches()
        schedule = WorkingSchedule(**kwargs)
        cpu, wall = timed(lambda s=schedule, t=start: s.add_working_time(t, goal))
        cpu_times.append(cpu)
        wall_times.append(wall)
    return cpu_times, wall_times


def cached_calls(kwargs: dict[str, Any], goal: timedelta) -> float:
    """Median µs per call over REPEATS, on a warmed schedule."""
    clear_caches()
    schedule = WorkingSchedule(**kwargs)
    points = starts(CACHED_STARTS, seed=2)
    for start in points:  # warm: every block these calls touch
        schedule.add_working_time(start, goal)
    add = schedule.add_working_time
    per_call = []
    for _ in range(REPEATS):
        loops, elapsed = 0, 0.0
        while elapsed < MIN_REPEAT_SECONDS:
            began = process_time()
            for start in points:
                add(start, goal)
            elapsed += process_time() - began
            loops += 1
        per_call.append(elapsed / (loops * len(points)) * 1e6)
    return statistics.median(per_call)


def main() -> None:
    import django

    # The check lives in a Django app (its messages are translatable); no database is used.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaproject.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    django.setup()
    gc.disable()
    print(f"Machine: {platform.machine()}, Python {platform.python_version()}; times in CPU time.")
    print()
    print(
        "| schedule | goal (minutes) | due up to | check at save, ms (median / max) "
        "| first call on a new schedule, ms (median / max; wall median / max) "
        "| cached, µs/call |"
    )
    print("|---|---:|---|---:|---:|---:|")
    for name, kwargs in CASES.items():
        minutes = longest_goal(kwargs)
        goal = timedelta(minutes=minutes)
        schedule = WorkingSchedule(**kwargs)
        furthest = max(schedule.add_working_time(s, goal) for s in starts(FIRST_CALLS, 1))
        check = check_at_save(kwargs)
        cpu, wall = first_calls(kwargs, goal)
        cached = cached_calls(kwargs, goal)
        print(
            f"| {name} | {minutes:,} | {furthest:%Y-%m-%d} "
            f"| {statistics.median(check) * 1e3:.2f} / {max(check) * 1e3:.2f} "
            f"| {statistics.median(cpu) * 1e3:.2f} / {max(cpu) * 1e3:.2f}; "
            f"{statistics.median(wall) * 1e3:.2f} / {max(wall) * 1e3:.2f} | {cached:.1f} |"
        )


if __name__ == "__main__":
    main()
