"""Every recompute path gives exactly what the general per-ticket path gives.

Random tickets (replies, next-response cycles, pauses, closes and reopens, with priorities and
teams) are recomputed after a settings change by the in-database path (PostgreSQL, the SQL mirror
of the clock planner), the set-based path (the planner, written in bulk) and ``tickets_reconcile``
(the planner, written ticket by ticket as the services do), each in a rolled-back transaction;
clocks, tickets and events must come out the same, in four settings scenarios and at exact
boundary moments.
"""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import connection, transaction

from settings_app.models import Stage
from settings_app.selectors import sla_config_get
from tests.factories import (
    WORKING_HOURS_DOCUMENT,
    TeamFactory,
    TicketFactory,
    goal_row,
    sla_document,
)
from tests.tickets.conftest import utc
from tickets.models import SlaClock, SlaEvent, Ticket
from tickets.recompute import RecomputeCount, sla_recompute_tickets
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
        Ticket.objects.values_list(
            "id",
            "sla_goal_value",
            "sla_settings_version",
            "sla_due_at",
            "sla_overdue_at",
            "sla_active_until",
        )
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


def _random_tickets(rng: random.Random, count: int) -> list[int]:
    """Tickets with replies, next-response cycles, pauses, closes and reopens, and properties."""
    stages = {s.slug: s for s in Stage.objects.filter(pipeline__slug="support")}
    teams = [TeamFactory(slug="billing"), TeamFactory(slug="hardware"), None]
    ids = []
    for _ in range(count):
        # Some moments carry microseconds, as real ones do (the events print them).
        moment = START + datetime.timedelta(
            minutes=rng.randint(0, 2000), microseconds=rng.choice([0, 0, rng.randint(1, 999_999)])
        )
        ticket = TicketFactory(
            now=moment,
            priority=rng.choice(["", "low", "medium", "high", "urgent"]),
            team=rng.choice(teams),
        )
        ids.append(ticket.pk)
        for _step in range(rng.randint(0, 4)):
            moment += datetime.timedelta(minutes=rng.randint(5, 600))
            if moment >= NOW:
                break
            if rng.random() < 0.15:  # a team change: another schedule, maybe other goals
                ticket_update(ticket_id=ticket.pk, now=moment, team=rng.choice(teams))
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
    return ids


BEFORE = {
    "all, working hours": sla_document(WORKING_HOURS_DOCUMENT),
    "by priority": sla_document(
        WORKING_HOURS_DOCUMENT,
        scope="property",
        property="priority",
        goals=[
            goal_row("urgent", first_response=(30, 10), close=(240, 60)),
            goal_row("high", first_response=(60, 15), next_response=(120, 30), close=(480, 60)),
            goal_row("medium", first_response=(120, None), close=(960, 120)),
            goal_row("low", enabled=False),
        ],
    ),
    "24/7": sla_document(),
    "by team": sla_document(
        WORKING_HOURS_DOCUMENT,
        scope="property",
        property="team",
        goals=[goal_row("billing", first_response=(60, 15), close=(600, 60))],
    ),
    # The "No team" row on (SPEC 2.3): tickets without a team have goals of their own.
    "by team, with no team": sla_document(
        WORKING_HOURS_DOCUMENT,
        scope="property",
        property="team",
        goals=[
            goal_row("billing", first_response=(60, 15), close=(600, 60)),
            goal_row(None, first_response=(90, 20), close=(900, 60)),
        ],
    ),
}
# Team schedules (SPEC 2.1): billing counts in New York hours with a holiday of its own,
# hardware in Tokyo's split days; tickets without a team in the default (Stockholm) hours.
NEW_YORK = {
    "teams": ["billing"],
    "timezone": "America/New_York",
    "working_hours": {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": [{"date": "2026-12-02", "name": "Closed", "recurring": False}],
}
TOKYO = {
    "teams": ["hardware"],
    "timezone": "Asia/Tokyo",
    "working_hours": {
        day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu")
    },
    "holidays": [],
}
BEFORE["team schedules"] = sla_document(WORKING_HOURS_DOCUMENT, team_schedules=[NEW_YORK, TOKYO])
BEFORE["team schedules, by team"] = sla_document(
    WORKING_HOURS_DOCUMENT,
    scope="property",
    property="team",
    goals=[
        goal_row("billing", first_response=(60, 15), next_response=(90, 20), close=(600, 60)),
        goal_row("hardware", first_response=(120, 30), close=(900, 60)),
        goal_row(None, first_response=(90, 20), close=(900, 60)),
    ],
    team_schedules=[NEW_YORK, TOKYO],
)
AFTER = {
    # Faster goals, another due-soon threshold and one goal kind dropped (next response).
    "all, working hours": sla_document(
        WORKING_HOURS_DOCUMENT, goals=[goal_row(first_response=(45, 20), close=(600, 90))]
    ),
    # Goals move for every priority, low gains goals, medium loses its close goal.
    "by priority": sla_document(
        WORKING_HOURS_DOCUMENT,
        scope="property",
        property="priority",
        goals=[
            goal_row("urgent", first_response=(20, 5), close=(200, 50)),
            goal_row("high", first_response=(90, 30), next_response=(100, 99), close=(400, None)),
            goal_row("medium", first_response=(100, 40)),
            goal_row("low", first_response=(600, 60), close=(3000, 600)),
        ],
    ),
    # Every goal a little longer: clocks only move.
    "24/7": sla_document(
        goals=[goal_row(first_response=(70, 15), next_response=(130, 30), close=(1500, 240))]
    ),
    "by team": sla_document(
        WORKING_HOURS_DOCUMENT,
        scope="property",
        property="team",
        goals=[
            goal_row("billing", first_response=(50, 15), close=(700, 60)),
            goal_row("hardware", first_response=(240, 60), close=(2000, 100)),
        ],
    ),
    # The no-team goals move; billing keeps its goals.
    "by team, with no team": sla_document(
        WORKING_HOURS_DOCUMENT,
        scope="property",
        property="team",
        goals=[
            goal_row("billing", first_response=(60, 15), close=(600, 60)),
            goal_row(None, first_response=(75, 25), close=(1200, 90)),
        ],
    ),
    # Billing's hours move and hardware joins its schedule; the default one is unchanged.
    "team schedules": sla_document(
        WORKING_HOURS_DOCUMENT,
        goals=[goal_row(first_response=(45, 20), next_response=(200, 30), close=(600, 90))],
        team_schedules=[
            {
                **NEW_YORK,
                "teams": ["billing", "hardware"],
                "working_hours": {
                    day: [["07:00", "12:00"], ["12:30", "19:00"]]
                    for day in ("mon", "tue", "wed", "thu", "fri", "sat")
                },
            }
        ],
    ),
    # Goals move for each team; Tokyo's hours shrink, New York's holiday goes.
    "team schedules, by team": sla_document(
        WORKING_HOURS_DOCUMENT,
        scope="property",
        property="team",
        goals=[
            goal_row("billing", first_response=(50, 15), next_response=(80, 20), close=(700, 60)),
            goal_row("hardware", first_response=(100, 30), close=(800, 60)),
            goal_row(None, first_response=(75, 25), close=(1200, 90)),
        ],
        team_schedules=[
            {**NEW_YORK, "holidays": []},
            {**TOKYO, "working_hours": {"mon": [["10:00", "16:00"]], "wed": [["10:00", "16:00"]]}},
        ],
    ),
}


def _recompute(ids: list[int], path: str) -> tuple[tuple, RecomputeCount]:
    """Recompute ``ids`` by ``path`` inside a rolled-back transaction: (snapshot, how)."""
    config = sla_config_get()
    with transaction.atomic():
        if path == "general":
            open_tickets = Ticket.objects.select_related("team", "pipeline", "stage").filter(
                id__in=ids, closed_at__isnull=True
            )
            tickets_reconcile(tickets=open_tickets, config=config, now=NOW)
            handled = RecomputeCount(0, 0)
        else:
            handled = sla_recompute_tickets(
                ticket_ids=ids, config=config, now=NOW, in_database=path == "database"
            )
        result = _snapshot()
        transaction.set_rollback(True)
    return result, handled


@pytest.mark.parametrize("scenario", list(BEFORE))
@pytest.mark.parametrize("seed", [1, 2])
def test_every_recompute_path_gives_the_same_result(sla_settings, scenario, seed) -> None:
    """The in-database path (PostgreSQL), the Python set-based path and the general per-ticket
    path leave the same clocks, tickets and events."""
    rng = random.Random(seed)
    TeamFactory(slug="billing")
    TeamFactory(slug="hardware")
    sla_settings(BEFORE[scenario])
    ids = _random_tickets(rng, 30)
    sla_settings(AFTER[scenario])
    before = _snapshot()

    open_count = Ticket.objects.filter(id__in=ids, closed_at__isnull=True).count()
    general, _ = _recompute(ids, "general")
    python, handled_python = _recompute(ids, "python")
    assert _snapshot() == before
    assert general != before
    # Every open ticket is planned and written set-based (no per-ticket fallback any more).
    assert handled_python == RecomputeCount(in_database=0, planned=open_count) != (0, 0)
    assert python == general
    if connection.vendor == "postgresql":
        in_database, handled_sql = _recompute(ids, "database")
        # The database takes the common case, Python the rest: every open ticket once.
        assert handled_sql.in_database > 0
        assert sum(handled_sql) == open_count
        assert in_database == general


@pytest.mark.parametrize("minutes_after_start", [54, 55, 70, 71])
def test_paths_agree_on_the_exact_due_soon_and_due_moments(sla_settings, minutes_after_start):
    """Recomputed at exactly the new due-soon moment (55 min) and due moment (70 min), and a
    minute before each: Due soon from its moment on, Overdue only after the due moment."""
    sla_settings(sla_document())  # 24/7: first response 60 min, due soon 15 min before
    start = utc("2026-12-01T09:00:00Z")
    ids = [TicketFactory(now=start).pk]
    sla_settings(sla_document(goals=[goal_row(first_response=(70, 15), close=(1440, 240))]))
    now = start + datetime.timedelta(minutes=minutes_after_start)
    expected = {54: "active", 55: "due_soon", 70: "due_soon", 71: "overdue"}[minutes_after_start]
    config = sla_config_get()
    paths = ["python", "database"] if connection.vendor == "postgresql" else ["python"]
    for path in paths:
        with transaction.atomic():
            sla_recompute_tickets(
                ticket_ids=ids, config=config, now=now, in_database=path == "database"
            )
            clock = SlaClock.objects.get(ticket_id=ids[0], kind="first_response")
            assert (path, clock.status) == (path, expected)
            assert clock.due_at == start + datetime.timedelta(minutes=70)
            transaction.set_rollback(True)
