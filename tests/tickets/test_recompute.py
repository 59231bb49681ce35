"""Recompute of open tickets after a settings change ("new and open tickets"), in chunks.

Tickets are opened at 08:00Z under 24/7 goals of 60 min for first response (due 09:00Z); the change
makes it 30 min (due 08:30Z) and close 720 min (due 20:00Z).
"""

from __future__ import annotations

import pytest

from tests.factories import ALWAYS_DOCUMENT, TicketFactory, goal_row, sla_document
from tests.tickets.conftest import utc
from tickets.models import SlaClock, SlaEvent, SlaRecompute
from tickets.recompute import sla_recompute_chunk, sla_recompute_run, sla_recompute_start
from tickets.services import ticket_close

pytestmark = pytest.mark.django_db

FASTER = sla_document(
    goals=[goal_row(first_response=(30, 10), next_response=(120, 30), close=(720, 60))]
)
FASTEST = sla_document(
    goals=[goal_row(first_response=(20, None), next_response=(120, 30), close=(600, None))]
)
NOW = utc("2026-12-01T08:10:00Z")


@pytest.fixture
def open_tickets(sla_settings) -> list:
    sla_settings(sla_document(ALWAYS_DOCUMENT))
    tickets = [TicketFactory(now=utc("2026-12-01T08:00:00Z")) for _ in range(5)]
    closed = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    ticket_close(ticket_id=closed.pk, now=utc("2026-12-01T08:05:00Z"))
    return tickets


def clock_values() -> dict[tuple[int, str, int], tuple]:
    return {
        (c.ticket_id, c.kind, c.cycle): (c.goal_minutes, c.due_at, c.due_soon_at, c.status)
        for c in SlaClock.objects.all()
    }


def progress(admin_client_, recompute_id: int) -> dict:
    response = admin_client_.get(f"/api/sla/recomputes/{recompute_id}/")
    assert response.status_code == 200
    return response.json()


def test_a_recompute_reports_its_progress_chunk_by_chunk(
    open_tickets, sla_settings, admin_client_
) -> None:
    recompute = sla_settings(FASTER, apply_to="new_and_open").recompute
    # Five open tickets; the closed one is not counted.
    assert progress(admin_client_, recompute.pk) == {
        "id": recompute.pk,
        "tickets": 5,
        "done": 0,
        "state": "queued",
        "waiting_for_worker_since": None,
    }
    assert sla_recompute_chunk(recompute_id=recompute.pk, now=NOW, chunk_size=2) is True
    assert progress(admin_client_, recompute.pk)["done"] == 2
    assert progress(admin_client_, recompute.pk)["state"] == "running"
    assert sla_recompute_chunk(recompute_id=recompute.pk, now=NOW, chunk_size=2) is True
    assert progress(admin_client_, recompute.pk)["done"] == 4
    assert sla_recompute_chunk(recompute_id=recompute.pk, now=NOW, chunk_size=2) is False
    assert progress(admin_client_, recompute.pk) == {
        "id": recompute.pk,
        "tickets": 5,
        "done": 5,
        "state": "done",
        "waiting_for_worker_since": None,
    }
    recompute.refresh_from_db()
    assert recompute.finished_at == NOW

    for ticket in open_tickets:
        fr = SlaClock.objects.get(ticket=ticket, kind="first_response")
        close = SlaClock.objects.get(ticket=ticket, kind="close")
        assert (fr.due_at, fr.due_soon_at) == (
            utc("2026-12-01T08:30:00Z"),  # 08:00 + 30 min
            utc("2026-12-01T08:20:00Z"),  # 08:00 + (30 - 10) min
        )
        assert close.due_at == utc("2026-12-01T20:00:00Z")  # 08:00 + 720 min
    assert SlaEvent.objects.filter(kind="recomputed").count() == 10


def test_tickets_created_after_the_start_are_left_alone(open_tickets, sla_settings) -> None:
    recompute = sla_settings(FASTER, apply_to="new_and_open").recompute
    later = TicketFactory(now=utc("2026-12-01T08:06:00Z"))  # under the new settings already
    sla_recompute_run(recompute_id=recompute.pk, now=NOW)
    recompute.refresh_from_db()
    assert (recompute.state, recompute.done, recompute.tickets) == ("done", 5, 5)
    assert set(later.sla_events.values_list("kind", flat=True)) == {"applied"}
    fr = SlaClock.objects.get(ticket=later, kind="first_response")
    assert fr.due_at == utc("2026-12-01T08:36:00Z")  # 08:06 + 30 min, from its creation


def test_running_a_recompute_twice_is_harmless(open_tickets, sla_settings) -> None:
    recompute = sla_settings(FASTER, apply_to="new_and_open").recompute
    sla_recompute_run(recompute_id=recompute.pk, now=NOW)
    values, events = clock_values(), SlaEvent.objects.count()

    # The finished recompute, delivered again (a task retried by the broker):
    assert sla_recompute_chunk(recompute_id=recompute.pk, now=NOW) is False
    # A fresh recompute of the same settings version: the clocks are already right.
    again = sla_recompute_start(settings_version=recompute.settings_version)
    sla_recompute_run(recompute_id=again.pk, now=utc("2026-12-01T08:15:00Z"))
    again.refresh_from_db()
    assert again.state == "done"
    assert clock_values() == values
    assert SlaEvent.objects.count() == events


def test_a_newer_settings_version_supersedes_an_older_recompute(open_tickets, sla_settings) -> None:
    older = sla_settings(FASTER, apply_to="new_and_open").recompute
    assert sla_recompute_chunk(recompute_id=older.pk, now=NOW, chunk_size=2) is True
    newer = sla_settings(FASTEST, apply_to="new_and_open").recompute
    older.refresh_from_db()
    assert older.state == SlaRecompute.State.SUPERSEDED
    # The older recompute's next chunk does nothing.
    before = clock_values()
    assert sla_recompute_chunk(recompute_id=older.pk, now=NOW, chunk_size=2) is False
    assert clock_values() == before

    sla_recompute_run(recompute_id=newer.pk, now=NOW)
    newer.refresh_from_db()
    assert (newer.state, newer.done, newer.tickets) == ("done", 5, 5)
    # The newest settings win on every open ticket: first response 20 min, close 600 min.
    for ticket in open_tickets:
        fr = SlaClock.objects.get(ticket=ticket, kind="first_response")
        close = SlaClock.objects.get(ticket=ticket, kind="close")
        assert (fr.goal_minutes, fr.due_at, fr.due_soon_at) == (
            20,
            utc("2026-12-01T08:20:00Z"),
            None,
        )
        assert close.due_at == utc("2026-12-01T18:00:00Z")


def test_a_later_save_for_new_tickets_only_does_not_abandon_a_recompute(
    open_tickets, sla_settings
) -> None:
    recompute = sla_settings(FASTER, apply_to="new_and_open").recompute
    assert sla_recompute_chunk(recompute_id=recompute.pk, now=NOW, chunk_size=2) is True
    sla_settings(FASTEST, apply_to="new")  # a later save, for new tickets only
    sla_recompute_run(recompute_id=recompute.pk, now=NOW)
    recompute.refresh_from_db()
    assert (recompute.state, recompute.done, recompute.tickets) == ("done", 5, 5)
    # No open ticket stays on the replaced 60-min goal: the first two got the settings of the
    # recompute (30 min), the rest the newest settings (20 min).
    goals = [
        SlaClock.objects.get(ticket=ticket, kind="first_response").goal_minutes
        for ticket in open_tickets
    ]
    assert goals == [30, 30, 20, 20, 20]


def test_nothing_to_recompute_is_done_at_once(sla_settings) -> None:
    sla_settings(sla_document(ALWAYS_DOCUMENT))
    recompute = sla_settings(FASTER, apply_to="new_and_open").recompute
    assert (recompute.state, recompute.tickets, recompute.done) == ("done", 0, 0)
