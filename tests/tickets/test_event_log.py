"""The event log has no database foreign keys and no index on the clock (docs/DECISIONS.md).

Deleting a ticket removes its events with it; removing a clock (a property change, a settings
change through either recompute path) keeps its events on the ticket's timeline, detached (clock
NULL). No statement looks the log up by clock alone: there is no index for it, so each would read
the whole log. Removals find the events by ticket (``event_by_ticket_idx``), and Django's deletion
collector does not look for a clock's events at all.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from settings_app.selectors import sla_config_cache_clear, sla_config_get
from tests.factories import TicketFactory, goal_row, sla_document
from tests.tickets.conftest import utc
from tickets.bulk import EventRow, clocks_delete, events_insert
from tickets.models import SlaClock, SlaEvent, Ticket
from tickets.recompute import sla_recompute_run, sla_recompute_tickets
from tickets.selectors import ticket_timeline
from tickets.services import ticket_update

pytestmark = pytest.mark.django_db

OPENED = utc("2026-12-01T08:00:00Z")
LATER = OPENED + datetime.timedelta(hours=1)
# Goals by priority: low has no close goal, so a ticket moved to low loses its close clock.
BY_PRIORITY = sla_document(
    scope="property",
    property="priority",
    goals=[
        goal_row("high", first_response=(60, 15), close=(480, 60)),
        goal_row("low", first_response=(120, 30)),
    ],
)
_WHERE = re.compile(r"\bWHERE\b(.*)", re.IGNORECASE | re.DOTALL)


def event_log_lookups(sql: list[str]) -> Iterator[tuple[str, str]]:
    """(statement, its WHERE clause) of each captured statement that reads, changes or deletes
    event log rows by a condition."""
    for statement in sql:
        if "tickets_slaevent" not in statement or statement.lstrip().upper().startswith("INSERT"):
            continue
        where = _WHERE.search(statement)
        if where is not None:
            yield statement, where.group(1)


def assert_no_lookup_by_clock_alone(sql: list[str]) -> None:
    for statement, where in event_log_lookups(sql):
        if "clock_id" in where:
            assert "ticket_id" in where, statement


def detach_statements(sql: list[str]) -> list[str]:
    return [
        statement
        for statement in sql
        if re.match(r'\s*UPDATE "tickets_slaevent" SET "clock_id" = NULL\b', statement)
    ]


def assert_kept_detached_and_shown(ticket_id: int, events: list[int]) -> None:
    """The events are still there, with no clock, and the ticket's timeline shows them as a
    removed clock's, under the ``removed`` event the change recorded."""
    assert events
    stored = SlaEvent.objects.filter(id__in=events)
    assert sorted(stored.values_list("id", flat=True)) == sorted(events)
    assert set(stored.values_list("clock_id", flat=True)) == {None}
    shown = {item.event.pk: item for item in ticket_timeline(ticket_id=ticket_id)}
    assert set(events) <= set(shown)
    for event_id in events:
        assert shown[event_id].is_removed_clock
        assert shown[event_id].removed_by is not None
        assert shown[event_id].removed_by.kind == SlaEvent.Kind.REMOVED


def close_clock_events(ticket: Ticket) -> list[int]:
    clock = SlaClock.objects.get(ticket=ticket, kind="close")
    return list(SlaEvent.objects.filter(ticket=ticket, clock=clock).values_list("id", flat=True))


def test_a_property_change_that_removes_a_clock_keeps_its_events_detached(sla_settings) -> None:
    sla_settings(BY_PRIORITY)
    ticket = TicketFactory(now=OPENED, priority="high")
    other = TicketFactory(now=OPENED, priority="high")
    events = close_clock_events(ticket)

    with CaptureQueriesContext(connection) as queries:
        ticket_update(ticket_id=ticket.pk, now=LATER, priority="low")

    assert not SlaClock.objects.filter(ticket=ticket, kind="close").exists()
    assert_kept_detached_and_shown(ticket.pk, events)
    sql = [query["sql"] for query in queries]
    assert len(detach_statements(sql)) == 1
    assert_no_lookup_by_clock_alone(sql)
    # Another ticket's clock keeps its events.
    assert close_clock_events(other)


@pytest.mark.parametrize("in_database", [True, False], ids=["in-database path", "python path"])
def test_a_settings_change_that_removes_clocks_keeps_their_events_detached(
    sla_settings, in_database
) -> None:
    """Through the recompute that a settings change starts (in the database on PostgreSQL, which
    hands a ticket that loses a clock to the Python planner) and through the Python path alone."""
    sla_settings(BY_PRIORITY)
    tickets = [TicketFactory(now=OPENED, priority="high") for _ in range(3)]
    events = {ticket.pk: close_clock_events(ticket) for ticket in tickets}
    without_close = sla_document(
        BY_PRIORITY,
        goals=[
            goal_row("high", first_response=(60, 15)),
            goal_row("low", first_response=(120, 30)),
        ],
    )

    with CaptureQueriesContext(connection) as queries:
        if in_database:
            result = sla_settings(without_close, apply_to="new_and_open")
            sla_config_cache_clear()
            assert result.recompute is not None
            sla_recompute_run(recompute_id=result.recompute.pk, now=LATER)
        else:
            sla_settings(without_close)
            sla_config_cache_clear()
            with transaction.atomic():
                count = sla_recompute_tickets(
                    ticket_ids=[ticket.pk for ticket in tickets],
                    config=sla_config_get(),
                    now=LATER,
                    in_database=False,
                )
            assert count.planned == len(tickets)

    assert not SlaClock.objects.filter(kind="close").exists()
    for ticket in tickets:
        assert_kept_detached_and_shown(ticket.pk, events[ticket.pk])
    sql = [query["sql"] for query in queries]
    assert detach_statements(sql)
    assert_no_lookup_by_clock_alone(sql)


def test_deleting_a_ticket_through_the_orm_deletes_its_events_and_clocks(sla_settings) -> None:
    sla_settings(sla_document())
    kept = TicketFactory(now=OPENED)
    gone = TicketFactory(now=OPENED)
    assert SlaEvent.objects.filter(ticket=gone).exists()

    with CaptureQueriesContext(connection) as queries:
        Ticket.objects.filter(pk=gone.pk).delete()

    assert not SlaEvent.objects.filter(ticket_id=gone.pk).exists()
    assert not SlaClock.objects.filter(ticket_id=gone.pk).exists()
    assert SlaEvent.objects.filter(ticket=kept).exists()
    assert SlaClock.objects.filter(ticket=kept).exists()
    orphans = SlaEvent.objects.exclude(ticket_id__in=Ticket.objects.values("id"))
    assert not orphans.exists()
    # The events go with their ticket, found by it; the clocks' deletion looks none up.
    lookups = list(event_log_lookups([query["sql"] for query in queries]))
    assert lookups
    for statement, where in lookups:
        assert "clock_id" not in where, statement


@pytest.mark.parametrize("how", ["delete page", "delete selected action"])
def test_the_admins_ticket_deletion_looks_no_event_up_by_clock(
    sla_settings, admin_client_: Client, how
) -> None:
    """The admin refuses to delete a ticket (its outgoing emails and history may not be
    deleted there); its confirmation page still collects everything that would go, events and
    clocks included, and that collection finds the events by ticket only."""
    sla_settings(sla_document())
    ticket = TicketFactory(now=OPENED)
    events = list(SlaEvent.objects.filter(ticket=ticket).values_list("id", "clock_id"))
    assert events

    with CaptureQueriesContext(connection) as queries:
        if how == "delete page":
            url = reverse("admin:tickets_ticket_delete", args=[ticket.pk])
            page = admin_client_.get(url)
            refused = admin_client_.post(url, {"post": "yes"})
        else:
            url = reverse("admin:tickets_ticket_changelist")
            action = {"action": "delete_selected", "_selected_action": [ticket.pk]}
            page = admin_client_.post(url, action)
            refused = admin_client_.post(url, {**action, "post": "yes"})
    assert page.status_code == 200
    assert page.context["perms_lacking"]  # what may not be deleted, named
    assert refused.status_code in (200, 403)

    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert sorted(SlaEvent.objects.filter(ticket=ticket).values_list("id", "clock_id")) == sorted(
        events
    )
    lookups = list(event_log_lookups([query["sql"] for query in queries]))
    assert lookups
    for statement, where in lookups:
        assert "clock_id" not in where, statement


def test_clocks_delete_keeps_the_events_detached_and_leaves_other_clocks_alone(
    sla_settings,
) -> None:
    sla_settings(sla_document())
    ticket = TicketFactory(now=OPENED)
    clock = SlaClock.objects.get(ticket=ticket, kind="close")
    others = SlaClock.objects.filter(ticket=ticket).exclude(pk=clock.pk)
    assert others.exists()
    other_events = list(SlaEvent.objects.filter(clock__in=others).values_list("id", "clock_id"))
    events = list(SlaEvent.objects.filter(clock=clock).values_list("id", flat=True))
    assert events and other_events

    clocks_delete([(ticket.pk, clock.pk)])

    assert not SlaClock.objects.filter(pk=clock.pk).exists()
    assert set(SlaEvent.objects.filter(id__in=events).values_list("clock_id", flat=True)) == {None}
    assert sorted(
        SlaEvent.objects.filter(id__in=[i for i, _ in other_events]).values_list("id", "clock_id")
    ) == sorted(other_events)


def test_the_detach_reads_the_log_through_the_ticket_index(sla_settings) -> None:
    """On a log of 40,000 events the detach statement is planned through ``event_by_ticket_idx``,
    not by reading the log. (The events of other tickets need no ticket rows: the log has no
    database constraint.)"""
    sla_settings(sla_document())
    ticket = TicketFactory(now=OPENED)
    clock = SlaClock.objects.get(ticket=ticket, kind="close")
    events_insert(
        [
            EventRow(
                10_000_000 + n % 4_000, 20_000_000 + n, "close", 1, "recomputed", OPENED, {}, False
            )
            for n in range(40_000)
        ],
        now=OPENED,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_slaevent")

    with CaptureQueriesContext(connection) as queries:
        clocks_delete([(ticket.pk, clock.pk)])
    (detach,) = detach_statements([query["sql"] for query in queries])

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {detach}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {detach}")
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "event_by_ticket_idx" in plan, plan
    assert not re.search(r"Seq Scan on tickets_slaevent|SCAN tickets_slaevent\b", plan), plan
