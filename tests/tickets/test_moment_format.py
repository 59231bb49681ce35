"""The cached moment formatter of ``tickets.display`` says exactly what
``slaproject.dates.format_date`` (Django's ``dateformat.format`` with the language's month case)
says, in every zone and language, ambiguous and skipped hours included."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone, translation

from slaproject.dates import format_date
from tickets import display

ZONES = ("Europe/Stockholm", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC")
FORMATS = (
    display.MOMENT_FORMAT,
    display.MOMENT_FORMAT_YEAR,
    display.MOMENT_FORMAT_SHORT,
    display.MOMENT_FORMAT_SHORT_YEAR,
    r"\D\a\y: D, \w\e\e\k l",  # escapes, and letters the fast path leaves to Django
)


def _moments() -> list[datetime.datetime]:
    start = datetime.datetime(2026, 1, 1, 0, 7, 13, tzinfo=datetime.UTC)
    every_37_hours = [start + datetime.timedelta(hours=37 * n) for n in range(260)]
    # Both daylight-saving changes of 2026 in Stockholm and New York, every 10 minutes.
    changes = [
        datetime.datetime(2026, 3, 29, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 10, 25, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 8, 6, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 1, 4, 0, tzinfo=datetime.UTC),
    ]
    around = [c + datetime.timedelta(minutes=10 * n) for c in changes for n in range(24)]
    return every_37_hours + around


@pytest.mark.parametrize("language", ["en", "sv", "de"])
@pytest.mark.parametrize("zone_name", ZONES)
def test_the_cached_formatter_says_what_dateformat_says(zone_name: str, language: str) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    with translation.override(language):
        for format_string in FORMATS:
            formatter = display.moment_formatter(format_string)
            for moment in _moments():
                local = moment.astimezone(zone)
                assert formatter(local) == format_date(local, format_string), (
                    format_string,
                    local,
                )


def test_local_moment_follows_the_active_zone_and_language() -> None:
    moment = datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC)
    now = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Europe/Stockholm")):
        assert display.local_moment(moment, now=now) == "Tue 3 Mar, 11:00 CET"
        with translation.override("sv"):
            # Swedish writes weekday and month abbreviations in lower case.
            assert display.local_moment(moment, now=now) == "tis 3 mar, 11:00 CET"
            assert display.local_moment(moment, now=now, short=True) == "3 mar, 11:00"
            may = datetime.datetime(2027, 5, 1, 10, 0, tzinfo=datetime.UTC)
            assert display.local_moment(may, now=now) == "lör 1 maj 2027, 12:00 CEST"
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert display.local_moment(moment, now=now) == "Tue 3 Mar, 05:00 EST"
        assert display.local_moment(moment, now=now, short=True) == "3 Mar, 05:00"
        next_year = now + datetime.timedelta(days=400)
        assert display.local_moment(next_year, now=now, short=True) == "4 Apr 2027, 20:00"


def test_dates_in_templates_and_python_follow_the_languages_case() -> None:
    """Django's "M" capitalises the month in every language; Swedish writes "5 dec"."""
    from django.template import engines

    day = datetime.date(2026, 12, 5)
    moment = datetime.datetime(2026, 10, 3, 9, 5, tzinfo=datetime.UTC)
    page = engines["django"].from_string(
        '{{ day|date:"D j M Y" }} · {{ moment|date:"j M, H:i" }} · {{ day|date:"Y-m-d" }} · '
        '{{ day|date:"\\M j M" }} · {{ day|date:"SHORT_DATE_FORMAT" }}'
    )
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        with translation.override("en"):
            assert format_date(day, "D j M Y") == "Sat 5 Dec 2026"
            rendered = page.render({"day": day, "moment": moment})
            assert rendered == "Sat 5 Dec 2026 · 3 Oct, 09:05 · 2026-12-05 · M 5 Dec · 12/05/2026"
        with translation.override("sv"):
            assert format_date(day, "D j M Y") == "lör 5 dec 2026"
            rendered = page.render({"day": day, "moment": moment})
            assert rendered == "lör 5 dec 2026 · 3 okt, 09:05 · 2026-12-05 · M 5 dec · 2026-12-05"
