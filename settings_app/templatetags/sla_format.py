"""How the settings pages show SLA values: durations, the weekly hours, audit entries.

Plain functions (usable from views) registered as template filters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django import template

from settings_app.document import WEEKDAY_NAMES, WEEKDAYS, clock_to_minutes
from settings_app.forms import minutes_short as _minutes_short
from settings_app.services import minutes_label as _minutes_label

register = template.Library()

DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FIELD_LABELS = {
    "applies": "When SLAs apply",
    "timezone": "Time zone",
    "goals_enabled": "Goals",
    "scope": "Apply goals",
    "property": "Ticket property",
    "holidays": "Holidays",
    "pause_statuses": "Pause clocks in",
}
VALUE_LABELS = {
    "applies": {"always": "24/7", "working_hours": "During working hours"},
    "scope": {"all": "To all tickets", "property": "Based on a ticket property"},
}
GOAL_FIELD_LABELS = {
    "enabled": "on",
    "first_response_minutes": "time to first reply",
    "first_response_due_soon_minutes": "first reply due soon before",
    "next_response_minutes": "time to next reply",
    "next_response_due_soon_minutes": "next reply due soon before",
    "close_minutes": "time to close",
    "close_due_soon_minutes": "close due soon before",
}
APPLY_TO_LABELS = {"new": "New tickets only", "new_and_open": "New and open tickets"}
_GOAL_PATH_RE = re.compile(r"^goals\[(?P<value>[^\]]*)\]\.(?P<name>\w+)$")


@register.filter
def minutes_label(minutes: int | None) -> str:
    """2880 -> "2 days", 90 -> "90 min", None -> "—"."""
    return _minutes_label(minutes)


@register.filter
def minutes_short(minutes: int | None) -> str:
    """Compact form for tables: 15 -> "15 min", 60 -> "1 h", 1440 -> "1 day", None -> "—"."""
    return _minutes_short(minutes)


def _day_minutes(periods: list[list[str]]) -> int:
    total = 0
    for pair in periods:
        start = clock_to_minutes(pair[0], is_end=False)
        end = clock_to_minutes(pair[1], is_end=True)
        if start is not None and end is not None and end > start:
            total += end - start
    return total


def _day_run_name(days: list[int]) -> str:
    names = [DAY_ABBREVIATIONS[day] for day in days]
    if len(names) <= 2:
        return ", ".join(names)
    return f"{names[0]}–{names[-1]}"


@register.filter
def hours_summary(working_hours: Mapping[str, list[list[str]]]) -> str:
    """One line for a week: "Mon 09:00–12:00, 13:00–17:00 · Tue–Fri 09:00–17:00 · Sat, Sun off"."""
    texts = [
        ", ".join(f"{start}–{end}" for start, end in (working_hours.get(day) or [])) or "off"
        for day in WEEKDAYS
    ]
    if all(text == "off" for text in texts):
        return "No working hours yet"
    runs: list[tuple[list[int], str]] = []
    for day, text in enumerate(texts):
        if runs and runs[-1][1] == text:
            runs[-1][0].append(day)
        else:
            runs.append(([day], text))
    return " · ".join(f"{_day_run_name(days)} {text}" for days, text in runs)


def day_length_note(applies: str, working_hours: Mapping[str, list[list[str]]]) -> str:
    """What "1 day" of goal time means with this schedule (a day is 24 hours of counted time)."""
    if applies == "always":
        return "A day is 24 hours of counted time: with 24/7, that is one calendar day."
    per_day = [
        (_day_minutes(list(working_hours.get(day) or [])), list(working_hours.get(day) or []))
        for day in WEEKDAYS
    ]
    per_day = [(minutes, periods) for minutes, periods in per_day if minutes > 0]
    if not per_day:
        return "A day is 24 hours of counted time."
    usual, _count = Counter(minutes for minutes, _ in per_day).most_common(1)[0]
    periods = next(periods for minutes, periods in per_day if minutes == usual)
    if len(periods) == 1:
        described = f"{periods[0][0]}–{periods[0][1]} hours"
    else:
        hours = usual / 60
        described = f"{hours:g}-hour working days"
    days = 1440 / usual
    if days == int(days):
        count = int(days)
        amount = f"{count} working day" if count == 1 else f"{count} working days"
    else:
        amount = f"about {days:.1f} working days"
    return f"A day is 24 hours of counted time: with {described}, that is {amount}."


def _field_label(path: str) -> str:
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    if path.startswith("working_hours."):
        day = path.split(".", 1)[1]
        if day in WEEKDAYS:
            return f"{WEEKDAY_NAMES[WEEKDAYS.index(day)]} hours"
    match = _GOAL_PATH_RE.match(path)
    if match:
        value = match.group("value")
        who = "All tickets" if value == "all" else value
        return f"Goals for {who}: {GOAL_FIELD_LABELS.get(match.group('name'), match.group('name'))}"
    return path


def _value_label(path: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    if path in VALUE_LABELS:
        return VALUE_LABELS[path].get(str(value), str(value))
    if path.endswith("_minutes") and isinstance(value, int):
        return _minutes_label(value)
    return str(value)


@register.filter
def audit_rows(changes: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """An audit entry's ``changes`` as readable rows: label, before, after."""
    rows = []
    for change in changes or []:
        path = str(change.get("field", ""))
        rows.append(
            {
                "label": _field_label(path),
                "before": _value_label(path, change.get("before")),
                "after": _value_label(path, change.get("after")),
            }
        )
    return rows


@register.filter
def apply_to_label(value: str) -> str:
    return APPLY_TO_LABELS.get(value, value)


@register.filter
def percent_of(done: int, total: int) -> int:
    """Whole percent of ``done`` in ``total`` (100 when there is nothing to do)."""
    if not total:
        return 100
    return max(0, min(100, int(done * 100 // total)))
