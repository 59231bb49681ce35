"""The "No priority" / "No team" row (SPEC 2.3 and 3): goals for tickets whose property is empty.

It is off until switched on. A ticket whose property is empty takes its goals when it is on; a
property change to empty while it is off removes the running clocks, and while it is on
recomputes them to its goals.
"""

from __future__ import annotations

import datetime

import pytest

from settings_app.models import Team
from tests.factories import TeamFactory, TicketFactory, goal_row, sla_document
from tests.tickets.conftest import utc
from tickets.models import SlaClock, SlaEvent, Ticket
from tickets.services import ticket_update

pytestmark = pytest.mark.django_db

NOW = utc("2026-12-01T09:00:00Z")
URGENT = goal_row("urgent", first_response=(30, 10), close=(240, 60))
NO_PRIORITY = goal_row(None, first_response=(120, 30), close=(1440, None))


def by_priority(*rows: dict) -> dict:
    return sla_document(scope="property", property="priority", goals=list(rows))


def running(ticket: Ticket) -> dict[str, int]:
    clocks = SlaClock.objects.filter(ticket=ticket, completed_at__isnull=True)
    return {clock.kind: clock.goal_minutes for clock in clocks}


def test_off_by_default_a_ticket_without_priority_gets_no_sla(sla_settings) -> None:
    sla_settings(by_priority(URGENT))
    ticket = TicketFactory(now=NOW, priority="")
    assert running(ticket) == {}
    assert Ticket.objects.get(pk=ticket.pk).sla_goal_value is None
    # Off explicitly, with goals kept: still nothing.
    sla_settings(by_priority(URGENT, {**NO_PRIORITY, "enabled": False}))
    assert running(TicketFactory(now=NOW, priority="")) == {}


def test_switched_on_a_ticket_without_priority_gets_its_goals(sla_settings) -> None:
    sla_settings(by_priority(URGENT, NO_PRIORITY))
    ticket = TicketFactory(now=NOW, priority="")
    assert running(ticket) == {"first_response": 120, "close": 1440}
    assert Ticket.objects.get(pk=ticket.pk).sla_goal_value == "priority:"
    applied = SlaEvent.objects.get(ticket=ticket, clock_kind="first_response", kind="applied")
    assert applied.detail["goal"] == "priority:"
    urgent = TicketFactory(now=NOW, priority="urgent")
    assert running(urgent) == {"first_response": 30, "close": 240}
    assert Ticket.objects.get(pk=urgent.pk).sla_goal_value == "priority:urgent"


def test_a_change_to_empty_while_the_row_is_off_removes_the_running_clocks(sla_settings) -> None:
    sla_settings(by_priority(URGENT))
    ticket = TicketFactory(now=NOW, priority="urgent")
    ticket_update(ticket_id=ticket.pk, now=NOW + datetime.timedelta(minutes=5), priority="")
    assert running(ticket) == {}
    removed = SlaEvent.objects.filter(ticket=ticket, kind="removed")
    assert sorted(removed.values_list("clock_kind", flat=True)) == ["close", "first_response"]
    assert Ticket.objects.get(pk=ticket.pk).sla_goal_value is None


def test_a_change_to_empty_while_the_row_is_on_takes_its_goals(sla_settings) -> None:
    sla_settings(by_priority(URGENT, NO_PRIORITY))
    ticket = TicketFactory(now=NOW, priority="urgent")
    ticket_update(ticket_id=ticket.pk, now=NOW + datetime.timedelta(minutes=5), priority="")
    assert running(ticket) == {"first_response": 120, "close": 1440}
    clock = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert clock.started_at == NOW  # recomputed from its original start
    assert clock.due_at == NOW + datetime.timedelta(minutes=120)
    assert Ticket.objects.get(pk=ticket.pk).sla_goal_value == "priority:"


def test_no_team_row_for_tickets_without_a_team(sla_settings) -> None:
    billing = TeamFactory(slug="billing")
    sla_settings(
        sla_document(
            scope="property",
            property="team",
            goals=[
                goal_row("billing", first_response=(60, None)),
                goal_row(None, first_response=(90, None)),
            ],
        )
    )
    without = TicketFactory(now=NOW, team=None)
    assert running(without) == {"first_response": 90}
    ticket = TicketFactory(now=NOW, team=billing)
    assert running(ticket) == {"first_response": 60}
    assert Ticket.objects.get(pk=ticket.pk).sla_goal_value == f"team:{billing.pk}"
    ticket_update(ticket_id=ticket.pk, now=NOW + datetime.timedelta(minutes=1), team=None)
    assert running(ticket) == {"first_response": 90}
    assert Team.objects.filter(pk=billing.pk).exists()
