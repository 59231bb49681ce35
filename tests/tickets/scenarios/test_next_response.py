"""SPEC §3 "Next response": cycles start at the oldest customer message after the latest
public reply, complete at the next public reply, and are all kept.

The clock is frozen at each step, so every moment is exact to the second. Unless a test says
otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15), next response 120 min
(due soon 30) and close 1440 min (due soon 240), and "Waiting on customer" pauses
(``tests.factories.ALWAYS_DOCUMENT``). Most tickets are opened on Tue 1 Dec 2026 at 08:00Z, so
first response is due 09:00Z (due soon 08:45Z) and close is due Wed 08:00Z (due soon 04:00Z).
"""

from __future__ import annotations

import pytest

from tests.factories import goal_row, sla_document
from tests.tickets.scenarios.helpers import clock, events_of, running
from tickets.models import SlaClock

pytestmark = pytest.mark.django_db


def test_next_response_cycles(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:05:00Z")
    api.customer(ticket_id)  # before the first response: answered by it, no cycle
    freeze("2026-12-01T08:10:00Z")
    ticket = api.reply(ticket_id)
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"
    assert ticket["sla"]["next_response"] is None

    freeze("2026-12-01T09:00:00Z")
    ticket = api.customer(ticket_id)
    cycle_1 = running(
        "active",
        started_at="2026-12-01T09:00:00Z",
        due_at="2026-12-01T11:00:00Z",  # 09:00 + 120 min
        due_soon_at="2026-12-01T10:30:00Z",  # 09:00 + 90 min
    )
    assert clock(ticket, "next_response") == cycle_1
    freeze("2026-12-01T09:30:00Z")
    ticket = api.customer(ticket_id)  # a later customer message does not restart the cycle
    assert clock(ticket, "next_response") == cycle_1
    freeze("2026-12-01T09:40:00Z")
    ticket = api.message(ticket_id, author="agent", internal=True)
    assert clock(ticket, "next_response") == cycle_1

    freeze("2026-12-01T10:00:00Z")
    ticket = api.reply(ticket_id)
    assert clock(ticket, "next_response") == {
        **cycle_1,
        "status": "completed_on_time",
        "completed_at": "2026-12-01T10:00:00Z",
        "completed_by": "reply",
    }

    freeze("2026-12-01T12:00:00Z")
    ticket = api.customer(ticket_id)
    assert clock(ticket, "next_response") == running(  # the ticket shows the latest cycle
        "active",
        started_at="2026-12-01T12:00:00Z",
        due_at="2026-12-01T14:00:00Z",
        due_soon_at="2026-12-01T13:30:00Z",
    )
    assert ticket["sla"]["next_response"]["cycle"] == 2
    freeze("2026-12-01T14:30:00Z")
    ticket = api.reply(ticket_id)
    assert ticket["sla"]["next_response"]["status"] == "completed_late"
    assert ticket["sla"]["first_response"]["completed_at"] == "2026-12-01T08:10:00Z"

    # Every cycle is kept as a row, for reports.
    rows = SlaClock.objects.filter(ticket_id=ticket_id, kind="next_response").order_by("cycle")
    assert [
        (c.cycle, c.started_at.isoformat(), c.due_at.isoformat(), c.completed_at.isoformat())
        for c in rows
    ] == [
        (1, "2026-12-01T09:00:00+00:00", "2026-12-01T11:00:00+00:00", "2026-12-01T10:00:00+00:00"),
        (2, "2026-12-01T12:00:00+00:00", "2026-12-01T14:00:00+00:00", "2026-12-01T14:30:00+00:00"),
    ]
    assert events_of(ticket_id, "next_response") == [
        (1, "applied"),
        (1, "completed_on_time"),
        (2, "applied"),
        (2, "due_soon"),  # passed at 13:30 and 14:00 with no sweep: recorded on completion
        (2, "overdue"),
        (2, "completed_late"),
    ]


def test_next_response_without_a_goal_never_starts(sla_settings, api, freeze) -> None:
    sla_settings(
        sla_document(goals=[goal_row(first_response=(60, 15), close=(1440, None))]),
    )
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:10:00Z")
    api.reply(ticket_id)
    freeze("2026-12-01T09:00:00Z")
    ticket = api.customer(ticket_id)
    assert ticket["sla"]["next_response"] is None
    assert clock(ticket, "close")["due_soon_at"] is None  # no threshold: never due soon
    assert not SlaClock.objects.filter(kind="next_response").exists()
