"""The SQL and ORM mirrors of the clock rules agree with the Python reference on random clocks.

``tickets.sla.clock_status`` and ``next_check_at`` are the reference; the sweep and the recompute
run ``clock_status_sql`` / ``next_check_at_sql`` inside the database, the queue's filters run
``running_clock_q``, and on PostgreSQL ``transitions_sql`` / ``transition_moment_sql`` name the
transitions a clock passed. Random clocks (with and without a due-soon moment, paused, completed,
with any stored status) are judged by each at moments on and around their own boundaries.
"""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import connection
from django.db.models import DateTimeField
from django.db.models.expressions import RawSQL

from tests.factories import TicketFactory, sla_document
from tests.tickets.conftest import utc
from tickets import sla
from tickets.models import SlaClock
from tickets.selectors import running_clock_q

pytestmark = pytest.mark.django_db

START = utc("2026-12-01T08:00:00Z")
SECOND = datetime.timedelta(seconds=1)


def _random_clocks(rng: random.Random, count: int) -> list[SlaClock]:
    ticket = TicketFactory(now=START)  # goals off: the ticket has no clocks of its own
    clocks = []
    for cycle in range(1, count + 1):
        started = START + datetime.timedelta(minutes=rng.randint(0, 600))
        due = started + datetime.timedelta(minutes=rng.randint(1, 600))
        soon = None if rng.random() < 0.3 else due - datetime.timedelta(minutes=rng.randint(1, 60))
        completed = paused = None
        roll = rng.random()
        if roll < 0.25:
            completed = rng.choice([due, due + SECOND, due - SECOND, started + SECOND])
        elif roll < 0.5:
            paused = rng.choice([due, due + SECOND, soon or due, (soon or due) - SECOND, started])
        clocks.append(
            SlaClock(
                ticket=ticket,
                kind=sla.NEXT_RESPONSE,
                cycle=cycle,
                goal_minutes=60,
                settings_version=1,
                started_at=started,
                due_at=due,
                due_soon_at=soon,
                completed_at=completed,
                paused_at=paused,
                status=rng.choice(sla.RUNNING_STATUSES),
            )
        )
    return SlaClock.objects.bulk_create(clocks)


def _moments(clocks: list[SlaClock]) -> list[datetime.datetime]:
    """Every clock's own boundaries, and a second either side of them."""
    moments = set()
    for clock in clocks:
        for moment in (clock.due_at, clock.due_soon_at, clock.paused_at):
            if moment is not None:
                moments.update({moment - SECOND, moment, moment + SECOND})
    return sorted(moments)


def _sql(expression: str, now: datetime.datetime) -> RawSQL:
    value = connection.ops.adapt_datetimefield_value(now)
    return RawSQL(expression, [value] * expression.count("%s"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_status_in_sql_and_in_the_orm_agree_with_python(sla_settings, seed: int) -> None:
    sla_settings(sla_document(goals_enabled=False))
    clocks = {clock.pk: clock for clock in _random_clocks(random.Random(seed), 60)}
    status_sql = sla.clock_status_sql(
        due_at="due_at",
        due_soon_at="due_soon_at",
        completed_at="completed_at",
        paused_at="paused_at",
        now="%s",
    )
    for now in _moments(list(clocks.values()))[::3]:
        python = {
            pk: sla.clock_status(
                due_at=c.due_at,
                due_soon_at=c.due_soon_at,
                completed_at=c.completed_at,
                paused_at=c.paused_at,
                now=now,
            )
            for pk, c in clocks.items()
        }
        in_sql = dict(
            SlaClock.objects.annotate(live=_sql(status_sql, now)).values_list("pk", "live")
        )
        assert in_sql == python, now
        for status in sla.RUNNING_STATUSES:
            matched = set(
                SlaClock.objects.filter(completed_at__isnull=True)
                .filter(running_clock_q(status, now))
                .values_list("pk", flat=True)
            )
            assert matched == {pk for pk, live in python.items() if live == status}, (status, now)


@pytest.mark.parametrize("seed", [1, 2])
def test_next_check_in_sql_agrees_with_python(sla_settings, seed: int) -> None:
    sla_settings(sla_document(goals_enabled=False))
    clocks = _random_clocks(random.Random(seed), 60)
    next_check_sql = sla.next_check_at_sql(
        status="status",
        due_at="due_at",
        due_soon_at="due_soon_at",
        completed_at="completed_at",
        paused_at="paused_at",
    )
    in_sql = dict(
        SlaClock.objects.annotate(
            check=RawSQL(next_check_sql, [], output_field=DateTimeField())
        ).values_list("pk", "check")
    )
    for clock in clocks:
        expected = sla.next_check_at(
            status=clock.status,
            due_at=clock.due_at,
            due_soon_at=clock.due_soon_at,
            completed_at=clock.completed_at,
            paused_at=clock.paused_at,
        )
        assert in_sql[clock.pk] == expected, clock


@pytest.mark.postgres
def test_transitions_in_sql_agree_with_python() -> None:
    due, soon = utc("2026-12-01T09:00:00Z"), utc("2026-12-01T08:45:00Z")
    kinds = sla.transitions_sql(old_status="o", new_status="n", due_soon_at="s")
    moment = sla.transition_moment_sql(step="step", due_at="d", due_soon_at="s")
    statuses = (*sla.RUNNING_STATUSES, sla.COMPLETED_ON_TIME, sla.COMPLETED_LATE)
    with connection.cursor() as cursor:
        for old in statuses:
            for new in statuses:
                for due_soon_at in (soon, None):
                    cursor.execute(
                        f"SELECT step, {moment} FROM (SELECT %s::text AS o, %s::text AS n, "
                        f"%s::timestamptz AS d, %s::timestamptz AS s) AS c "
                        f"CROSS JOIN LATERAL unnest({kinds}) WITH ORDINALITY AS t(step, i) "
                        "ORDER BY i",
                        [old, new, due, due_soon_at],
                    )
                    expected = sla.transitions_passed(
                        old_status=old, new_status=new, due_at=due, due_soon_at=due_soon_at
                    )
                    assert tuple(cursor.fetchall()) == expected, (old, new, due_soon_at)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_ticket_is_active_exactly_before_its_active_until(sla_settings, seed: int) -> None:
    """``ticket_active_until`` (the "Active" filter's ``sla_active_until > now``) agrees with
    ``clock_status`` of the ticket's clocks at every boundary, to the microsecond, and its SQL
    mirror (the recompute's) with it."""
    sla_settings(sla_document(goals_enabled=False))
    rng = random.Random(seed)
    clocks = _random_clocks(rng, 60)
    groups: list[list[SlaClock]] = []
    while clocks:
        size = rng.randint(1, 3)
        groups.append(clocks[:size])
        clocks = clocks[size:]
    microsecond = datetime.timedelta(microseconds=1)
    for group in groups:
        until = sla.ticket_active_until(
            (c.due_at, c.due_soon_at, c.completed_at, c.paused_at) for c in group
        )
        moments = {
            moment + step
            for c in group
            for moment in (c.due_at, c.due_soon_at, c.paused_at)
            if moment is not None
            for step in (-SECOND, -microsecond, datetime.timedelta(0), microsecond, SECOND)
        }
        for now in sorted(moments):
            active = any(
                sla.clock_status(
                    due_at=c.due_at,
                    due_soon_at=c.due_soon_at,
                    completed_at=c.completed_at,
                    paused_at=c.paused_at,
                    now=now,
                )
                == sla.ACTIVE
                for c in group
            )
            assert (until is not None and until > now) == active, (group, now)
        if connection.vendor == "postgresql":
            aggregate = sla.ticket_active_until_sql(
                due_at="due_at",
                due_soon_at="due_soon_at",
                completed_at="completed_at",
                paused_at="paused_at",
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {aggregate} FROM tickets_slaclock WHERE id = ANY(%s)",
                    [[c.pk for c in group]],
                )
                assert cursor.fetchone()[0] == until, group
