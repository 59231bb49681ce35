"""The settings page's row forms and their formsets: the general settings, one working period,
one holiday, one goal row (three durations and their due-soon thresholds)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from settings_app.display import minutes_short
from settings_app.document import GOAL_FIELDS, GOAL_KINDS, WEEKDAY_NAMES, WEEKDAYS
from settings_app.forms.fields import (
    APPLY_TO_CHOICES,
    MAX_GOAL_ROWS,
    MAX_HOLIDAY_ROWS,
    MAX_PERIOD_ROWS,
    UNIT_CHOICES,
    UNIT_MINUTES,
    LooseMultipleChoiceField,
    ZoneSelect,
    clock_normalise,
    default_unit_of,
    minutes_split,
    timezone_choices,
)
from settings_app.labels import (
    EMPTY_PROPERTIES,
    GOAL_FIELD_TITLES,
    GOAL_KIND_LABELS,
    NO_VALUE_LABELS,
)
from settings_app.models import SlaSettings

FIELD_LABELS = {"enabled": str(GOAL_FIELD_TITLES["enabled"])} | {
    f"{name}_{suffix}": str(GOAL_FIELD_TITLES[name])
    for name in GOAL_FIELDS
    for suffix in ("number", "unit")
}


class SlaGeneralForm(forms.Form):
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This page is out of date: reload it and make your change again."),
            "invalid": _("This page is out of date: reload it and make your change again."),
        },
    )
    applies = forms.ChoiceField(
        label=_("When SLAs apply"),
        choices=[("always", "24/7"), ("working_hours", _("During working hours"))],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    # A select of every zone; the service judges the value so a crafted one gets its message.
    timezone = forms.CharField(label=_("Time zone"), max_length=200)
    pause_statuses = LooseMultipleChoiceField(
        label=_("While a ticket is in"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    goals_enabled = forms.BooleanField(
        label=_("Response time and close time goals"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
    )
    scope = forms.ChoiceField(
        label=_("Apply goals"),
        choices=SlaSettings.Scope.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    property = forms.ChoiceField(
        label=_("Ticket property"),
        required=False,
        choices=[("", _("Choose…")), *SlaSettings.Property.choices],
        error_messages={"invalid_choice": _("Choose one of priority, team, source, pipeline.")},
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto d-inline-block"}),
    )
    apply_to = forms.ChoiceField(
        label=_("Apply these changes"),
        required=False,
        choices=APPLY_TO_CHOICES,
        initial="new",
        error_messages={"invalid_choice": _("Choose new tickets only, or new and open tickets.")},
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, stage_choices: Iterable[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        pause_statuses = self.fields["pause_statuses"]
        assert isinstance(pause_statuses, forms.MultipleChoiceField)
        pause_statuses.choices = list(stage_choices)
        self.fields["timezone"].widget = ZoneSelect(
            choices=timezone_choices(), attrs={"class": "form-select"}
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        no_property = cleaned.get("scope") == "property" and not cleaned.get("property")
        if no_property and "property" not in self.errors:
            self.add_error("property", _("Choose the ticket property the goals depend on."))
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
                "aria-label": _("Start"),
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
                "aria-label": _("End"),
            }
        ),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start = clock_normalise(cleaned.get("start") or "")
        end = clock_normalise(cleaned.get("end") or "")
        cleaned["start"], cleaned["end"] = start, end
        if not start and not end:
            return cleaned
        if cleaned.get("day") not in WEEKDAYS:
            raise forms.ValidationError(_("Unknown day; use mon, tue, wed, thu, fri, sat, sun."))
        if not start:
            self.add_error("start", _("Enter a start time (HH:MM)."))
        if not end:
            self.add_error("end", _("Enter an end time (HH:MM; 24:00 for midnight)."))
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
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
        widget=forms.DateInput(
            format="%Y-%m-%d",
            attrs={
                "type": "date",
                "class": "form-control form-control-sm",
                "aria-label": _("Date"),
            },
        ),
    )
    name = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("Name (optional)"),
                "aria-label": _("Name"),
            }
        ),
    )
    recurring = forms.BooleanField(
        required=False,
        label=_("Every year"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        named = bool((cleaned.get("name") or "").strip())
        if cleaned.get("date") is None and named and "date" not in self.errors:
            self.add_error("date", _("Enter the holiday's date."))
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


@dataclass
class DayPeriods:
    """One weekday of a schedule's dialog: its period rows in the order they were typed."""

    key: str
    name: str
    forms: list[PeriodForm] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def period_days(periods: forms.BaseFormSet) -> list[DayPeriods]:
    """The period rows grouped by weekday, Monday first, in the order they were typed."""
    by_day = {
        day: DayPeriods(key=day, name=str(WEEKDAY_NAMES[i])) for i, day in enumerate(WEEKDAYS)
    }
    for form in periods.forms:
        if form.day_key in by_day:
            by_day[form.day_key].forms.append(form)
    return list(by_day.values())


def typed_working_hours(periods: forms.BaseFormSet) -> dict[str, list[list[str]]]:
    """The periods as typed (bound) or saved, leniently: rows missing a time are left out."""
    hours: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    for form in periods.forms:
        start = clock_normalise(str(form["start"].value() or ""))
        end = clock_normalise(str(form["end"].value() or ""))
        if form.day_key in hours and start and end:
            hours[form.day_key].append([start, end])
    return hours


def holiday_count(holidays: forms.BaseFormSet) -> int:
    """How many holiday rows have a date (typed or saved)."""
    return sum(1 for form in holidays.forms if form["date"].value())


@dataclass
class HoursRows:
    """A schedule's weekly periods and holidays as the settings document writes them, with the
    row form behind each entry (to put the service's errors back on the right row)."""

    working_hours: dict[str, list[list[str]]]
    period_forms: dict[str, list[PeriodForm]]
    holidays: list[dict[str, Any]]
    holiday_forms: list[HolidayForm]


def hours_rows(periods: forms.BaseFormSet, holidays: forms.BaseFormSet) -> HoursRows:
    """The valid period and holiday formsets of one schedule (the default one or a team's) as
    the document's `working_hours` and `holidays`; blank rows are left out."""
    rows = HoursRows({day: [] for day in WEEKDAYS}, {day: [] for day in WEEKDAYS}, [], [])
    for form in periods.forms:
        if form.is_blank:
            continue
        day = form.cleaned_data["day"]
        rows.working_hours[day].append([form.cleaned_data["start"], form.cleaned_data["end"]])
        rows.period_forms[day].append(form)
    for holiday_form in holidays.forms:
        if holiday_form.is_blank:
            continue
        data = holiday_form.cleaned_data
        rows.holidays.append(
            {
                "date": data["date"].isoformat(),
                "name": (data.get("name") or "").strip(),
                "recurring": bool(data.get("recurring")),
            }
        )
        rows.holiday_forms.append(holiday_form)
    return rows


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
        label=_("On"),
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
                    "invalid": _("Enter a whole number (for 1.5 hours, enter 90 minutes)."),
                },
                widget=forms.NumberInput(
                    attrs={
                        "class": "form-control duration-number",
                        "min": 1,
                        "step": 1,
                        "placeholder": "—",
                        # The time of the "Target" column ("Goal" names the row's goal).
                        "aria-label": _("Due soon before due")
                        if soon
                        else pgettext_lazy("goal time", "Goal"),
                    }
                ),
            )
            self.fields[f"{name}_unit"] = forms.ChoiceField(
                required=False,
                choices=UNIT_CHOICES,
                error_messages={"invalid_choice": _("Choose minutes, hours or days.")},
                widget=forms.Select(
                    attrs={"class": "form-select duration-unit", "aria-label": _("Unit")}
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
        super().clean()
        cleaned = self.cleaned_data
        for name in GOAL_FIELDS:
            number, unit = cleaned.get(f"{name}_number"), cleaned.get(f"{name}_unit")
            cleaned[name] = None
            if number is None or f"{name}_number" in self.errors:
                continue
            if unit not in UNIT_MINUTES:
                if f"{name}_unit" not in self.errors:
                    self.add_error(f"{name}_unit", _("Choose minutes, hours or days."))
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
        labels: dict[str, Any] = {
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
        messages = [str(error) for error in self.non_field_errors()]
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
        return (self.prefix or "").startswith("goals-") and not (self["value"].value() or "")

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
        label: str | None = ""
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
    return forms.formset_factory(  # type: ignore[return-value]  # formset= is its class
        GoalForm,
        formset=BaseGoalFormSet,
        extra=0,
        max_num=limit,
        absolute_max=limit,
        validate_max=True,
    )
