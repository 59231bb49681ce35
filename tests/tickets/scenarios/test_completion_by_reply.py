"""SPEC §3 "First response": the first public agent reply completes it, on time or late;
internal notes, automatic and customer messages complete nothing.

The clock is frozen at each step, so every moment is exact to the second. Unless a test says
otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15), next response 120 min
(due soon 30) and close 1440 min (due soon 240), and "Waiting on customer" pauses
(``tests.factories.ALWAYS_DOCUMENT``). Most tickets are opened on Tue 1 Dec 2026 at 08:00Z, so
first response is due 09:00Z (due soon 08:45Z) and close is due Wed 08:00Z (due soon 04:00Z).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.tickets.conftest import utc
from tests.tickets.scenarios.helpers import clock, events, events_of, running
from tickets.models import Message, SlaEvent
from tickets.services import ticket_message_add

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("reply_at", "status"),
    [
        ("2026-12-01T08:50:00Z", "completed_on_time"),  # while due soon
        ("2026-12-01T09:00:00Z", "completed_on_time"),  # exactly at due_at
        ("2026-12-01T09:00:01Z", "completed_late"),
    ],
)
def test_first_public_reply_completes_first_response(
    always, api, freeze, reply_at: str, status: str
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze(reply_at)
    ticket = api.reply(ticket_id)
    assert clock(ticket, "first_response") == {
        "status": status,
        "started_at": "2026-12-01T08:00:00Z",
        "due_at": "2026-12-01T09:00:00Z",
        "due_soon_at": "2026-12-01T08:45:00Z",
        "completed_at": reply_at,
        "completed_by": "reply",
        "paused": False,
    }
    assert ticket["sla"]["close"]["completed_at"] is None  # a reply never completes close
    assert events_of(ticket_id, "first_response")[-1] == (1, status)
    freeze("2027-01-15T00:00:00Z")  # a completed clock's status does not move with time
    assert api.ticket(ticket_id)["sla"]["first_response"]["status"] == status


def test_a_late_completion_records_the_transitions_it_passed(always, api, freeze) -> None:
    # No sweep ran between 08:45 and 09:30; the timeline still shows due soon and overdue.
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T09:30:00Z")
    api.reply(ticket_id)
    recorded = SlaEvent.objects.filter(ticket_id=ticket_id, clock_kind="first_response")
    assert list(recorded.order_by("id").values_list("kind", "at", "should_notify")) == [
        ("applied", utc("2026-12-01T08:00:00Z"), False),
        ("due_soon", utc("2026-12-01T08:45:00Z"), False),
        ("overdue", utc("2026-12-01T09:00:00Z"), False),
        ("completed_late", utc("2026-12-01T09:30:00Z"), False),
    ]


def test_internal_notes_automatic_and_customer_messages_complete_nothing(
    always, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:10:00Z")
    api.message(ticket_id, author="agent", internal=True)
    freeze("2026-12-01T08:20:00Z")
    ticket_message_add(
        ticket_id=ticket_id,
        body="We got your request.",
        author_kind=Message.Author.SYSTEM,
        now=timezone.now(),
    )
    freeze("2026-12-01T08:30:00Z")
    ticket = api.customer(ticket_id)
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
    )
    assert ticket["sla"]["next_response"] is None  # next response only after a first response
    assert ticket["status"] == "new"
    assert [kind for _, _, kind in events(ticket_id)] == ["applied", "applied"]
    freeze("2026-12-01T09:00:01Z")
    assert api.ticket(ticket_id)["sla"]["first_response"]["status"] == "overdue"
