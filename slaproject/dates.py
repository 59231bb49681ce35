"""Dates as each language writes them (SPEC §9, issue 22).

Django's "M" is a month's abbreviation with a capital letter in every language ("Dec"). English
writes it so; Swedish writes month (and weekday) abbreviations in lower case: "lör 5 dec 2026",
never "lör 5 Dec 2026". ``localize_format`` turns one of our formats into the active language's
(in Swedish "M" becomes Django's "b", the lower-case abbreviation: "dec", "maj", "okt");
``format_date`` formats with it.

Django templates get the same through their ``date`` filter: ``slaproject.template_dates`` is
one of the template engine's builtins (``TEMPLATES`` in settings) and replaces Django's filter by
one that localizes the format first, so every ``{{ moment|date:"D j M Y" }}`` of the pages and
emails reads "lör 5 dec 2026" in Swedish and "Sat 5 Dec 2026" in English. Named formats
("DATE_FORMAT", "SHORT_DATE_FORMAT") and machine formats ("c", "Y-m-d") are the locale's own
or untouched.

Weekday and month names themselves are Django's translations (``django.utils.dates``); numbers of
the day, hours and minutes are the same in both languages ("14:05").
"""

from __future__ import annotations

import datetime
import re

from django.utils import dateformat, translation

# Languages that write abbreviated month names in lower case.
LOWER_CASE_MONTHS = frozenset({"sv"})

_MONTH_LETTER = re.compile(r"(\\.)|M")


def lower_case_months(language: str | None = None) -> bool:
    """Whether ``language`` (default: the active one) writes "dec" rather than "Dec"."""
    code = language or translation.get_language() or ""
    return code.split("-")[0].lower() in LOWER_CASE_MONTHS


def localize_format(format_string: str, language: str | None = None) -> str:
    """``format_string`` as ``language`` (default: the active one) writes it: "D j M Y" in
    English, "D j b Y" in Swedish (escaped letters, ``\\M``, are left alone)."""
    if not lower_case_months(language):
        return format_string
    return _MONTH_LETTER.sub(lambda match: match.group(1) or "b", format_string)


def format_date(value: datetime.date | datetime.datetime, format_string: str) -> str:
    """``dateformat.format`` in the active language's way: "5 Dec" / "5 dec"."""
    return dateformat.format(value, localize_format(format_string))
