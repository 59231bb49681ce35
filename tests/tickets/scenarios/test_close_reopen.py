"""SPEC §3 "Closing" and "Reopening": a close completes every running clock; a reopen
resumes the close clock with the time spent closed excluded.

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
from tickets.models import SlaClock, SlaEvent

pytestmark = pytest.mark.django_db


def test_close_completes_every_running_clock(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.reply(ticket_id)
    freeze("2026-12-01T08:40:00Z")
    api.customer(ticket_id)  # next response: due 10:40
    freeze("2026-12-02T09:00:00Z")  # an hour after close was due
    ticket = api.update(ticket_id, status="closed")
    assert ticket["status"] == "closed"
    assert ticket["closed_at"] == "2026-12-02T09:00:00Z"
    assert ticket["sla"]["first_response"]["completed_by"] == "reply"  # completed before
    assert clock(ticket, "next_response") == {
        "status": "completed_late",
        "started_at": "2026-12-01T08:40:00Z",
        "due_at": "2026-12-01T10:40:00Z",
        "due_soon_at": "2026-12-01T10:10:00Z",
        "completed_at": "2026-12-02T09:00:00Z",
        "completed_by": "close",
        "paused": False,
    }
    assert clock(ticket, "close") == {
        "status": "completed_late",
        "started_at": "2026-12-01T08:00:00Z",
        "due_at": "2026-12-02T08:00:00Z",
        "due_soon_at": "2026-12-02T04:00:00Z",
        "completed_at": "2026-12-02T09:00:00Z",
        "completed_by": "close",
        "paused": False,
    }
    assert list_ids(api, sla_status="completed") == [ticket_id]


def test_close_on_time(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:45:00Z")
    ticket = api.update(ticket_id, status="closed")
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"
    assert ticket["sla"]["first_response"]["completed_by"] == "close"
    assert ticket["sla"]["close"]["status"] == "completed_on_time"
    assert events_of(ticket_id, "first_response") == [
        (1, "applied"),
        (1, "due_soon"),  # 08:45 == the due-soon moment: it was due soon when closed
        (1, "completed_on_time"),
    ]
    assert events_of(ticket_id, "close") == [(1, "applied"), (1, "completed_on_time")]


def test_closing_a_paused_ticket_counts_the_pause_out(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T10:00:00Z")
    ticket = api.update(ticket_id, status="closed")
    # Paused 08:30–10:00 (90 min): first response due 10:30, so closing at 10:00 is on time.
    assert ticket["sla"]["first_response"]["due_at"] == "2026-12-01T10:30:00Z"
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"
    assert ticket["sla"]["first_response"]["paused"] is False


def test_close_and_reopen_by_customer_message(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T09:30:00Z")
    ticket = api.update(ticket_id, status="closed")
    assert ticket["closed_at"] == "2026-12-01T09:30:00Z"
    assert ticket["sla"]["first_response"]["status"] == "completed_late"  # due 09:00
    assert ticket["sla"]["close"]["status"] == "completed_on_time"

    freeze("2026-12-01T10:30:00Z")
    ticket = api.customer(ticket_id)
    assert ticket["status"] == "new"
    assert ticket["closed_at"] is None
    # The close clock resumes with the hour spent closed (09:30–10:30) excluded.
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-02T09:00:00Z",
        due_soon_at="2026-12-02T05:00:00Z",
    )
    assert ticket["sla"]["first_response"]["status"] == "completed_late"  # not un-completed
    # A new next-response cycle starts at the customer's message.
    assert clock(ticket, "next_response") == running(
        "active",
        started_at="2026-12-01T10:30:00Z",
        due_at="2026-12-01T12:30:00Z",
        due_soon_at="2026-12-01T12:00:00Z",
    )
    reopened = SlaEvent.objects.get(ticket_id=ticket_id, kind="reopened")
    assert reopened.clock_kind == "close"
    assert reopened.detail["completed_at_before"] == "2026-12-01T09:30:00Z"
    # The completion stays in the timeline.
    assert events_of(ticket_id, "close") == [
        (1, "applied"),
        (1, "completed_on_time"),
        (1, "reopened"),
    ]

    freeze("2026-12-01T11:00:00Z")
    ticket = api.update(ticket_id, status="closed")
    assert ticket["sla"]["next_response"]["completed_by"] == "close"
    freeze("2026-12-01T12:00:00Z")
    ticket = api.update(ticket_id, status="waiting-on-us")  # reopened by an agent
    assert ticket["status"] == "waiting-on-us"
    # Closed 09:30–10:30 and 11:00–12:00: two hours excluded, due Wed 10:00.
    assert clock(ticket, "close")["due_at"] == "2026-12-02T10:00:00Z"
    assert clock(ticket, "close")["status"] == "active"
    # An agent reopening starts no next-response cycle.
    assert ticket["sla"]["next_response"]["status"] == "completed_on_time"
    assert SlaClock.objects.filter(kind="next_response").count() == 1


def test_a_customer_message_reopens_into_the_first_open_stage_that_does_not_pause(
    sla_settings, api, freeze
) -> None:
    sla_settings(sla_document(pause_statuses=["support/new", "support/waiting-on-customer"]))
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    assert api.ticket(ticket_id)["sla"]["close"]["paused"] is True  # "new" pauses here
    freeze("2026-12-01T09:00:00Z")
    api.update(ticket_id, status="closed")
    freeze("2026-12-01T10:00:00Z")
    ticket = api.customer(ticket_id)
    assert ticket["status"] == "waiting-on-us"
    assert ticket["sla"]["close"]["paused"] is False
    # Paused 08:00–09:00, closed 09:00–10:00: due Wed 08:00 + 2 h.
    assert ticket["sla"]["close"]["due_at"] == "2026-12-02T10:00:00Z"


def test_status_closed_names_the_first_closed_stage(always, api, freeze) -> None:
    PipelineFactory(slug="sales", stages=[("lead", False), ("won", True), ("lost", True)])
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create(pipeline="sales")["id"]
    freeze("2026-12-01T08:30:00Z")
    ticket = api.update(ticket_id, status="closed")
    assert ticket["status"] == "won"
    assert ticket["closed_at"] == "2026-12-01T08:30:00Z"
    assert ticket["sla"]["close"]["completed_by"] == "close"
