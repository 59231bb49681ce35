"""How clocks sit on disk in PostgreSQL: a recompute rewrites them on their own pages.

Migration 0005 leaves half of each clock page free (docs/DECISIONS.md), so a chunk that rewrites
every clock of a page in one transaction finds room beside the old versions instead of adding
pages at the table's end. Migration 0023 sets the hot tables' autovacuum triggers
(docs/SCALING.md, "Autovacuum for aged tables").
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from settings_app.selectors import sla_config_get
from tests.factories import ALWAYS_DOCUMENT, TicketFactory, goal_row, sla_document
from tests.tickets.conftest import utc
from tickets.models import SlaClock
from tickets.recompute import sla_recompute_tickets

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
]

START = utc("2026-12-01T08:00:00Z")


def _pages() -> dict[int, int]:
    """Clock id -> the heap page its current row version is on."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, (ctid::text::point)[0]::int FROM tickets_slaclock")
        return dict(cursor.fetchall())


def test_a_recompute_rewrites_every_clock_on_the_page_it_was_on(sla_settings) -> None:
    sla_settings(sla_document(ALWAYS_DOCUMENT))
    tickets = [TicketFactory(now=START) for _ in range(150)]  # first response and close each
    before = _pages()
    assert len(set(before.values())) >= 3, "the clocks should fill several pages"

    sla_settings(
        sla_document(
            ALWAYS_DOCUMENT,
            goals=[goal_row(first_response=(65, 15), next_response=(125, 30), close=(1445, 240))],
        )
    )
    with transaction.atomic():
        sla_recompute_tickets(
            ticket_ids=[ticket.pk for ticket in tickets],
            config=sla_config_get(),
            now=utc("2026-12-01T08:30:00Z"),
        )

    assert SlaClock.objects.filter(goal_minutes__in=[65, 1445]).count() == len(before)
    assert _pages() == before


def _storage_parameters(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        options = cursor.fetchone()[0] or []
    return dict(option.split("=", 1) for option in options)


def test_the_hot_tables_carry_their_autovacuum_settings() -> None:
    # The event log: no vacuum triggered by inserts (one would hand old pages' remainders to
    # the next small events); the clocks at 1 % dead; the tickets at 5 %.
    assert _storage_parameters("tickets_slaevent") == {"autovacuum_vacuum_insert_threshold": "-1"}
    assert _storage_parameters("tickets_slaclock") == {
        "fillfactor": "50",
        "autovacuum_vacuum_scale_factor": "0.01",
        "autovacuum_vacuum_threshold": "1000",
        "autovacuum_analyze_scale_factor": "0.02",
    }
    assert _storage_parameters("tickets_ticket") == {
        "autovacuum_vacuum_scale_factor": "0.05",
        "autovacuum_analyze_scale_factor": "0.05",
    }
