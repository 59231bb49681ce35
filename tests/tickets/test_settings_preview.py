"""The dry run of "new and open tickets" (SPEC §2.5, issue 15) counts exactly what the real
recompute then does, and writes nothing.

Random tickets (replies, next-response cycles, pauses, closes and reopens, priorities and teams)
under one configuration; the dry run of another (``sla_settings_check`` then
``settings_preview``, at a frozen ``now``) is compared with what a real save with "new and open
tickets" and its recompute, run at the same ``now``, do to the running clocks: due moments earlier
or later, clocks started or removed, and live statuses that turn Due soon or Overdue at once.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from settings_app.services import sla_settings_check
from tests.factories import WORKING_HOURS_DOCUMENT, TeamFactory, goal_row, sla_document
from tests.tickets.test_recompute_paths import AFTER, BEFORE, NOW, _random_tickets, _snapshot
from tickets import sla
from tickets.models import SlaClock, SlaRecompute, Ticket
from tickets.preview import CLOCK_KINDS, settings_preview
from tickets.recompute import sla_recompute_run

pytestmark = pytest.mark.django_db

SCENARIOS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    name: (BEFORE[name], AFTER[name]) for name in BEFORE
}
# Pausing stops: paused clocks resume (the Python path); and a schedule that counts less.
SCENARIOS["pause stages and hours"] = (
    sla_document(WORKING_HOURS_DOCUMENT),
    sla_document(
        WORKING_HOURS_DOCUMENT,
        pause_statuses=[],
        working_hours={"mon": [["09:00", "12:00"]], "wed": [["10:00", "16:00"]]},
    ),
)
# Goals switched off: every running clock is removed.
SCENARIOS["goals off"] = (
    sla_document(WORKING_HOURS_DOCUMENT),
    sla_document(WORKING_HOURS_DOCUMENT, goals_enabled=False),
)


def _running(now: datetime.datetime) -> dict[int, tuple[int, str, datetime.datetime, str]]:
    """Every running clock: id -> (ticket, kind, due moment, live status at ``now``)."""
    return {
        clock.pk: (
            clock.ticket_id,
            clock.kind,
            clock.due_at,
            sla.clock_status(
                due_at=clock.due_at,
                due_soon_at=clock.due_soon_at,
                completed_at=None,
                paused_at=clock.paused_at,
                now=now,
            ),
        )
        for clock in SlaClock.objects.filter(completed_at__isnull=True, ticket__closed_at=None)
    }


def _effects(before: dict, after: dict) -> dict[str, Any]:
    """The dry run's counts, worked out from the clocks before and after a real recompute."""
    clocks = {kind: Counter() for kind in CLOCK_KINDS}
    changed, overdue, due_soon = set(), set(), set()
    for clock_id, (ticket, kind, due_at, status) in after.items():
        old = before.get(clock_id)
        if old is None:
            clocks[kind]["started"] += 1
            changed.add(ticket)
        elif due_at != old[2]:
            clocks[kind]["earlier" if due_at < old[2] else "later"] += 1
            changed.add(ticket)
        else:
            clocks[kind]["unchanged"] += 1
        was = old[3] if old is not None else None
        if status == sla.OVERDUE and was != sla.OVERDUE:
            clocks[kind]["overdue_now"] += 1
            overdue.add(ticket)
        elif status == sla.DUE_SOON and was in (None, sla.ACTIVE):
            clocks[kind]["due_soon_now"] += 1
            due_soon.add(ticket)
    for clock_id, (ticket, kind, _due, _status) in before.items():
        if clock_id not in after:
            clocks[kind]["removed"] += 1
            changed.add(ticket)
    names = ("earlier", "later", "unchanged", "started", "removed", "overdue_now", "due_soon_now")
    return {
        "open_tickets": Ticket.objects.filter(closed_at=None).count(),
        "clocks": {kind: {name: clocks[kind][name] for name in names} for kind in CLOCK_KINDS},
        "tickets": {
            "changed": len(changed),
            "overdue_now": len(overdue),
            "due_soon_now": len(due_soon),
        },
    }


def _compare_with_the_recompute(sla_settings, scenario: str, seed: int, **runs: dict) -> None:
    """Random tickets under the scenario's old settings; the dry run of the new ones, once per
    ``runs`` (name: ``settings_preview`` arguments), must count what a real save with "new and
    open tickets" and its recompute then do."""
    rng = random.Random(seed)
    TeamFactory(slug="billing")
    TeamFactory(slug="hardware")
    old_settings, new_settings = SCENARIOS[scenario]
    sla_settings(old_settings)
    _random_tickets(rng, 30)
    stored = _snapshot()
    before = _running(NOW)

    check = sla_settings_check(document=new_settings, now=NOW)
    assert check.config is not None
    previews = {
        name: settings_preview(config=check.config, now=NOW, chunk_size=7, **kwargs).as_json()
        for name, kwargs in runs.items()
    }
    assert _snapshot() == stored  # the dry run wrote nothing

    saved = sla_settings(new_settings, apply_to="new_and_open")
    assert saved.recompute is not None
    sla_recompute_run(recompute_id=saved.recompute.pk, now=NOW)
    assert SlaRecompute.objects.get(pk=saved.recompute.pk).state == SlaRecompute.State.DONE
    expected = _effects(before, _running(NOW))

    assert expected["tickets"]["changed"] > 0  # the scenario does something
    for name, preview in previews.items():
        assert preview.pop("computed_at") == "2026-12-03T13:17:00Z", name
        assert preview == expected, name


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("seed", [1, 2])
def test_the_dry_run_counts_what_the_recompute_then_does(sla_settings, scenario, seed) -> None:
    """Inside the test's transaction: in Python, and (PostgreSQL) in the database on this
    connection, the ids it leaves planned in Python after it."""
    runs: dict[str, dict] = {"python": {"in_database": False}}
    if connection.vendor == "postgresql":
        runs["database"] = {"in_database": True}
    _compare_with_the_recompute(sla_settings, scenario, seed, **runs)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "scenario", ["by priority", "team schedules, by team", "pause stages and hours", "goals off"]
)
def test_the_dry_run_split_over_connections_counts_what_the_recompute_then_does(
    sla_settings, scenario, monkeypatch
) -> None:
    """Outside a transaction the database part is split by ticket id over connections of their
    own, in threads, while this thread plans what they leave to Python: the same counts."""
    import threading

    from tickets import preview as preview_module

    calls: list[tuple[tuple[int, int], bool]] = []
    original = preview_module.preview_tickets_sql

    def spy(**kwargs):
        calls.append((kwargs["part"], threading.current_thread() is threading.main_thread()))
        return original(**kwargs)

    monkeypatch.setattr(preview_module, "preview_tickets_sql", spy)
    _compare_with_the_recompute(
        sla_settings, scenario, 3, default={}, three={"parts": 3}, python={"in_database": False}
    )
    assert sorted(calls) == [
        ((0, 2), False),
        ((0, 3), False),
        ((1, 2), False),
        ((1, 3), False),
        ((2, 3), False),
    ]


@pytest.mark.postgres
def test_inside_a_transaction_the_dry_run_stays_on_this_connection(
    sla_settings, monkeypatch
) -> None:
    """Other connections would not see this transaction's tickets: no split, no thread."""
    import threading

    from tickets import preview as preview_module

    calls: list[tuple[tuple[int, int], bool]] = []
    original = preview_module.preview_tickets_sql

    def spy(**kwargs):
        main = threading.current_thread() is threading.main_thread()
        calls.append((kwargs.get("part", (0, 1)), main))
        return original(**kwargs)

    monkeypatch.setattr(preview_module, "preview_tickets_sql", spy)
    _compare_with_the_recompute(sla_settings, "by priority", 4, default={})
    assert calls == [((0, 1), True)]


def test_the_dry_run_sees_clocks_turn_overdue_and_due_soon_at_once(sla_settings) -> None:
    """Shorter goals: a clock 50 min into a 60 min goal is overdue under a 45 min goal, one 10
    min in turns Due soon under a 20 min goal with a 15 min threshold."""
    from tests.factories import TicketFactory

    sla_settings(sla_document(goals=[goal_row(first_response=(60, None))]))
    TicketFactory(now=NOW - datetime.timedelta(minutes=50))
    TicketFactory(now=NOW - datetime.timedelta(minutes=10))
    TicketFactory(now=NOW - datetime.timedelta(minutes=1))
    check = sla_settings_check(
        document=sla_document(goals=[goal_row(first_response=(45, None))]), now=NOW
    )
    assert check.config is not None
    assert settings_preview(config=check.config, now=NOW).as_json()["clocks"]["first_response"] == {
        "earlier": 3,
        "later": 0,
        "unchanged": 0,
        "started": 0,
        "removed": 0,
        "overdue_now": 1,
        "due_soon_now": 0,
    }
    check = sla_settings_check(
        document=sla_document(goals=[goal_row(first_response=(20, 15))]), now=NOW
    )
    assert check.config is not None
    preview = settings_preview(config=check.config, now=NOW).as_json()
    assert preview["clocks"]["first_response"]["overdue_now"] == 1
    assert preview["clocks"]["first_response"]["due_soon_now"] == 1  # the one 10 min in
    assert preview["tickets"] == {"changed": 3, "overdue_now": 1, "due_soon_now": 1}


def test_clocks_that_start_count_as_turning_at_once(sla_settings) -> None:
    """A goal the tickets did not have: their new clocks start at creation, and one that is
    already past its due-soon moment turns Due soon, one past its due moment Overdue."""
    from tests.factories import TicketFactory

    sla_settings(sla_document(goals=[goal_row(close=(1440, None))]))
    for minutes_ago in (70, 40, 5):
        TicketFactory(now=NOW - datetime.timedelta(minutes=minutes_ago))
    document = sla_document(goals=[goal_row(first_response=(60, 30), close=(1440, None))])
    check = sla_settings_check(document=document, now=NOW)
    assert check.config is not None

    preview = settings_preview(config=check.config, now=NOW).as_json()

    assert preview["clocks"]["first_response"] == {
        "earlier": 0,
        "later": 0,
        "unchanged": 0,
        "started": 3,
        "removed": 0,
        "overdue_now": 1,
        "due_soon_now": 1,
    }
    assert preview["clocks"]["close"]["unchanged"] == 3
    assert preview["tickets"] == {"changed": 3, "overdue_now": 1, "due_soon_now": 1}
