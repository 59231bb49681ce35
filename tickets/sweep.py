"""The beat sweep: persist clock status changes that time alone brought, and their events.

Only clocks whose ``next_check_at`` has come are read, through a partial index, in batches. Each
batch locks its rows with ``FOR UPDATE SKIP LOCKED`` and re-derives the status inside that lock,
so concurrent sweeps split the work and each transition is written once (a unique constraint on
the event backs this up). Running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import Q

from tickets import planner, sla
from tickets.bulk import EventRow, clocks_set_status, events_insert
from tickets.models import SlaClock

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Rows per transaction: small enough to keep row locks brief (a batch takes well under a second),
# large enough that 10k transitions take two round trips and two commits.
SWEEP_BATCH = 5000
# Tests set this to run the Python batch on PostgreSQL too, to compare the two.
SWEEP_IN_PYTHON = False
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


# One batch on PostgreSQL, in one statement: lock the due clocks (skipping those another sweep or
# a service holds), derive each one's status at ``now`` as ``tickets.sla.clock_status`` does,
# store the changes and insert the transitions passed (``tickets.sla.transitions_sql``), as
# ``_sweep_batch_python`` does row by row with the clock planner's ``status_change``. No row
# travels to Python; ``tests/tickets/test_sweep.py`` runs both and compares.
_SWEEP_SQL = """
WITH due AS (
    SELECT id, ticket_id, kind, cycle, status, due_at, due_soon_at, completed_at, paused_at,
           next_check_at
    FROM tickets_slaclock
    WHERE next_check_at <= %(now)s
      AND (%(after_at)s::timestamptz IS NULL OR (next_check_at, id) > (%(after_at)s, %(after_id)s))
    ORDER BY next_check_at, id
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
),
judged AS (
    SELECT due.*, {status} AS new_status
    FROM due
),
next AS (
    SELECT judged.*, {next_check} AS new_check
    FROM judged
),
changed AS (
    UPDATE tickets_slaclock AS c SET status = next.new_status, next_check_at = next.new_check
    FROM next
    WHERE c.id = next.id
      AND (next.new_status <> next.status OR next.new_check IS DISTINCT FROM next.next_check_at)
    RETURNING c.id
),
steps AS (
    SELECT next.*, step FROM next CROSS JOIN LATERAL unnest({transitions}) AS step
),
written AS (
    INSERT INTO tickets_slaevent (ticket_id, clock_id, clock_kind, cycle, kind, at, detail,
                                  should_notify, recorded_at)
    SELECT ticket_id, id, kind, cycle, step, {moment}, '{{}}'::jsonb, step = new_status, %(now)s
    FROM steps
    ON CONFLICT DO NOTHING
    RETURNING kind
)
SELECT (SELECT count(*) FROM due),
       (SELECT count(*) FROM changed),
       (SELECT count(*) FROM written WHERE kind = 'due_soon'),
       (SELECT count(*) FROM written WHERE kind = 'overdue'),
       last.next_check_at, last.id
FROM (SELECT 1) AS one
LEFT JOIN (SELECT next_check_at, id FROM due ORDER BY next_check_at DESC, id DESC LIMIT 1) AS last
    ON true
""".format(
    status=sla.clock_status_sql(
        due_at="due_at",
        due_soon_at="due_soon_at",
        completed_at="completed_at",
        paused_at="paused_at",
        now="%(now)s",
    ),
    next_check=sla.next_check_at_sql(
        status="new_status",
        due_at="due_at",
        due_soon_at="due_soon_at",
        completed_at="completed_at",
        paused_at="paused_at",
    ),
    transitions=sla.transitions_sql(
        old_status="status", new_status="new_status", due_soon_at="due_soon_at"
    ),
    moment=sla.transition_moment_sql(step="step", due_at="due_at", due_soon_at="due_soon_at"),
)


def _sweep_batch_sql(
    *, now: datetime.datetime, after: tuple[datetime.datetime, int] | None, batch_size: int
) -> tuple[int, Counter, tuple[datetime.datetime, int] | None]:
    with connection.cursor() as cursor:
        # Everything the sweep writes can be derived again from the stored moments: if a crash
        # loses the last commits, the next sweep redoes them. So do not wait for the WAL flush.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            _SWEEP_SQL,
            {
                "now": now,
                "after_at": after[0] if after else None,
                "after_id": after[1] if after else 0,
                "batch": batch_size,
            },
        )
        read, _changed, due_soon, overdue, last_at, last_id = cursor.fetchone()
    transitions = Counter({sla.DUE_SOON: due_soon, sla.OVERDUE: overdue})
    return read, +transitions, (last_at, last_id) if read else None


def _sweep_batch(
    *, now: datetime.datetime, after: tuple[datetime.datetime, int] | None, batch_size: int
) -> tuple[int, Counter, tuple[datetime.datetime, int] | None]:
    """One batch in the caller's transaction: (rows read, transitions written by kind, cursor)."""
    if connection.vendor == "postgresql" and not SWEEP_IN_PYTHON:
        return _sweep_batch_sql(now=now, after=after, batch_size=batch_size)
    read, events, cursor = _sweep_batch_python(now=now, after=after, batch_size=batch_size)
    return read, Counter(event.kind for event in events), cursor


def _sweep_batch_python(
    *, now: datetime.datetime, after: tuple[datetime.datetime, int] | None, batch_size: int
) -> tuple[int, list[EventRow], tuple[datetime.datetime, int] | None]:
    """The same batch row by row in Python (SQLite; and the reference the tests compare to)."""
    queryset = SlaClock.objects.select_for_update(skip_locked=True).filter(next_check_at__lte=now)
    if after is not None:
        queryset = queryset.filter(
            Q(next_check_at__gt=after[0]) | Q(next_check_at=after[0], id__gt=after[1])
        )
    rows = list(queryset.order_by("next_check_at", "id").only(*SWEEP_FIELDS)[:batch_size])
    # The rows were read by ``next_check_at <= now``: the last one has a moment.
    last_at = rows[-1].next_check_at if rows else None
    cursor = (last_at, rows[-1].pk) if last_at is not None else None
    changed: list[tuple[int, str, datetime.datetime | None]] = []
    events: list[EventRow] = []
    for clock in rows:
        change = planner.status_change(
            status=clock.status,
            due_at=clock.due_at,
            due_soon_at=clock.due_soon_at,
            completed_at=clock.completed_at,
            paused_at=clock.paused_at,
            now=now,
        )
        if not change.transitions and change.next_check_at == clock.next_check_at:
            continue
        changed.append((clock.pk, change.status, change.next_check_at))
        for index, (step, moment) in enumerate(change.transitions):
            last = index == len(change.transitions) - 1
            events.append(
                EventRow(clock.ticket_id, clock.pk, clock.kind, clock.cycle, step, moment, {}, last)
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
            read, transitions, after = _sweep_batch(now=now, after=after, batch_size=batch_size)
        result.examined += read
        result.transitions.update(transitions)
        if read < batch_size:
            return result


def sla_sweep_and_notify(*, now: datetime.datetime) -> dict[str, Any]:
    """The periodic job: sweep, queue due SLA emails (and webhooks), re-queue emails and webhook
    deliveries whose task was lost or whose retry is due, re-queue stalled recomputes, purge old
    idempotency keys.

    Each step runs on its own: one that raises is logged with its name and ``now`` and listed
    under ``"failed"``, and the steps after it run all the same (a poisoned email must not stop
    the stalled-recompute step). Returns what each step did: ``examined`` and ``transitions``
    (the sweep), ``emails``, ``emails_requeued``, ``webhooks_requeued``, ``recomputes_requeued``,
    ``idempotency_keys_purged``, and ``failed``, the names of the steps that raised.
    """
    from tickets.api_auth.idempotency import idempotency_keys_purge
    from tickets.notifications import sla_notifications_send
    from tickets.outbound.services import outbound_emails_requeue
    from tickets.recompute import sla_recomputes_requeue_stalled
    from tickets.webhooks.services import webhooks_requeue

    failed: list[str] = []
    swept = _step("sweep", lambda: sla_sweep(now=now), now=now, failed=failed)
    emails = _step("notifications", lambda: sla_notifications_send(now=now), now=now, failed=failed)
    emails_requeued = _step(
        "email_retries", lambda: outbound_emails_requeue(now=now), now=now, failed=failed
    )
    webhooks_requeued = _step(
        "webhook_retries", lambda: webhooks_requeue(now=now), now=now, failed=failed
    )
    requeued = _step(
        "stalled_recomputes",
        lambda: sla_recomputes_requeue_stalled(now=now),
        now=now,
        failed=failed,
    )
    purged = _step(
        "idempotency_keys", lambda: idempotency_keys_purge(now=now), now=now, failed=failed
    )
    return {
        "examined": swept.examined if swept is not None else 0,
        "transitions": dict(swept.transitions) if swept is not None else {},
        "emails": emails or 0,
        "emails_requeued": emails_requeued or 0,
        "webhooks_requeued": webhooks_requeued or 0,
        "recomputes_requeued": requeued or 0,
        "idempotency_keys_purged": purged or 0,
        "failed": failed,
    }


def _step(
    name: str, run: Callable[[], T], *, now: datetime.datetime, failed: list[str]
) -> T | None:
    """Run one step of the periodic job; on an exception log it, note ``name`` and return None.

    Inside a caller's transaction (a test, a command run in one) the step gets a savepoint, so
    that a database error in it cannot leave that transaction unusable for the next step.
    """
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            return run()
    except Exception:
        logger.exception(
            "SLA periodic job: step %r failed at %s; the other steps run on", name, now.isoformat()
        )
        failed.append(name)
        return None
