"""The beat sweep on a database filled by ``bench/generate.py``: nothing due, 0.1 % and 1 % due.

    .venv/bin/python bench/sweep.py [--db bench] [--repeat 15]

"Due" clocks are made by moving the due-soon moment of N random active clocks to a minute ago
(and their next_check_at with it), as if time had passed: the sweep turns each Due soon and
writes its event. Each run picks fresh clocks. Times are for ``tickets.sweep.sla_sweep`` alone.
"""

from __future__ import annotations

import argparse
import datetime
import time

from common import django_setup, summary, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--repeat", type=int, default=15)
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

    print("\n| case | transitions | sla_sweep time |\n|---|---|---|")
    runs = timed(lambda: sla_sweep(now=now), repeat=args.repeat * 2)
    print(f"| nothing due | 0 | {summary(runs)} |")
    for fraction, label in ((0.001, "0.1 % due"), (0.01, "1 % due")):
        count = int(open_tickets * fraction)
        results = []
        for _ in range(args.repeat):
            make_due(count)
            events_before = SlaEvent.objects.count()
            started = time.perf_counter()
            result = sla_sweep(now=now)
            results.append(time.perf_counter() - started)
            written = SlaEvent.objects.count() - events_before
            assert result.changed == count == written, (result.changed, count, written)
        print(f"| {label} | {count:,} (+{count:,} events) | {summary(results)} |")
    running = SlaClock.objects.filter(completed_at__isnull=True).count()
    print(f"\n{running:,} running clocks in the table.")


if __name__ == "__main__":
    main()
