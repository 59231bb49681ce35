"""``ticket_get`` (its two queries compiled once) gives what the ORM's ``select_related`` and
``prefetch_related`` give: every field of the ticket, its team, pipeline, stage and owner, and
its clocks in order, each pointing back at the ticket."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from settings_app.models import Stage, Team
from tests.tickets.conftest import utc
from tickets.models import SlaClock, Ticket
from tickets.selectors import ticket_get
from tickets.services import ticket_create, ticket_update


def as_orm(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("team", "pipeline", "stage", "owner")
        .prefetch_related(Prefetch("clocks", queryset=SlaClock.objects.order_by("kind", "cycle")))
        .filter(pk=ticket_id)
        .first()
    )


def fields(instance: Any) -> dict[str, Any]:
    if instance is None:
        return {}
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def same(found: Ticket | None, expected: Ticket | None) -> None:
    assert (found is None) == (expected is None)
    if found is None or expected is None:
        return
    assert fields(found) == fields(expected)
    for name in ("team", "pipeline", "stage", "owner"):
        assert fields(getattr(found, name)) == fields(getattr(expected, name))
    clocks = list(found.clocks.all())
    assert [fields(c) for c in clocks] == [fields(c) for c in expected.clocks.all()]
    assert all(clock.ticket is found for clock in clocks)


def test_ticket_get_reads_as_the_orm_does(db, sla_settings, agent) -> None:
    sla_settings(
        {
            "applies": "always",
            "timezone": "Europe/Stockholm",
            "working_hours": {},
            "holidays": [],
            "pause_statuses": [],
            "goals_enabled": True,
            "scope": "all",
            "property": None,
            "goals": [
                {
                    "value": None,
                    "enabled": True,
                    "first_response_minutes": 60,
                    "first_response_due_soon_minutes": 15,
                    "next_response_minutes": 120,
                    "next_response_due_soon_minutes": None,
                    "close_minutes": 1440,
                    "close_due_soon_minutes": None,
                }
            ],
        }
    )
    bare = ticket_create(
        subject="Bare", body="x", requester_email="a@b.se", now=utc("2026-03-03T11:30:00Z")
    )
    full = ticket_create(
        subject="Full",
        body="x",
        requester_email="a@b.se",
        priority="high",
        cc_emails=["c@d.se"],
        now=utc("2026-03-03T11:30:00Z"),
    )
    team = Team.objects.create(name="Billing", slug="billing")
    closed = Stage.objects.get(pipeline__slug="support", slug="closed")
    ticket_update(ticket_id=full.pk, now=utc("2026-03-03T12:00:00Z"), team=team, owner=agent)
    ticket_update(ticket_id=full.pk, now=utc("2026-03-03T12:30:00Z"), stage=closed)
    for ticket_id in (bare.pk, full.pk, full.pk + 1000):
        with CaptureQueriesContext(connection) as queries:
            found = ticket_get(ticket_id=ticket_id)
            if found is not None:
                list(found.clocks.all())
        assert len(queries) == (2 if found is not None else 1)
        same(found, as_orm(ticket_id))
