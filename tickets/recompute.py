"""Recompute of open tickets' running clocks after a settings change ("new and open tickets").

``sla_recompute_start`` records a ``SlaRecompute`` split into id-range parts and queues one Celery
task per part on commit, so several workers share the work. Each chunk
(``sla_recompute_chunk``) claims an unfinished part with ``SKIP LOCKED``, recomputes its next
``RECOMPUTE_CHUNK`` open tickets and moves the part's cursor in the same transaction: a chunk run
twice, or after a crash, neither skips nor repeats work (and a repeat computes the same values,
recording no event). A newer "new and open" save supersedes an older recompute; a newer save for
new tickets only does not, and the rest is recomputed with the newest settings.

A chunk is set-based: one read of its tickets and clocks as plain rows (``tickets.clock_store``),
the clock planner's ``SettingsApplied`` for each ticket (the same rules as every service), then
one ``UPDATE … FROM unnest(…)`` for clocks, one for tickets and one bulk insert of events. On
PostgreSQL the common case — a ticket whose clocks only need new moments — is done inside the
database first (``tickets.recompute_sql``, a mirror of the planner that tests compare with it).

The chunk that finishes a run marks it done and, on commit, queues the rebuild of the ticket and
clock indexes the run has bloated (``tickets.index_rebuild``).
"""

from __future__ import annotations

import datetime
import logging
import math
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count, F, Max, Min
from django.db.models.functions import Least

from settings_app.selectors import SlaConfig, sla_config_get
from slaproject.celery import task_queue
from tickets import planner
from tickets.clock_store import plans_write, ticket_states_load
from tickets.index_rebuild import INDEX_REBUILD_TASK
from tickets.models import SlaRecompute, SlaRecomputePart, Ticket
from tickets.recompute_sql import recompute_tickets_sql

logger = logging.getLogger(__name__)

# Tickets per chunk (one transaction, one Celery task): large enough to amortise the task and
# query overhead, small enough that a chunk takes well under a second and holds its locks briefly.
RECOMPUTE_CHUNK = 5000
# Tickets per part: parts are what workers run side by side; a few per worker keeps them busy.
RECOMPUTE_PART_TICKETS = 50_000
RECOMPUTE_MAX_PARTS = 32
# The task that runs one chunk (``tickets.tasks``, which imports this module): queued by name.
RECOMPUTE_TASK = "tickets.tasks.sla_recompute_task"


def _enqueue(recompute_id: int, *, times: int = 1) -> None:
    try:
        for _ in range(times):
            task_queue(RECOMPUTE_TASK, recompute_id)
    except Exception:  # the broker is down: the sweep re-queues stalled recomputes
        logger.exception("Could not queue recompute %s; the sweep will retry it", recompute_id)


def _enqueue_index_rebuild(recompute_id: int) -> None:
    try:
        task_queue(INDEX_REBUILD_TASK, recompute_id)
    except Exception:  # the broker is down: the indexes stay as they are until the next run
        logger.exception("Could not queue the index rebuild after recompute %s", recompute_id)


def sla_recompute_start(*, settings_version: int, requested_by: Any = None) -> SlaRecompute:
    """Record a recompute of every open ticket for ``settings_version`` and queue it on commit.

    Supersedes recomputes still queued or running. The open tickets' id span is split into
    parts of about ``RECOMPUTE_PART_TICKETS`` tickets, one queued task each.
    """
    SlaRecompute.objects.filter(
        state__in=[SlaRecompute.State.QUEUED, SlaRecompute.State.RUNNING]
    ).update(state=SlaRecompute.State.SUPERSEDED)
    stats = Ticket.objects.filter(closed_at__isnull=True).aggregate(
        n=Count("id"), low=Min("id"), high=Max("id")
    )
    count = stats["n"]
    recompute = SlaRecompute.objects.create(
        settings_version=settings_version,
        tickets=count,
        requested_by=requested_by,
        state=SlaRecompute.State.QUEUED if count else SlaRecompute.State.DONE,
    )
    if count:
        parts = max(1, min(RECOMPUTE_MAX_PARTS, math.ceil(count / RECOMPUTE_PART_TICKETS)))
        low, high = stats["low"] - 1, stats["high"]
        step = math.ceil((high - low) / parts)
        SlaRecomputePart.objects.bulk_create(
            SlaRecomputePart(
                recompute=recompute,
                after_id=low + i * step,
                last_id=min(low + (i + 1) * step, high),
            )
            for i in range(parts)
            if low + i * step < high
        )
        transaction.on_commit(lambda: _enqueue(recompute.pk, times=parts))
    return recompute


def sla_recompute_chunk(
    *, recompute_id: int, now: datetime.datetime, chunk_size: int = RECOMPUTE_CHUNK
) -> bool:
    """Recompute the next chunk of an unfinished part. Returns True while this caller should go
    on: some unfinished part is not being worked on by another transaction."""
    with transaction.atomic():
        state = SlaRecompute.objects.filter(pk=recompute_id).values_list("state", flat=True)
        if state.first() in (None, SlaRecompute.State.DONE, SlaRecompute.State.SUPERSEDED):
            return False
        unfinished = SlaRecomputePart.objects.filter(recompute_id=recompute_id, is_finished=False)
        part = unfinished.select_for_update(skip_locked=True).order_by("after_id").first()
        if part is None:
            return False
        ticket_ids = list(
            Ticket.objects.filter(
                closed_at__isnull=True, id__gt=part.after_id, id__lte=part.last_id
            )
            .order_by("id")
            .values_list("id", flat=True)[:chunk_size]
        )
        sla_recompute_tickets(ticket_ids=ticket_ids, config=sla_config_get(), now=now)
        part.after_id = ticket_ids[-1] if ticket_ids else part.last_id
        part.is_finished = len(ticket_ids) < chunk_size
        part.save(update_fields=["after_id", "is_finished", "updated_at"])
        SlaRecompute.objects.filter(pk=recompute_id).update(
            done=Least(F("done") + len(ticket_ids), F("tickets")),
            state=SlaRecompute.State.RUNNING,
            updated_at=now,
        )
        if not unfinished.exists():
            _recompute_finish(recompute_id, now=now)
            return False
        return unfinished.select_for_update(skip_locked=True).exists()


def _recompute_finish(recompute_id: int, *, now: datetime.datetime) -> None:
    """Mark the run done (once) and, on commit, queue the rebuild of the indexes it bloated."""
    finished = SlaRecompute.objects.filter(pk=recompute_id).exclude(
        state__in=[SlaRecompute.State.DONE, SlaRecompute.State.SUPERSEDED]
    )
    if finished.update(state=SlaRecompute.State.DONE, done=F("tickets"), finished_at=now):
        transaction.on_commit(lambda: _enqueue_index_rebuild(recompute_id))


def sla_recompute_run(*, recompute_id: int, now: datetime.datetime) -> None:
    """Run a recompute to the end in this process (commands and tests; Celery runs chunks)."""
    while sla_recompute_chunk(recompute_id=recompute_id, now=now):
        pass


def sla_recomputes_requeue_stalled(*, now: datetime.datetime, older_than_seconds: int = 120) -> int:
    """Queue again the recompute parts that made no progress for a while (lost task, broker
    down), and mark done the runs left running with every part finished. Returns the number of
    tasks queued."""
    cutoff = now - datetime.timedelta(seconds=older_than_seconds)
    stalled = list(
        SlaRecomputePart.objects.filter(
            is_finished=False,
            updated_at__lt=cutoff,
            recompute__state__in=[SlaRecompute.State.QUEUED, SlaRecompute.State.RUNNING],
        ).values_list("pk", "recompute_id")
    )
    for part_id, recompute_id in stalled:
        SlaRecomputePart.objects.filter(pk=part_id).update(updated_at=now)
        _enqueue(recompute_id)
    # A run whose last parts were finished by chunks committing side by side, each of which saw
    # the other's part unfinished: nobody marked it done.
    unmarked = SlaRecompute.objects.filter(
        state=SlaRecompute.State.RUNNING, updated_at__lt=cutoff
    ).exclude(parts__is_finished=False)
    for recompute_id in unmarked.values_list("pk", flat=True):
        _recompute_finish(recompute_id, now=now)
    return len(stalled)


class RecomputeCount(NamedTuple):
    """How many tickets a recompute did inside the database, and how many it planned in Python."""

    in_database: int
    planned: int


def sla_recompute_tickets(
    *,
    ticket_ids: list[int],
    config: SlaConfig,
    now: datetime.datetime,
    in_database: bool | None = None,
) -> RecomputeCount:
    """Re-pick goals of the open tickets ``ticket_ids`` (caller holds a transaction).

    The clock planner's ``SettingsApplied`` for each ticket, as ``tickets_reconcile`` does one
    by one: running clocks recomputed from their start, clocks gained or removed, the pause state
    aligned with the pause stages, transitions recorded without notification, completed clocks
    untouched. On PostgreSQL the common case (clocks only move) runs inside the database
    (``tickets.recompute_sql``; ``in_database=False`` turns that off); the rest is planned in
    Python and written set-based.
    """
    if not ticket_ids:
        return RecomputeCount(0, 0)
    if in_database is None:
        in_database = connection.vendor == "postgresql"
    handled = 0
    if in_database:
        # Lock the tickets first, in id order, as the services do (they lock a ticket before
        # its clocks); the SQL then locks the clocks it rewrites, waiting for a sweep if need be.
        list(
            Ticket.objects.select_for_update(of=("self",))
            .filter(id__in=ticket_ids)
            .order_by("id")
            .values_list("id", flat=True)
        )
        handled, ticket_ids = recompute_tickets_sql(ticket_ids=ticket_ids, config=config, now=now)
    return RecomputeCount(
        handled, _recompute_in_python(ticket_ids=ticket_ids, config=config, now=now)
    )


def _recompute_in_python(
    *, ticket_ids: list[int], config: SlaConfig, now: datetime.datetime
) -> int:
    """Lock, load, plan and write the open tickets ``ticket_ids`` set-based; returns how many."""
    if not ticket_ids:
        return 0
    states = ticket_states_load(ticket_ids=ticket_ids, config=config, for_update=True)
    applied = [planner.SettingsApplied()]
    plans = [
        (
            ticket_id,
            state,
            planner.plan(
                state,
                applied,
                settings=config,
                schedule=config.schedule,
                schedules=config.team_schedules,
                now=now,
            ),
        )
        for ticket_id, state in states.items()
    ]
    plans_write(plans, now=now)
    return len(plans)
