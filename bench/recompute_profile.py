"""Cost of the recompute per ticket in one process, by statement (no Celery).

    .venv/bin/python bench/recompute_profile.py [--db bench] [--start 100001] [--chunks 10]

On a database filled by ``bench/generate.py``: every goal is made ``--bump`` minutes longer in a
settings snapshot (nothing is saved), then ``--chunks`` chunks of 5,000 consecutive tickets from
``--start`` are recomputed and committed, as a worker's chunks would be. Prints µs per ticket in
all and for each statement. Each range should be used once per generated database (a second run
over the same rows also pays for the first run's dead row versions).

``--team-schedules N`` (SPEC §2.1): the range's tickets are spread over N teams (created if
missing, ``bench-team-1`` …; the spread is written before the timing) and the snapshot gives each
team a schedule of its own (other zones and hours), so the in-database path counts in N + 1
schedules; ``--team-schedules 0`` spreads the tickets over the same teams with every team in the
default schedule, the single-schedule run to compare with.
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
    parser.add_argument("--team-schedules", type=int, default=None)
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
    if args.team_schedules is not None:
        config = _with_team_schedules(
            config,
            count=args.team_schedules,
            first=args.start,
            last=args.start + args.chunks * RECOMPUTE_CHUNK - 1,
        )
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


# Zones and weekday hours of the benchmark's team schedules (one each, in this order).
TEAM_SCHEDULES = (
    ("America/New_York", ("08:00", "18:00")),
    ("Asia/Tokyo", ("09:00", "17:30")),
    ("Europe/London", ("07:00", "15:00")),
    ("Australia/Sydney", ("08:30", "16:30")),
    ("America/Los_Angeles", ("06:00", "14:00")),
)


def _with_team_schedules(config, *, count: int, first: int, last: int):  # noqa: ANN001, ANN202
    """Spread tickets ``first`` … ``last`` over five teams (written now, before any timing) and
    give ``count`` of them a schedule of their own in the snapshot (nothing is saved)."""
    import dataclasses
    import datetime

    from django.db import connection

    from settings_app.business_time import WorkingSchedule
    from settings_app.models import Team

    teams = [
        Team.objects.get_or_create(slug=f"bench-team-{i}", defaults={"name": f"Bench {i}"})[0]
        for i in range(1, len(TEAM_SCHEDULES) + 1)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET team_id = (%s::bigint[])[1 + id %% %s] "
            "WHERE id BETWEEN %s AND %s",
            [[t.pk for t in teams], len(teams), first, last],
        )
    today = datetime.datetime.now(datetime.UTC).date()
    schedules = {}
    for team, (zone, (start, end)) in list(zip(teams, TEAM_SCHEDULES, strict=True))[:count]:
        schedules[str(team.pk)] = WorkingSchedule(
            timezone=zone,
            periods={day: [(start, end)] for day in range(5)},
            holidays=[today + datetime.timedelta(days=3)],
        )
    print(f"{count} team schedules over {len(teams)} teams (tickets {first:,}–{last:,})")
    return dataclasses.replace(config, team_schedules=schedules)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a local process (PostgreSQL runs on this machine)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
