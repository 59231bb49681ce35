"""Recompute of open tickets' running clocks after a settings change ("new and open tickets").

``sla_recompute_start`` records a ``SlaRecompute`` split into id-range parts and queues one Celery
task per part on commit, so several workers share the work. Each chunk
(``sla_recompute_chunk``) claims an unfinished part with ``SKIP LOCKED``, recomputes its next
``RECOMPUTE_CHUNK`` open tickets and moves the part's cursor in the same transaction: a chunk run
twice, or after a crash, neither skips nor repeats work (and a repeat computes the same values,
recording no event). A newer "new and open" save supersedes an older recompute; a newer save for
new tickets only does not, and the rest is recomputed with the newest settings.

The common case — a ticket whose clocks only need new moments — is set-based: one read of the
chunk's tickets and clocks as tuples, the pure rules of ``tickets.sla``, then one ``UPDATE … FROM
unnest(…)`` for clocks, one for tickets and one bulk insert of events. Tickets that gain or lose
clocks, or whose pause state changes, go through the general ``tickets_reconcile``.
"""

from __future__ import annotations

import datetime
import logging
import math
from collections import defaultdict
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count, F, Max, Min
from django.db.models.functions import Least

from settings_app.selectors import SlaConfig, sla_config_get, ticket_goal_keys
from tickets import sla
from tickets.bulk import EventRow, clocks_set_moments, events_insert, tickets_set_sla
from tickets.models import SlaClock, SlaEvent, SlaRecompute, SlaRecomputePart, Ticket
from tickets.recompute_sql import recompute_tickets_sql
from tickets.services import tickets_reconcile

logger = logging.getLogger(__name__)

# Tickets per chunk (one transaction, one Celery task): large enough to amortise the task and
# query overhead, small enough that a chunk takes well under a second and holds its locks briefly.
RECOMPUTE_CHUNK = 5000
# Tickets per part: parts are what workers run side by side; a few per worker keeps them busy.
RECOMPUTE_PART_TICKETS = 50_000
RECOMPUTE_MAX_PARTS = 32
CLOCK_KINDS = (sla.FIRST_RESPONSE, sla.NEXT_RESPONSE, sla.CLOSE)


def _enqueue(recompute_id: int, *, times: int = 1) -> None:
    from tickets.tasks import sla_recompute_task  # tasks import this module

    try:
        for _ in range(times):
            sla_recompute_task.delay(recompute_id)
    except Exception:  # the broker is down: the sweep re-queues stalled recomputes
        logger.exception("Could not queue recompute %s; the sweep will retry it", recompute_id)


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
            SlaRecompute.objects.filter(pk=recompute_id).update(
                state=SlaRecompute.State.DONE, done=F("tickets"), finished_at=now
            )
            return False
        return unfinished.select_for_update(skip_locked=True).exists()


def sla_recompute_run(*, recompute_id: int, now: datetime.datetime) -> None:
    """Run a recompute to the end in this process (commands and tests; Celery runs chunks)."""
    while sla_recompute_chunk(recompute_id=recompute_id, now=now):
        pass


def sla_recomputes_requeue_stalled(*, now: datetime.datetime, older_than_seconds: int = 120) -> int:
    """Queue again the recompute parts that made no progress for a while (lost task, broker
    down). Returns the number of tasks queued."""
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
    return len(stalled)


class _ClockRow(NamedTuple):
    id: int
    ticket_id: int
    kind: str
    cycle: int
    goal_minutes: int
    due_soon_minutes: int | None
    settings_version: int
    started_at: datetime.datetime
    due_at: datetime.datetime
    due_soon_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    paused_at: datetime.datetime | None
    status: str


_TICKET_FIELDS = (
    "id",
    "priority",
    "team_id",
    "source",
    "pipeline_id",
    "stage_id",
    "created_at",
    "paused_since",
    "excluded_periods",
    "first_replied_at",
    "awaiting_reply_since",
    "sla_goal_value",
    "sla_settings_version",
    "sla_due_at",
    "sla_overdue_at",
)


def sla_recompute_tickets(
    *,
    ticket_ids: list[int],
    config: SlaConfig,
    now: datetime.datetime,
    in_database: bool | None = None,
) -> int:
    """Re-pick goals of the open tickets ``ticket_ids`` (caller holds a transaction).

    Same rules as ``tickets_reconcile(…, why="settings")``: running clocks recomputed from their
    start, transitions recorded without notification, completed clocks untouched. On PostgreSQL
    the common case runs inside the database (``tickets.recompute_sql``; ``in_database=False``
    turns that off), the rest in Python: set-based where clocks only move, else through
    ``tickets_reconcile``. Returns the number of tickets handled set-based (SQL or Python).
    """
    if not ticket_ids:
        return 0
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
        if not ticket_ids:
            return handled
    return handled + _recompute_in_python(ticket_ids=ticket_ids, config=config, now=now)


def _recompute_in_python(
    *, ticket_ids: list[int], config: SlaConfig, now: datetime.datetime
) -> int:
    tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(id__in=ticket_ids, closed_at__isnull=True)
        .values_list(*_TICKET_FIELDS)
    )
    clocks: dict[int, list[_ClockRow]] = defaultdict(list)
    for row in (
        SlaClock.objects.select_for_update()
        .filter(ticket_id__in=ticket_ids)
        .values_list(*_ClockRow._fields)
    ):
        clock = _ClockRow(*row)
        clocks[clock.ticket_id].append(clock)

    schedule = config.schedule
    handled = 0
    general: list[int] = []
    clock_updates: list[tuple] = []
    ticket_updates: list[tuple] = []
    events: list[EventRow] = []
    for (
        ticket_id,
        priority,
        team,
        source,
        pipeline,
        stage_id,
        created_at,
        paused_since,
        excluded,
        first_replied_at,
        awaiting,
        *stored,
    ) in tickets:
        goal_set = config.goal_set_for(
            ticket_goal_keys(priority=priority, team_id=team, source=source, pipeline_id=pipeline)
        )
        if (paused_since is not None) != (stage_id in config.pause_stage_ids):
            general.append(ticket_id)
            continue
        latest: dict[str, _ClockRow] = {}
        for clock in clocks[ticket_id]:
            if clock.kind not in latest or clock.cycle > latest[clock.kind].cycle:
                latest[clock.kind] = clock
        first_response_done = first_replied_at is not None or any(
            p["why"] == sla.CLOSED for p in excluded
        )
        plan: list[tuple[_ClockRow, tuple[int, int | None]]] = []
        for kind in CLOCK_KINDS:
            goal = goal_set.goal(kind) if goal_set else None
            clock = latest.get(kind)
            if clock is not None and clock.completed_at is None:
                if goal is None:
                    break  # a running clock loses its goal: removed by the general path
                plan.append((clock, goal))
            elif goal is not None and sla.usual_start(
                kind,
                latest_started_at=clock.started_at if clock else None,
                created_at=created_at,
                first_replied_at=first_replied_at,
                awaiting_reply_since=awaiting,
                first_response_done=first_response_done,
            ):
                break  # the ticket gains a clock: the general path starts it
        else:
            periods = sla.excluded_periods_parse(excluded)
            moments: list[tuple] = []  # (due, completed, paused) of every running clock
            for clock, goal in plan:
                due_at, due_soon_at = sla.clock_moments(
                    schedule,
                    started_at=clock.started_at,
                    goal_minutes=goal[0],
                    due_soon_minutes=goal[1],
                    excluded=sla.excluded_time(
                        schedule, periods=periods, started_at=clock.started_at, kind=clock.kind
                    ),
                )
                moments.append((due_at, None, clock.paused_at))
                status = sla.clock_status(
                    due_at=due_at,
                    due_soon_at=due_soon_at,
                    completed_at=None,
                    paused_at=clock.paused_at,
                    now=now,
                )
                moved = (due_at, due_soon_at) != (clock.due_at, clock.due_soon_at)
                if moved or goal != (clock.goal_minutes, clock.due_soon_minutes):
                    detail = {
                        "why": "settings",
                        "goal_minutes": goal[0],
                        "due_at_before": sla.iso(clock.due_at),
                        "due_at": sla.iso(due_at),
                    }
                    events.append(
                        EventRow(
                            ticket_id,
                            clock.id,
                            clock.kind,
                            clock.cycle,
                            SlaEvent.Kind.RECOMPUTED,
                            now,
                            detail,
                            False,
                        )
                    )
                for step in sla.transitions_between(old_status=clock.status, new_status=status):
                    if step == sla.DUE_SOON and due_soon_at is None:
                        continue
                    moment = due_soon_at if step == sla.DUE_SOON else due_at
                    events.append(
                        EventRow(
                            ticket_id, clock.id, clock.kind, clock.cycle, step, moment, {}, False
                        )
                    )
                if (
                    moved
                    or status != clock.status
                    or goal != (clock.goal_minutes, clock.due_soon_minutes)
                    or clock.settings_version != config.version
                ):
                    clock_updates.append(
                        (
                            clock.id,
                            goal[0],
                            goal[1],
                            config.version,
                            due_at,
                            due_soon_at,
                            status,
                            sla.next_check_at(
                                status=status,
                                due_at=due_at,
                                due_soon_at=due_soon_at,
                                completed_at=None,
                                paused_at=clock.paused_at,
                            ),
                        )
                    )
            sla_fields = (
                goal_set.ref if goal_set else None,
                config.version if goal_set else None,
                *sla.ticket_due_moments(moments),
            )
            handled += 1
            if sla_fields != tuple(stored):
                ticket_updates.append((ticket_id, *sla_fields))
            continue
        general.append(ticket_id)

    clocks_set_moments(clock_updates)
    tickets_set_sla(ticket_updates, now=now)
    events_insert(events, now=now)
    if general:
        tickets_reconcile(
            tickets=Ticket.objects.select_for_update(of=("self",))
            .select_related("team", "pipeline", "stage")
            .filter(id__in=general)
            .order_by("id"),
            config=config,
            now=now,
        )
    return handled
