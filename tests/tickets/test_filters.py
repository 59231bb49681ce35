"""The SLA-status filters agree with the live status of every clock, whether or not the sweep has
run: the overdue filter reads ``Ticket.sla_overdue_at`` and the due-soon filter persisted statuses
where they cannot be stale, so random tickets are checked against ``tickets.sla.clock_status``
at many moments."""

from __future__ import annotations

import datetime
import random

import pytest

from settings_app.models import Stage
from tests.factories import (
    ALWAYS_DOCUMENT,
    WORKING_HOURS_DOCUMENT,
    TicketFactory,
    goal_row,
    sla_document,
)
from tests.tickets.conftest import utc
from tickets import sla
from tickets.models import SlaClock, Ticket
from tickets.selectors import (
    SLA_STATUS_FILTERS,
    TicketFilters,
    TicketPaginator,
    sla_status_q,
    tickets_count,
    tickets_list,
)
from tickets.services import ticket_message_add, ticket_update
from tickets.sweep import sla_sweep

pytestmark = pytest.mark.django_db

START = utc("2026-11-30T07:00:00Z")  # Mon 08:00 Stockholm


def expected(status: str, now: datetime.datetime) -> set[int]:
    """Tickets matching ``status`` at ``now``, by the Python rules, clock by clock."""
    by_ticket: dict[int, list[SlaClock]] = {}
    for clock in SlaClock.objects.all():
        by_ticket.setdefault(clock.ticket_id, []).append(clock)
    matching = set()
    for ticket_id, clocks in by_ticket.items():
        live = [
            sla.clock_status(
                due_at=c.due_at,
                due_soon_at=c.due_soon_at,
                completed_at=c.completed_at,
                paused_at=c.paused_at,
                now=now,
            )
            for c in clocks
        ]
        running = [s for s, c in zip(live, clocks, strict=True) if c.completed_at is None]
        if status == "completed" and not running or status in running:
            matching.add(ticket_id)
    return matching


def filtered(status: str, now: datetime.datetime) -> set[int]:
    ids = set(Ticket.objects.filter(sla_status_q(status, now=now)).values_list("id", flat=True))
    # What the queue and the API show: the count, and every page of the list.
    for stage in ("", "open", "closed"):
        filters = TicketFilters(sla_status=status, stage=stage)
        listed = tickets_list(filters=filters, viewer=None, now=now)
        assert tickets_count(tickets=listed, filters=filters, now=now) == listed.count()
        paginator = TicketPaginator(listed, 4)
        paged = [t.pk for n in paginator.page_range for t in paginator.page(n).object_list]
        assert paged == list(listed.values_list("pk", flat=True))
        if stage == "":
            assert set(paged) == ids
    return ids


@pytest.mark.parametrize("seed", [1, 2])
def test_filters_match_the_live_status_with_and_without_the_sweep(sla_settings, seed) -> None:
    sla_settings(
        sla_document(
            WORKING_HOURS_DOCUMENT,
            goals=[goal_row(first_response=(60, 20), next_response=(90, None), close=(600, 120))],
        )
    )
    stages = {s.slug: s for s in Stage.objects.filter(pipeline__slug="support")}
    rng = random.Random(seed)
    last_activity = START
    for _ in range(25):
        moment = START + datetime.timedelta(minutes=rng.randint(0, 3000))
        ticket = TicketFactory(now=moment)
        for _step in range(rng.randint(0, 3)):
            moment += datetime.timedelta(minutes=rng.randint(5, 900))
            roll = rng.random()
            if roll < 0.3:
                ticket_message_add(ticket_id=ticket.pk, body="ok", author_kind="agent", now=moment)
            elif roll < 0.55:
                ticket_message_add(
                    ticket_id=ticket.pk, body="?", author_kind="customer", now=moment
                )
            elif roll < 0.85:
                stage = stages["waiting-on-customer"] if rng.random() < 0.7 else stages["new"]
                ticket_update(ticket_id=ticket.pk, now=moment, stage=stage)
            else:
                ticket_update(ticket_id=ticket.pk, now=moment, stage=stages["closed"])
        last_activity = max(last_activity, moment)
    # Moments after everything happened (a filter is asked about the present, not the past).
    moments = [last_activity + datetime.timedelta(minutes=rng.randint(0, 6000)) for _ in range(12)]
    # Exact due and due-soon moments are where an off-by-one would show.
    clocks = list(SlaClock.objects.filter(completed_at__isnull=True))
    moments += [c.due_at for c in clocks if c.due_at > last_activity][:4]
    moments += [c.due_soon_at for c in clocks if (c.due_soon_at or START) > last_activity][:4]
    seen = set()
    for now in sorted(moments):
        for status in SLA_STATUS_FILTERS:  # the sweep late: persisted statuses are stale
            assert filtered(status, now) == expected(status, now), (status, now, "stale")
            seen.add(status) if expected(status, now) else None
        sla_sweep(now=now)
        for status in SLA_STATUS_FILTERS:
            assert filtered(status, now) == expected(status, now), (status, now, "swept")
    assert seen == set(SLA_STATUS_FILTERS)  # every filter matched something at some moment
    # What the Due soon count relies on (tickets_count): a closed ticket has no running clock.
    assert SlaClock.objects.filter(ticket__closed_at__isnull=False).exists()
    assert not SlaClock.objects.filter(
        ticket__closed_at__isnull=False, completed_at__isnull=True
    ).exists()


def test_a_ticket_with_two_clocks_due_soon_is_counted_and_listed_once(sla_settings) -> None:
    sla_settings(
        sla_document(
            ALWAYS_DOCUMENT,
            goals=[goal_row(first_response=(60, 30), close=(70, 45))],
        )
    )
    ticket = TicketFactory(now=START)
    TicketFactory(now=START + datetime.timedelta(minutes=20))  # not due soon yet
    now = START + datetime.timedelta(minutes=40)  # both of the first ticket's clocks due soon
    assert expected(sla.DUE_SOON, now) == {ticket.pk}
    for stage in ("", "open"):
        filters = TicketFilters(sla_status=sla.DUE_SOON, stage=stage)
        listed = tickets_list(filters=filters, viewer=None, now=now)
        assert tickets_count(tickets=listed, filters=filters, now=now) == 1
        page = TicketPaginator(listed, 25).page(1)
        assert [t.pk for t in page.object_list] == [ticket.pk]
