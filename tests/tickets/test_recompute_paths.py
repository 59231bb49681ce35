"""The set-based recompute gives exactly what the general per-ticket path gives.

Random tickets (replies, next-response cycles, pauses, closes and reopens, under working hours)
are recomputed after a settings change once by ``sla_recompute_tickets`` and once, rolled back in
between, by ``tickets_reconcile``; clocks, tickets and events must come out the same.
"""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import transaction

from settings_app.models import Stage
from settings_app.selectors import sla_config_get
from tests.factories import WORKING_HOURS_DOCUMENT, TicketFactory, goal_row, sla_document
from tests.tickets.conftest import utc
from tickets.models import SlaClock, SlaEvent, Ticket
from tickets.recompute import sla_recompute_tickets
from tickets.services import ticket_message_add, ticket_update, tickets_reconcile

pytestmark = pytest.mark.django_db

START = utc("2026-11-30T07:00:00Z")  # Mon 08:00 Stockholm
NOW = utc("2026-12-03T13:17:00Z")


def _snapshot() -> tuple:
    clocks = sorted(
        SlaClock.objects.values_list(
            "ticket_id",
            "kind",
            "cycle",
            "goal_minutes",
            "due_soon_minutes",
            "settings_version",
            "started_at",
            "due_at",
            "due_soon_at",
            "completed_at",
            "paused_at",
            "status",
            "next_check_at",
        )
    )
    tickets = sorted(
        Ticket.objects.values_list("id", "sla_goal_value", "sla_settings_version", "sla_due_at")
    )
    events = sorted(
        (
            e.ticket_id,
            e.clock_kind,
            e.cycle,
            e.kind,
            e.at,
            sorted(e.detail.items()),
            e.should_notify,
        )
        for e in SlaEvent.objects.all()
    )
    return clocks, tickets, events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_set_based_and_general_recompute_agree(sla_settings, seed) -> None:
    rng = random.Random(seed)
    sla_settings(sla_document(WORKING_HOURS_DOCUMENT))
    stages = {s.slug: s for s in Stage.objects.filter(pipeline__slug="support")}
    ids = []
    for _ in range(12):
        moment = START + datetime.timedelta(minutes=rng.randint(0, 2000))
        ticket = TicketFactory(now=moment)
        ids.append(ticket.pk)
        for _step in range(rng.randint(0, 4)):
            moment += datetime.timedelta(minutes=rng.randint(5, 600))
            if moment >= NOW:
                break
            roll = rng.random()
            if roll < 0.35:
                ticket_message_add(ticket_id=ticket.pk, body="ok", author_kind="agent", now=moment)
            elif roll < 0.6:
                ticket_message_add(
                    ticket_id=ticket.pk, body="?", author_kind="customer", now=moment
                )
            elif roll < 0.8:
                stage = stages["waiting-on-customer"] if rng.random() < 0.6 else stages["new"]
                ticket_update(ticket_id=ticket.pk, now=moment, stage=stage)
            else:
                ticket_update(ticket_id=ticket.pk, now=moment, stage=stages["closed"])
    # Faster goals, another due-soon threshold and one goal kind dropped (next response).
    sla_settings(
        sla_document(
            WORKING_HOURS_DOCUMENT,
            goals=[goal_row(first_response=(45, 20), close=(600, 90))],
        )
    )
    config = sla_config_get()
    before = _snapshot()

    with transaction.atomic():
        handled = sla_recompute_tickets(ticket_ids=ids, config=config, now=NOW)
        fast = _snapshot()
        transaction.set_rollback(True)
    assert _snapshot() == before
    with transaction.atomic():
        open_tickets = Ticket.objects.select_related("team", "pipeline", "stage").filter(
            id__in=ids, closed_at__isnull=True
        )
        tickets_reconcile(tickets=open_tickets, config=config, now=NOW)
        general = _snapshot()
    assert handled > 0  # the set-based path did take part
    assert fast != before
    assert fast == general
