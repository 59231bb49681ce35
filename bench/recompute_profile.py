"""Cost of the recompute per ticket in one process, by statement (no Celery).

    .venv/bin/python bench/recompute_profile.py [--db bench] [--start 100001] [--chunks 10]

On a database filled by ``bench/generate.py``: every goal is made ``--bump`` minutes longer in a
settings snapshot (nothing is saved), then ``--chunks`` chunks of 5,000 consecutive tickets from
``--start`` are recomputed and committed, as a worker's chunks would be. Prints µs per ticket in
all and for each statement. Each range should be used once per generated database (a second run
over the same rows also pays for the first run's dead row versions).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import os
import time

from common import django_setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--start", type=int, default=100_001)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--bump", type=int, default=5)
    args = parser.parse_args()
    django_setup(args.db)

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from settings_app.selectors import sla_config_get
    from tickets.recompute import RECOMPUTE_CHUNK, sla_recompute_tickets

    config = sla_config_get()
    goals = {
        key: dataclasses.replace(
            goal_set,
            minutes={
                name: value + args.bump
                if value and name.endswith("_minutes") and "due_soon" not in name
                else value
                for name, value in goal_set.minutes.items()
            },
        )
        for key, goal_set in config.goals.items()
    }
    config = dataclasses.replace(config, goals=goals, version=config.version + args.bump)
    now = timezone.now()
    by_statement: collections.Counter = collections.Counter()
    tickets = args.chunks * RECOMPUTE_CHUNK
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), pg_current_wal_lsn()")
        backend, wal_start = cursor.fetchone()
    backend_cpu = _cpu_seconds(backend)
    started = time.perf_counter()
    for chunk in range(args.chunks):
        first = args.start + chunk * RECOMPUTE_CHUNK
        ids = list(range(first, first + RECOMPUTE_CHUNK))
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            sla_recompute_tickets(ticket_ids=ids, config=config, now=now)
        for query in queries.captured_queries:
            by_statement[" ".join(query["sql"].split())[:60]] += float(query["time"])
    elapsed = time.perf_counter() - started
    backend_cpu = _cpu_seconds(backend) - backend_cpu
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [wal_start])
        wal_bytes = float(cursor.fetchone()[0])
    print(f"{tickets:,} tickets in {elapsed:.2f} s: {elapsed / tickets * 1e6:.0f} µs per ticket")
    print(
        f"  PostgreSQL backend CPU {backend_cpu / tickets * 1e6:.0f} µs per ticket "
        f"(less sensitive to other load than the wall clock); WAL {wal_bytes / tickets:,.0f} "
        "bytes per ticket"
    )
    for statement, seconds in by_statement.most_common(8):
        print(f"  {seconds / tickets * 1e6:6.1f} µs  {statement}")


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a local process (PostgreSQL runs on this machine)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
