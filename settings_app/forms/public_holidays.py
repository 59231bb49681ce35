"""The "Add public holidays" and "Import .ics" form of the settings page's holiday dialogs (SPEC
§2.1): a country, optionally a subdivision, and a range of years (the ``holidays`` package), or a
calendar file. It only finds the days; the page adds them as ordinary editable rows.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from settings_app.holiday_sources import (
    FIRST_YEAR,
    LAST_YEAR,
    HolidaySourceError,
    country_choices,
    ics_holidays,
    public_holidays,
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
