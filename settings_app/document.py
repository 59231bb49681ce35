"""The SLA settings document (SPEC section 7): parsing and validation into plain values.

``document_parse`` takes the JSON-like dict that the API receives (and that the settings page
and the admin build from their forms), checks every field, and returns either a
``ParsedSettings`` or the errors keyed by field path (``goals.0.close_minutes``,
``working_hours.mon.1``, ``goals_by_scope.team.0.enabled``). It reads reference data (stage and
team slugs) from the arguments, never from the database, so it is easy to test.

Goals: ``goals`` holds the chosen scope's rows, ``goals_by_scope`` the kept rows of other scopes,
by scope key (``all``, ``priority``, ``team``, ``source``, ``pipeline``). Only the keys sent are
parsed (a key left out keeps its stored rows); the chosen scope's own key there is ignored.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from settings_app.labels import (
    EMPTY_PROPERTIES,
    GOAL_KIND_LABELS,
    PRIORITY_LABELS,
    SCOPE_KEYS,
    SOURCE_LABELS,
    WEEKDAY_LABELS,
    goal_row_label,
)
from settings_app.time_zones import canonical_zone, is_allowed_zone, is_refused_name
from slaproject.single_line import single_line

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The days as people read them, in the active language (settings_app.labels).
WEEKDAY_NAMES = WEEKDAY_LABELS
GOAL_KINDS = ("first_response", "next_response", "close")
GOAL_FIELDS = tuple(
    name for kind in GOAL_KINDS for name in (f"{kind}_minutes", f"{kind}_due_soon_minutes")
)
MIN_MINUTES = 1
MAX_MINUTES = 525_600  # one year
PRIORITY_VALUES = tuple(PRIORITY_LABELS)  # the keys of Priority, pinned by a test
SOURCE_VALUES = tuple(SOURCE_LABELS)  # the keys of Source, pinned by a test
PROPERTIES = ("priority", "team", "source", "pipeline")
TOP_LEVEL_KEYS = frozenset(
    {
        "version",
        "applies",
        "timezone",
        "working_hours",
        "holidays",
        "pause_statuses",
        "goals_enabled",
        "scope",
        "property",
        "goals",
        "goals_by_scope",
        "team_schedules",
        "apply_to",
    }
)
TEAM_SCHEDULE_KEYS = ("teams", "timezone", "working_hours", "holidays")
APPLY_TO = ("new", "new_and_open")
_CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

Errors = dict[str, list[str]]


@dataclass(frozen=True)
class GoalRow:
    value: str  # "" for all tickets and for the no-value row ("No priority" / "No team")
    enabled: bool
    minutes: dict[str, int | None]  # keys: GOAL_FIELDS


@dataclass(frozen=True)
class HolidayRow:
    date: datetime.date
    name: str
    recurring: bool


@dataclass(frozen=True)
class TeamScheduleRow:
    """A team schedule (SPEC section 2.1): the teams (slugs) that count in it, its zone, weekly
    periods and holidays."""

    teams: list[str]
    timezone: str
    periods: dict[int, list[tuple[int, int]]]
    holidays: list[HolidayRow]


@dataclass(frozen=True)
class ParsedSettings:
    applies: str
    timezone: str
    periods: dict[int, list[tuple[int, int]]]  # weekday -> [(start minute, end minute)]
    holidays: list[HolidayRow]
    pause_statuses: list[str]
    goals_enabled: bool
    scope: str
    property: str  # "" when the scope is all tickets
    goals: list[GoalRow]
    # Rows of the other scopes that were sent (scope key -> rows); keys left out are kept.
    goals_by_scope: dict[str, list[GoalRow]] = field(default_factory=dict)
    version: int | None = None
    apply_to: str = "new"
    extra: dict[str, Any] = field(default_factory=dict)
    # The team schedules, or None when the document left them out (the stored ones are kept).
    team_schedules: list[TeamScheduleRow] | None = None


def minutes_to_clock(minutes: int) -> str:
    """540 -> "09:00"; 1440 -> "24:00"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def clock_to_minutes(text: str, *, is_end: bool) -> int | None:
    """ "09:30" -> 570; "24:00" only as an end; None when malformed."""
    if is_end and text == "24:00":
        return 1440
    match = _CLOCK_RE.match(text)
    if not match:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def refused_zone_message(name: str) -> str:
    """Why `localtime`, `Factory`, `posix/…` and the like are refused, and what to use."""
    canonical = canonical_zone(name)
    if canonical:
        return _("%(zone)s is not accepted: use the canonical name %(canonical)s.") % {
            "zone": repr(name[:60]),
            "canonical": canonical,
        }
    return _("%(zone)s is not accepted: choose a named zone such as Europe/Stockholm or UTC.") % {
        "zone": repr(name[:60])
    }


def is_known_timezone(name: str) -> bool:
    """The one rule of accepted zones (``settings_app.time_zones``)."""
    return is_allowed_zone(name)


def _check_zone(timezone: Any, errors: Errors, path: str) -> None:
    """The one rule of accepted zones, with its messages, at ``path``."""
    if isinstance(timezone, str) and is_refused_name(timezone):
        _add(errors, path, refused_zone_message(timezone))
    elif not isinstance(timezone, str) or not is_known_timezone(timezone):
        shown = timezone[:60] if isinstance(timezone, str) else timezone
        _add(
            errors,
            path,
            _("%(shown)s is not a known time zone (e.g. Europe/Stockholm).")
            % {"shown": repr(shown)},
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _add(errors: Errors, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def property_values(
    prop: str, *, team_slugs: Iterable[str], pipeline_slugs: Iterable[str]
) -> tuple[str, ...]:
    """The keys a goal row may carry for ``prop``."""
    if prop == "priority":
        return PRIORITY_VALUES
    if prop == "source":
        return SOURCE_VALUES
    if prop == "team":
        return tuple(team_slugs)
    if prop == "pipeline":
        return tuple(pipeline_slugs)
    return ()


def _parse_periods(
    raw: Any, errors: Errors, *, path: str = "working_hours"
) -> dict[int, list[tuple[int, int]]]:
    periods: dict[int, list[tuple[int, int]]] = {}
    if not isinstance(raw, Mapping):
        _add(errors, path, _("Must be an object of days (mon … sun) to lists of periods."))
        return periods
    for key, day_periods in raw.items():
        if key not in WEEKDAYS:
            _add(
                errors,
                f"{path}.{key}",
                _("Unknown day; use mon, tue, wed, thu, fri, sat, sun."),
            )
            continue
        weekday = WEEKDAYS.index(key)
        if not isinstance(day_periods, list):
            _add(errors, f"{path}.{key}", _('Must be a list of ["HH:MM", "HH:MM"] periods.'))
            continue
        parsed: list[tuple[int, int, int]] = []  # (start, end, index)
        for index, pair in enumerate(day_periods):
            pair_path = f"{path}.{key}.{index}"
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(p, str) for p in pair)
            ):
                _add(errors, pair_path, _('Must be a pair of times, like ["09:00", "17:00"].'))
                continue
            start = clock_to_minutes(pair[0], is_end=False)
            end = clock_to_minutes(pair[1], is_end=True)
            if start is None:
                _add(
                    errors,
                    pair_path,
                    _("Start %(start)s is not a time from 00:00 to 23:59.")
                    % {"start": repr(pair[0][:20])},
                )
                continue
            if end is None:
                _add(
                    errors,
                    pair_path,
                    _("End %(end)s is not a time from 00:01 to 24:00.")
                    % {"end": repr(pair[1][:20])},
                )
                continue
            if end <= start:
                _add(
                    errors,
                    pair_path,
                    _("Ends (%(end)s) at or before it starts (%(start)s).")
                    % {"end": pair[1], "start": pair[0]},
                )
                continue
            parsed.append((start, end, index))
        parsed.sort()
        for (s1, e1, _i1), (s2, _e2, i2) in zip(parsed, parsed[1:], strict=False):
            if s2 < e1:
                _add(
                    errors,
                    f"{path}.{key}.{i2}",
                    _("Overlaps %(start)s–%(end)s on %(day)s.")
                    % {
                        "start": minutes_to_clock(s1),
                        "end": minutes_to_clock(e1),
                        "day": WEEKDAY_NAMES[weekday],
                    },
                )
        if parsed:
            periods[weekday] = [(s, e) for s, e, _ in parsed]
    return periods


def _parse_holidays(raw: Any, errors: Errors, *, prefix: str = "holidays") -> list[HolidayRow]:
    rows: list[HolidayRow] = []
    if not isinstance(raw, list):
        _add(errors, prefix, _("Must be a list."))
        return rows
    seen: dict[datetime.date, int] = {}
    for index, item in enumerate(raw):
        path = f"{prefix}.{index}"
        if not isinstance(item, Mapping):
            _add(errors, path, _('Must be an object like {"date": "2026-12-24", "name": "…"}.'))
            continue
        for key in item:
            if key not in ("date", "name", "recurring"):
                _add(errors, f"{path}.{key}", _("Unknown field."))
        date_text = item.get("date")
        date: datetime.date | None = None
        if not isinstance(date_text, str):
            _add(errors, f"{path}.date", _("Required: a date as YYYY-MM-DD."))
        else:
            try:
                date = datetime.date.fromisoformat(date_text)
                if len(date_text) != 10:
                    raise ValueError
            except ValueError:
                _add(
                    errors,
                    f"{path}.date",
                    _("%(date)s is not a date as YYYY-MM-DD.") % {"date": repr(date_text[:20])},
                )
                date = None
        name = item.get("name", "")
        if name is None:
            name = ""
        if not isinstance(name, str):
            _add(errors, f"{path}.name", _("Must be text."))
            name = ""
        name = single_line(name)  # one line of visible text (slaproject.single_line)
        if len(name) > 100:
            _add(errors, f"{path}.name", _("At most 100 characters."))
        recurring = item.get("recurring", False)
        if not isinstance(recurring, bool):
            _add(errors, f"{path}.recurring", _("Must be true or false."))
            recurring = False
        if date is not None:
            if date in seen:
                _add(errors, f"{path}.date", _("%(date)s is already listed.") % {"date": date})
            seen[date] = index
            rows.append(HolidayRow(date=date, name=name, recurring=recurring))
    return rows


def _parse_team_schedules(
    raw: Any, errors: Errors, *, team_slugs: tuple[str, ...], needs_periods: bool
) -> list[TeamScheduleRow]:
    """The ``team_schedules`` list: each with at least one team (a team in one schedule at
    most), a zone, and working hours and holidays checked as the default schedule's are."""
    rows: list[TeamScheduleRow] = []
    if not isinstance(raw, list):
        _add(errors, "team_schedules", _('Must be a list like [{"teams": ["support-us"], …}].'))
        return rows
    placed: dict[str, int] = {}
    for index, item in enumerate(raw):
        path = f"team_schedules.{index}"
        if not isinstance(item, Mapping):
            _add(errors, path, _('Must be an object like {"teams": ["support-us"], …}.'))
            continue
        for key in item:
            if key not in TEAM_SCHEDULE_KEYS:
                _add(errors, f"{path}.{str(key)[:50]}", _("Unknown field."))
        teams_raw = item.get("teams")
        teams: list[str] = []
        if not isinstance(teams_raw, list) or not teams_raw:
            _add(errors, f"{path}.teams", _("Required: the teams (slugs) that use this schedule."))
        else:
            for position, slug in enumerate(teams_raw):
                team_path = f"{path}.teams.{position}"
                if not isinstance(slug, str) or not slug:
                    _add(errors, team_path, _("Must be a team's slug."))
                elif slug not in team_slugs:
                    choices = ", ".join(team_slugs) or _("none defined yet")
                    _add(
                        errors,
                        team_path,
                        _("%(slug)s is not a team (choose from %(choices)s).")
                        % {"slug": repr(slug[:50]), "choices": choices},
                    )
                elif slug in placed:
                    where = placed[slug]
                    _add(
                        errors,
                        team_path,
                        _("%(slug)s already has a schedule (team_schedules.%(where)s).")
                        % {"slug": repr(slug), "where": where}
                        if where != index
                        else _("%(slug)s is listed twice.") % {"slug": repr(slug)},
                    )
                else:
                    placed[slug] = index
                    teams.append(slug)
        timezone = item.get("timezone", "UTC")
        _check_zone(timezone, errors, f"{path}.timezone")
        periods = _parse_periods(
            item.get("working_hours", {}), errors, path=f"{path}.working_hours"
        )
        has_period_errors = any(p.startswith(f"{path}.working_hours") for p in errors)
        if needs_periods and not periods and not has_period_errors:
            _add(
                errors,
                f"{path}.working_hours",
                _("Add at least one working period to this schedule, or choose 24/7."),
            )
        holidays = _parse_holidays(item.get("holidays", []), errors, prefix=f"{path}.holidays")
        rows.append(
            TeamScheduleRow(
                teams=teams,
                timezone=timezone if isinstance(timezone, str) else "UTC",
                periods=periods,
                holidays=holidays,
            )
        )
    return rows


def _parse_goals(
    raw: Any,
    errors: Errors,
    *,
    scope: str,
    allowed_values: tuple[str, ...],
    path: str = "goals",
) -> list[GoalRow]:
    """The goal rows of one scope (``scope``: "all" or a property), at ``path``."""
    rows: list[GoalRow] = []
    if not isinstance(raw, list):
        _add(errors, path, _("Must be a list of goal rows."))
        return rows
    seen: set[str] = set()
    for index, item in enumerate(raw):
        row_path = f"{path}.{index}"
        if not isinstance(item, Mapping):
            _add(errors, row_path, _("Must be an object."))
            continue
        for key in item:
            if key not in ("value", "enabled", *GOAL_FIELDS):
                _add(errors, f"{row_path}.{key}", _("Unknown field."))
        value = item.get("value")
        value_ok = True
        if scope == "all":
            if value is not None:
                _add(
                    errors, f"{row_path}.value", _("Must be null when goals apply to all tickets.")
                )
                value_ok = False
            value = ""
        elif value is None and scope in EMPTY_PROPERTIES:
            value = ""  # the no-value row: tickets whose property is empty
        elif not isinstance(value, str) or not value:
            _add(errors, f"{row_path}.value", _("Required: a %(scope)s value.") % {"scope": scope})
            value_ok = False
        elif value not in allowed_values:
            choices = ", ".join(allowed_values) or "none defined yet"
            _add(
                errors,
                f"{row_path}.value",
                _("%(value)s is not a %(scope)s (choose from %(choices)s).")
                % {"value": repr(value[:50]), "scope": scope, "choices": choices},
            )
            value_ok = False
        if value_ok and isinstance(value, str):
            if value in seen:
                if scope == "all":
                    _add(
                        errors, f"{row_path}.value", _("Only one goal row when goals apply to all.")
                    )
                elif value:
                    _add(
                        errors,
                        f"{row_path}.value",
                        _("%(value)s has goals already.") % {"value": repr(value)},
                    )
                else:
                    _add(errors, f"{row_path}.value", _("The no-value row has goals already."))
            seen.add(value)
        enabled = item.get("enabled", True)
        if not isinstance(enabled, bool):
            _add(errors, f"{row_path}.enabled", _("Must be true or false."))
            enabled = True
        minutes: dict[str, int | None] = {}
        for name in GOAL_FIELDS:
            number = item.get(name)
            if number is None:
                minutes[name] = None
            elif not _is_int(number):
                _add(errors, f"{row_path}.{name}", _("Must be a whole number of minutes, or null."))
                minutes[name] = None
            elif not MIN_MINUTES <= number <= MAX_MINUTES:
                _add(
                    errors,
                    f"{row_path}.{name}",
                    _("Must be from %(min_minutes)s to %(max_minutes)s minutes (one year).")
                    % {"min_minutes": MIN_MINUTES, "max_minutes": format(MAX_MINUTES, ",")},
                )
                minutes[name] = None
            else:
                minutes[name] = number
        for kind in GOAL_KINDS:
            goal, soon = minutes[f"{kind}_minutes"], minutes[f"{kind}_due_soon_minutes"]
            soon_path = f"{row_path}.{kind}_due_soon_minutes"
            label = str(GOAL_KIND_LABELS[kind]).lower()
            if soon is not None and goal is None and f"{row_path}.{kind}_minutes" not in errors:
                _add(errors, soon_path, _("Set a %(goal)s goal first.") % {"goal": label})
            elif soon is not None and goal is not None and soon >= goal:
                _add(
                    errors,
                    soon_path,
                    _("Must be shorter than the %(goal)s goal.") % {"goal": label},
                )
        has_goal = any(item.get(f"{kind}_minutes") is not None for kind in GOAL_KINDS)
        if scope != "all" and enabled and not has_goal and value_ok:
            # A value switched on with no goal at all would silently mean "no SLA".
            _add(
                errors,
                f"{row_path}.enabled",
                _("%(row)s is switched on with no goal: set at least one goal, or switch it off.")
                % {"row": goal_row_label(scope, value)},
            )
        if value_ok and isinstance(value, str):
            rows.append(GoalRow(value=value, enabled=enabled, minutes=minutes))
    return rows


def _parse_goals_by_scope(
    raw: Any,
    errors: Errors,
    *,
    chosen: str,
    team_slugs: tuple[str, ...],
    pipeline_slugs: tuple[str, ...],
) -> dict[str, list[GoalRow]]:
    """The kept rows sent for scopes other than ``chosen`` (its own key is ignored)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        _add(errors, "goals_by_scope", _('Must be an object like {"priority": [ … ]}.'))
        return {}
    kept: dict[str, list[GoalRow]] = {}
    for key, rows in raw.items():
        if key not in SCOPE_KEYS:
            _add(
                errors,
                f"goals_by_scope.{str(key)[:50]}",
                _("Unknown scope; use all, priority, team, source or pipeline."),
            )
            continue
        if key == chosen:
            continue
        allowed = property_values(key, team_slugs=team_slugs, pipeline_slugs=pipeline_slugs)
        kept[key] = _parse_goals(
            rows, errors, scope=key, allowed_values=allowed, path=f"goals_by_scope.{key}"
        )
    return kept


def document_parse(
    document: Any,
    *,
    team_slugs: Iterable[str],
    pipeline_slugs: Iterable[str],
    open_stage_keys: Iterable[str],
    closed_stage_keys: Iterable[str] = (),
) -> tuple[ParsedSettings | None, Errors]:
    """Validate a settings document. Returns ``(parsed, {})`` or ``(None, errors)``.

    Omitted fields take their empty value (a PUT replaces the configuration), except that
    ``version`` may be left out to skip the conflict check, ``apply_to`` defaults to "new", and
    ``goals_by_scope`` (or any of its keys) left out keeps the stored rows of those scopes, and
    ``team_schedules`` left out (or null) keeps the stored team schedules.
    """
    team_slugs, pipeline_slugs = tuple(team_slugs), tuple(pipeline_slugs)
    errors: Errors = {}
    if not isinstance(document, Mapping):
        return None, {"": [_("The body must be a JSON object.")]}
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            _add(errors, str(key)[:100], _("Unknown field."))

    version = document.get("version")
    if version is not None and (not _is_int(version) or version < 1):
        _add(errors, "version", _("Must be a positive whole number."))
        version = None

    applies = document.get("applies", "always")
    if applies not in ("working_hours", "always"):
        _add(errors, "applies", _('Must be "working_hours" or "always".'))

    timezone = document.get("timezone", "UTC")
    _check_zone(timezone, errors, "timezone")

    periods = _parse_periods(document.get("working_hours", {}), errors)
    has_period_errors = any(path.startswith("working_hours") for path in errors)
    if applies == "working_hours" and not periods and not has_period_errors:
        _add(errors, "working_hours", _("Add at least one working period, or choose 24/7."))

    holidays = _parse_holidays(document.get("holidays", []), errors)

    team_schedules = None
    if document.get("team_schedules") is not None:
        team_schedules = _parse_team_schedules(
            document["team_schedules"],
            errors,
            team_slugs=team_slugs,
            needs_periods=applies == "working_hours",
        )

    pause_raw = document.get("pause_statuses", [])
    pause_statuses: list[str] = []
    open_keys, closed_keys = set(open_stage_keys), set(closed_stage_keys)
    if not isinstance(pause_raw, list):
        _add(errors, "pause_statuses", _('Must be a list like ["support/waiting-on-customer"].'))
    else:
        for index, key in enumerate(pause_raw):
            path = f"pause_statuses.{index}"
            if not isinstance(key, str):
                _add(errors, path, _('Must be "<pipeline>/<stage>".'))
            elif key in closed_keys:
                _add(
                    errors,
                    path,
                    _("%(key)s is a closed stage; only open stages can pause clocks.")
                    % {"key": repr(key)},
                )
            elif key not in open_keys:
                _add(
                    errors,
                    path,
                    _("%(key)s is not a stage (use <pipeline>/<stage>).")
                    % {"key": repr(key[:100])},
                )
            elif key not in pause_statuses:
                pause_statuses.append(key)

    goals_enabled = document.get("goals_enabled", False)
    if not isinstance(goals_enabled, bool):
        _add(errors, "goals_enabled", _("Must be true or false."))

    scope = document.get("scope", "all")
    prop = document.get("property")
    if scope not in ("all", "property"):
        _add(errors, "scope", _('Must be "all" or "property".'))
    elif scope == "all" and prop is not None:
        _add(errors, "property", _('Must be null when the scope is "all".'))
    elif scope == "property" and prop not in PROPERTIES:
        _add(errors, "property", _("Choose one of priority, team, source, pipeline."))
    prop_text = prop if scope == "property" and prop in PROPERTIES else ""
    allowed = property_values(prop_text, team_slugs=team_slugs, pipeline_slugs=pipeline_slugs)
    goals: list[GoalRow] = []
    chosen = ""
    if scope in ("all", "property") and (scope == "all" or prop_text):
        chosen = "all" if scope == "all" else prop_text
        goals = _parse_goals(
            document.get("goals", []), errors, scope=chosen, allowed_values=allowed
        )
    goals_by_scope = _parse_goals_by_scope(
        document.get("goals_by_scope"),
        errors,
        chosen=chosen,
        team_slugs=team_slugs,
        pipeline_slugs=pipeline_slugs,
    )

    apply_to = document.get("apply_to", "new")
    if apply_to not in APPLY_TO:
        _add(errors, "apply_to", _('Must be "new" or "new_and_open".'))

    if errors:
        return None, errors
    return (
        ParsedSettings(
            applies=applies,
            timezone=timezone,
            periods=periods,
            holidays=holidays,
            pause_statuses=pause_statuses,
            goals_enabled=goals_enabled,
            scope=scope,
            property=prop_text,
            goals=goals,
            goals_by_scope=goals_by_scope,
            version=version,
            apply_to=apply_to,
            team_schedules=team_schedules,
        ),
        {},
    )
