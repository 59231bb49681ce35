"""Fields, widgets and small parsers of the settings page's forms: the zone picker, times of day
("9:00" to "09:00") and durations as a number and a unit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from settings_app.document import GOAL_FIELDS
from settings_app.time_zones import allowed_zones

UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 1440}
UNIT_CHOICES = [("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))]
APPLY_TO_CHOICES = [
    ("new", _("To new tickets only")),
    ("new_and_open", _("To new tickets and the open tickets")),
]
# Choices offered for period times (free text is accepted too): every half hour, and 24:00.
TIME_OPTIONS = [f"{m // 60:02d}:{m % 60:02d}" for m in range(0, 24 * 60 + 1, 30)]
# Bounds on the rows one POST may carry: far above any real schedule, low enough that a crafted
# request cannot make the server build thousands of forms.
MAX_PERIOD_ROWS = 7 * 24
MAX_HOLIDAY_ROWS = 400
MAX_GOAL_ROWS = 500
_LOOSE_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


@cache
def timezone_choices() -> list[tuple[str, str]]:
    """Every accepted IANA zone (``settings_app.time_zones``), sorted, as select choices."""
    return [(name, name) for name in allowed_zones()]


def default_unit_of(name: str) -> str:
    """The unit an empty duration field starts in: hours for goals, minutes for due soon."""
    return "minutes" if name.endswith("_due_soon_minutes") else "hours"


def usual_units(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """For each goal field, the unit most of ``rows`` show it in (fields no row sets: none)."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        for name in GOAL_FIELDS:
            minutes = row.get(name)
            if isinstance(minutes, int) and minutes > 0:
                unit = minutes_split(minutes)[1]
                counts.setdefault(name, {}).setdefault(unit, 0)
                counts[name][unit] += 1
    return {name: max(units, key=lambda u: units[u]) for name, units in counts.items()}


def minutes_split(minutes: int | None, *, default_unit: str = "hours") -> tuple[int | None, str]:
    """A stored duration as (number, unit), the largest unit dividing it: 2880 -> (2, "days")."""
    if minutes is None:
        return None, default_unit
    for unit in ("days", "hours"):
        if minutes % UNIT_MINUTES[unit] == 0:
            return minutes // UNIT_MINUTES[unit], unit
    return minutes, "minutes"


def clock_normalise(text: str) -> str:
    """ "9:00" -> "09:00"; anything else is returned stripped, for the service to judge."""
    text = text.strip()
    match = _LOOSE_CLOCK_RE.match(text)
    if match:
        return f"{int(match.group(1)):02d}:{match.group(2)}"
    return text


class ZoneSelect(forms.Select):
    """A select of several hundred plain options, rendered without one template per option."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        current = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) == current else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class LooseMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes whose values the settings service validates (with a clearer message)."""

    def valid_value(self, value: str) -> bool:
        return True
