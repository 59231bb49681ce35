"""SPEC §3 "Counted time" (with §2.1): working hours, weekends, holidays, daylight saving,
and tickets created outside working hours.

The clock is frozen at each step, so every moment is exact to the second. Unless a test says
otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15), next response 120 min
(due soon 30) and close 1440 min (due soon 240), and "Waiting on customer" pauses
(``tests.factories.ALWAYS_DOCUMENT``). Most tickets are opened on Tue 1 Dec 2026 at 08:00Z, so
first response is due 09:00Z (due soon 08:45Z) and close is due Wed 08:00Z (due soon 04:00Z).
"""

from __future__ import annotations

import pytest

from tests.tickets.scenarios.helpers import clock, running

pytestmark = pytest.mark.django_db


def test_working_hours_skip_the_weekend(office_hours, api, freeze) -> None:
    # Fri 4 Dec 16:00 Stockholm (CET, 15:00Z); first response 120 (due soon 30), close 960 (120).
    freeze("2026-12-04T15:00:00Z")
    ticket = api.create()
    # First response: 1 h on Friday (16–17), then Mon 7 Dec 09:00 + 1 h → 10:00 local = 09:00Z.
    # Due soon after 90 min: 1 h Fri + 30 min Mon → 09:30 local = 08:30Z.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-04T15:00:00Z",
        due_at="2026-12-07T09:00:00Z",
        due_soon_at="2026-12-07T08:30:00Z",
    )
    # Close 16 h: 1 h Fri + 8 h Mon + 7 h Tue → Tue 16:00 local = 15:00Z.
    # Due soon after 14 h: 1 + 8 + 5 → Tue 14:00 local = 13:00Z.
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-04T15:00:00Z",
        due_at="2026-12-08T15:00:00Z",
        due_soon_at="2026-12-08T13:00:00Z",
    )
    freeze("2026-12-06T23:00:00Z")  # Sunday night: nothing counted over the weekend
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "active"
    freeze("2026-12-07T08:30:00Z")
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "due_soon"
    freeze("2026-12-07T09:00:01Z")
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "overdue"


def test_working_hours_skip_recurring_holidays(office_hours, api, freeze) -> None:
    # Wed 23 Dec 16:30 Stockholm (15:30Z). Thu 24 and Fri 25 are holidays (entered for 2025,
    # recurring), then the weekend.
    freeze("2026-12-23T15:30:00Z")
    ticket = api.create()
    # First response 120: 30 min Wed, then Mon 28 09:00 + 90 min → 10:30 local = 09:30Z.
    # Due soon after 90: 30 Wed + 60 Mon → 10:00 local = 09:00Z.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-23T15:30:00Z",
        due_at="2026-12-28T09:30:00Z",
        due_soon_at="2026-12-28T09:00:00Z",
    )
    # Close 16 h: 0.5 Wed + 8 Mon + 7.5 Tue 29 → 16:30 local = 15:30Z.
    # Due soon after 14 h: 0.5 + 8 + 5.5 → Tue 14:30 local = 13:30Z.
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-23T15:30:00Z",
        due_at="2026-12-29T15:30:00Z",
        due_soon_at="2026-12-29T13:30:00Z",
    )
    freeze("2026-12-24T12:00:00Z")  # on the holiday itself
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "active"


def test_working_hours_follow_the_daylight_saving_change(office_hours, api, freeze) -> None:
    # Fri 27 Mar 16:00 Stockholm is 15:00Z (CET, +1); clocks go forward on Sun 29 Mar, so
    # Mon 30 Mar 09:00 Stockholm is 07:00Z (CEST, +2). First response 120: 1 h on Friday,
    # then 1 h from Mon 09:00 → 10:00 CEST = 08:00Z. Due soon after 90 min → 09:30 = 07:30Z.
    freeze("2026-03-27T15:00:00Z")
    ticket = api.create()
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-03-27T15:00:00Z",
        due_at="2026-03-30T08:00:00Z",
        due_soon_at="2026-03-30T07:30:00Z",
    )


@pytest.mark.parametrize(
    ("created_at", "due_at", "due_soon_at"),
    [
        # Sat 5 Dec: counting starts Mon 7 Dec 09:00 local; + 120 min → 11:00 local = 10:00Z;
        # due soon + 90 min → 10:30 local = 09:30Z.
        ("2026-12-05T12:00:00Z", "2026-12-07T10:00:00Z", "2026-12-07T09:30:00Z"),
        # Tue 1 Dec 19:00 local: counting starts Wed 09:00 local.
        ("2026-12-01T18:00:00Z", "2026-12-02T10:00:00Z", "2026-12-02T09:30:00Z"),
        # Tue 1 Dec 07:00 local, before opening: counting starts the same day at 09:00.
        ("2026-12-01T06:00:00Z", "2026-12-01T10:00:00Z", "2026-12-01T09:30:00Z"),
    ],
)
def test_a_ticket_created_outside_working_hours_starts_at_the_next_period(
    office_hours, api, freeze, created_at: str, due_at: str, due_soon_at: str
) -> None:
    freeze(created_at)
    ticket = api.create()
    # started_at is the moment the ticket came in; counting begins at the next period.
    assert clock(ticket, "first_response") == running(
        "active", started_at=created_at, due_at=due_at, due_soon_at=due_soon_at
    )


def test_a_reply_before_opening_time_is_on_time(office_hours, api, freeze) -> None:
    freeze("2026-12-05T12:00:00Z")  # Saturday
    ticket_id = api.create()["id"]
    freeze("2026-12-07T08:30:00Z")  # Mon 09:30 local: 30 min counted of 120
    ticket = api.reply(ticket_id)
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"
