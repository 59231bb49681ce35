"""Holidays in one step (SPEC §2.1, issue 23): a country's public holidays from the ``holidays``
package (optionally one subdivision, a range of years) and the days of an ``.ics`` file's events,
as sorted ``(date, name)`` pairs; bad input is refused with a message."""

from __future__ import annotations

import datetime

import pytest

from settings_app.holiday_sources import (
    MAX_ICS_BYTES,
    HolidaySourceError,
    country_choices,
    ics_holidays,
    public_holidays,
)

D = datetime.date


def calendar(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\nUID:{i}\r\n{e}END:VEVENT\r\n" for i, e in enumerate(events))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n".encode()


def test_a_countrys_public_holidays_for_a_range_of_years() -> None:
    found = public_holidays("US", first_year=2026, last_year=2027)
    assert found == sorted(found) and len({day for day, _ in found}) == len(found)
    assert (D(2026, 11, 26), "Thanksgiving Day") in found
    assert (D(2027, 11, 25), "Thanksgiving Day") in found
    assert all(2026 <= day.year <= 2027 for day, _ in found)
    # A subdivision adds its own: New York keeps Lincoln's Birthday, the nation does not.
    new_york = dict(public_holidays("US", subdivision=" ny ", first_year=2026, last_year=2026))
    assert D(2026, 2, 12) in new_york and D(2026, 2, 12) not in dict(found)
    assert ("SE", "Sweden (SE)") in country_choices()


@pytest.mark.parametrize(
    ("country", "subdivision", "years", "message"),
    [
        ("XX", "", (2026, 2026), "not a country"),
        ("US", "ZZ", (2026, 2026), "not a subdivision of US"),
        ("US", "", (2027, 2026), "the first not after the last"),
        ("US", "", (1999, 2001), "Choose years from 2000"),
        ("US", "", (2026, 2036), "At most 10 years"),
    ],
)
def test_bad_countries_subdivisions_and_years_are_refused(
    country: str, subdivision: str, years: tuple[int, int], message: str
) -> None:
    with pytest.raises(HolidaySourceError, match=message):
        public_holidays(country, subdivision=subdivision, first_year=years[0], last_year=years[1])


def test_an_ics_files_events_give_their_days() -> None:
    found = ics_holidays(
        calendar(
            # All day, three days: DTEND is exclusive.
            "DTSTART;VALUE=DATE:20261228\r\nDTEND;VALUE=DATE:20261231\r\nSUMMARY:Closed\r\n",
            # A timed event gives its start's date; no DTEND gives one day.
            "DTSTART;TZID=America/New_York:20261126T090000\r\nSUMMARY:Thanksgiving\r\n",
            # A day listed twice keeps the first name.
            "DTSTART;VALUE=DATE:20261229\r\nSUMMARY:Other\r\n",
            # Recurrence rules are not expanded.
            "DTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:New  Year\r\n",
        )
    )
    assert found == [
        (D(2026, 1, 1), "New Year"),
        (D(2026, 11, 26), "Thanksgiving"),
        (D(2026, 12, 28), "Closed"),
        (D(2026, 12, 29), "Closed"),
        (D(2026, 12, 30), "Closed"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello", "Not an iCalendar"),
        (calendar(), "no events"),
        (b"x" * (MAX_ICS_BYTES + 1), "larger than 1 MB"),
        (
            calendar("DTSTART;VALUE=DATE:20200101\r\nDTEND;VALUE=DATE:20300101\r\nSUMMARY:x\r\n"),
            "more than 2000 days",
        ),
    ],
)
def test_bad_ics_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(HolidaySourceError, match=message):
        ics_holidays(data)
