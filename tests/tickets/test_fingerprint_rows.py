"""The queue's page of tickets read from its fingerprint (``tickets_of_fingerprint``) is the page
the ORM reads (``TicketPaginator``): the same tickets in the same order, every column of each
ticket and clock the same value of the same type (moments in the same zone), and the names of
its team, pipeline, stage and owner. Tickets in every state: waiting, paused, closed, answered
with a next-response cycle, with and without a team, an owner or clocks, excluded periods and
copies.
"""

from __future__ import annotations

import datetime
import json
import random
from typing import Any

import pytest

from settings_app.models import Stage, Team
from tests.factories import ALWAYS_DOCUMENT, AgentFactory, goal_row, sla_document
from tests.tickets.conftest import utc
from tickets.models import SlaClock, Ticket
from tickets.selectors import (
    TicketFilters,
    TicketPaginator,
    tickets_list,
    tickets_of_fingerprint,
    tickets_page_fingerprint,
)
from tickets.services import ticket_create, ticket_message_add, ticket_update

pytestmark = pytest.mark.django_db

START = utc("2026-11-30T07:00:00Z")


def columns(instance: Any) -> list[str]:
    """Every concrete column of a ticket or clock, as its type and value read (repr: a moment's
    zone too)."""
    return [
        f"{field.attname}={getattr(instance, field.attname)!r}"
        for field in type(instance)._meta.concrete_fields
    ]


def names(ticket: Ticket) -> list[str | None]:
    return [
        ticket.team.name if ticket.team else None,
        ticket.pipeline.name,
        ticket.stage.name,
        ticket.owner.get_username() if ticket.owner else None,
    ]


@pytest.fixture
def tickets(sla_settings) -> list[Ticket]:
    sla_settings(
        sla_document(
            ALWAYS_DOCUMENT,
            goals=[goal_row(first_response=(60, 20), next_response=(90, None), close=(600, 120))],
        )
    )
    stages = {s.slug: s for s in Stage.objects.filter(pipeline__slug="support")}
    team = Team.objects.create(name="Billing & <Co>", slug="billing")
    owners = [None, AgentFactory(username="lee"), AgentFactory(username="sam")]
    rng = random.Random(7)
    made = []
    for number in range(14):
        # Whole seconds, whole milliseconds and microseconds: the texts the database writes differ.
        moment = START + datetime.timedelta(
            minutes=rng.randint(0, 3000), microseconds=(0, 120_000, 123_456)[number % 3]
        )
        ticket = ticket_create(
            subject=f'Ticket {number} «ü» "quoted"',
            body="Help",
            requester_email=f"c{number}@example.com",
            requester_name="Ana" if number % 2 else "",
            priority=("", "low", "high", "urgent")[number % 4],
            team=team if number % 3 else None,
            owner=owners[number % 3],
            cc_emails=["x@example.com"] if number % 5 == 0 else None,
            now=moment,
        )
        for _step in range(number % 4):
            moment += datetime.timedelta(minutes=rng.randint(5, 300))
            roll = rng.random()
            if roll < 0.35:  # a reply, then the customer again: a next-response cycle
                ticket_message_add(ticket_id=ticket.pk, body="ok", author_kind="agent", now=moment)
                ticket_message_add(
                    ticket_id=ticket.pk,
                    body="?",
                    author_kind="customer",
                    now=moment + datetime.timedelta(minutes=1),
                )
            elif roll < 0.8:  # paused, some resumed (excluded periods)
                ticket_update(ticket_id=ticket.pk, now=moment, stage=stages["waiting-on-customer"])
                if rng.random() < 0.5:
                    ticket_update(
                        ticket_id=ticket.pk,
                        now=moment + datetime.timedelta(minutes=40),
                        stage=stages["new"],
                    )
            else:
                ticket_update(ticket_id=ticket.pk, now=moment, stage=stages["closed"])
        made.append(ticket)
    SlaClock.objects.filter(ticket=made[-1]).delete()  # a ticket without clocks: one line
    return made


def test_a_page_read_from_its_fingerprint_is_the_page_the_orm_reads(tickets) -> None:
    now = START + datetime.timedelta(days=3)
    listed = tickets_list(filters=TicketFilters(), viewer=None, now=now)
    shapes = {"paused": 0, "closed": 0, "cycles": 0, "excluded": 0, "clockless": 0}
    for per_page in (4, 25):
        paginator = TicketPaginator(listed, per_page)
        for number in paginator.page_range:
            lines = tickets_page_fingerprint(listed, number=number, per_page=per_page)
            read = tickets_of_fingerprint(lines)
            assert read is not None
            expected = list(paginator.page(number).object_list)
            assert [t.pk for t in read.tickets] == [t.pk for t in expected]
            for mine, theirs in zip(read.tickets, expected, strict=True):
                assert columns(mine) == columns(theirs)
                assert names(mine) == names(theirs)
                their_clocks = list(theirs.clocks.all())
                assert [columns(c) for c in read.clocks[mine.pk]] == [
                    columns(c) for c in their_clocks
                ]
                assert all(c.ticket is mine for c in read.clocks[mine.pk])
                shapes["paused"] += any(c.paused_at for c in their_clocks)
                shapes["closed"] += theirs.closed_at is not None
                shapes["cycles"] += any(c.cycle > 1 for c in their_clocks)
                shapes["excluded"] += bool(theirs.excluded_periods)
                shapes["clockless"] += not their_clocks
    assert all(shapes.values()), shapes  # every shape of ticket was compared


def test_a_moment_it_cannot_read_sends_the_page_to_the_orm(tickets) -> None:
    listed = tickets_list(filters=TicketFilters(), viewer=None, now=START)
    lines = tickets_page_fingerprint(listed, number=1, per_page=3)
    values = json.loads(lines[0])
    created_at = [field.attname for field in Ticket._meta.concrete_fields].index("created_at")
    values[created_at] = "infinity"  # as PostgreSQL writes an infinite moment
    assert tickets_of_fingerprint([json.dumps(values), *lines[1:]]) is None
