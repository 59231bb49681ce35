"""The periodic sweep: persists Active → Due soon → Overdue with one event per transition.

24/7 in UTC (``ALWAYS_DOCUMENT``): a ticket opened at 08:00Z has first response due soon 08:45Z and
due 09:00Z, close due soon Wed 04:00Z and due Wed 08:00Z.
"""

from __future__ import annotations

import datetime
import threading
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ALWAYS_DOCUMENT,
    AgentFactory,
    TeamFactory,
    TicketFactory,
    goal_row,
    sla_document,
)
from tests.tickets.conftest import utc
from tests.tickets.outbound.mailserver import deliver_queued
from tickets.models import AgentProfile, SlaClock, SlaEvent
from tickets.services import ticket_message_add, ticket_update
from tickets.sweep import sla_sweep, sla_sweep_and_notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def always(sla_settings):
    return sla_settings(sla_document(ALWAYS_DOCUMENT))


def snapshot() -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in SlaClock.objects.values_list(
            "id", "status", "next_check_at", "due_at", "due_soon_at", "completed_at", "paused_at"
        )
    }


def transitions(clock: SlaClock) -> list[tuple[str, datetime.datetime, bool]]:
    return list(
        SlaEvent.objects.filter(clock=clock, kind__in=["due_soon", "overdue"])
        .order_by("id")
        .values_list("kind", "at", "should_notify")
    )


def first_response(ticket) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, kind="first_response")


def test_the_sweep_reads_only_clocks_whose_next_change_is_due(always) -> None:
    due = TicketFactory(now=utc("2026-12-01T08:00:00Z"))  # first response due soon 08:45
    later = TicketFactory(now=utc("2026-12-01T08:30:00Z"))  # first response due soon 09:15
    replied = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    ticket_message_add(
        ticket_id=replied.pk, body="On it", author_kind="agent", now=utc("2026-12-01T08:10:00Z")
    )
    paused = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    ticket_update(
        ticket_id=paused.pk,
        stage=paused.pipeline.stages.get(slug="waiting-on-customer"),
        now=utc("2026-12-01T08:10:00Z"),
    )
    before = snapshot()
    assert len(before) == 8

    with CaptureQueriesContext(connection) as queries:
        result = sla_sweep(now=utc("2026-12-01T08:50:00Z"))

    assert result.examined == 1  # of 8 clocks: the others were never read
    assert dict(result.transitions) == {"due_soon": 1}
    after = snapshot()
    changed = {pk for pk in before if before[pk] != after[pk]}
    assert changed == {first_response(due).pk}
    assert after[first_response(due).pk][:2] == ("due_soon", utc("2026-12-01T09:00:00Z"))
    # Untouched: a clock with a future next check, a completed clock, a paused clock.
    for ticket in (later, replied, paused):
        clock = first_response(ticket)
        assert after[clock.pk] == before[clock.pk]
    # Every statement that reads clocks (a SELECT, or on PostgreSQL the one-statement batch)
    # selects them by next_check_at.
    reads = [
        q["sql"].replace('"', "")
        for q in queries
        if q["sql"].lstrip().startswith(("SELECT", "WITH")) and "tickets_slaclock" in q["sql"]
    ]
    assert reads and all("next_check_at <=" in sql for sql in reads)


def test_the_sweep_is_idempotent(always) -> None:
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    first = sla_sweep(now=utc("2026-12-01T08:50:00Z"))
    assert dict(first.transitions) == {"due_soon": 1}
    rows, events = snapshot(), list(SlaEvent.objects.values_list("id", flat=True))

    again = sla_sweep(now=utc("2026-12-01T08:50:00Z"))
    assert (again.examined, again.changed) == (0, 0)
    # At exactly the due moment the clock is read (next check 09:00) but is not overdue yet.
    at_due = sla_sweep(now=utc("2026-12-01T09:00:00Z"))
    assert (at_due.examined, at_due.changed) == (1, 0)
    assert snapshot() == rows
    assert list(SlaEvent.objects.values_list("id", flat=True)) == events

    late = sla_sweep(now=utc("2026-12-01T09:00:01Z"))
    assert dict(late.transitions) == {"overdue": 1}
    assert transitions(first_response(ticket)) == [
        ("due_soon", utc("2026-12-01T08:45:00Z"), True),
        ("overdue", utc("2026-12-01T09:00:00Z"), True),
    ]


def test_a_late_sweep_records_both_transitions_and_only_the_last_notifies(always) -> None:
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    result = sla_sweep(now=utc("2026-12-01T10:00:00Z"))
    assert dict(result.transitions) == {"due_soon": 1, "overdue": 1}
    clock = first_response(ticket)
    assert (clock.status, clock.next_check_at) == ("overdue", None)
    # The events carry the clock's own moments, not the sweep's.
    assert transitions(clock) == [
        ("due_soon", utc("2026-12-01T08:45:00Z"), False),
        ("overdue", utc("2026-12-01T09:00:00Z"), True),
    ]
    close = SlaClock.objects.get(ticket=ticket, kind="close")
    assert (close.status, close.next_check_at) == ("active", utc("2026-12-02T04:00:00Z"))


def test_the_sweep_works_in_batches(always) -> None:
    tickets = [TicketFactory(now=utc("2026-12-01T08:00:00Z")) for _ in range(5)]
    result = sla_sweep(now=utc("2026-12-01T08:50:00Z"), batch_size=2)
    assert result.examined == 5
    assert dict(result.transitions) == {"due_soon": 5}
    assert {first_response(t).status for t in tickets} == {"due_soon"}


def test_notifications_go_to_the_owner_once_per_transition(always, agent) -> None:
    TicketFactory(now=utc("2026-12-01T08:00:00Z"), owner=agent, subject="Owned")
    TicketFactory(now=utc("2026-12-01T08:00:00Z"))  # no owner, no team: nobody to tell

    sla_sweep_and_notify(now=utc("2026-12-01T08:50:00Z"))
    deliver_queued(kinds=("sla_alert",))
    assert [(m.to, m.subject.split(" — ")[0]) for m in mail.outbox] == [
        (["agent@example.com"], f"[Due soon] #{SlaClock.objects.first().ticket_id} Owned")
    ]
    sla_sweep_and_notify(now=utc("2026-12-01T08:55:00Z"))
    deliver_queued(kinds=("sla_alert",))
    assert len(mail.outbox) == 1  # nothing new
    sla_sweep_and_notify(now=utc("2026-12-01T09:30:00Z"))
    deliver_queued(kinds=("sla_alert",))
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("[Overdue]")
    assert not SlaEvent.objects.filter(should_notify=True, notified_at__isnull=True).exists()


def test_notifications_of_an_unassigned_ticket_go_to_its_team(always) -> None:
    team = TeamFactory(slug="billing")
    member, opted_out = AgentFactory(), AgentFactory()
    team.members.add(member, opted_out)
    AgentProfile.objects.create(user=opted_out, email_notifications=False)
    TicketFactory(now=utc("2026-12-01T08:00:00Z"), team=team)
    result = sla_sweep_and_notify(now=utc("2026-12-01T10:00:00Z"))
    assert result["emails"] == 1  # one overdue email; the due-soon it passed does not notify
    deliver_queued(kinds=("sla_alert",))
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_no_email_for_a_clock_completed_before_the_sweep_sent_it(always, agent) -> None:
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"), owner=agent)
    sla_sweep(now=utc("2026-12-01T08:50:00Z"))
    ticket_message_add(
        ticket_id=ticket.pk, body="Done", author_kind="agent", now=utc("2026-12-01T08:51:00Z")
    )
    assert sla_sweep_and_notify(now=utc("2026-12-01T08:52:00Z"))["emails"] == 0
    deliver_queued(kinds=("sla_alert",))
    assert mail.outbox == []


def test_the_sla_sweep_command_prints_what_it_changed(always, agent, freeze, monkeypatch) -> None:
    TicketFactory(now=utc("2026-12-01T08:00:00Z"), owner=agent)  # due soon 08:45, due 09:00
    TicketFactory(now=utc("2026-12-01T08:20:00Z"))  # due soon 09:05, due 09:20
    freeze("2026-12-01T09:10:00Z")
    out = StringIO()
    call_command("sla_sweep", stdout=out)
    assert out.getvalue().strip() == (
        "Examined 2 clock(s): 2 turned due soon, 1 turned overdue; 1 email(s) sent."
    )
    out = StringIO()
    call_command("sla_sweep", stdout=out)
    assert out.getvalue().strip() == (
        "Examined 0 clock(s): 0 turned due soon, 0 turned overdue; 0 email(s) sent."
    )
    # In the operator's language (LANG), as every command.
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    out = StringIO()
    call_command("sla_sweep", stdout=out)
    assert out.getvalue().strip() == (
        "Granskade klockor: 0; blev förfaller snart: 0; blev försenade: 0; skickade mejl: 0."
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_write_each_transition_once(sla_settings) -> None:
    sla_settings(sla_document(ALWAYS_DOCUMENT))
    tickets = [TicketFactory(now=utc("2026-12-01T08:00:00Z")) for _ in range(40)]
    now = utc("2026-12-02T12:00:00Z")  # every first-response and close clock is overdue
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(sla_sweep(now=now, batch_size=7))
        except Exception as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == 2
    clocks = SlaClock.objects.filter(ticket__in=tickets)
    assert clocks.count() == 80
    assert set(clocks.values_list("status", flat=True)) == {"overdue"}
    for clock in clocks:
        assert [kind for kind, _, _ in transitions(clock)] == ["due_soon", "overdue"]
    # The two sweeps split the work: together they wrote each transition once.
    written = sum((r.transitions for r in results), start=type(results[0].transitions)())
    assert dict(written) == {"due_soon": 80, "overdue": 80}
    assert sum(r.examined for r in results) == 80


@pytest.mark.postgres
@pytest.mark.parametrize("batch_size", [3, 5000])
def test_the_in_database_sweep_writes_what_the_python_sweep_writes(
    always, sla_settings, monkeypatch, batch_size
) -> None:
    """On PostgreSQL a batch is one SQL statement; on the same clocks, at several moments and in
    small batches (keyset cursor over equal next_check_at), it leaves the same clocks and events
    as the row-by-row Python batch."""
    import random

    from django.db import transaction

    from settings_app.models import Stage
    from tickets import sweep

    waiting = Stage.objects.get(pipeline__slug="support", slug="waiting-on-customer")
    rng = random.Random(7)
    start = utc("2026-12-01T08:00:00Z")
    for number in range(30):
        if number == 15:  # the rest get a first-response goal without a due-soon warning
            sla_settings(
                sla_document(
                    ALWAYS_DOCUMENT,
                    goals=[goal_row(first_response=(60, None), close=(1440, 240))],
                )
            )
        moment = start + datetime.timedelta(minutes=rng.choice([0, 0, 5, 30, 45, 90]))
        ticket = TicketFactory(now=moment)
        roll = rng.random()
        later = moment + datetime.timedelta(minutes=rng.randint(1, 200))
        if roll < 0.25:
            ticket_message_add(ticket_id=ticket.pk, body="Hi", author_kind="agent", now=later)
        elif roll < 0.45:
            ticket_update(ticket_id=ticket.pk, now=later, stage=waiting)

    def events() -> list[tuple]:
        return sorted(
            SlaEvent.objects.filter(kind__in=["due_soon", "overdue"]).values_list(
                "clock_id", "kind", "at", "should_notify", "detail"
            )
        )

    for now in (
        utc("2026-12-01T08:45:00Z"),  # exactly a due-soon moment
        utc("2026-12-01T09:00:00Z"),  # exactly a due moment: still due soon
        utc("2026-12-01T10:31:00Z"),
        utc("2026-12-03T09:00:00Z"),  # everything overdue, some passing due soon on the way
    ):
        results = {}
        for in_python in (False, True):
            monkeypatch.setattr(sweep, "SWEEP_IN_PYTHON", in_python)
            with transaction.atomic():
                result = sla_sweep(now=now, batch_size=batch_size)
                results[in_python] = (
                    result.examined,
                    dict(result.transitions),
                    snapshot(),
                    events(),
                )
                transaction.set_rollback(True)
        assert results[False] == results[True]
        assert results[False][1]  # something changed at each moment
