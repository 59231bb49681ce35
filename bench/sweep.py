"""The beat sweep on a database filled by ``bench/generate.py``: nothing due, 0.1 % and 1 % due.

    .venv/bin/python bench/sweep.py [--db bench] [--repeat 15] [--cpu]

"Due" clocks are made by moving the due-soon moment of N random active clocks to a minute ago
(and their next_check_at with it), as if time had passed: the sweep turns each Due soon and
writes its event. Each run picks fresh clocks. Times are for ``tickets.sweep.sla_sweep`` alone.
``--cpu`` adds the CPU time of each run, this process's and the database server's together
(``common.server_cpu_ns``: a server on this machine), steadier than wall time on a busy machine.
"""

from __future__ import annotations

import argparse
import datetime
import time
from typing import Any

from common import django_setup, server_cpu_ns, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--cpu", action="store_true", help="also the CPU time of each run")
    args = parser.parse_args()
    django_setup(args.db)

    from django.db import connection
    from django.utils import timezone

    from tickets.models import SlaClock, SlaEvent, Ticket
    from tickets.sweep import sla_sweep

    open_tickets = Ticket.objects.filter(closed_at__isnull=True).count()
    now = timezone.now()
    settle = sla_sweep(now=now)  # what became due since the data was generated
    print(f"{open_tickets:,} open tickets; settling sweep changed {settle.changed:,} clocks")

    def make_due(count: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_slaclock SET due_soon_at = %s, next_check_at = %s "
                "WHERE id IN (SELECT id FROM tickets_slaclock WHERE status = 'active' "
                "AND completed_at IS NULL AND paused_at IS NULL AND due_soon_at IS NOT NULL "
                "AND due_at > %s ORDER BY random() LIMIT %s)",
                [now - datetime.timedelta(minutes=1)] * 2
                + [now + datetime.timedelta(hours=1), count],
            )

    def run() -> tuple[float, float, Any]:
        """(seconds, CPU seconds of this process and the server, result) of one sweep."""
        server = server_cpu_ns(connection) if args.cpu else 0
        client = time.process_time()
        started = time.perf_counter()
        result = sla_sweep(now=now)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - client
        if args.cpu:
            cpu += (server_cpu_ns(connection) - server) / 1e9
        return elapsed, cpu, result

    def row(label: str, transitions: str, runs: list[tuple[float, float, Any]]) -> str:
        text = f"| {label} | {transitions} | {summary([r[0] for r in runs])} |"
        if args.cpu:
            text += f" CPU {summary([r[1] for r in runs])} |"
        return text

    header = "| case | transitions | sla_sweep time |"
    print(f"\n{header}{' CPU (client + server) |' if args.cpu else ''}")
    print(f"|---|---|---|{'---|' if args.cpu else ''}")
    print(row("nothing due", "0", [run() for _ in range(args.repeat * 2)]))
    for fraction, label in ((0.001, "0.1 % due"), (0.01, "1 % due")):
        count = int(open_tickets * fraction)
        results = []
        for _ in range(args.repeat):
            make_due(count)
            events_before = SlaEvent.objects.count()
            results.append(run())
            written = SlaEvent.objects.count() - events_before
            changed = results[-1][2].changed
            assert changed == count == written, (changed, count, written)
        print(row(label, f"{count:,} (+{count:,} events)", results))
    running = SlaClock.objects.filter(completed_at__isnull=True).count()
    print(f"\n{running:,} running clocks in the table.")


if __name__ == "__main__":
    main()
