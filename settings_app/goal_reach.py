"""The reach of a goal: every goal must count out within five calendar years (SPEC §2).

A goal is counted time, so on a sparse schedule it can take centuries of calendar time (one
minute a week: a year's goal, 525,600 minutes, is 10,000 years away), and every ticket created
would pay for walking there. Such a configuration is refused when it is saved, with a message
naming the goal and the schedule; whatever is accepted, ``WorkingSchedule`` computes in well
under a millisecond once the schedule is cached (docs/BENCHMARKS.md, "Bounded arithmetic").

``goals_beyond_reach`` is the rule: one schedule and the goals that count in it, so that it can be
called once per schedule: the default one and each team schedule, with the goals that can apply to
its tickets. ``settings_goals_beyond_reach`` applies it to a parsed settings document on the save
path.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from settings_app.business_time import WorkingSchedule, holidays_expand
from settings_app.document import (
    GOAL_KINDS,
    Errors,
    GoalRow,
    HolidayRow,
    ParsedSettings,
    minutes_to_clock,
)
from settings_app.labels import goal_field_label, goal_row_label

# A goal must be reached within this many calendar years of counting (SPEC §2). Recurring
# holidays are expanded further ahead than that (a test pins HOLIDAY_YEARS_AHEAD > this).
GOAL_REACH_YEARS = 5


@dataclass(frozen=True)
class GoalToCheck:
    """One goal: where its error goes (``goals.0.close_minutes``), its name, its minutes."""

    path: str
    name: str
    minutes: int


def years_later(moment: datetime.datetime, *, years: int, zone: ZoneInfo) -> datetime.datetime:
    """The same wall-clock time ``years`` calendar years later in ``zone`` (29 Feb -> 28 Feb)."""
    local = moment.astimezone(zone)
    try:
        return local.replace(year=local.year + years)
    except ValueError:  # 29 February, into a common year
        return local.replace(year=local.year + years, day=28)


def counted_within_reach(
    schedule: WorkingSchedule, *, now: datetime.datetime
) -> datetime.timedelta:
    """The counted time of ``schedule`` in the ``GOAL_REACH_YEARS`` calendar years from ``now``."""
    end = years_later(now, years=GOAL_REACH_YEARS, zone=schedule.zone)
    return schedule.working_time_between(now, end)


def goals_beyond_reach(
    *,
    schedule: WorkingSchedule,
    schedule_name: str,
    goals: Iterable[GoalToCheck],
    now: datetime.datetime,
) -> Errors:
    """The goals that would take more than five calendar years to count in ``schedule``.

    A goal is refused when counting it from ``now`` would end more than ``GOAL_REACH_YEARS``
    calendar years later (in the schedule's zone), holidays included. Returns errors by path,
    each message naming the goal and ``schedule_name``; ``{}`` when all are within reach.
    24/7 schedules always are (the longest goal is one year). Costs one walk of five years of
    the schedule: a few milliseconds the first time.
    """
    goals = list(goals)
    if schedule.always_open or not goals:
        return {}
    within = counted_within_reach(schedule, now=now)
    within_minutes = int(within.total_seconds() // 60)
    errors: Errors = {}
    for goal in goals:
        if datetime.timedelta(minutes=goal.minutes) <= within:
            continue
        message = gettext(
            "%(goal)s (%(minutes)s) would take more than %(years)s calendar years to count in "
            "%(schedule)s: %(years)s years of it hold only %(within)s of working time. Choose a "
            "shorter goal or longer working hours."
        ) % {
            "goal": goal.name,
            "minutes": _minutes(goal.minutes),
            "years": GOAL_REACH_YEARS,
            "schedule": schedule_name,
            "within": _minutes(within_minutes),
        }
        errors.setdefault(goal.path, []).append(message)
    return errors


def _minutes(minutes: int) -> str:
    return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {
        "count": number_format(minutes, force_grouping=True)
    }


def _weekly_minutes(periods: dict[int, list[tuple[int, int]]]) -> int:
    return sum(end - start for day in periods.values() for start, end in day)


def _goals_to_check(
    rows: Iterable[GoalRow], *, scope: str, path: str, values: set[str] | None = None
) -> list[GoalToCheck]:
    """The goals of ``rows`` (one scope's rows), named as a person reads them: "Time to close"
    for all tickets, "Time to close for Priority Low", "… for No team". ``values``: only the rows
    of these values."""
    goals = []
    for index, row in enumerate(rows):
        if values is not None and row.value not in values:
            continue
        for kind in GOAL_KINDS:
            minutes = row.minutes.get(f"{kind}_minutes")
            if minutes is None:
                continue
            name = goal_field_label(f"{kind}_minutes")
            name = name[:1].upper() + name[1:]
            if scope != "all":
                name = gettext("%(goal)s for %(row)s") % {
                    "goal": name,
                    "row": goal_row_label(scope, row.value),
                }
            goals.append(GoalToCheck(f"{path}.{index}.{kind}_minutes", name, minutes))
    return goals


def _schedule(
    *,
    timezone: str,
    periods: dict[int, list[tuple[int, int]]],
    holidays: Iterable[HolidayRow],
    today: datetime.date,
) -> WorkingSchedule:
    """A parsed schedule as the SLA engine builds it (recurring holidays expanded alike)."""
    return WorkingSchedule(
        timezone=timezone,
        periods={
            weekday: [(minutes_to_clock(s), minutes_to_clock(e)) for s, e in day]
            for weekday, day in periods.items()
        },
        holidays=holidays_expand(((h.date, h.recurring) for h in holidays), today=today),
    )


def settings_goals_beyond_reach(parsed: ParsedSettings, *, now: datetime.datetime) -> Errors:
    """``goals_beyond_reach`` for a parsed settings document: its working hours, holidays
    (recurring ones expanded as the SLA engine expands them), the chosen scope's goal rows and
    the kept rows sent for other scopes (``goals_by_scope``), switched on or not; then each team
    schedule with the rows that can apply to its teams' tickets (with goals per team, its teams'
    rows)."""
    if parsed.applies != "working_hours":
        return {}
    chosen = parsed.property if parsed.scope == "property" else "all"
    scopes = [(chosen, parsed.goals, "goals")]
    # Kept rows sent for other scopes are stored too, and apply as they are once their scope is
    # chosen again: they are held to the same bound.
    for scope, rows in parsed.goals_by_scope.items():
        if scope != chosen:
            scopes.append((scope, rows, f"goals_by_scope.{scope}"))
    errors: Errors = {}
    if parsed.periods:
        schedule = _schedule(
            timezone=parsed.timezone,
            periods=parsed.periods,
            holidays=parsed.holidays,
            today=now.date(),
        )
        schedule_name = gettext("the working hours (%(zone)s, %(weekly)s a week)") % {
            "zone": parsed.timezone,
            "weekly": _minutes(_weekly_minutes(parsed.periods)),
        }
        goals = [
            goal
            for scope, rows, path in scopes
            for goal in _goals_to_check(rows, scope=scope, path=path)
        ]
        errors = goals_beyond_reach(
            schedule=schedule, schedule_name=schedule_name, goals=goals, now=now
        )
    for team_schedule in parsed.team_schedules or []:
        if not team_schedule.periods:
            continue
        teams = set(team_schedule.teams)
        # With goals per team, only its teams' rows (and no other team's) count in it.
        goals = [
            goal
            for scope, rows, path in scopes
            for goal in _goals_to_check(
                rows, scope=scope, path=path, values=teams if scope == "team" else None
            )
        ]
        schedule_name = gettext("the working hours of %(teams)s (%(zone)s, %(weekly)s a week)") % {
            "teams": ", ".join(team_schedule.teams),
            "zone": team_schedule.timezone,
            "weekly": _minutes(_weekly_minutes(team_schedule.periods)),
        }
        found = goals_beyond_reach(
            schedule=_schedule(
                timezone=team_schedule.timezone,
                periods=team_schedule.periods,
                holidays=team_schedule.holidays,
                today=now.date(),
            ),
            schedule_name=schedule_name,
            goals=goals,
            now=now,
        )
        for path, messages in found.items():
            errors.setdefault(path, []).extend(messages)
    return errors
