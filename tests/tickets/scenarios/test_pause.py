"""SPEC §3 "Pause" (with §2.6): paused clocks keep their status, and the paused counted time
is excluded on leaving the pause stage.

The clock is frozen at each step, so every moment is exact to the second. Unless a test says
otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15), next response 120 min
(due soon 30) and close 1440 min (due soon 240), and "Waiting on customer" pauses
(``tests.factories.ALWAYS_DOCUMENT``). Most tickets are opened on Tue 1 Dec 2026 at 08:00Z, so
first response is due 09:00Z (due soon 08:45Z) and close is due Wed 08:00Z (due soon 04:00Z).
"""

from __future__ import annotations

import pytest

from tests.factories import PipelineFactory, sla_document
from tests.tickets.scenarios.helpers import clock, events_of, list_ids, running
from tickets.models import SlaEvent

pytestmark = pytest.mark.django_db


def test_pause_freezes_status_and_resume_moves_due_moments_later(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    ticket = api.update(ticket_id, status="waiting-on-customer")
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
        paused=True,
    )
    assert ticket["sla"]["close"]["paused"] is True

    freeze("2026-12-01T10:00:00Z")  # an hour past the old due moment: still frozen as active
    ticket = api.ticket(ticket_id)
    assert ticket["sla"]["first_response"]["status"] == "active"
    assert ticket["sla"]["first_response"]["paused"] is True
    assert list_ids(api, sla_status="overdue") == []
    assert list_ids(api, sla_status="active") == [ticket_id]

    freeze("2026-12-01T10:30:00Z")
    ticket = api.update(ticket_id, status="waiting-on-us")
    # Paused 08:30–10:30 = 2 h excluded: due 09:00 + 2 h = 11:00, due soon 10:45.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T11:00:00Z",
        due_soon_at="2026-12-01T10:45:00Z",
    )
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-02T10:00:00Z",
        due_soon_at="2026-12-02T06:00:00Z",
    )
    for kind in ("first_response", "close"):
        assert events_of(ticket_id, kind) == [(1, "applied"), (1, "paused"), (1, "resumed")]
    resumed = SlaEvent.objects.get(ticket_id=ticket_id, clock_kind="first_response", kind="resumed")
    assert resumed.detail == {
        "paused_since": "2026-12-01T08:30:00Z",
        "due_at_before": "2026-12-01T09:00:00Z",
        "due_at": "2026-12-01T11:00:00Z",
    }


def test_a_paused_clock_keeps_due_soon_status(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:50:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T12:00:00Z")
    first_response = api.ticket(ticket_id)["sla"]["first_response"]
    assert (first_response["status"], first_response["paused"]) == ("due_soon", True)
    assert list_ids(api, sla_status="due_soon") == [ticket_id]


def test_a_customer_message_takes_a_ticket_out_of_a_pause(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T09:30:00Z")
    ticket = api.customer(ticket_id)
    assert ticket["status"] == "new"  # the first open stage that does not pause
    # Paused 08:30–09:30: due 10:00, due soon 09:45.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T10:00:00Z",
        due_soon_at="2026-12-01T09:45:00Z",
    )


def test_an_agent_message_moves_no_ticket(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T08:40:00Z")
    ticket = api.message(ticket_id, author="agent", internal=True)
    assert ticket["status"] == "waiting-on-customer"
    assert ticket["sla"]["close"]["paused"] is True


def test_a_reply_during_a_pause_is_judged_on_counted_time(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.update(ticket_id, status="waiting-on-customer")  # 30 of 60 min used
    freeze("2026-12-01T10:00:00Z")
    ticket = api.reply(ticket_id)
    # Paused 08:30–10:00 is excluded: due 09:00 + 90 min = 10:30; the reply is on time.
    assert clock(ticket, "first_response") == {
        "status": "completed_on_time",
        "started_at": "2026-12-01T08:00:00Z",
        "due_at": "2026-12-01T10:30:00Z",
        "due_soon_at": "2026-12-01T10:15:00Z",
        "completed_at": "2026-12-01T10:00:00Z",
        "completed_by": "reply",
        "paused": False,
    }
    assert ticket["status"] == "waiting-on-customer"
    assert ticket["sla"]["close"]["paused"] is True


def test_pause_in_working_hours_excludes_only_working_time(office_hours, api, freeze) -> None:
    # Fri 4 Dec 14:00 local (13:00Z); first response 120 (due soon 30): due 16:00 local.
    freeze("2026-12-04T13:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-04T14:00:00Z")  # 15:00 local: 1 h used
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-07T09:00:00Z")  # Mon 10:00 local
    ticket = api.update(ticket_id, status="waiting-on-us")
    # Paused time counted: Fri 15–17 (2 h) + Mon 09–10 (1 h) = 3 h. Due = add(Fri 14:00, 5 h):
    # Fri 3 h, Mon 2 h → 11:00 local = 10:00Z. Due soon = add(Fri 14:00, 4.5 h) → 09:30Z.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-04T13:00:00Z",
        due_at="2026-12-07T10:00:00Z",
        due_soon_at="2026-12-07T09:30:00Z",
    )


def test_a_clock_that_starts_during_a_pause_starts_paused(sla_settings, api, freeze) -> None:
    PipelineFactory(
        slug="onboarding", stages=[("on-hold", False), ("active", False), ("done", True)]
    )
    sla_settings(sla_document(pause_statuses=["onboarding/on-hold"]))
    freeze("2026-12-01T08:00:00Z")
    ticket = api.create(pipeline="onboarding")
    assert ticket["status"] == "on-hold"
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
        paused=True,
    )
    freeze("2026-12-01T12:00:00Z")
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "active"
    ticket = api.update(ticket["id"], status="active")
    # Paused 08:00–12:00: due 13:00, due soon 12:45; close due Wed 12:00.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T13:00:00Z",
        due_soon_at="2026-12-01T12:45:00Z",
    )
    assert clock(ticket, "close")["due_at"] == "2026-12-02T12:00:00Z"
    assert events_of(ticket["id"], "first_response") == [
        (1, "applied"),
        (1, "paused"),
        (1, "resumed"),
    ]


def test_a_clock_gained_during_a_pause_starts_paused(by_priority, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:10:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T08:40:00Z")
    ticket = api.update(ticket_id, priority="high")  # gains clocks that start at 08:00
    assert ticket["sla"]["first_response"]["paused"] is True
    assert ticket["sla"]["close"]["paused"] is True
    freeze("2026-12-01T09:10:00Z")
    ticket = api.update(ticket_id, status="waiting-on-us")
    # Paused 08:10–09:10 (1 h) excluded from clocks started at 08:00: due 10:00, due soon 09:45.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T10:00:00Z",
        due_soon_at="2026-12-01T09:45:00Z",
    )
