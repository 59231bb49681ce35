"""Holidays brought into a schedule in one step (SPEC §2.1): a country's public holidays from the
maintained ``holidays`` package, and the all-day events of an ``.ics`` calendar file (icalendar).

Both give plain ``(date, name)`` pairs, sorted and without repeats, for the settings page to add
to a schedule's holiday rows, where they are ordinary editable rows; nothing is saved here. Bad
input raises ``HolidaySourceError`` with a message for a person.
"""

from __future__ import annotations

import datetime
import re
from functools import cache

import holidays
from django.utils.translation import gettext
from holidays.registry import COUNTRIES
from icalendar import Calendar

# At most this many years in one step (a help desk plans a few years ahead).
MAX_YEARS = 10
FIRST_YEAR, LAST_YEAR = 2000, 2100
# An .ics file larger than this, or with more events, is refused (a holiday calendar is small).
MAX_ICS_BYTES = 1_000_000
MAX_ICS_DAYS = 2000
MAX_NAME = 100


class HolidaySourceError(ValueError):
    """The country, subdivision, years or file was refused; the message says why."""


def _spaced(class_name: str) -> str:
    """ "UnitedStates" -> "United States"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)


@cache
def country_choices() -> list[tuple[str, str]]:
    """Every country the package knows, as (ISO code, "Name (CODE)") sorted by name."""
    supported = holidays.list_supported_countries(include_aliases=False)
    names = {entry[1]: _spaced(entry[0]) for entry in COUNTRIES.values()}
    return sorted(
        ((code, f"{names.get(code, code)} ({code})") for code in supported),
        key=lambda item: item[1],
    )


def subdivisions(country: str) -> list[str]:
    return list(holidays.list_supported_countries().get(country, []))


def public_holidays(
    country: str, *, subdivision: str = "", first_year: int, last_year: int
) -> list[tuple[datetime.date, str]]:
    """The public holidays of ``country`` (optionally one subdivision: a state, a region) in
    the years ``first_year`` … ``last_year``, as (date, name)."""
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise HolidaySourceError(
            gettext("%(country)s is not a country the holiday library knows.")
            % {"country": repr(country[:20])}
        )
    subdivision = subdivision.strip().upper()
    if subdivision and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or gettext("none")
        raise HolidaySourceError(
            gettext("%(subdivision)s is not a subdivision of %(country)s (choose from %(known)s).")
            % {"subdivision": repr(subdivision[:20]), "country": country, "known": known}
        )
    if not FIRST_YEAR <= first_year <= last_year <= LAST_YEAR:
        raise HolidaySourceError(
            gettext("Choose years from %(first)s to %(last)s, the first not after the last.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    if last_year - first_year + 1 > MAX_YEARS:
        raise HolidaySourceError(
            gettext("At most %(count)s years at a time.") % {"count": MAX_YEARS}
        )
    found = holidays.country_holidays(
        country, subdiv=subdivision or None, years=range(first_year, last_year + 1)
    )
    return sorted((day, str(name)[:MAX_NAME]) for day, name in found.items())


def ics_holidays(data: bytes) -> list[tuple[datetime.date, str]]:
    """The days of the events of an iCalendar file, as (date, name): an all-day event gives its
    dates (``DTEND`` exclusive), an event with a time gives its start's date. Recurrence rules
    are not expanded (a calendar of holidays lists each one)."""
    if len(data) > MAX_ICS_BYTES:
        raise HolidaySourceError(
            gettext("The file is larger than 1 MB; a holiday calendar is smaller.")
        )
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise HolidaySourceError(
            gettext("Not an iCalendar (.ics) file: %(reason)s") % {"reason": str(exc)[:100]}
        ) from None
    days: dict[datetime.date, str] = {}
    for event in calendar.walk("VEVENT"):
        start = event.get("DTSTART")
        if start is None:
            continue
        first = start.dt
        if isinstance(first, datetime.datetime):
            first = first.date()
        if not isinstance(first, datetime.date):
            continue
        end = event.get("DTEND")
        last = end.dt if end is not None else None
        if isinstance(last, datetime.datetime) or not isinstance(last, datetime.date):
            last = first + datetime.timedelta(days=1)
        name = " ".join(str(event.get("SUMMARY", "")).split())[:MAX_NAME]
        day = first
        while day < max(last, first + datetime.timedelta(days=1)):
            days.setdefault(day, name)
            if len(days) > MAX_ICS_DAYS:
                raise HolidaySourceError(
                    gettext("The file holds more than %(count)s days.") % {"count": MAX_ICS_DAYS}
                )
            day += datetime.timedelta(days=1)
    if not days:
        raise HolidaySourceError(gettext("The file holds no events."))
    return sorted(days.items())
