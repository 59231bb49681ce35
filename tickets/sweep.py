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

from django.db import transaction
from django.db.models import Q

from tickets import sla
from tickets.models import SlaClock, SlaEvent

# Rows per transaction: small enough to keep row locks short and the CASE of bulk_update cheap,
# large enough that 10k transitions take a handful of round trips.
SWEEP_BATCH = 1000
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
) -> tuple[int, list[SlaEvent], tuple[datetime.datetime, int] | None]:
    """One batch in the caller's transaction: (rows read, events written, keyset cursor)."""
    queryset = SlaClock.objects.select_for_update(skip_locked=True).filter(next_check_at__lte=now)
    if after is not None:
        queryset = queryset.filter(
            Q(next_check_at__gt=after[0]) | Q(next_check_at=after[0], id__gt=after[1])
        )
    rows = list(queryset.order_by("next_check_at", "id").only(*SWEEP_FIELDS)[:batch_size])
    cursor = (rows[-1].next_check_at, rows[-1].pk) if rows else None
    changed: list[SlaClock] = []
    events: list[SlaEvent] = []
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
        changed.append(clock)
        for step in steps:
            events.append(
                SlaEvent(
                    ticket_id=clock.ticket_id,
                    clock=clock,
                    clock_kind=clock.kind,
                    cycle=clock.cycle,
                    kind=step,
                    at=clock.due_soon_at if step == sla.DUE_SOON else clock.due_at,
                    should_notify=step == steps[-1],
                )
            )
    if changed:
        SlaClock.objects.bulk_update(changed, ["status", "next_check_at"])
    if events:
        SlaEvent.objects.bulk_create(events, ignore_conflicts=True)
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
