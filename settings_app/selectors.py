"""Reads of the SLA settings: the JSON document, and the snapshot the SLA engine computes with.

``sla_config_get`` turns the saved settings into an ``SlaConfig`` holding a ``WorkingSchedule``
(recurring holidays expanded over a span of years). It is cached per process and rebuilt only when
the settings' version changes, which costs one indexed query per call to check.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass

from django.db.models import QuerySet

from settings_app.business_time import WorkingSchedule
from settings_app.document import GOAL_FIELDS, GOAL_KINDS, WEEKDAYS, minutes_to_clock
from settings_app.models import Pipeline, SlaSettings, Stage, Team

# Recurring holidays are expanded this many years before and after the current year; SLA clocks
# never look further (a goal of a year of counted time spans about 5 calendar years
# with 35 working hours a week).
HOLIDAY_YEARS_BACK = 2
HOLIDAY_YEARS_AHEAD = 10


def sla_settings_get(*, for_update: bool = False) -> SlaSettings:
    """The singleton settings row, created with defaults (24/7, goals off) if missing."""
    queryset: QuerySet[SlaSettings] = SlaSettings.objects.all()
    if for_update:
        queryset = queryset.select_for_update()
    settings_row = queryset.filter(pk=1).first()
    if settings_row is None:
        settings_row, _ = SlaSettings.objects.get_or_create(pk=1)
        if for_update:
            settings_row = SlaSettings.objects.select_for_update().get(pk=1)
    return settings_row


def sla_settings_document(*, settings_row: SlaSettings | None = None) -> dict:
    """The whole configuration as the JSON document of SPEC section 7."""
    row = settings_row or sla_settings_get()
    working_hours: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    for period in row.periods.order_by("weekday", "start_minute"):
        working_hours[WEEKDAYS[period.weekday]].append(
            [minutes_to_clock(period.start_minute), minutes_to_clock(period.end_minute)]
        )
    goals = []
    for goal in row.goals.order_by("id"):
        item: dict = {"value": goal.value if row.scope == "property" else None}
        item["enabled"] = goal.enabled
        for name in GOAL_FIELDS:
            item[name] = getattr(goal, name)
        goals.append(item)
    pause = [
        stage.key
        for stage in row.pause_stages.select_related("pipeline").order_by(
            "pipeline__position", "pipeline__slug", "position", "id"
        )
    ]
    return {
        "version": row.version,
        "applies": row.applies,
        "timezone": row.timezone,
        "working_hours": working_hours,
        "holidays": [
            {"date": h.date.isoformat(), "name": h.name, "recurring": h.recurring}
            for h in row.holidays.order_by("date")
        ],
        "pause_statuses": pause,
        "goals_enabled": row.goals_enabled,
        "scope": row.scope,
        "property": row.property or None,
        "goals": goals,
    }


@dataclass(frozen=True)
class GoalSet:
    """The goals of one scope value, in minutes (None: no goal of that kind)."""

    value: str
    enabled: bool
    minutes: dict[str, int | None]

    def goal(self, kind: str) -> tuple[int, int | None] | None:
        """(goal minutes, due-soon minutes) for a clock kind, or None when there is no goal."""
        goal = self.minutes.get(f"{kind}_minutes")
        if goal is None:
            return None
        return goal, self.minutes.get(f"{kind}_due_soon_minutes")


@dataclass(frozen=True)
class SlaConfig:
    """Everything the SLA engine needs from the settings, free of the ORM."""

    version: int
    stamp: tuple  # (version, updated_at): the cache key
    schedule: WorkingSchedule
    goals_enabled: bool
    scope: str
    property: str
    goals: dict[str, GoalSet]
    pause_stage_ids: frozenset[int]

    def goal_set_for(self, values: dict[str, str]) -> GoalSet | None:
        """The goal row for a ticket's property values, or None when no SLA applies.

        ``values`` maps property name to the ticket's key ("" when empty).
        """
        if not self.goals_enabled:
            return None
        if self.scope == "all":
            goal_set = self.goals.get("")
        else:
            key = values.get(self.property, "")
            goal_set = self.goals.get(key) if key else None
        if goal_set is None or not goal_set.enabled:
            return None
        if not any(goal_set.goal(kind) for kind in GOAL_KINDS):
            return None
        return goal_set


_cache_lock = threading.Lock()
_cache: dict[str, SlaConfig] = {}


def _expand_holidays(row: SlaSettings, *, today: datetime.date) -> list[datetime.date]:
    dates: set[datetime.date] = set()
    years = range(today.year - HOLIDAY_YEARS_BACK, today.year + HOLIDAY_YEARS_AHEAD + 1)
    for holiday in row.holidays.all():
        dates.add(holiday.date)
        if holiday.recurring:
            for year in years:
                try:
                    dates.add(holiday.date.replace(year=year))
                except ValueError:  # 29 February in a common year
                    continue
    return sorted(dates)


def sla_config_get(*, today: datetime.date | None = None) -> SlaConfig:
    """The current settings as an ``SlaConfig``, cached until the settings version changes."""
    stamp = SlaSettings.objects.filter(pk=1).values_list("version", "updated_at").first()
    cached = _cache.get("config")
    if cached is not None and stamp is not None and cached.stamp == stamp:
        return cached
    row = sla_settings_get()
    today = today or datetime.datetime.now(datetime.UTC).date()
    periods: dict[int, list[tuple[str, str]]] = {}
    for period in row.periods.all():
        periods.setdefault(period.weekday, []).append(
            (minutes_to_clock(period.start_minute), minutes_to_clock(period.end_minute))
        )
    schedule = WorkingSchedule(
        timezone=row.timezone,
        periods=periods,
        holidays=_expand_holidays(row, today=today),
        always_open=row.applies == SlaSettings.Applies.ALWAYS,
    )
    config = SlaConfig(
        version=row.version,
        stamp=(row.version, row.updated_at),
        schedule=schedule,
        goals_enabled=row.goals_enabled,
        scope=row.scope,
        property=row.property,
        goals={
            goal.value: GoalSet(
                value=goal.value,
                enabled=goal.enabled,
                minutes={name: getattr(goal, name) for name in GOAL_FIELDS},
            )
            for goal in row.goals.all()
        },
        pause_stage_ids=frozenset(row.pause_stages.values_list("id", flat=True)),
    )
    with _cache_lock:
        _cache["config"] = config
    return config


def sla_config_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def reference_keys() -> dict[str, list[str]]:
    """Slugs the settings document may name: teams, pipelines, open and closed stage keys."""
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__position", "position")
    return {
        "team_slugs": list(Team.objects.values_list("slug", flat=True)),
        "pipeline_slugs": list(Pipeline.objects.values_list("slug", flat=True)),
        "open_stage_keys": [s.key for s in stages if not s.is_closed],
        "closed_stage_keys": [s.key for s in stages if s.is_closed],
    }
