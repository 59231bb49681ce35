"""Which changes emit which webhook events, and how often: sweep transitions once (also with two
sweeps at once, on PostgreSQL), a late reply once, messages; settings recomputes none.

24/7 in UTC (``always``): a ticket opened at 08:00Z has first response due soon 08:45Z and due
09:00Z, close due soon Wed 04:00Z and due Wed 08:00Z.
"""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from tests.factories import ALWAYS_DOCUMENT, TicketFactory, goal_row, sla_document
from tests.tickets.conftest import utc
from tests.tickets.webhooks.conftest import deliver_pending
from tickets.models import SlaEvent
from tickets.recompute import sla_recompute_run
from tickets.services import ticket_message_add
from tickets.sweep import sla_sweep_and_notify
from tickets.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db
SLA_EVENTS = ["sla.due_soon", "sla.overdue", "sla.completed_late"]


def sent() -> list[tuple[int, str, str | None, str | None]]:
    """(ticket id, type, clock kind, clock status) of every delivery, in order."""
    rows = []
    for delivery in WebhookDelivery.objects.order_by("id"):
        data = json.loads(delivery.body)["data"]
        clock = data["clock"] or {}
        rows.append(
            (data["ticket"]["id"], delivery.event_type, clock.get("kind"), clock.get("status"))
        )
    return rows


def test_each_sweep_transition_is_told_once(always, receiver, endpoint) -> None:
    endpoint(events=SLA_EVENTS)
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"))

    sla_sweep_and_notify(now=utc("2026-12-01T08:50:00Z"))
    sla_sweep_and_notify(now=utc("2026-12-01T08:51:00Z"))  # nothing new
    assert sent() == [(ticket.pk, "sla.due_soon", "first_response", "due_soon")]

    sla_sweep_and_notify(now=utc("2026-12-01T09:01:00Z"))
    sla_sweep_and_notify(now=utc("2026-12-01T09:02:00Z"))
    assert sent()[1:] == [(ticket.pk, "sla.overdue", "first_response", "overdue")]

    assert set(deliver_pending(utc("2026-12-01T09:02:00Z")).values()) == {"delivered"}
    bodies = [json.loads(r.body) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["sla.due_soon", "sla.overdue"]
    assert bodies[1]["data"]["clock"]["due_at"] == "2026-12-01T09:00:00Z"
    assert bodies[1]["data"]["ticket"]["sla"]["first_response"]["status"] == "overdue"
    assert len({b["id"] for b in bodies}) == 2


def test_a_clock_passing_two_steps_in_one_sweep_is_told_once_as_overdue(
    always, receiver, endpoint
) -> None:
    """As its email: a sweep after downtime tells the latest status, not a stale due soon."""
    endpoint(events=SLA_EVENTS)
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    sla_sweep_and_notify(now=utc("2026-12-01T10:00:00Z"))
    assert sent() == [(ticket.pk, "sla.overdue", "first_response", "overdue")]


def test_a_settings_recompute_tells_nobody(always, sla_settings, receiver, endpoint) -> None:
    endpoint(events=SLA_EVENTS)
    TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    # At 08:40 the first-response goal becomes 30 minutes for open tickets: overdue at once.
    faster = sla_document(
        ALWAYS_DOCUMENT, goals=[goal_row(first_response=(30, 10), close=(1440, 240))]
    )
    recompute = sla_settings(faster, apply_to="new_and_open").recompute
    sla_recompute_run(recompute_id=recompute.pk, now=utc("2026-12-01T08:40:00Z"))
    assert SlaEvent.objects.filter(kind="overdue").exists()  # the clock did move
    sla_sweep_and_notify(now=utc("2026-12-01T08:41:00Z"))
    assert sent() == []


def test_a_late_reply_tells_completed_late_once(always, receiver, endpoint, agent) -> None:
    endpoint(events=SLA_EVENTS)
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    ticket_message_add(
        ticket_id=ticket.pk,
        body="Sorry for the wait",
        author_kind="agent",
        author=agent,
        now=utc("2026-12-01T09:10:00Z"),
    )
    # The passed due soon / overdue steps are recorded on the way but notify nobody.
    sla_sweep_and_notify(now=utc("2026-12-01T09:11:00Z"))
    assert sent() == [(ticket.pk, "sla.completed_late", "first_response", "completed_late")]


def test_a_reply_in_time_tells_nothing_of_the_sla(always, receiver, endpoint, agent) -> None:
    endpoint(events=SLA_EVENTS)
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    ticket_message_add(
        ticket_id=ticket.pk,
        body="On it",
        author_kind="agent",
        author=agent,
        now=utc("2026-12-01T08:10:00Z"),
    )
    assert sent() == []


def test_messages_are_told_with_the_message(always, receiver, endpoint, agent) -> None:
    endpoint(events=["message.created"])
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"))  # its first message: ticket.created
    ticket_message_add(
        ticket_id=ticket.pk,
        body="More smoke now",
        author_kind="customer",
        now=utc("2026-12-01T08:05:00Z"),
    )
    ticket_message_add(
        ticket_id=ticket.pk,
        body="Note to self",
        author_kind="agent",
        author=agent,
        is_internal=True,
        now=utc("2026-12-01T08:06:00Z"),
    )
    messages = [
        json.loads(d.body)["data"]["message"] for d in WebhookDelivery.objects.order_by("id")
    ]
    assert [(m["author"], m["internal"], m["body"]) for m in messages] == [
        ("customer", False, "More smoke now"),
        ("agent", True, "Note to self"),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_periodic_jobs_deliver_each_transition_once(
    sla_settings, receiver, endpoint
) -> None:
    sla_settings(sla_document(ALWAYS_DOCUMENT))
    endpoint(events=SLA_EVENTS)
    tickets = [TicketFactory(now=utc("2026-12-01T08:00:00Z")) for _ in range(40)]
    now = utc("2026-12-02T12:00:00Z")  # every first-response and close clock is overdue
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def job() -> None:
        try:
            barrier.wait(timeout=10)
            result = sla_sweep_and_notify(now=now)
            if result["failed"]:
                errors.append(RuntimeError(result["failed"]))
        except Exception as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    told = sent()
    assert len(told) == 80 == len(set(told))
    assert {(t, k) for t, _type, k, _s in told} == {
        (ticket.pk, kind) for ticket in tickets for kind in ("first_response", "close")
    }
    assert {row[1] for row in told} == {"sla.overdue"}
    assert set(deliver_pending(now).values()) == {"delivered"}
    assert len(receiver.received) == 80
