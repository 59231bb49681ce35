"""Forms of the SLA settings page: they turn what a person typed into the settings document.

The forms only *parse* (text to numbers, a number and a unit to minutes, "9:00" to "09:00"); every
rule of the settings (ranges, overlaps, known zones and values) is checked once, by
``sla_settings_save``. By job: ``fields`` (widgets and small parsers), ``rows`` (the row forms and
formsets), ``page`` (``SlaSettingsForms``: the page's forms as one unit, building the document of
SPEC section 7) and ``errors`` (the service's error paths back onto the fields they name).
"""

from settings_app.forms.fields import ZoneSelect, clock_normalise, timezone_choices
from settings_app.forms.page import DayPeriods, SlaSettingsForms
from settings_app.forms.rows import GoalForm, HolidayFormSet, PeriodFormSet

__all__ = [
    "DayPeriods",
    "GoalForm",
    "HolidayFormSet",
    "PeriodFormSet",
    "SlaSettingsForms",
    "ZoneSelect",
    "clock_normalise",
    "timezone_choices",
]
