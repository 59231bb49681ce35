"""The settings page's forms as one unit (``SlaSettingsForms``): shown from a settings document,
bound to a POST, parsed into the document of SPEC section 7, with the service's errors routed
back onto their fields (``settings_app.forms.errors``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict

from settings_app.document import PROPERTIES, WEEKDAYS
from settings_app.forms.errors import ErrorRouting
from settings_app.forms.fields import usual_units
from settings_app.forms.rows import (
    BaseGoalFormSet,
    DayPeriods,
    GoalForm,
    HolidayForm,
    HolidayFormSet,
    PeriodForm,
    PeriodFormSet,
    SlaGeneralForm,
    goal_formset_class,
    holiday_count,
    hours_rows,
    period_days,
    property_rows,
    typed_working_hours,
)
from settings_app.forms.schedules import TeamSchedulesForms
from settings_app.labels import SCOPE_LABELS
from settings_app.selectors import PageReference, chosen_scope_key


class SlaSettingsForms(ErrorRouting):
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
        if data is not None and (self._posted_scope() == "all" or "goal-all-value" in data):
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

        # The teams' own schedules (SPEC section 2.1), each edited in its own dialog.
        self.team_schedules = TeamSchedulesForms(
            document=document,
            team_choices=reference.property_values.get("team", []),
            data=data,
        )

        self.goals_by_property: dict[str, BaseGoalFormSet] = {}
        for prop in PROPERTIES:
            values = property_rows(prop, reference.property_values.get(prop, []))
            labels = dict(values)
            prefix = f"goals-{prop}"
            formset_class = goal_formset_class(len(values))
            if data is not None and f"{prefix}-TOTAL_FORMS" in data:
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
        valid = self.team_schedules.is_valid() and valid
        if self.goals_all.is_bound:
            valid = self.goals_all.is_valid() and valid
            if self.goals_all.errors and self.general.is_valid() and self._chosen_key() != "all":
                self._note_hidden_errors("all")
        for prop, formset in self.goals_by_property.items():
            if not formset.is_bound:
                continue
            formset_valid = formset.is_valid()
            valid = formset_valid and valid
            self.goal_errors.extend(str(error) for error in formset.non_form_errors())
            if not formset_valid and self.general.is_valid() and self._chosen_key() != prop:
                self._note_hidden_errors(prop)
        self.working_hours_errors.extend(str(error) for error in self.periods.non_form_errors())
        self.holiday_errors.extend(str(error) for error in self.holidays.non_form_errors())
        for form in self.periods.forms:
            if form.is_bound and form.non_field_errors() and form.day_key not in WEEKDAYS:
                self.other_errors.extend(str(error) for error in form.non_field_errors())
        return valid

    def to_document(self) -> dict[str, Any]:
        """The settings document (SPEC section 7) from valid forms."""
        general = self.general.cleaned_data
        rows = hours_rows(self.periods, self.holidays)
        working_hours, holidays = rows.working_hours, rows.holidays
        self._period_forms, self._holiday_forms = rows.period_forms, rows.holiday_forms
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
        team_schedules = self.team_schedules.to_document()
        if team_schedules is not None:
            document["team_schedules"] = team_schedules
        return document

    def _apply_error(self, path: str, message: str) -> None:
        parts = path.split(".")
        if parts[0] == "team_schedules" and self.team_schedules.apply_error(parts[1:], message):
            return
        super()._apply_error(path, message)

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
            or self.team_schedules.has_errors
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
        return period_days(self.periods)

    def typed_working_hours(self) -> dict[str, list[list[str]]]:
        return typed_working_hours(self.periods)

    def holiday_count(self) -> int:
        return holiday_count(self.holidays)

    def property_tables(self) -> list[dict[str, Any]]:
        labels = {prop: str(SCOPE_LABELS[prop]) for prop in PROPERTIES}
        return [
            {"key": prop, "label": labels[prop], "formset": self.goals_by_property[prop]}
            for prop in PROPERTIES
        ]
