"""Reads of the SLA settings: the JSON document, and the snapshot the SLA engine computes with.

``sla_config_get`` turns the saved settings into an ``SlaConfig`` holding a ``WorkingSchedule``
(recurring holidays expanded over a span of years). It is cached per process and rebuilt only when
the settings' version changes, which costs one indexed query per call to check.
"""

from __future__ import annotations

import datetime
import functools
import logging
import threading
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import translation

from settings_app.business_time import WorkingSchedule, holidays_expand
from settings_app.document import GOAL_FIELDS, GOAL_KINDS, WEEKDAYS, minutes_to_clock
from settings_app.goal_reach import GOAL_REACH_YEARS, counted_within_reach
from settings_app.labels import SCOPE_KEYS, goal_row_label
from settings_app.models import (
    Pipeline,
    Priority,
    SlaGoal,
    SlaSettings,
    Source,
    Stage,
    Team,
    TeamSchedule,
)

logger = logging.getLogger(__name__)
# Priorities from most to least pressing, the order a help desk reads them in.
PRIORITY_ORDER = (Priority.URGENT, Priority.HIGH, Priority.MEDIUM, Priority.LOW)


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


def _goal_item(goal: SlaGoal) -> dict:
    """One goal row as the document shows it (``value``: null for all tickets and for the
    no-value row; a team's or pipeline's current slug)."""
    item: dict = {"value": goal.key or None, "enabled": goal.enabled}
    for name in GOAL_FIELDS:
        item[name] = getattr(goal, name)
    return item


def _working_hours(periods: Iterable[Any]) -> dict[str, list[list[str]]]:
    """Weekly periods (rows with weekday, start and end minute) as the document's seven days."""
    working_hours: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    for period in sorted(periods, key=lambda p: (p.weekday, p.start_minute)):
        working_hours[WEEKDAYS[period.weekday]].append(
            [minutes_to_clock(period.start_minute), minutes_to_clock(period.end_minute)]
        )
    return working_hours


def _holiday_items(holidays: Iterable[Any]) -> list[dict]:
    return [
        {"date": h.date.isoformat(), "name": h.name, "recurring": h.recurring}
        for h in sorted(holidays, key=lambda h: h.date)
    ]


def team_schedules_of(row: SlaSettings) -> list[TeamSchedule]:
    """The team schedules in order, with their teams, periods and holidays prefetched."""
    return list(
        row.team_schedules.order_by("position", "id").prefetch_related(
            "members__team", "periods", "holidays"
        )
    )


def team_schedule_item(schedule: TeamSchedule) -> dict:
    """One team schedule as the document shows it (teams by their current slugs)."""
    members = sorted(schedule.members.all(), key=lambda m: (m.position, m.pk))
    return {
        "teams": [member.team.slug for member in members],
        "timezone": schedule.timezone,
        "working_hours": _working_hours(schedule.periods.all()),
        "holidays": _holiday_items(schedule.holidays.all()),
    }


def chosen_scope_key(*, scope: str, prop: str | None) -> str:
    """The goals_by_scope key of the chosen scope: "all" or the property."""
    return "all" if scope == SlaSettings.Scope.ALL else (prop or "")


def sla_settings_document(*, settings_row: SlaSettings | None = None) -> dict:
    """The whole configuration as the JSON document of SPEC section 7.

    ``goals`` holds the chosen scope's rows; ``goals_by_scope`` every other scope's kept rows
    (an empty list for a scope without rows).
    """
    row = settings_row or sla_settings_get()
    working_hours = _working_hours(row.periods.all())
    chosen = chosen_scope_key(scope=row.scope, prop=row.property)
    by_scope: dict[str, list[dict]] = {key: [] for key in SCOPE_KEYS}
    for goal in row.goals.select_related("team", "pipeline").order_by("id"):
        by_scope.setdefault(goal.scope, []).append(_goal_item(goal))
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
        "holidays": _holiday_items(row.holidays.all()),
        "team_schedules": [team_schedule_item(s) for s in team_schedules_of(row)],
        "pause_statuses": pause,
        "goals_enabled": row.goals_enabled,
        "scope": row.scope,
        "property": row.property or None,
        "goals": by_scope.get(chosen, []),
        "goals_by_scope": {key: rows for key, rows in by_scope.items() if key != chosen},
    }


@dataclass(frozen=True)
class GoalSet:
    """The goals of one value of the chosen scope, in minutes (None: no goal of that kind).

    ``value`` is the key a ticket's property must have for these goals to apply (see
    ``ticket_goal_keys``): "" for all tickets and for the no-value row, a priority or source key,
    a team's or pipeline's id. ``ref`` names the row on the tickets it applies to, in a form that
    survives renames ("all", "priority:urgent", "priority:" for no priority, "team:5");
    ``label`` is its human name ("Priority Urgent").
    """

    value: str
    enabled: bool
    minutes: dict[str, int | None]
    ref: str = ""
    label: str = ""  # in the site's language, for logs
    name: str = ""  # a team's or pipeline's row: the record's name (clock events record it)
    # Clock kinds whose goal is stored but would take more than five calendar years to count
    # in the schedule (settings saved before that bound, or by hand): they apply as no goal, so
    # no ticket creation walks centuries of calendar; the ticket page says why.
    out_of_reach: frozenset[str] = frozenset()

    def goal(self, kind: str) -> tuple[int, int | None] | None:
        """(goal minutes, due-soon minutes) for a clock kind, or None when there is no goal
        (or its goal is out of reach)."""
        goal = self.minutes.get(f"{kind}_minutes")
        if goal is None or kind in self.out_of_reach:
            return None
        return goal, self.minutes.get(f"{kind}_due_soon_minutes")


def goal_ref(scope: str, value: str) -> str:
    """How a ticket records the goal row that applies: "all", "priority:urgent", "team:5"."""
    return "all" if scope == "all" else f"{scope}:{value}"


@dataclass(frozen=True)
class SlaConfig:
    """Everything the SLA engine needs from the settings, free of the ORM."""

    version: int
    stamp: tuple  # (version, updated_at): the cache key
    schedule: WorkingSchedule
    goals_enabled: bool
    scope: str
    property: str
    goals: dict[str, GoalSet]  # the chosen scope's rows by GoalSet.value
    pause_stage_ids: frozenset[int]
    # The version in which the schedule last changed (older clocks were counted in another).
    schedule_version: int = 1
    # Team schedules by the team's key (its id as text, as ``ticket_goal_keys`` gives it): one
    # ``WorkingSchedule`` per schedule, shared by its teams. Teams not listed count in
    # ``schedule`` (the default).
    team_schedules: Mapping[str, WorkingSchedule] = field(default_factory=dict)

    def schedule_for(self, values: Mapping[str, Any]) -> WorkingSchedule:
        """The schedule a ticket's clocks count in, by its property keys (``ticket_goal_keys``):
        its team's own schedule, else the default one."""
        return self.team_schedules.get(values.get("team") or "", self.schedule)

    def schedule_for_team(self, team_id: int | None) -> WorkingSchedule:
        """The schedule of a team's tickets (the default one for no team)."""
        if team_id is None:
            return self.schedule
        return self.team_schedules.get(str(team_id), self.schedule)

    def schedules(self) -> list[WorkingSchedule]:
        """Every distinct schedule, the default one first."""
        found: dict[int, WorkingSchedule] = {id(self.schedule): self.schedule}
        for schedule in self.team_schedules.values():
            found.setdefault(id(schedule), schedule)
        return list(found.values())

    def goal_set_for(self, values: Mapping[str, Any]) -> GoalSet | None:
        """The goal row for a ticket's property keys, or None when no SLA applies.

        ``values`` maps property name to the ticket's key ("" when empty), as
        ``ticket_goal_keys`` gives them. An empty property takes the no-value row.
        """
        if not self.goals_enabled:
            return None
        if self.scope == "all":
            goal_set = self.goals.get("")
        else:
            goal_set = self.goals.get(values.get(self.property, "") or "")
        if goal_set is None or not goal_set.enabled:
            return None
        if not any(goal_set.goal(kind) for kind in GOAL_KINDS):
            return None
        return goal_set

    def goal_out_of_reach(self, values: Mapping[str, Any], kind: str) -> bool:
        """Whether the goal of ``kind`` that would apply to a ticket with these property keys is
        stored but out of reach (so it applies as no goal): the ticket page says so."""
        if not self.goals_enabled:
            return False
        key = "" if self.scope == "all" else values.get(self.property, "") or ""
        goal_set = self.goals.get(key)
        return goal_set is not None and goal_set.enabled and kind in goal_set.out_of_reach

    def goal_name(self, ref: str | None) -> str:
        """The name of the team or pipeline whose goal row a ticket records
        (``Ticket.sla_goal_value``, "team:5"); "" for other rows. Clock events record it beside
        the row's key, so that their timeline names the row as it was called then, in the
        reader's language (``settings_app.labels.stored_goal_label``)."""
        for goal_set in self.goals.values():
            if goal_set.ref == ref:
                return goal_set.name
        return ""


def _stored_label(scope: str, key: str, *, names: dict[str, str]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(goal_row_label(scope, key, names=names))


def ticket_goal_keys(
    *, priority: str | None, team_id: int | None, source: str | None, pipeline_id: int | None
) -> dict[str, str]:
    """A ticket's key for each property that can select goals ("" when empty): what
    ``SlaConfig.goal_set_for`` matches. Teams and pipelines by id, so a rename changes nothing."""
    return {
        "priority": priority or "",
        "team": str(team_id) if team_id is not None else "",
        "source": source or "",
        "pipeline": str(pipeline_id) if pipeline_id is not None else "",
    }


_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple, SlaConfig]] = {}  # the settings' stamp and their config


def _expand_holidays(row: SlaSettings, *, today: datetime.date) -> list[datetime.date]:
    return holidays_expand(((h.date, h.recurring) for h in row.holidays.all()), today=today)


def _kinds_out_of_reach(
    minutes: dict[str, int | None], *, within: datetime.timedelta | None
) -> frozenset[str]:
    """The clock kinds whose goal is longer than ``within`` (None: every goal is in reach)."""
    if within is None:
        return frozenset()
    return frozenset(
        kind
        for kind in GOAL_KINDS
        if (goal := minutes.get(f"{kind}_minutes")) is not None
        and datetime.timedelta(minutes=goal) > within
    )


def _chosen_goal_sets(
    row: SlaSettings, *, within: datetime.timedelta | None = None
) -> dict[str, GoalSet]:
    """The chosen scope's goal rows; goals longer than ``within`` (the counted time of the next
    five calendar years, None for 24/7) are marked out of reach."""
    chosen = chosen_scope_key(scope=row.scope, prop=row.property)
    goal_sets = {}
    for goal in row.goals.filter(scope=chosen).select_related("team", "pipeline"):
        if goal.team_id is not None:
            value = str(goal.team_id)
        elif goal.pipeline_id is not None:
            value = str(goal.pipeline_id)
        else:
            value = goal.value
        name = goal.team.name if goal.team is not None else ""
        if goal.pipeline is not None:
            name = goal.pipeline.name
        names = {goal.key: name} if name else {}
        minutes = {name: getattr(goal, name) for name in GOAL_FIELDS}
        goal_sets[value] = GoalSet(
            value=value,
            enabled=goal.enabled,
            minutes=minutes,
            ref=goal_ref(chosen, value),
            # Written to logs: in the site's language, whoever's request builds this (cached)
            # snapshot.
            label=_stored_label(chosen, goal.key, names=names),
            name=name,
            out_of_reach=_kinds_out_of_reach(minutes, within=within),
        )
    return goal_sets


def _team_working_schedule(
    team_schedule: TeamSchedule, *, always_open: bool, today: datetime.date
) -> WorkingSchedule:
    """A team schedule as a ``WorkingSchedule`` ("24/7" applies to every schedule)."""
    periods: dict[int, list[tuple[str, str]]] = {}
    for period in team_schedule.periods.all():
        periods.setdefault(period.weekday, []).append(
            (minutes_to_clock(period.start_minute), minutes_to_clock(period.end_minute))
        )
    return WorkingSchedule(
        timezone=team_schedule.timezone,
        periods=periods,
        holidays=holidays_expand(
            ((h.date, h.recurring) for h in team_schedule.holidays.all()), today=today
        ),
        always_open=always_open,
    )


def sla_default_zone() -> zoneinfo.ZoneInfo:
    """The default schedule's time zone, in one small query (no settings snapshot is built):
    the zone pages are shown in for a viewer without a preference of their own."""
    name = SlaSettings.objects.filter(pk=1).values_list("timezone", flat=True).first()
    return default_zone_named(name)


def default_zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone of the default schedule stored as ``name`` (UTC when none or unknown)."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def sla_config_get(*, today: datetime.date | None = None) -> SlaConfig:
    """The current settings as an ``SlaConfig``, cached until the settings version changes."""
    stamp = _settings_stamp()
    cached = _cache.get("config")
    if cached is not None and stamp is not None and cached[0] == stamp:
        return cached[1]
    row = sla_settings_get()
    now = datetime.datetime.now(datetime.UTC)
    config = sla_config_of(row, now=now, today=today)
    if stamp is not None:
        with _cache_lock:
            # The stamp read before the row: a save in between makes the next call read again.
            _cache["config"] = (stamp, config)
    return config


@functools.cache
def _settings_stamp_sql(vendor: str) -> tuple[str, tuple]:
    query = SlaSettings.objects.filter(pk=1).values_list("version", "updated_at")[:1]
    sql, params = query.query.sql_with_params()
    return sql, tuple(params)


def _settings_stamp() -> tuple | None:
    """The settings row's version and save stamp, as the database gives them (None before the
    row exists), asked by every page: the query is built once (the ORM's building of it cost
    more CPU than running it)."""
    sql, params = _settings_stamp_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return None if found is None else tuple(found)


def sla_config_of(
    row: SlaSettings, *, now: datetime.datetime, today: datetime.date | None = None
) -> SlaConfig:
    """The ``SlaConfig`` of ``row`` as stored, without the cache: in the caller's transaction,
    so that a check builds, in its savepoint, the one a save would give (for its dry run).
    ``today`` anchors the expansion of recurring holidays (default: ``now``'s date)."""
    today = today or now.date()
    periods: dict[int, list[tuple[str, str]]] = {}
    for period in row.periods.all():
        periods.setdefault(period.weekday, []).append(
            (minutes_to_clock(period.start_minute), minutes_to_clock(period.end_minute))
        )
    always_open = row.applies == SlaSettings.Applies.ALWAYS
    schedule = WorkingSchedule(
        timezone=row.timezone,
        periods=periods,
        holidays=_expand_holidays(row, today=today),
        always_open=always_open,
    )
    return sla_config_build(row, schedule=schedule, now=now, today=today)


def sla_config_build(
    row: SlaSettings,
    *,
    schedule: WorkingSchedule,
    now: datetime.datetime,
    today: datetime.date | None = None,
) -> SlaConfig:
    """The ``SlaConfig`` of ``row`` counted in ``schedule`` (the default schedule; the team
    schedules are built from ``row``, "24/7" as ``schedule`` is), without the cache.

    Goals that would take more than five calendar years to count from ``now`` (a configuration
    the save refuses, stored before that rule or by hand) are kept out of reach: they apply as
    no goal, and a warning names them, so that no ticket creation hangs or fails on them.
    """
    within = None if schedule.always_open else counted_within_reach(schedule, now=now)
    goal_sets = _chosen_goal_sets(row, within=within)
    for goal_set in goal_sets.values():
        if goal_set.out_of_reach:
            logger.warning(
                "SLA goals of %s (%s) would take more than %s calendar years to count in the "
                "working hours; they apply as no goal until the settings are changed",
                goal_set.label,
                ", ".join(sorted(goal_set.out_of_reach)),
                GOAL_REACH_YEARS,
            )
    team_schedules: dict[str, WorkingSchedule] = {}
    for team_schedule in team_schedules_of(row):
        built = _team_working_schedule(
            team_schedule, always_open=schedule.always_open, today=today or now.date()
        )
        for member in team_schedule.members.all():
            team_schedules[str(member.team_id)] = built
    return SlaConfig(
        version=row.version,
        stamp=(row.version, row.updated_at),
        schedule=schedule,
        goals_enabled=row.goals_enabled,
        scope=row.scope,
        property=row.property,
        goals=goal_sets,
        pause_stage_ids=frozenset(row.pause_stages.values_list("id", flat=True)),
        schedule_version=row.schedule_version,
        team_schedules=team_schedules,
    )


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


def teams_for_api() -> QuerySet[Team]:
    """Teams by name (the API's reference list: slug, name)."""
    return Team.objects.order_by("name", "id").only("slug", "name")


def pipelines_for_api() -> QuerySet[Pipeline]:
    """Pipelines in their order, each with its stages in theirs (one query for all stages)."""
    return Pipeline.objects.order_by("position", "slug").prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
    )


def agents_for_api() -> QuerySet[Any]:
    """Active agents (staff or super admins) by username: whom a ticket may be assigned to."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(is_superuser=True))
        .order_by("username")
        .only("username", "first_name", "last_name")
    )


@dataclass(frozen=True)
class PageReference:
    """What the settings forms offer to choose from, with labels (the page and the admin)."""

    stage_choices: list[tuple[str, str]]  # (key "<pipeline>/<stage>", "Support › Waiting …")
    property_values: dict[str, list[tuple[str, str]]]  # property -> [(key, label)]


def page_reference() -> PageReference:
    """Open stages and every property's values, with labels, for the settings forms' choices."""
    stages = (
        Stage.objects.filter(is_closed=False)
        .select_related("pipeline")
        .order_by("pipeline__position", "pipeline__name", "position", "id")
    )
    return PageReference(
        stage_choices=[(stage.key, str(stage)) for stage in stages],
        property_values={
            "priority": [(p.value, str(p.label)) for p in PRIORITY_ORDER],
            "team": list(Team.objects.order_by("name").values_list("slug", "name")),
            "source": [(s.value, str(s.label)) for s in Source],
            "pipeline": list(
                Pipeline.objects.order_by("position", "name").values_list("slug", "name")
            ),
        },
    )
