"""The event log has no database foreign keys (docs/DECISIONS.md); deleting through Django still
removes a ticket's events and detaches events from a removed clock, leaving no orphans."""

from __future__ import annotations

import pytest

from tests.factories import TicketFactory, sla_document
from tests.tickets.conftest import utc
from tickets.models import SlaClock, SlaEvent, Ticket

pytestmark = pytest.mark.django_db


def test_deleting_a_ticket_deletes_its_events_and_clocks(sla_settings) -> None:
    sla_settings(sla_document())
    kept = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    gone = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    assert SlaEvent.objects.filter(ticket=gone).exists()

    Ticket.objects.filter(pk=gone.pk).delete()

    assert not SlaEvent.objects.filter(ticket_id=gone.pk).exists()
    assert not SlaClock.objects.filter(ticket_id=gone.pk).exists()
    assert SlaEvent.objects.filter(ticket=kept).exists()
    orphans = SlaEvent.objects.exclude(ticket_id__in=Ticket.objects.values("id"))
    assert not orphans.exists()


def test_deleting_a_clock_keeps_its_events_detached(sla_settings) -> None:
    sla_settings(sla_document())
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    clock = SlaClock.objects.get(ticket=ticket, kind="close")
    events = list(SlaEvent.objects.filter(clock=clock).values_list("id", flat=True))
    assert events

    clock.delete()

    assert set(SlaEvent.objects.filter(id__in=events).values_list("clock_id", flat=True)) == {None}
