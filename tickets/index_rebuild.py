"""Rebuild of the ticket and clock indexes after a full recompute (PostgreSQL only; issue 25).

A recompute rewrites every open ticket (its settings version changes, and the ticket table keeps
no free room for HOT updates) and every running clock whose moments moved (never HOT: the next
check is indexed). Each rewrite puts a second entry in every index of the table; vacuum removes
the old ones, but a B-tree gives back only pages that are wholly empty, so after a recompute of
the whole desk every index of both tables stays about twice its size and every range scan (the
queue page's counts and pages, the sweep's probes, the clock primary key lookups) reads twice
the pages. ``recompute_indexes_rebuild`` runs, as a Celery task of its own, once a recompute run
is done (``tickets.recompute`` queues it on the commit of the chunk that finishes the run) and
rebuilds those indexes one at a time with ``REINDEX INDEX CONCURRENTLY``: reads and writes go
on meanwhile (docs/SCALING.md, "After a full recompute"; docs/DECISIONS.md).

Safeguards: nothing on another database; a table is rebuilt only when the run rewrote at least
``SLA_REINDEX_MIN_SHARE`` of its rows; one rebuild at a time (a session advisory lock: a second
request while one runs is skipped, not queued); a failed ``REINDEX CONCURRENTLY`` leaves an
invalid ``<name>_ccnew`` (or ``_ccold``) index, dropped before and after; each statement under a
lock timeout and a statement timeout; the run records when its rebuild was done, so a task
delivered again (``acks_late``) finds nothing to do.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection

from tickets.models import SlaRecompute

logger = logging.getLogger(__name__)

# The task that runs a rebuild (``tickets.tasks``): queued by name, as the recompute's chunks are.
INDEX_REBUILD_TASK = "tickets.tasks.sla_indexes_rebuild_task"

# The tables a recompute rewrites; the event log is append-only and not rebuilt here.
TICKET_TABLE = "tickets_ticket"
CLOCK_TABLE = "tickets_slaclock"

# pg_try_advisory_lock(key1, key2): the project's key ("SLA " in ASCII) and this job's number.
ADVISORY_LOCK = (0x534C4120, 25)

# A rebuild waits this long for a lock (the table's SHARE UPDATE EXCLUSIVE, and the end of the
# transactions that started before it); past it the index is left as it was and the next is
# tried. Recompute chunks and sweeps hold their locks for well under a second.
LOCK_TIMEOUT = "60s"
# One index's rebuild at most: two scans of the table and a sort. The largest index of a million
# tickets rebuilds in seconds (docs/SCALING.md); an hour means something is wrong.
STATEMENT_TIMEOUT = "1h"

# A leftover of a failed REINDEX CONCURRENTLY: "<name>_ccnew", "_ccnew1", …, "_ccold", "_ccold1".
LEFTOVERS = r"""
SELECT c.relname
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::regclass AND NOT i.indisvalid AND c.relname ~ '_cc(new|old)[0-9]*$'
ORDER BY c.relname
"""
INDEXES = """
SELECT c.relname, pg_relation_size(c.oid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::regclass AND i.indisvalid AND i.indislive
ORDER BY c.relname
"""


@dataclasses.dataclass
class IndexRebuilt:
    """One index: its size before and after (bytes), the seconds it took, and the error if any."""

    name: str
    bytes_before: int
    bytes_after: int
    seconds: float
    error: str = ""


@dataclasses.dataclass
class IndexRebuild:
    """What ``recompute_indexes_rebuild`` did: ``outcome`` is one of ``rebuilt``, ``not_needed``
    (below the threshold), ``busy`` (another rebuild holds the lock), ``already_done``,
    ``not_done`` (the run is unknown or unfinished) or ``not_postgresql``."""

    outcome: str
    shares: dict[str, float] = dataclasses.field(default_factory=dict)
    indexes: list[IndexRebuilt] = dataclasses.field(default_factory=list)
    leftovers_dropped: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _table_rows(cursor, table: str) -> float:
    """The table's live rows: the planner's estimate (kept by autovacuum's analyzes), or a count
    when the table was never analyzed."""
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    estimate = cursor.fetchone()[0]
    if estimate is not None and estimate >= 0:
        return float(estimate)
    cursor.execute(f"SELECT count(*) FROM {_quote(table)}")
    return float(cursor.fetchone()[0])


def _shares(cursor, recompute: SlaRecompute) -> dict[str, float]:
    """Per table, the share of its rows the run rewrote: for tickets the run's open tickets (each
    one is rewritten), for clocks the running ones (those a change of goals moves)."""
    cursor.execute(f"SELECT count(*) FROM {CLOCK_TABLE} WHERE completed_at IS NULL")
    running_clocks = cursor.fetchone()[0]
    shares = {}
    for table, rewritten in ((TICKET_TABLE, recompute.tickets), (CLOCK_TABLE, running_clocks)):
        rows = _table_rows(cursor, table)
        shares[table] = min(1.0, rewritten / rows) if rows else 0.0
    return shares


def leftovers_drop(cursor, table: str) -> list[str]:
    """Drop the invalid indexes a failed ``REINDEX CONCURRENTLY`` left on ``table`` (they cost
    every write and serve no read). Outside any transaction; returns their names."""
    cursor.execute(LEFTOVERS, [table])
    names = [name for (name,) in cursor.fetchall()]
    for name in names:
        logger.warning("Dropping %s, left over by a failed index rebuild on %s", name, table)
        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {_quote(name)}")
    return names


def table_indexes_rebuild(cursor, table: str) -> tuple[list[IndexRebuilt], list[str]]:
    """``REINDEX INDEX CONCURRENTLY`` each valid index of ``table``, one at a time; a failure is
    logged and the next index tried. Caller holds the advisory lock, outside any transaction.
    Returns the indexes and the leftovers dropped."""
    dropped = leftovers_drop(cursor, table)
    cursor.execute(INDEXES, [table])
    done = []
    for name, bytes_before in cursor.fetchall():
        started = time.perf_counter()
        error = ""
        try:
            cursor.execute(f"REINDEX INDEX CONCURRENTLY {_quote(name)}")
        except DatabaseError as exc:
            error = str(exc).strip()
            logger.error("Could not rebuild index %s: %s", name, error)
            dropped += leftovers_drop(cursor, table)
        cursor.execute("SELECT pg_relation_size(%s::regclass)", [name])
        done.append(
            IndexRebuilt(
                name=name,
                bytes_before=bytes_before,
                bytes_after=cursor.fetchone()[0],
                seconds=time.perf_counter() - started,
                error=error,
            )
        )
        logger.info(
            "Index %s rebuilt in %.1f s: %d kB -> %d kB",
            name,
            done[-1].seconds,
            bytes_before // 1024,
            done[-1].bytes_after // 1024,
        )
    return done, dropped + leftovers_drop(cursor, table)


def recompute_indexes_rebuild(*, recompute_id: int, now: datetime.datetime) -> IndexRebuild:
    """Rebuild the ticket and clock indexes after the finished recompute ``recompute_id``, each
    table whose rows the run rewrote to at least ``SLA_REINDEX_MIN_SHARE``; records ``now`` as
    the run's ``indexes_rebuilt_at`` (also when nothing needed it).

    PostgreSQL only (elsewhere: nothing). Runs outside any transaction (``REINDEX CONCURRENTLY``
    cannot run in one): the caller must not hold one. Takes a session advisory lock; when
    another rebuild holds it, returns at once (``busy``). Idempotent: a run already rebuilt is
    left alone; one interrupted is rebuilt again from the start. Minutes at a million tickets,
    with reads and writes going on.
    """
    if connection.vendor != "postgresql":
        return IndexRebuild(outcome="not_postgresql")
    if connection.in_atomic_block:
        raise RuntimeError("REINDEX CONCURRENTLY cannot run inside a transaction")
    started = time.perf_counter()
    recompute = SlaRecompute.objects.filter(pk=recompute_id).first()
    if recompute is None or recompute.state != SlaRecompute.State.DONE:
        return IndexRebuild(outcome="not_done")
    if recompute.indexes_rebuilt_at is not None:
        return IndexRebuild(outcome="already_done")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", list(ADVISORY_LOCK))
        if not cursor.fetchone()[0]:
            logger.info("Index rebuild after recompute %s skipped: another one runs", recompute_id)
            return IndexRebuild(outcome="busy")
        try:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, false),"
                " set_config('statement_timeout', %s, false)",
                [LOCK_TIMEOUT, STATEMENT_TIMEOUT],
            )
            result = IndexRebuild(outcome="not_needed", shares=_shares(cursor, recompute))
            for table, share in result.shares.items():
                if share < settings.SLA_REINDEX_MIN_SHARE:
                    continue
                result.outcome = "rebuilt"
                indexes, dropped = table_indexes_rebuild(cursor, table)
                result.indexes += indexes
                result.leftovers_dropped += dropped
        finally:
            cursor.execute("RESET lock_timeout")
            cursor.execute("RESET statement_timeout")
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", list(ADVISORY_LOCK))
    SlaRecompute.objects.filter(pk=recompute_id).update(indexes_rebuilt_at=now)
    result.seconds = time.perf_counter() - started
    logger.info(
        "Index rebuild after recompute %s: %s in %.1f s (share of rows rewritten: %s; "
        "%d indexes, %d kB -> %d kB, %d failed; leftovers dropped: %s)",
        recompute_id,
        result.outcome,
        result.seconds,
        ", ".join(f"{table} {share:.0%}" for table, share in result.shares.items()),
        len(result.indexes),
        sum(index.bytes_before for index in result.indexes) // 1024,
        sum(index.bytes_after for index in result.indexes) // 1024,
        sum(1 for index in result.indexes if index.error),
        ", ".join(result.leftovers_dropped) or "none",
    )
    return result
