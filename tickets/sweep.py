"""The beat sweep: persist clock status changes that time alone brought, and their events.

Only clocks whose ``next_check_at`` has come are read, through a partial index, in batches. Each
batch locks its rows with ``FOR UPDATE SKIP LOCKED`` and re-derives the status inside that lock,
so concurrent sweeps split the work and each transition is written once (a unique constraint on
the event backs this up). Running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q

from tickets import sla
from tickets.bulk import EventRow, clocks_set_status, events_insert
from tickets.models import SlaClock

# Rows per transaction: small enough to keep row locks brief (a batch takes well under a second),
# large enough that 10k transitions take two round trips and two commits.
SWEEP_BATCH = 5000
SWEEP_FIELDS = (
    "id",
    "ticket_id",
    "kind",
    "cycle",
    "status",
    "due_at",
    "due_soon_at",
    "completed_at",
    "paused_at",
    "next_check_at",
)


@dataclass
class SweepResult:
    examined: int = 0
    transitions: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> int:
        return sum(self.transitions.values())


def _sweep_batch(
    *, now: datetime.datetime, after: tuple[datetime.datetime, int] | None, batch_size: int
) -> tuple[int, list[EventRow], tuple[datetime.datetime, int] | None]:
    """One batch in the caller's transaction: (rows read, events written, keyset cursor)."""
    if connection.vendor == "postgresql":
        # Everything the sweep writes can be derived again from the stored moments: if a crash
        # loses the last commits, the next sweep redoes them. So do not wait for the WAL flush.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    queryset = SlaClock.objects.select_for_update(skip_locked=True).filter(next_check_at__lte=now)
    if after is not None:
        queryset = queryset.filter(
            Q(next_check_at__gt=after[0]) | Q(next_check_at=after[0], id__gt=after[1])
        )
    rows = list(queryset.order_by("next_check_at", "id").only(*SWEEP_FIELDS)[:batch_size])
    cursor = (rows[-1].next_check_at, rows[-1].pk) if rows else None
    changed: list[tuple[int, str, datetime.datetime | None]] = []
    events: list[EventRow] = []
    for clock in rows:
        new = sla.clock_status(
            due_at=clock.due_at,
            due_soon_at=clock.due_soon_at,
            completed_at=clock.completed_at,
            paused_at=clock.paused_at,
            now=now,
        )
        steps = [
            step
            for step in sla.transitions_between(old_status=clock.status, new_status=new)
            if not (step == sla.DUE_SOON and clock.due_soon_at is None)
        ]
        checked_at = clock.next_check_at
        clock.status = new
        clock.next_check_at = sla.next_check_at(
            status=new,
            due_at=clock.due_at,
            due_soon_at=clock.due_soon_at,
            completed_at=clock.completed_at,
            paused_at=clock.paused_at,
        )
        if not steps and clock.next_check_at == checked_at:
            continue
        changed.append((clock.pk, clock.status, clock.next_check_at))
        for step in steps:
            moment = clock.due_soon_at if step == sla.DUE_SOON else clock.due_at
            events.append(
                EventRow(
                    clock.ticket_id,
                    clock.pk,
                    clock.kind,
                    clock.cycle,
                    step,
                    moment,
                    {},
                    step == steps[-1],
                )
            )
    clocks_set_status(changed)
    events_insert(events, now=now)
    return len(rows), events, cursor


def sla_sweep(*, now: datetime.datetime, batch_size: int = SWEEP_BATCH) -> SweepResult:
    """Persist every status change due by ``now`` (aware). Idempotent; safe to run concurrently.

    Each batch is its own transaction. Returns how many clocks were examined and the transitions
    written, by kind ("due_soon", "overdue").
    """
    result = SweepResult()
    after: tuple[datetime.datetime, int] | None = None
    while True:
        with transaction.atomic():
            read, events, after = _sweep_batch(now=now, after=after, batch_size=batch_size)
        result.examined += read
        result.transitions.update(event.kind for event in events)
        if read < batch_size:
            return result


def sla_sweep_and_notify(*, now: datetime.datetime) -> dict:
    """The periodic job: sweep, send due emails, and re-queue stalled recomputes."""
    from tickets.notifications import sla_notifications_send
    from tickets.recompute import sla_recomputes_requeue_stalled

    result = sla_sweep(now=now)
    return {
        "examined": result.examined,
        "transitions": dict(result.transitions),
        "emails": sla_notifications_send(now=now),
        "recomputes_requeued": sla_recomputes_requeue_stalled(now=now),
    }
