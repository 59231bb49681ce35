"""Age a generated database as production ages it: three recomputes and a day of sweeps.

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/NAME .venv/bin/python bench/age.py \\
        [--recomputes 3] [--hours 24] [--sweep-minutes 1] [--no-settle] [--no-rebuild]

On a database filled by ``bench/generate.py`` (a copy: it is changed for good), on a PostgreSQL
with its default configuration (autovacuum on, as in production; this machine's shared server
has it off, so use a cluster of its own, docs/BENCHMARKS.md "Aged tables"):

1. ``--recomputes`` times, every goal is made a minute longer than the time before (a settings
   snapshot, nothing saved, as ``recompute_profile.py``) and every open ticket is recomputed in
   chunks of ``RECOMPUTE_CHUNK`` tickets, each committed on its own, as the workers do, and
   ends as a run ends: recorded as a finished ``SlaRecompute``, then the index rebuild its last
   chunk queues (``tickets.index_rebuild``, called here; ``--no-rebuild``: not);
2. the sweep runs every ``--sweep-minutes`` of ``--hours`` simulated hours from the first
   pending check on (``now`` moved on, the work between two sweeps being what a real day brings
   due; with working-hours goals a weekend brings nothing, so it starts where the work does).

Nothing is vacuumed by hand, but the hours the script compresses into seconds are given back to
autovacuum: after each recompute (settings changes are hours apart), after every simulated hour
of sweeps and at the end, while a table is past one of its autovacuum triggers (dead tuples,
inserts, changes since the last analyze; the table's own storage parameters, else the server's
settings) the script waits for autovacuum to deal with it, as it would have in that much time
(``--no-settle``: do not wait; what autovacuum then manages depends on the machine's speed).
At the end the tables are as autovacuum leaves them, so a copy made with ``createdb -T`` (whose
statistics start empty, so autovacuum leaves it alone) is the same whenever it is made. It prints
the tables' and indexes' sizes and dead tuples before and after (``pg_stat_user_tables``). Then
time the aged copy beside a fresh one with ``bench/sweep.py`` and ``bench/queue_page.py`` (the
same ``DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import time

from common import django_setup

REPORT = """
SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)), s.n_live_tup, s.n_dead_tup,
       s.n_tup_upd, s.n_tup_hot_upd, s.autovacuum_count, s.autoanalyze_count
FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relname IN ('tickets_ticket', 'tickets_slaclock', 'tickets_slaevent')
ORDER BY c.relname
"""
INDEXES = """
SELECT i.indexrelname, pg_size_pretty(pg_relation_size(i.indexrelid))
FROM pg_stat_user_indexes i
WHERE i.relname IN ('tickets_ticket', 'tickets_slaclock')
ORDER BY i.relname, i.indexrelname
"""


# Per table: how far past each autovacuum trigger it is (positive: autovacuum is due), from
# its storage parameters or else the server's settings, as the autovacuum launcher computes them.
PENDING = """
WITH o AS (
    SELECT c.oid, c.relname, greatest(c.reltuples, 0) AS tuples,
           (SELECT jsonb_object_agg(split_part(x, '=', 1), split_part(x, '=', 2))
            FROM unnest(coalesce(c.reloptions, '{}')) AS x) AS r
    FROM pg_class c WHERE c.relname IN ('tickets_ticket', 'tickets_slaclock', 'tickets_slaevent')
)
SELECT o.relname,
       s.n_dead_tup - (coalesce((r->>'autovacuum_vacuum_threshold')::float,
                                current_setting('autovacuum_vacuum_threshold')::float)
                       + coalesce((r->>'autovacuum_vacuum_scale_factor')::float,
                                  current_setting('autovacuum_vacuum_scale_factor')::float)
                         * o.tuples),
       CASE WHEN coalesce((r->>'autovacuum_vacuum_insert_threshold')::float,
                          current_setting('autovacuum_vacuum_insert_threshold')::float) >= 0
            THEN s.n_ins_since_vacuum
                 - (coalesce((r->>'autovacuum_vacuum_insert_threshold')::float,
                             current_setting('autovacuum_vacuum_insert_threshold')::float)
                    + coalesce((r->>'autovacuum_vacuum_insert_scale_factor')::float,
                               current_setting('autovacuum_vacuum_insert_scale_factor')::float)
                      * o.tuples)
            ELSE -1 END,
       s.n_mod_since_analyze - (coalesce((r->>'autovacuum_analyze_threshold')::float,
                                         current_setting('autovacuum_analyze_threshold')::float)
                                + coalesce((r->>'autovacuum_analyze_scale_factor')::float,
                                           current_setting('autovacuum_analyze_scale_factor')::float)
                                  * o.tuples)
FROM o JOIN pg_stat_user_tables s ON s.relid = o.oid
"""


def settle(cursor, *, timeout: float = 600) -> None:
    """Wait until no table is past an autovacuum trigger (autovacuum has dealt with them)."""
    started = time.perf_counter()
    waited_for: set[str] = set()
    while True:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(PENDING)
        due = sorted(name for name, *past in cursor.fetchall() if max(past) > 0)
        if not due:
            break
        if time.perf_counter() - started > timeout:
            print(f"  autovacuum still due on {', '.join(due)} after {timeout:.0f} s", flush=True)
            return
        waited_for.update(due)
        time.sleep(2)
    if waited_for:
        print(
            f"  waited {time.perf_counter() - started:.0f} s for autovacuum on "
            f"{', '.join(sorted(waited_for))}",
            flush=True,
        )


def report(cursor, title: str) -> None:
    print(f"\n{title}\n")
    print("| table | size | live | dead | updates | HOT | autovacuums | autoanalyzes |")
    print("|---|---|---|---|---|---|---|---|")
    cursor.execute("SELECT pg_stat_force_next_flush()")
    cursor.execute(REPORT)
    for row in cursor.fetchall():
        print("| " + " | ".join(str(value) for value in row) + " |")
    print("\n| index | size |\n|---|---|")
    cursor.execute(INDEXES)
    for row in cursor.fetchall():
        print(f"| {row[0]} | {row[1]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench", help="when DATABASE_URL is not set")
    parser.add_argument("--recomputes", type=int, default=3)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--sweep-minutes", type=float, default=1)
    parser.add_argument(
        "--no-settle", action="store_true", help="do not wait for autovacuum (see above)"
    )
    parser.add_argument(
        "--no-rebuild",
        action="store_true",
        help="no index rebuild after each recompute (as before issue 25's rebuild task)",
    )
    args = parser.parse_args()
    django_setup(args.db)

    from django.db import connection, transaction
    from django.utils import timezone

    from settings_app.selectors import sla_config_get
    from tickets.index_rebuild import recompute_indexes_rebuild
    from tickets.models import SlaClock, SlaRecompute, Ticket
    from tickets.recompute import RECOMPUTE_CHUNK, sla_recompute_tickets
    from tickets.sweep import sla_sweep

    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        print(f"autovacuum = {cursor.fetchone()[0]}")
        report(cursor, "Before")
    base = sla_config_get()
    ids = list(
        Ticket.objects.filter(closed_at__isnull=True).order_by("id").values_list("id", flat=True)
    )
    for round_number in range(1, args.recomputes + 1):
        goals = {
            key: dataclasses.replace(
                goal_set,
                minutes={
                    name: value + round_number
                    if value and name.endswith("_minutes") and "due_soon" not in name
                    else value
                    for name, value in goal_set.minutes.items()
                },
            )
            for key, goal_set in base.goals.items()
        }
        config = dataclasses.replace(base, goals=goals, version=base.version + round_number)
        now = timezone.now()
        started = time.perf_counter()
        for first in range(0, len(ids), RECOMPUTE_CHUNK):
            with transaction.atomic():
                sla_recompute_tickets(
                    ticket_ids=ids[first : first + RECOMPUTE_CHUNK], config=config, now=now
                )
        print(
            f"recompute {round_number}: {len(ids):,} tickets in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        if not args.no_rebuild:
            # The run's end, as its last chunk leaves it, then what the task it queues does.
            run = SlaRecompute.objects.create(
                settings_version=config.version,
                tickets=len(ids),
                done=len(ids),
                state=SlaRecompute.State.DONE,
                finished_at=now,
            )
            result = recompute_indexes_rebuild(recompute_id=run.pk, now=now)
            print(
                f"  index rebuild: {result.outcome} in {result.seconds:.1f} s, "
                f"{len(result.indexes)} indexes, "
                f"{sum(i.bytes_before for i in result.indexes) / 2**20:.1f} MB -> "
                f"{sum(i.bytes_after for i in result.indexes) / 2**20:.1f} MB",
                flush=True,
            )
        if not args.no_settle:
            with connection.cursor() as cursor:
                settle(cursor)
    # From the first pending check on (generated data is "as of now": on a weekend with
    # working-hours goals nothing turns until Monday morning).
    first_check = (
        SlaClock.objects.filter(next_check_at__isnull=False)
        .order_by("next_check_at")
        .values_list("next_check_at", flat=True)
        .first()
    )
    step = datetime.timedelta(minutes=args.sweep_minutes)
    start = timezone.now() if first_check is None else max(timezone.now(), first_check - step)
    print(f"sweeps from {start:%Y-%m-%d %H:%M} UTC", flush=True)
    sweeps = int(args.hours * 60 / args.sweep_minutes)
    hourly = max(1, round(60 / args.sweep_minutes))
    changed = 0
    started = time.perf_counter()
    for number in range(1, sweeps + 1):
        changed += sla_sweep(now=start + number * step).changed
        if number % 120 == 0:
            print(
                f"  {number:,} sweeps, {changed:,} clocks changed, "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
        if not args.no_settle and (number % hourly == 0 or number == sweeps):
            with connection.cursor() as cursor:
                settle(cursor)
    print(f"a day of sweeps: {sweeps:,} sweeps, {changed:,} clocks changed")
    with connection.cursor() as cursor:
        report(cursor, "After")


if __name__ == "__main__":
    main()
