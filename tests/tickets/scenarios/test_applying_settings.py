"""SPEC §2.5 "Applying a change" as open tickets see it: new tickets only, or new and open
tickets recomputed (clocks moved, started, removed, paused and resumed).

The clock is frozen at each step, so every moment is exact to the second. Unless a test says
otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15), next response 120 min
(due soon 30) and close 1440 min (due soon 240), and "Waiting on customer" pauses
(``tests.factories.ALWAYS_DOCUMENT``). Most tickets are opened on Tue 1 Dec 2026 at 08:00Z, so
first response is due 09:00Z (due soon 08:45Z) and close is due Wed 08:00Z (due soon 04:00Z).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import goal_row, sla_document
from tests.tickets.scenarios.helpers import clock, events, events_of, running
from tickets.models import SlaEvent
from tickets.recompute import sla_recompute_run

pytestmark = pytest.mark.django_db


FASTER = sla_document(
    goals=[goal_row(first_response=(30, 10), next_response=(120, 30), close=(720, 60))]
)


def test_a_change_for_new_tickets_only_leaves_open_tickets_alone(
    always, sla_settings, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    old_id = api.create()["id"]
    freeze("2026-12-01T08:10:00Z")
    result = sla_settings(FASTER, apply_to="new")
    assert result.recompute is None
    freeze("2026-12-01T08:20:00Z")
    old = api.ticket(old_id)
    assert old["sla"]["first_response"]["due_at"] == "2026-12-01T09:00:00Z"  # still 60 min
    assert old["sla"]["first_response"]["goal_minutes"] == 60
    new = api.create()
    assert new["sla"]["first_response"]["due_at"] == "2026-12-01T08:50:00Z"  # 30 min
    assert not SlaEvent.objects.filter(kind="recomputed").exists()
    # New cycles always use the current settings, also on old tickets.
    api.reply(old_id)
    freeze("2026-12-01T08:30:00Z")
    assert api.customer(old_id)["sla"]["next_response"]["due_at"] == "2026-12-01T10:30:00Z"


def test_a_change_for_new_and_open_tickets_recomputes_running_clocks(
    always, sla_settings, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    open_id = api.create()["id"]
    replied_id = api.create()["id"]
    closed_id = api.create()["id"]
    freeze("2026-12-01T08:05:00Z")
    api.reply(replied_id)
    api.update(closed_id, status="closed")

    freeze("2026-12-01T08:40:00Z")
    result = sla_settings(FASTER, apply_to="new_and_open")
    assert (result.recompute.tickets, result.recompute.done) == (2, 0)
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())

    recomputed = api.ticket(open_id)
    # First response now 30 (10) from 08:00: due 08:30 (due soon 08:20), overdue at 08:40.
    assert clock(recomputed, "first_response") == running(
        "overdue",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T08:30:00Z",
        due_soon_at="2026-12-01T08:20:00Z",
    )
    assert clock(recomputed, "close")["due_at"] == "2026-12-01T20:00:00Z"  # 08:00 + 720 min
    fr_events = SlaEvent.objects.filter(ticket_id=open_id, clock_kind="first_response")
    assert list(fr_events.order_by("id").values_list("kind", "should_notify")) == [
        ("applied", False),
        ("recomputed", False),
        ("due_soon", False),
        ("overdue", False),  # overdue on apply: recorded, but nobody is emailed
    ]

    replied = api.ticket(replied_id)
    # The completed first response is never rewritten by a settings change.
    assert replied["sla"]["first_response"]["due_at"] == "2026-12-01T09:00:00Z"
    assert replied["sla"]["first_response"]["goal_minutes"] == 60
    assert replied["sla"]["first_response"]["status"] == "completed_on_time"
    assert replied["sla"]["close"]["due_at"] == "2026-12-01T20:00:00Z"

    closed = api.ticket(closed_id)
    assert closed["sla"]["close"]["due_at"] == "2026-12-02T08:00:00Z"
    assert not SlaEvent.objects.filter(ticket_id=closed_id, kind="recomputed").exists()


def test_switching_goals_on_for_open_tickets_starts_their_clocks(sla_settings, api, freeze) -> None:
    sla_settings(sla_document(goals_enabled=False))
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    result = sla_settings(sla_document(), apply_to="new_and_open")
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())
    ticket = api.ticket(ticket_id)
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
    )
    assert events(ticket_id) == [("first_response", 1, "applied"), ("close", 1, "applied")]


def test_switching_goals_off_for_open_tickets_removes_their_clocks(
    always, sla_settings, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    result = sla_settings(sla_document(goals_enabled=False), apply_to="new_and_open")
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())
    ticket = api.ticket(ticket_id)
    assert ticket["sla"] == {"first_response": None, "next_response": None, "close": None}
    assert [kind for _, _, kind in events(ticket_id)] == [
        "applied",
        "applied",
        "removed",
        "removed",
    ]


def test_a_change_of_pause_stages_pauses_and_resumes_open_tickets(
    always, sla_settings, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    api.update(ticket_id, status="waiting-on-us")
    freeze("2026-12-01T08:20:00Z")
    pausing = sla_document(pause_statuses=["support/waiting-on-us"])
    result = sla_settings(pausing, apply_to="new_and_open")
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())
    assert api.ticket(ticket_id)["sla"]["first_response"]["paused"] is True

    freeze("2026-12-01T09:20:00Z")
    result = sla_settings(sla_document(pause_statuses=[]), apply_to="new_and_open")
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())
    ticket = api.ticket(ticket_id)
    # Paused 08:20–09:20: due 09:00 + 1 h = 10:00, due soon 09:45.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T10:00:00Z",
        due_soon_at="2026-12-01T09:45:00Z",
    )
    assert events_of(ticket_id, "first_response") == [
        (1, "applied"),
        (1, "paused"),
        (1, "resumed"),
    ]
