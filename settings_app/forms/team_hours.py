"""The form of one team's own working hours (SPEC §2.1 "Team schedules"): its time zone, weekly
periods and holidays, edited with the same rows as the default schedule's, plus "Add public
holidays" (a country and years, from the ``holidays`` package) and "Import .ics".

The forms only parse; ``TeamHoursForms.document_with`` puts the team's schedule into the saved
settings document, and ``sla_settings_save`` judges it as it judges every save. Its errors come
back as ``team_schedules.N.…`` paths and are put next to the rows they name.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from settings_app.document import WEEKDAYS
from settings_app.forms.fields import (
    APPLY_TO_CHOICES,
    ZoneSelect,
    timezone_choices,
)
from settings_app.forms.rows import (
    DayPeriods,
    HolidayForm,
    HolidayFormSet,
    PeriodForm,
    PeriodFormSet,
    hours_rows,
    period_days,
    typed_working_hours,
)
from settings_app.holiday_sources import (
    FIRST_YEAR,
    LAST_YEAR,
    HolidaySourceError,
    country_choices,
    ics_holidays,
    public_holidays,
)


class TeamHoursForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    timezone = forms.CharField(label=_("Time zone"), max_length=200)
    apply_to = forms.ChoiceField(
        label=_("Apply this change"),
        choices=APPLY_TO_CHOICES,
        initial="new",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget = ZoneSelect(
            choices=timezone_choices(), attrs={"class": "form-select"}
        )


class PublicHolidaysForm(forms.Form):
    """ "Add public holidays": a country, optionally a subdivision, and a range of years."""

    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    subdivision = forms.CharField(
        label=_("Subdivision"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("e.g. NY (optional)")}
        ),
    )
    first_year = forms.IntegerField(
        label=_("From"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )
    last_year = forms.IntegerField(
        label=_("To"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )
    ics_file = forms.FileField(
        label=_("Calendar file (.ics)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control form-control-sm", "accept": ".ics,text/calendar"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [("", _("Choose a country…")), *country_choices()]

    def found(self, *, from_file: bool) -> list[tuple[datetime.date, str]]:
        """The holidays asked for: the file's days (``from_file``), else the country's public
        holidays in the years chosen. Raises ``HolidaySourceError`` saying what is wrong."""
        if not self.is_valid():
            raise HolidaySourceError(gettext("Check the country and the years."))
        data = self.cleaned_data
        if from_file:
            upload = data.get("ics_file")
            if upload is None:
                raise HolidaySourceError(gettext("Choose a calendar file (.ics) first."))
            return ics_holidays(upload.read())
        if not data.get("country"):
            raise HolidaySourceError(gettext("Choose a country first."))
        first = data.get("first_year") or this_year()
        last = data.get("last_year") or first
        return public_holidays(
            data["country"],
            subdivision=data.get("subdivision") or "",
            first_year=first,
            last_year=last,
        )


def this_year() -> int:
    return datetime.datetime.now(datetime.UTC).year


def _holiday_initial(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"date": row["date"], "name": row.get("name", ""), "recurring": row.get("recurring")}
        for row in rows
    ]


class TeamHoursForms:
    """The team's zone, periods and holidays; unbound from its schedule (or, for a team that
    uses the default one, from the default schedule as a start), bound to a POST."""

    def __init__(
        self,
        *,
        schedule: Mapping[str, Any],
        version: int,
        data: QueryDict | None = None,
        files: MultiValueDict | None = None,
    ) -> None:
        self.errors: list[str] = []
        self.source_message = ""
        self.data = data
        bound = data is not None
        self.general = TeamHoursForm(
            data if bound else None,
            initial=None
            if bound
            else {"timezone": schedule["timezone"], "version": version, "apply_to": "new"},
        )
        self.sources = PublicHolidaysForm(
            data if bound else None,
            files if bound else None,
            initial={
                "first_year": this_year(),
                "last_year": this_year() + 2,
            },
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
                    for start, end in schedule.get("working_hours", {}).get(day, [])
                ],
            )
            self.holidays = HolidayFormSet(
                prefix="holiday", initial=_holiday_initial(schedule.get("holidays", []))
            )
        self._period_forms: dict[str, list[PeriodForm]] = {}
        self._holiday_forms: list[HolidayForm] = []

    # -- holidays from a country or a file (added as rows, not saved) ----------------------------

    def _typed_holidays(self) -> list[dict[str, Any]]:
        """The holiday rows as typed, leniently (a row without a valid date is kept as typed)."""
        rows = []
        for form in self.holidays.forms:
            date = str(form["date"].value() or "").strip()
            name = str(form["name"].value() or "").strip()
            if date or name:
                rows.append(
                    {"date": date, "name": name, "recurring": bool(form["recurring"].value())}
                )
        return rows

    def add_holidays(self, *, from_file: bool) -> int:
        """Add the public holidays asked for (or the file's days) to the holiday rows; dates
        already listed are kept as they are. Returns how many rows were added."""
        try:
            found = self.sources.found(from_file=from_file)
        except HolidaySourceError as exc:
            self.errors.append(str(exc))
            return 0
        rows = self._typed_holidays()
        listed = {row["date"] for row in rows}
        added = [
            {"date": day.isoformat(), "name": name, "recurring": False}
            for day, name in found
            if day.isoformat() not in listed
        ]
        rows = sorted(rows + added, key=lambda row: str(row["date"]))
        self.holidays = HolidayFormSet(prefix="holiday", initial=_holiday_initial(rows))
        self.source_message = gettext(
            "%(added)s holidays added (%(listed)s were listed already). Check them, then save."
        ) % {"added": len(added), "listed": len(found) - len(added)}
        return len(added)

    # -- parsing ---------------------------------------------------------------------------------

    def is_valid(self) -> bool:
        valid = self.general.is_valid()
        valid = self.periods.is_valid() and valid
        valid = self.holidays.is_valid() and valid
        self.errors.extend(str(e) for e in self.periods.non_form_errors())
        self.errors.extend(str(e) for e in self.holidays.non_form_errors())
        return valid

    @property
    def apply_to(self) -> str:
        return str(self.general.cleaned_data.get("apply_to") or "new")

    def schedule(self, teams: list[str]) -> dict[str, Any]:
        """The team schedule of the settings document, from valid forms."""
        rows = hours_rows(self.periods, self.holidays)
        working_hours, holidays = rows.working_hours, rows.holidays
        self._period_forms, self._holiday_forms = rows.period_forms, rows.holiday_forms
        return {
            "teams": teams,
            "timezone": self.general.cleaned_data["timezone"],
            "working_hours": working_hours,
            "holidays": holidays,
        }

    def apply_errors(self, errors: Mapping[str, list[str]], *, prefix: str) -> None:
        """Put the service's errors of the schedule at ``prefix`` ("team_schedules.2." for a
        team's, "" for the default one) next to their rows; the rest (another schedule's, a goal
        out of reach) above the form."""
        own = ("timezone", "working_hours", "holidays")
        for path, messages in errors.items():
            for message in messages:
                if not path.startswith(prefix) or not path[len(prefix) :].startswith(own):
                    self.errors.append(message)
                    continue
                self._apply_error(path[len(prefix) :].split("."), message)

    def _apply_error(self, parts: list[str], message: str) -> None:
        if parts == ["timezone"]:
            self.general.add_error("timezone", message)
            return
        if parts[0] == "working_hours" and len(parts) == 3 and parts[1] in WEEKDAYS:
            forms_ = self._period_forms.get(parts[1], [])
            if parts[2].isdigit() and int(parts[2]) < len(forms_):
                forms_[int(parts[2])].add_error(None, message)
                return
        if parts[0] == "holidays" and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(self._holiday_forms):
                field = parts[2] if len(parts) > 2 and parts[2] in ("date", "name") else None
                self._holiday_forms[index].add_error(field, message)
                return
        label = {"working_hours": gettext("Working hours"), "holidays": gettext("Holidays")}.get(
            parts[0], ""
        )
        self.errors.append(f"{label}: {message}" if label else message)

    # -- for the template ------------------------------------------------------------------------

    def days(self) -> list[DayPeriods]:
        return period_days(self.periods)

    def typed_working_hours(self) -> dict[str, list[list[str]]]:
        return typed_working_hours(self.periods)

    @property
    def has_errors(self) -> bool:
        return bool(
            self.errors
            or (self.general.is_bound and self.general.errors)
            or (self.periods.is_bound and any(f.errors for f in self.periods.forms))
            or (self.holidays.is_bound and any(f.errors for f in self.holidays.forms))
        )
