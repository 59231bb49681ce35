"""SPEC §3 "Changing the property": goals re-picked, running clocks recomputed from their start,
gained clocks at their usual start, running clocks removed when no goal applies.

The clock is frozen at each step, so every moment is exact to the second. Unless a test says
otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15), next response 120 min
(due soon 30) and close 1440 min (due soon 240), and "Waiting on customer" pauses
(``tests.factories.ALWAYS_DOCUMENT``). Most tickets are opened on Tue 1 Dec 2026 at 08:00Z, so
first response is due 09:00Z (due soon 08:45Z) and close is due Wed 08:00Z (due soon 04:00Z).
"""

from __future__ import annotations

import pytest

from tests.tickets.scenarios.helpers import clock, events, running
from tickets.models import SlaClock, SlaEvent

pytestmark = pytest.mark.django_db


def test_reprioritising_recomputes_running_clocks_from_their_start(
    by_priority, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create(priority="high")["id"]
    freeze("2026-12-01T08:20:00Z")
    ticket = api.update(ticket_id, priority="urgent")
    # From the original start 08:00: due 08:30, due soon 08:20 == now, so due soon already.
    assert clock(ticket, "first_response") == running(
        "due_soon",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T08:30:00Z",
        due_soon_at="2026-12-01T08:20:00Z",
    )
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T12:00:00Z",
        due_soon_at="2026-12-01T11:00:00Z",
    )
    assert events(ticket_id)[2:] == [
        ("first_response", 1, "recomputed"),
        ("first_response", 1, "due_soon"),
        ("close", 1, "recomputed"),
    ]
    recomputed = SlaEvent.objects.get(ticket_id=ticket_id, kind="recomputed", clock_kind="close")
    assert recomputed.detail["due_at_before"] == "2026-12-01T16:00:00Z"
    assert recomputed.detail["due_at"] == "2026-12-01T12:00:00Z"


def test_gained_clocks_start_at_ticket_creation(by_priority, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]  # no priority: no SLA
    freeze("2026-12-01T08:20:00Z")
    ticket = api.update(ticket_id, priority="high")
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
    )
    assert clock(ticket, "close")["started_at"] == "2026-12-01T08:00:00Z"
    assert ticket["sla"]["next_response"] is None
    assert events(ticket_id) == [("first_response", 1, "applied"), ("close", 1, "applied")]


def test_a_gained_clock_that_is_already_overdue_says_so(by_priority, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T09:00:00Z")
    ticket = api.update(ticket_id, priority="urgent")  # due 08:30, due soon 08:20: both passed
    assert ticket["sla"]["first_response"]["status"] == "overdue"
    recorded = SlaEvent.objects.filter(ticket_id=ticket_id, clock_kind="first_response")
    assert list(recorded.order_by("id").values_list("kind", "should_notify")) == [
        ("applied", False),
        ("due_soon", False),
        ("overdue", True),  # one notification: the last transition
    ]


def test_a_gained_next_response_starts_at_the_oldest_unanswered_customer_message(
    by_priority, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create(priority="high")["id"]  # high has no next-response goal
    freeze("2026-12-01T08:10:00Z")
    api.reply(ticket_id)
    freeze("2026-12-01T09:00:00Z")
    api.customer(ticket_id)
    freeze("2026-12-01T09:10:00Z")
    api.customer(ticket_id)
    freeze("2026-12-01T09:30:00Z")
    ticket = api.update(ticket_id, priority="urgent")
    # Urgent next response 60 (15) from the 09:00 message: due 10:00, due soon 09:45.
    assert clock(ticket, "next_response") == running(
        "active",
        started_at="2026-12-01T09:00:00Z",
        due_at="2026-12-01T10:00:00Z",
        due_soon_at="2026-12-01T09:45:00Z",
    )
    # The completed first response is never rewritten (it stays on the 60-min goal).
    assert clock(ticket, "first_response") == {
        "status": "completed_on_time",
        "started_at": "2026-12-01T08:00:00Z",
        "due_at": "2026-12-01T09:00:00Z",
        "due_soon_at": "2026-12-01T08:45:00Z",
        "completed_at": "2026-12-01T08:10:00Z",
        "completed_by": "reply",
        "paused": False,
    }


@pytest.mark.parametrize("priority", ["low", None])
def test_switching_to_an_off_or_empty_value_removes_running_clocks(
    by_priority, api, freeze, priority: str | None
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create(priority="high")["id"]
    freeze("2026-12-01T08:10:00Z")
    api.reply(ticket_id)  # first response completed on time
    freeze("2026-12-01T08:20:00Z")
    ticket = api.update(ticket_id, priority=priority)
    assert ticket["sla"]["close"] is None
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"  # kept
    assert list(SlaClock.objects.values_list("kind", flat=True)) == ["first_response"]
    removed = SlaEvent.objects.get(ticket_id=ticket_id, kind="removed")
    assert (removed.clock_kind, removed.clock_id) == ("close", None)
    assert removed.detail["due_at"] == "2026-12-01T16:00:00Z"
