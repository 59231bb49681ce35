"""How SLA settings are shown to people: durations, the weekly hours, audit entries.

One place for the settings views, the forms, the emails and the template filters
(``settings_app.templatetags.sla_format`` registers these functions).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy

from settings_app.document import WEEKDAYS, clock_to_minutes
from settings_app.labels import (
    APPLIES_LABELS,
    APPLY_TO_LABELS,
    CLOCK_LABELS,
    FIXED_VALUE_LABELS,
    PROPERTY_LABELS,
    SCOPE_CHOICE_LABELS,
    SETTING_LABELS,
    WEEKDAY_LABELS,
    goal_field_label,
    goal_row_label,
)

DAY_ABBREVIATIONS = (
    pgettext_lazy("weekday", "Mon"),
    pgettext_lazy("weekday", "Tue"),
    pgettext_lazy("weekday", "Wed"),
    pgettext_lazy("weekday", "Thu"),
    pgettext_lazy("weekday", "Fri"),
    pgettext_lazy("weekday", "Sat"),
    pgettext_lazy("weekday", "Sun"),
)
VALUE_LABELS: dict[str, Mapping[str, Any]] = {
    "applies": APPLIES_LABELS,
    "scope": SCOPE_CHOICE_LABELS,
    "property": PROPERTY_LABELS,
}
# "goals[priority:urgent].close_minutes", "goals[all].enabled", "goals[team:].enabled"; and
# entries written before goals were kept per scope: "goals[urgent].close_minutes".
_GOAL_PATH_RE = re.compile(r"^goals\[(?P<row>[^\]]*)\]\.(?P<name>\w+)$")


def minutes_label(minutes: int | None) -> str:
    """A stored duration in the largest unit that divides it: 2880 -> "2 days", 90 -> "90 min"."""
    if minutes is None:
        return "—"
    if minutes % 1440 == 0:
        count = minutes // 1440
        return ngettext("%(count)s day", "%(count)s days", count) % {"count": count}
    if minutes % 60 == 0:
        count = minutes // 60
        return ngettext("%(count)s hour", "%(count)s hours", count) % {"count": count}
    return ngettext("%(count)s min", "%(count)s min", minutes) % {"count": minutes}


def minutes_short(minutes: int | None) -> str:
    """Compact form for tables: 15 -> "15 min", 60 -> "1 h", 1440 -> "1 day", None -> "—"."""
    if minutes is None:
        return "—"
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)s h", "%(count)s h", hours) % {"count": hours}
    return ngettext("%(count)s min", "%(count)s min", minutes) % {"count": minutes}


def _day_minutes(periods: list[list[str]]) -> int:
    total = 0
    for pair in periods:
        start = clock_to_minutes(pair[0], is_end=False)
        end = clock_to_minutes(pair[1], is_end=True)
        if start is not None and end is not None and end > start:
            total += end - start
    return total


def _day_run_name(days: list[int]) -> str:
    names = [str(DAY_ABBREVIATIONS[day]) for day in days]
    if len(names) <= 2:
        return ", ".join(names)
    return f"{names[0]}–{names[-1]}"


def hours_summary(working_hours: Mapping[str, list[list[str]]]) -> str:
    """One line for a week: "Mon 09:00–12:00, 13:00–17:00 · Tue–Fri 09:00–17:00 · Sat, Sun off"."""
    off = pgettext("day without working hours", "off")
    texts = [
        ", ".join(f"{start}–{end}" for start, end in (working_hours.get(day) or [])) or off
        for day in WEEKDAYS
    ]
    if all(text == off for text in texts):
        return gettext("No working hours yet")
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
        return gettext("A day is 24 hours of counted time: with 24/7, that is one calendar day.")
    per_day = [
        (_day_minutes(list(working_hours.get(day) or [])), list(working_hours.get(day) or []))
        for day in WEEKDAYS
    ]
    per_day = [(minutes, periods) for minutes, periods in per_day if minutes > 0]
    if not per_day:
        return gettext("A day is 24 hours of counted time.")
    usual, _count = Counter(minutes for minutes, _ in per_day).most_common(1)[0]
    periods = next(periods for minutes, periods in per_day if minutes == usual)
    if len(periods) == 1:
        described = gettext("%(start)s–%(end)s hours") % {
            "start": periods[0][0],
            "end": periods[0][1],
        }
    else:
        described = gettext("%(hours)s-hour working days") % {"hours": f"{usual / 60:g}"}
    days = 1440 / usual
    if days == int(days):
        count = int(days)
        amount = ngettext("%(count)s working day", "%(count)s working days", count) % {
            "count": count
        }
    else:
        amount = gettext("about %(count)s working days") % {"count": f"{days:.1f}"}
    return gettext("A day is 24 hours of counted time: with %(hours)s, that is %(amount)s.") % {
        "hours": described,
        "amount": amount,
    }


def _goal_row_of(row: str, value_name: str | None) -> str:
    """ "priority:urgent" -> "Priority Urgent"; "all" -> "All tickets"; "team:" -> "No team"."""
    if row == "all":
        return goal_row_label("all", None)
    scope, sep, key = row.partition(":")
    if sep and scope in PROPERTY_LABELS:
        names = {key: value_name} if value_name else None
        return goal_row_label(scope, key, names=names)
    # Before goals were kept per scope the path named only the value: guess its property.
    for prop, labels in FIXED_VALUE_LABELS.items():
        if row in labels:
            return goal_row_label(prop, row)
    return row


def _field_label(path: str, *, value_name: str | None = None) -> tuple[str, str]:
    """(subject, field): ("Priority Urgent", "time to first reply"); ("", "Time zone")."""
    if path in SETTING_LABELS:
        return "", str(SETTING_LABELS[path])
    if path.startswith("working_hours."):
        day = path.split(".", 1)[1]
        if day in WEEKDAYS:
            return "", f"{WEEKDAY_LABELS[WEEKDAYS.index(day)]} hours"
    match = _GOAL_PATH_RE.match(path)
    if match:
        row = _goal_row_of(match.group("row"), value_name)
        return row, goal_field_label(match.group("name"))
    return "", path


def _value_label(path: str, value: Any, *, stage_names: Mapping[str, str]) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if path == "pause_statuses" and isinstance(value, list):
        return ", ".join(stage_names.get(str(key), str(key)) for key in value) or "none"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    if path in VALUE_LABELS:
        return str(VALUE_LABELS[path].get(str(value), value))
    if path.endswith("_minutes") and isinstance(value, int):
        return minutes_label(value)
    return str(value)


def audit_rows_of(
    changes: list[dict[str, Any]] | None, *, stage_names: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """An audit entry's ``changes`` as readable rows: subject, field, label, before, after.

    ("Priority Urgent", "time to first reply", "Priority Urgent: time to first reply", "15 min",
    "30 min"); a setting of its own has no subject ("", "Time zone", "Time zone", …).
    ``stage_names`` maps stage keys ("support/waiting-on-customer") to their names ("Support ›
    Waiting on customer").
    """
    rows = []
    for change in changes or []:
        path = str(change.get("field", ""))
        names = stage_names or {}
        subject, field = _field_label(path, value_name=change.get("value_name"))
        rows.append(
            {
                "subject": subject,
                "field": field,
                "label": f"{subject}: {field}" if subject else field,
                "before": _value_label(path, change.get("before"), stage_names=names),
                "after": _value_label(path, change.get("after"), stage_names=names),
            }
        )
    return rows


def audit_rows(
    changes: list[dict[str, Any]] | None, stage_names: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """``audit_rows_of`` as a filter: ``change.changes|audit_rows:stage_names``."""
    return audit_rows_of(changes, stage_names=stage_names)


def apply_to_label(value: str) -> str:
    return str(APPLY_TO_LABELS.get(value, value))


def percent_of(done: int, total: int) -> int:
    """Whole percent of ``done`` in ``total`` (100 when there is nothing to do)."""
    if not total:
        return 100
    return max(0, min(100, int(done * 100 // total)))


def dry_run_display(preview: Mapping[str, Any]) -> dict[str, Any] | None:
    """The apply dialog's "What that would do now", from the dry run's JSON
    (``POST /api/sla/settings/preview/``'s shape): one row per goal whose clocks run before or
    after (``label`` "First reply" and the counts), and the tickets that turn Overdue or Due
    soon at once. None when the dry run has no counts (nothing changes)."""
    clocks = preview.get("clocks")
    if clocks is None:
        return None
    rows = []
    # In the goals' order, whatever order the JSON came in (a stored one comes sorted by jsonb).
    order = list(CLOCK_LABELS)
    for kind, effect in sorted(
        clocks.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)
    ):
        seen = sum(effect[name] for name in ("earlier", "later", "unchanged", "started", "removed"))
        if seen:
            rows.append({"kind": kind, "label": str(CLOCK_LABELS.get(kind, kind)), **effect})
    return {"rows": rows, **preview["tickets"]}
