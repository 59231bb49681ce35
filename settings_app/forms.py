"""Forms of the SLA settings page: they turn what a person typed into the settings document.

The forms only *parse* (text to numbers, a number and a unit to minutes, "9:00" to "09:00"); every
rule of the settings (ranges, overlaps, known zones and values) is checked once, by
``sla_settings_save``. ``SlaSettingsForms`` gathers the page's forms and formsets, builds the
document of SPEC section 7 from them, and maps the service's error paths (``working_hours.mon.1``,
``goals.0.close_minutes``) back onto the fields they name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from settings_app.display import minutes_short
from settings_app.document import GOAL_FIELDS, GOAL_KINDS, PROPERTIES, WEEKDAY_NAMES, WEEKDAYS
from settings_app.labels import (
    EMPTY_PROPERTIES,
    GOAL_FIELD_TITLES,
    GOAL_KIND_LABELS,
    NO_VALUE_LABELS,
    SCOPE_LABELS,
)
from settings_app.models import SlaSettings
from settings_app.selectors import chosen_scope_key
from settings_app.time_zones import allowed_zones

UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 1440}
UNIT_CHOICES = [("minutes", "minutes"), ("hours", "hours"), ("days", "days")]
FIELD_LABELS = {"enabled": str(GOAL_FIELD_TITLES["enabled"])} | {
    f"{name}_{suffix}": str(GOAL_FIELD_TITLES[name])
    for name in GOAL_FIELDS
    for suffix in ("number", "unit")
}
APPLY_TO_CHOICES = [
    ("new", "To new tickets only"),
    ("new_and_open", "To new tickets and the open tickets"),
]
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
    ) -> str:
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


# --- The general form -------------------------------------------------------------------------


class LooseMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes whose values the settings service validates (with a clearer message)."""

    def valid_value(self, value: str) -> bool:
        return True


class SlaGeneralForm(forms.Form):
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This page is out of date: reload it and make your change again.",
            "invalid": "This page is out of date: reload it and make your change again.",
        },
    )
    applies = forms.ChoiceField(
        label="When SLAs apply",
        choices=[("always", "24/7"), ("working_hours", "During working hours")],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    # A select of every zone; the service judges the value so a crafted one gets its message.
    timezone = forms.CharField(label="Time zone", max_length=200)
    pause_statuses = LooseMultipleChoiceField(
        label="While a ticket is in",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    goals_enabled = forms.BooleanField(
        label="Response time and close time goals",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
    )
    scope = forms.ChoiceField(
        label="Apply goals",
        choices=SlaSettings.Scope.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    property = forms.ChoiceField(
        label="Ticket property",
        required=False,
        choices=[("", "Choose…"), *SlaSettings.Property.choices],
        error_messages={"invalid_choice": "Choose one of priority, team, source, pipeline."},
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto d-inline-block"}),
    )
    apply_to = forms.ChoiceField(
        label="Apply these changes",
        required=False,
        choices=APPLY_TO_CHOICES,
        initial="new",
        error_messages={"invalid_choice": "Choose new tickets only, or new and open tickets."},
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, stage_choices: Iterable[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["pause_statuses"].choices = list(stage_choices)
        self.fields["timezone"].widget = ZoneSelect(
            choices=timezone_choices(), attrs={"class": "form-select"}
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        no_property = cleaned.get("scope") == "property" and not cleaned.get("property")
        if no_property and "property" not in self.errors:
            self.add_error("property", "Choose the ticket property the goals depend on.")
        return cleaned


# --- Working hours ----------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """One working period of one day; a row with neither time is ignored (a removed row)."""

    day = forms.CharField(required=False, widget=forms.HiddenInput)
    start = forms.CharField(
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm time-input",
                "list": "time-options",
                "placeholder": "09:00",
                "inputmode": "numeric",
                "autocomplete": "off",
                "aria-label": "Start",
            }
        ),
    )
    end = forms.CharField(
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm time-input",
                "list": "time-options",
                "placeholder": "17:00",
                "inputmode": "numeric",
                "autocomplete": "off",
                "aria-label": "End",
            }
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start = clock_normalise(cleaned.get("start") or "")
        end = clock_normalise(cleaned.get("end") or "")
        cleaned["start"], cleaned["end"] = start, end
        if not start and not end:
            return cleaned
        if cleaned.get("day") not in WEEKDAYS:
            raise forms.ValidationError("Unknown day; use mon, tue, wed, thu, fri, sat, sun.")
        if not start:
            self.add_error("start", "Enter a start time (HH:MM).")
        if not end:
            self.add_error("end", "Enter an end time (HH:MM; 24:00 for midnight).")
        return cleaned

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return not data.get("start") and not data.get("end")

    @property
    def day_key(self) -> str:
        return str(self["day"].value() or "")


PeriodFormSet = forms.formset_factory(
    PeriodForm, extra=0, max_num=MAX_PERIOD_ROWS, absolute_max=MAX_PERIOD_ROWS, validate_max=True
)


class HolidayForm(forms.Form):
    date = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
        widget=forms.DateInput(
            format="%Y-%m-%d",
            attrs={"type": "date", "class": "form-control form-control-sm", "aria-label": "Date"},
        ),
    )
    name = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": "Name (optional)",
                "aria-label": "Name",
            }
        ),
    )
    recurring = forms.BooleanField(
        required=False,
        label="Every year",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        named = bool((cleaned.get("name") or "").strip())
        if cleaned.get("date") is None and named and "date" not in self.errors:
            self.add_error("date", "Enter the holiday's date.")
        return cleaned

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return data.get("date") is None and not (data.get("name") or "").strip()


HolidayFormSet = forms.formset_factory(
    HolidayForm,
    extra=0,
    max_num=MAX_HOLIDAY_ROWS,
    absolute_max=MAX_HOLIDAY_ROWS,
    validate_max=True,
)


# --- Goals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DurationInputs:
    number: forms.BoundField
    unit: forms.BoundField

    @property
    def errors(self) -> list[str]:
        return [*self.number.errors, *self.unit.errors]


@dataclass(frozen=True)
class GoalRowInputs:
    kind: str
    label: str
    goal: DurationInputs
    due_soon: DurationInputs


class GoalForm(forms.Form):
    """The goals of one scope value: three durations and their due-soon thresholds."""

    value = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    enabled = forms.BooleanField(
        required=False,
        label="On",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input goal-enabled"}),
    )

    def __init__(self, *args: Any, label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label
        for name in GOAL_FIELDS:
            soon = name.endswith("_due_soon_minutes")
            self.fields[f"{name}_number"] = forms.IntegerField(
                required=False,
                error_messages={
                    "invalid": "Enter a whole number (for 1.5 hours, enter 90 minutes).",
                },
                widget=forms.NumberInput(
                    attrs={
                        "class": "form-control duration-number",
                        "min": 1,
                        "step": 1,
                        "placeholder": "—",
                        "aria-label": "Due soon before due" if soon else "Goal",
                    }
                ),
            )
            self.fields[f"{name}_unit"] = forms.ChoiceField(
                required=False,
                choices=UNIT_CHOICES,
                error_messages={"invalid_choice": "Choose minutes, hours or days."},
                widget=forms.Select(
                    attrs={"class": "form-select duration-unit", "aria-label": "Unit"}
                ),
            )

    @classmethod
    def initial_for(
        cls,
        goal: Mapping[str, Any] | None,
        *,
        value: str,
        units: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Form initial data from a document goal row (None: a value without a row yet, which
        starts off). An empty field shows the unit in ``units`` (the one its neighbours use), so
        that a number typed into it later means what the rows around it mean."""
        initial: dict[str, Any] = {"value": value, "enabled": False}
        if goal is not None:
            initial["enabled"] = bool(goal.get("enabled", True))
        for name in GOAL_FIELDS:
            default_unit = (units or {}).get(name) or default_unit_of(name)
            minutes = goal.get(name) if goal is not None else None
            number, unit = minutes_split(minutes, default_unit=default_unit)
            initial[f"{name}_number"] = number
            initial[f"{name}_unit"] = unit
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in GOAL_FIELDS:
            number, unit = cleaned.get(f"{name}_number"), cleaned.get(f"{name}_unit")
            cleaned[name] = None
            if number is None or f"{name}_number" in self.errors:
                continue
            if unit not in UNIT_MINUTES:
                if f"{name}_unit" not in self.errors:
                    self.add_error(f"{name}_unit", "Choose minutes, hours or days.")
                continue
            cleaned[name] = number * UNIT_MINUTES[unit]
        return cleaned

    def goal_row(self, *, scope_all: bool) -> dict[str, Any]:
        data = self.cleaned_data
        row: dict[str, Any] = {
            # The no-value row ("No priority") has the empty key: null in the document.
            "value": None if scope_all else (data.get("value") or None),
            # "All tickets" has no switch of its own: the goals switch turns it on and off.
            "enabled": True if scope_all else bool(data.get("enabled")),
        }
        for name in GOAL_FIELDS:
            row[name] = data.get(name)
        return row

    def rows(self) -> list[GoalRowInputs]:
        """The three goal rows with their inputs, for the templates."""
        return [
            GoalRowInputs(
                kind=kind,
                label=str(GOAL_KIND_LABELS[kind]),
                goal=DurationInputs(self[f"{kind}_minutes_number"], self[f"{kind}_minutes_unit"]),
                due_soon=DurationInputs(
                    self[f"{kind}_due_soon_minutes_number"],
                    self[f"{kind}_due_soon_minutes_unit"],
                ),
            )
            for kind in GOAL_KINDS
        ]

    def current_minutes(self, name: str) -> int | None:
        """The duration as currently shown (typed or saved); None when empty or unreadable."""
        number, unit = self[f"{name}_number"].value(), self[f"{name}_unit"].value()
        try:
            number = int(str(number).strip())
        except (TypeError, ValueError):
            return None
        factor = UNIT_MINUTES.get(str(unit))
        if factor is None or number < 1:
            return None
        return number * factor

    def summary(self) -> dict[str, Any]:
        """Short labels of the durations as shown, for the by-property table."""
        labels = {
            f"{kind}_minutes": minutes_short(self.current_minutes(f"{kind}_minutes"))
            for kind in GOAL_KINDS
        }
        soon = [self.current_minutes(f"{kind}_due_soon_minutes") for kind in GOAL_KINDS]
        labels["due_soon"] = (
            " / ".join(minutes_short(m) for m in soon) if any(m is not None for m in soon) else "—"
        )
        labels["has_goals"] = any(
            self.current_minutes(f"{kind}_minutes") is not None for kind in GOAL_KINDS
        )
        return labels

    def error_list(self) -> list[str]:
        """Every error of this row with the field it belongs to, for the row's summary."""
        if not self.is_bound:
            return []
        messages = list(self.non_field_errors())
        for name, errors in self.errors.items():
            if name == "__all__":
                continue
            messages.extend(f"{FIELD_LABELS.get(name, name)}: {error}" for error in errors)
        return messages

    @property
    def is_on(self) -> bool:
        return bool(self["enabled"].value())

    @property
    def is_no_value(self) -> bool:
        """The "No priority" / "No team" row of a property's table."""
        return self.prefix.startswith("goals-") and not (self["value"].value() or "")

    def is_empty_and_off(self, *, scope_all: bool) -> bool:
        """A row that gives no SLA and keeps no goal: the same as no row, so not sent."""
        row = self.goal_row(scope_all=scope_all)
        return all(row[name] is None for name in GOAL_FIELDS) and (scope_all or not row["enabled"])

    @property
    def has_errors(self) -> bool:
        return bool(self.is_bound and self.errors)


class BaseGoalFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, labels: Mapping[str, str] | None = None, **kwargs: Any):
        self.labels = dict(labels or {})
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        label = ""
        if index is not None:
            if self.is_bound:
                value = self.data.get(self.add_prefix(index) + "-value", "")
            else:
                value = (self.initial or [{}])[index].get("value", "")
            label = self.labels.get(value, value)
        kwargs["label"] = label
        return kwargs


def property_rows(prop: str, values: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The rows of a property's table: its values, and for a property a ticket may leave empty
    the no-value row ("No priority"), keyed "", last."""
    if prop in EMPTY_PROPERTIES:
        return [*values, ("", str(NO_VALUE_LABELS[prop]))]
    return list(values)


def goal_formset_class(value_count: int) -> type[BaseGoalFormSet]:
    """Goal rows of one property: at most one per value, so a crafted count cannot go further."""
    limit = max(1, min(value_count, MAX_GOAL_ROWS))
    return forms.formset_factory(
        GoalForm,
        formset=BaseGoalFormSet,
        extra=0,
        max_num=limit,
        absolute_max=limit,
        validate_max=True,
    )


# --- All forms of the page together -------------------------------------------------------------


@dataclass(frozen=True)
class PageReference:
    """What the page offers to choose from, with labels (from the database)."""

    stage_choices: list[tuple[str, str]]  # (key "<pipeline>/<stage>", "Support › Waiting …")
    property_values: dict[str, list[tuple[str, str]]]  # property -> [(key, label)]


@dataclass
class DayPeriods:
    key: str
    name: str
    forms: list[PeriodForm] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class SlaSettingsForms:
    """The forms and formsets of the settings page, as one unit.

    Unbound, they show ``document`` (the saved settings). Bound to a POST, ``is_valid`` parses what
    was typed, ``to_document`` builds the settings document and ``apply_errors`` puts the service's
    errors next to the fields they name; errors that name nothing on the page land in
    ``other_errors``. A failed save (the database) goes in ``save_failed``.
    """

    def __init__(
        self,
        *,
        document: Mapping[str, Any],
        reference: PageReference,
        data: QueryDict | None = None,
    ) -> None:
        self.document = document
        self.reference = reference
        self.data = data
        self.other_errors: list[str] = []
        self.working_hours_errors: list[str] = []
        self.holiday_errors: list[str] = []
        self.goal_errors: list[str] = []
        self.conflict: str = ""
        # The save itself failed (the database), not what was typed: shown as an alert of its
        # own, never under the "fix the marked fields" heading (``has_errors`` leaves it out).
        self.save_failed: str = ""
        bound = data is not None

        initial = {
            "version": document.get("version"),
            "applies": document.get("applies"),
            "timezone": document.get("timezone"),
            "pause_statuses": list(document.get("pause_statuses", [])),
            "goals_enabled": document.get("goals_enabled"),
            "scope": document.get("scope"),
            "property": document.get("property") or "",
            "apply_to": "new",
        }
        self.general = SlaGeneralForm(
            data if bound else None,
            initial=None if bound else initial,
            stage_choices=reference.stage_choices,
        )

        if bound:
            self.periods = PeriodFormSet(data, prefix="period")
            self.holidays = HolidayFormSet(data, prefix="holiday")
        else:
            self.periods = PeriodFormSet(
                prefix="period",
                initial=[
                    {"day": day, "start": start, "end": end}
                    for day in WEEKDAYS
                    for start, end in document.get("working_hours", {}).get(day, [])
                ],
            )
            self.holidays = HolidayFormSet(
                prefix="holiday",
                initial=[
                    {"date": h["date"], "name": h.get("name", ""), "recurring": h.get("recurring")}
                    for h in document.get("holidays", [])
                ],
            )

        chosen = chosen_scope_key(scope=document.get("scope", "all"), prop=document.get("property"))
        saved_rows: dict[str, list[Mapping[str, Any]]] = {
            key: list(rows) for key, rows in (document.get("goals_by_scope") or {}).items()
        }
        saved_rows[chosen] = list(document.get("goals", []))
        all_rows = saved_rows.get("all", [])
        all_label = str(SCOPE_LABELS["all"])
        if bound and (self._posted_scope() == "all" or "goal-all-value" in data):
            self.goals_all = GoalForm(data, prefix="goal-all", label=all_label)
        else:
            self.goals_all = GoalForm(
                prefix="goal-all",
                label=all_label,
                initial=GoalForm.initial_for(
                    all_rows[0] if all_rows else None, value="", units=usual_units(all_rows)
                )
                | {"enabled": True},
            )

        self.goals_by_property: dict[str, BaseGoalFormSet] = {}
        for prop in PROPERTIES:
            values = property_rows(prop, reference.property_values.get(prop, []))
            labels = dict(values)
            prefix = f"goals-{prop}"
            formset_class = goal_formset_class(len(values))
            if bound and f"{prefix}-TOTAL_FORMS" in data:
                self.goals_by_property[prop] = formset_class(data, prefix=prefix, labels=labels)
                continue
            if bound and self._posted_property() == prop and self._posted_scope() == "property":
                # The chosen property's rows must come with the POST; without them the formset
                # reports its missing management form instead of silently saving no goals.
                self.goals_by_property[prop] = formset_class(data, prefix=prefix, labels=labels)
                continue
            rows = saved_rows.get(prop, [])
            saved = {g.get("value") or "": g for g in rows}
            units = usual_units(rows)
            self.goals_by_property[prop] = formset_class(
                prefix=prefix,
                labels=labels,
                initial=[
                    GoalForm.initial_for(saved.get(key), value=key, units=units)
                    for key, _ in values
                ],
            )
        # Filled by to_document(): document path ("goals", "goals_by_scope.team") -> the forms
        # of its rows, by index, to place the service's errors.
        self._period_forms: dict[str, list[PeriodForm]] = {}
        self._holiday_forms: list[HolidayForm] = []
        self._goal_forms: dict[str, list[GoalForm]] = {}

    # -- what was posted -------------------------------------------------------------------------

    def _posted_scope(self) -> str:
        return str(self.data.get("scope", "")) if self.data is not None else ""

    def _posted_property(self) -> str:
        return str(self.data.get("property", "")) if self.data is not None else ""

    @property
    def scope(self) -> str:
        value = self.general["scope"].value()
        return value if value in ("all", "property") else "all"

    @property
    def chosen_property(self) -> str:
        """The property whose table shows ("" while none is chosen: no table)."""
        value = self.general["property"].value()
        return value if value in PROPERTIES else ""

    @property
    def applies(self) -> str:
        value = self.general["applies"].value()
        return value if value in ("always", "working_hours") else "always"

    @property
    def apply_to(self) -> str:
        if not self.general.is_bound or not self.general.is_valid():
            return "new"
        return self.general.cleaned_data.get("apply_to") or "new"

    # -- parsing and the document ----------------------------------------------------------------

    def _posted_goal_forms(self) -> dict[str, list[GoalForm]]:
        """The forms of every scope whose rows came with the POST, by scope key."""
        posted: dict[str, list[GoalForm]] = {}
        if self.goals_all.is_bound:
            posted["all"] = [self.goals_all]
        for prop, formset in self.goals_by_property.items():
            if formset.is_bound:
                posted[prop] = list(formset.forms)
        return posted

    def _chosen_key(self) -> str:
        data = self.general.cleaned_data
        return "all" if data["scope"] == "all" else data["property"]

    def is_valid(self) -> bool:
        valid = self.general.is_valid()
        valid = self.periods.is_valid() and valid
        valid = self.holidays.is_valid() and valid
        if self.goals_all.is_bound:
            valid = self.goals_all.is_valid() and valid
            if self.goals_all.errors and self.general.is_valid() and self._chosen_key() != "all":
                self._note_hidden_errors("all")
        for prop, formset in self.goals_by_property.items():
            if not formset.is_bound:
                continue
            formset_valid = formset.is_valid()
            valid = formset_valid and valid
            self.goal_errors.extend(formset.non_form_errors())
            if not formset_valid and self.general.is_valid() and self._chosen_key() != prop:
                self._note_hidden_errors(prop)
        self.working_hours_errors.extend(self.periods.non_form_errors())
        self.holiday_errors.extend(self.holidays.non_form_errors())
        for form in self.periods.forms:
            if form.is_bound and form.non_field_errors() and form.day_key not in WEEKDAYS:
                self.other_errors.extend(form.non_field_errors())
        return valid

    def _note_hidden_errors(self, scope: str) -> None:
        """Errors in the rows of a scope that is not shown (kept goals of another scope)."""
        label = str(SCOPE_LABELS[scope])
        message = (
            f"the goals kept for “{label}” need fixing: choose “{label}” under Apply goals "
            "to see the marked rows."
        )
        if scope == "all":
            message = (
                "the goals kept for all tickets need fixing: choose “To all tickets” to see them."
            )
        if message not in self.goal_errors:
            self.goal_errors.append(message)

    def to_document(self) -> dict[str, Any]:
        """The settings document (SPEC section 7) from valid forms."""
        general = self.general.cleaned_data
        working_hours: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
        self._period_forms = {day: [] for day in WEEKDAYS}
        for form in self.periods.forms:
            if form.is_blank:
                continue
            day = form.cleaned_data["day"]
            working_hours[day].append([form.cleaned_data["start"], form.cleaned_data["end"]])
            self._period_forms[day].append(form)
        holidays = []
        self._holiday_forms = []
        for form in self.holidays.forms:
            if form.is_blank:
                continue
            data = form.cleaned_data
            holidays.append(
                {
                    "date": data["date"].isoformat(),
                    "name": (data.get("name") or "").strip(),
                    "recurring": bool(data.get("recurring")),
                }
            )
            self._holiday_forms.append(form)
        scope_all = general["scope"] == "all"
        chosen = self._chosen_key()
        rows_by_path: dict[str, list[dict[str, Any]]] = {}
        self._goal_forms = {}
        for scope, goal_forms in self._posted_goal_forms().items():
            path = "goals" if scope == chosen else f"goals_by_scope.{scope}"
            known = set(self.goals_by_property[scope].labels) if scope != "all" else {""}
            kept = [
                f
                for f in goal_forms
                if not (
                    f.is_empty_and_off(scope_all=scope == "all")
                    and (f.cleaned_data.get("value") or "") in known
                )
            ]
            self._goal_forms[path] = kept
            rows_by_path[path] = [f.goal_row(scope_all=scope == "all") for f in kept]
        document = {
            "version": general["version"],
            "applies": general["applies"],
            "timezone": general["timezone"],
            "working_hours": working_hours,
            "holidays": holidays,
            "pause_statuses": list(general.get("pause_statuses") or []),
            "goals_enabled": bool(general.get("goals_enabled")),
            "scope": general["scope"],
            "property": None if scope_all else general["property"],
            "goals": rows_by_path.get("goals", []),
        }
        by_scope = {
            path.split(".", 1)[1]: rows
            for path, rows in rows_by_path.items()
            if path.startswith("goals_by_scope.")
        }
        if by_scope:
            document["goals_by_scope"] = by_scope
        return document

    # -- errors from the service -----------------------------------------------------------------

    def apply_errors(self, errors: Mapping[str, Iterable[str]]) -> None:
        """Attach the service's errors (keyed by document path) to the fields they name."""
        for path, messages in errors.items():
            for message in messages:
                self._apply_error(str(path), str(message))

    def _apply_error(self, path: str, message: str) -> None:
        parts = path.split(".")
        head = parts[0]
        general_fields = ("applies", "timezone", "goals_enabled", "scope", "property", "apply_to")
        if head in general_fields and len(parts) == 1:
            self.general.add_error(head, message)
        elif head == "version":
            self.general.add_error(None, message)
        elif head == "pause_statuses":
            self.general.add_error("pause_statuses", message)
        elif head == "working_hours":
            self._apply_period_error(parts[1:], message)
        elif head == "holidays":
            self._apply_holiday_error(parts[1:], message)
        elif head == "goals":
            self._apply_goal_error("goals", parts[1:], message)
        elif head == "goals_by_scope" and len(parts) >= 2:
            self._apply_goal_error(f"goals_by_scope.{parts[1]}", parts[2:], message)
            if parts[1] in PROPERTIES or parts[1] == "all":
                self._note_hidden_errors(parts[1])
        else:
            self.other_errors.append(f"{path}: {message}" if path else message)

    def _apply_period_error(self, rest: list[str], message: str) -> None:
        if not rest:
            self.working_hours_errors.append(message)
            return
        day = rest[0]
        if day not in WEEKDAYS:
            self.working_hours_errors.append(message)
            return
        forms_of_day = self._period_forms.get(day, [])
        if len(rest) >= 2 and rest[1].isdigit() and int(rest[1]) < len(forms_of_day):
            forms_of_day[int(rest[1])].add_error(None, message)
            return
        self.working_hours_errors.append(f"{WEEKDAY_NAMES[WEEKDAYS.index(day)]}: {message}")

    def _apply_holiday_error(self, rest: list[str], message: str) -> None:
        if rest and rest[0].isdigit() and int(rest[0]) < len(self._holiday_forms):
            form = self._holiday_forms[int(rest[0])]
            name = rest[1] if len(rest) > 1 else ""
            form.add_error(name if name in ("date", "name", "recurring") else None, message)
            return
        self.holiday_errors.append(message)

    def _apply_goal_error(self, path: str, rest: list[str], message: str) -> None:
        goal_forms = self._goal_forms.get(path, [])
        if not (rest and rest[0].isdigit() and int(rest[0]) < len(goal_forms)):
            self.goal_errors.append(message)
            return
        form = goal_forms[int(rest[0])]
        name = rest[1] if len(rest) > 1 else ""
        if name in GOAL_FIELDS:
            form.add_error(f"{name}_number", message)
        elif name == "enabled":
            form.add_error("enabled", message)
        else:
            form.add_error(None, message)

    # -- for the template ------------------------------------------------------------------------

    @property
    def has_errors(self) -> bool:
        return bool(
            self.other_errors
            or self.conflict
            or self.working_hours_errors
            or self.holiday_errors
            or self.goal_errors
            or (self.general.is_bound and self.general.errors)
            or self.periods_have_errors
            or self.holidays_have_errors
            or self.goals_have_errors
        )

    @property
    def periods_have_errors(self) -> bool:
        return bool(
            self.working_hours_errors
            or (self.periods.is_bound and any(form.errors for form in self.periods.forms))
            or (self.periods.is_bound and self.periods.non_form_errors())
        )

    @property
    def holidays_have_errors(self) -> bool:
        return bool(
            self.holiday_errors
            or (self.holidays.is_bound and any(form.errors for form in self.holidays.forms))
            or (self.holidays.is_bound and self.holidays.non_form_errors())
        )

    @property
    def goals_have_errors(self) -> bool:
        if self.goal_errors:
            return True
        forms_ = [self.goals_all, *(f for fs in self.goals_by_property.values() for f in fs.forms)]
        return any(form.has_errors for form in forms_)

    def days(self) -> list[DayPeriods]:
        """The period rows grouped by weekday, Monday first, in the order they were typed."""
        by_day = {day: DayPeriods(key=day, name=WEEKDAY_NAMES[i]) for i, day in enumerate(WEEKDAYS)}
        for form in self.periods.forms:
            if form.day_key in by_day:
                by_day[form.day_key].forms.append(form)
        return list(by_day.values())

    def typed_working_hours(self) -> dict[str, list[list[str]]]:
        """The periods as typed (bound) or saved, leniently: rows missing a time are left out."""
        hours: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
        for form in self.periods.forms:
            start = clock_normalise(str(form["start"].value() or ""))
            end = clock_normalise(str(form["end"].value() or ""))
            if form.day_key in hours and start and end:
                hours[form.day_key].append([start, end])
        return hours

    def holiday_count(self) -> int:
        return sum(1 for form in self.holidays.forms if form["date"].value())

    def property_tables(self) -> list[dict[str, Any]]:
        labels = {prop: str(SCOPE_LABELS[prop]) for prop in PROPERTIES}
        return [
            {"key": prop, "label": labels[prop], "formset": self.goals_by_property[prop]}
            for prop in PROPERTIES
        ]
