"""The dry run of a settings change on the open tickets: what "new and open tickets" would do.

``settings_preview`` takes the settings snapshot a save would give (``sla_settings_check``'s
``config``) and the moment ``now``, and counts, per clock kind, how many running clocks of open
tickets would get an earlier or a later due moment, how many would start or be removed, and how
many would turn Due soon or Overdue at once; and how many tickets. It writes nothing: no lock, no
row, no event.

It applies the same rules as the real recompute (``tickets.recompute``): each open ticket is
loaded as the recompute loads it (``ticket_states_load``) and planned with the clock planner's
``SettingsApplied``; the plan is compared with the ticket's clocks instead of written. On
PostgreSQL the common case (clocks that only move) is computed inside the database by the
recompute's own SQL (``tickets.recompute_sql``, read-only), the rest in Python as above.
``tests/tickets/test_settings_preview.py`` compares the counts with what a real recompute then
does, on random tickets.

"At once" compares each clock's live status at ``now`` (SPEC §3: from its moments and ``now``)
before and after: a clock turns Overdue when it is overdue after and was not before (or did not
exist); it turns Due soon when it is due soon after and was active before (or did not exist).
"""

from __future__ import annotations

import datetime
import queue
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from settings_app.selectors import SlaConfig
from tickets import planner, sla
from tickets.clock_store import ticket_states_load
from tickets.models import Ticket
from tickets.recompute_sql import preview_tickets_sql

# Open tickets planned per batch in Python: a batch is two queries and its states in memory.
PREVIEW_CHUNK = 5000
# Connections the database part is split over (outside a transaction): the machine's cores.
PREVIEW_PARTS = 2
CLOCK_KINDS = (sla.FIRST_RESPONSE, sla.NEXT_RESPONSE, sla.CLOSE)


@dataclass
class ClockEffect:
    """What the change does to the running clocks of one kind."""

    earlier: int = 0  # due moment moves earlier
    later: int = 0  # due moment moves later
    unchanged: int = 0  # keeps its due moment
    started: int = 0  # a clock the ticket gains (a goal of that kind now applies)
    removed: int = 0  # a running clock that loses its goal
    overdue_now: int = 0  # turns Overdue at once
    due_soon_now: int = 0  # turns Due soon at once

    def add(self, other: ClockEffect) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SettingsPreview:
    """The dry run's answer; ``as_json`` is the API's ``POST /api/sla/settings/preview/``."""

    now: datetime.datetime
    open_tickets: int = 0
    clocks: dict[str, ClockEffect] = field(
        default_factory=lambda: {kind: ClockEffect() for kind in CLOCK_KINDS}
    )
    tickets_changed: int = 0  # tickets with a clock that moves, starts or is removed
    tickets_overdue_now: int = 0  # tickets with a clock that turns Overdue at once
    tickets_due_soon_now: int = 0  # tickets with a clock that turns Due soon at once

    def add(self, other: SettingsPreview) -> None:
        self.open_tickets += other.open_tickets
        for kind in CLOCK_KINDS:
            self.clocks[kind].add(other.clocks[kind])
        self.tickets_changed += other.tickets_changed
        self.tickets_overdue_now += other.tickets_overdue_now
        self.tickets_due_soon_now += other.tickets_due_soon_now

    def as_json(self) -> dict[str, Any]:
        return {
            "computed_at": sla.iso(self.now),
            "open_tickets": self.open_tickets,
            "clocks": {kind: dict(vars(effect)) for kind, effect in self.clocks.items()},
            "tickets": {
                "changed": self.tickets_changed,
                "overdue_now": self.tickets_overdue_now,
                "due_soon_now": self.tickets_due_soon_now,
            },
        }


def _live(clock: planner.Clock, now: datetime.datetime) -> str:
    return sla.clock_status(
        due_at=clock.due_at,
        due_soon_at=clock.due_soon_at,
        completed_at=clock.completed_at,
        paused_at=clock.paused_at,
        now=now,
    )


def turns(before: str | None, after: str) -> str | None:
    """ "overdue" or "due_soon" when a clock whose live status was ``before`` (None: it did not
    run) turns so at once, else None."""
    if after == sla.OVERDUE and before != sla.OVERDUE:
        return sla.OVERDUE
    if after == sla.DUE_SOON and before in (None, sla.ACTIVE):
        return sla.DUE_SOON
    return None


def _preview_in_python(
    *, ticket_ids: list[int], config: SlaConfig, now: datetime.datetime
) -> SettingsPreview:
    """Plan ``ticket_ids`` as the recompute does, and count what the plans would change."""
    result = SettingsPreview(now=now)
    states = ticket_states_load(ticket_ids=ticket_ids, config=config, for_update=False)
    applied = [planner.SettingsApplied()]
    for state in states.values():
        result.open_tickets += 1
        planned = planner.plan(
            state,
            applied,
            settings=config,
            schedule=config.schedule,
            schedules=config.team_schedules,
            now=now,
        )
        before = {clock.id: clock for clock in state.clocks if clock.completed_at is None}
        seen: set[int | None] = set()
        changed = overdue = due_soon = False
        for clock in planned.ticket.clocks:
            if clock.completed_at is not None:
                continue
            effect = result.clocks[clock.kind]
            old = before.get(clock.id) if clock.id is not None else None
            seen.add(clock.id)
            if old is None:
                effect.started += 1
                changed = True
            elif clock.due_at < old.due_at:
                effect.earlier += 1
                changed = True
            elif clock.due_at > old.due_at:
                effect.later += 1
                changed = True
            else:
                effect.unchanged += 1
            turned = turns(_live(old, now) if old is not None else None, _live(clock, now))
            if turned == sla.OVERDUE:
                effect.overdue_now += 1
                overdue = True
            elif turned == sla.DUE_SOON:
                effect.due_soon_now += 1
                due_soon = True
        for clock_id, old in before.items():
            if clock_id not in seen:
                result.clocks[old.kind].removed += 1
                changed = True
        result.tickets_changed += changed
        result.tickets_overdue_now += overdue
        result.tickets_due_soon_now += due_soon
    return result


def _from_sql(rows: list[tuple], *, now: datetime.datetime) -> SettingsPreview:
    result = SettingsPreview(now=now)
    for kind, *counts in rows:
        if kind is None:
            tickets, changed, overdue, due_soon, _zero = counts
            result.open_tickets += tickets
            result.tickets_changed += changed
            result.tickets_overdue_now += overdue
            result.tickets_due_soon_now += due_soon
        else:
            earlier, later, unchanged, overdue, due_soon = counts
            result.clocks[kind].add(
                ClockEffect(
                    earlier=earlier,
                    later=later,
                    unchanged=unchanged,
                    overdue_now=overdue,
                    due_soon_now=due_soon,
                )
            )
    return result


def _sql_part(
    *, config: SlaConfig, now: datetime.datetime, part: tuple[int, int], found: queue.Queue
) -> list[tuple]:
    """One part of the open tickets counted in the database, on this thread's own connection;
    the ids it leaves to Python go to ``found``, then None."""
    try:
        # Temporary tables live until the end of this transaction; nothing else is written.
        with transaction.atomic():
            return preview_tickets_sql(config=config, now=now, on_left=found.put, part=part)
    finally:
        found.put(None)
        connection.close()  # this thread's connection, opened for this part


def settings_preview(
    *,
    config: SlaConfig,
    now: datetime.datetime,
    chunk_size: int = PREVIEW_CHUNK,
    in_database: bool | None = None,
    parts: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> SettingsPreview:
    """What applying ``config`` to every open ticket at ``now`` would do; writes nothing.

    ``in_database`` (default: on PostgreSQL) lets the database compute the common case, as the
    recompute does; ``False`` plans every ticket in Python.

    In the database the open tickets are split by id into ``parts`` (default
    ``PREVIEW_PARTS``), each counted on a connection of its own in a thread of its own (at most
    ``PREVIEW_PARTS`` at once), while this thread plans the tickets they leave to Python as their
    ids arrive: on two cores the wall time is about half the work. Other connections cannot see
    this one's uncommitted writes, so inside a transaction (a test's, say) the work stays on this
    connection, in turn (whatever ``parts`` says). ``on_progress(n)``, in this thread: n open
    tickets are counted so far.
    """
    if in_database is None:
        in_database = connection.vendor == "postgresql"
    result = SettingsPreview(now=now)

    def progress(more: int = 0) -> None:
        if on_progress is not None:
            on_progress(result.open_tickets + more)

    def plan(ticket_ids: list[int], more: int = 0) -> None:
        for start in range(0, len(ticket_ids), chunk_size):
            chunk = ticket_ids[start : start + chunk_size]
            result.add(_preview_in_python(ticket_ids=chunk, config=config, now=now))
            progress(more)

    if not in_database:
        after_id = 0
        while ticket_ids := list(
            Ticket.objects.filter(closed_at__isnull=True, id__gt=after_id)
            .order_by("id")
            .values_list("id", flat=True)[:chunk_size]
        ):
            after_id = ticket_ids[-1]
            plan(ticket_ids)
        return result

    if parts is None or connection.in_atomic_block:
        parts = PREVIEW_PARTS if not connection.in_atomic_block else 1
    if parts == 1:
        left: list[int] = []
        with transaction.atomic():
            rows = preview_tickets_sql(config=config, now=now, on_left=left.extend)
        result.add(_from_sql(rows, now=now))
        progress()
        plan(left)
        return result

    found: queue.Queue[list[int] | None] = queue.Queue()
    workers = min(parts, PREVIEW_PARTS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="settings-preview") as pool:
        futures = [
            pool.submit(_sql_part, config=config, now=now, part=(part, parts), found=found)
            for part in range(parts)
        ]
        finished, in_database_done = 0, 0
        while finished < parts:
            arrived = found.get()
            if arrived is None:
                finished += 1
                in_database_done = sum(
                    _from_sql(future.result(), now=now).open_tickets
                    for future in futures
                    if future.done() and future.exception() is None
                )
                progress(in_database_done)
            else:
                plan(arrived, in_database_done)
        for future in futures:
            result.add(_from_sql(future.result(), now=now))
    return result
