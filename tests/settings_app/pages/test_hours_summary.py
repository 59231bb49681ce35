"""SPEC §2.1/§2.4 on the settings page: the summary of the working hours being edited and the
note on how long a day of counted time is.

POSTs are built the way a browser builds them: the page is fetched, its form's fields are read
from the HTML (checked boxes, selected options, no disabled fields, no row templates), and the
test changes only what a person would change (``tests.settings_app.pages.helpers``).
"""

from __future__ import annotations

import pytest

from settings_app.display import day_length_note, hours_summary
from tests.settings_app.pages.helpers import WEEKDAY_HOURS, text_of


def test_the_hours_summary_fragment_describes_the_hours_being_edited(admin_client_, db) -> None:
    query = {
        "applies": "working_hours",
        "period-TOTAL_FORMS": "3",
        "period-INITIAL_FORMS": "0",
        "period-0-day": "mon",
        "period-0-start": "8:00",
        "period-0-end": "16:00",
        "period-1-day": "tue",
        "period-1-start": "08:00",
        "period-1-end": "16:00",
        # period-2 was removed in the dialog: a gap
    }
    html = admin_client_.get("/settings/sla/hours-summary/", query).content.decode()
    assert text_of(html, "hours-summary") == "Mon, Tue 08:00–16:00 · Wed–Sun off"
    assert "with 08:00–16:00 hours, that is 3 working days" in text_of(html, "day-note")
    assert 'hx-swap-oob="true"' in html


@pytest.mark.parametrize(
    ("hours", "summary"),
    [
        (WEEKDAY_HOURS, "Mon 09:00–12:00, 13:00–17:00 · Tue–Fri 09:00–17:00 · Sat, Sun off"),
        ({}, "No working hours yet"),
        (
            {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            ("Mon–Sun 00:00–24:00"),
        ),
        ({"wed": [["10:00", "14:00"]]}, "Mon, Tue off · Wed 10:00–14:00 · Thu–Sun off"),
    ],
)
def test_hours_summary(hours: dict, summary: str) -> None:
    assert hours_summary(hours) == summary


@pytest.mark.parametrize(
    ("applies", "hours", "note"),
    [
        ("always", WEEKDAY_HOURS, "with 24/7, that is one calendar day"),
        ("working_hours", WEEKDAY_HOURS, "with 09:00–17:00 hours, that is 3 working days"),
        ("working_hours", {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}, "8-hour"),
        ("working_hours", {"mon": [["09:00", "16:00"]]}, "about 3.4 working days"),
        ("working_hours", {"mon": [["00:00", "24:00"]]}, "that is 1 working day"),
        ("working_hours", {}, "A day is 24 hours of counted time."),
    ],
)
def test_day_length_note(applies: str, hours: dict, note: str) -> None:
    assert note in day_length_note(applies, hours)
