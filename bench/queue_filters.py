"""The queue page with each of its filters on a large database (default: the 1M one).

    .venv/bin/python bench/queue_filters.py [--db bench] [--requests 20]

On a database filled by ``bench/generate.py``, Django's test client (in-process, signed-in agent,
first page of 25) requests the queue with each filter an agent can pick and prints p50 and p95.
The SLA-status goals are measured by ``queue_page.py``; this one looks for a filter whose query
plan degrades with the table (e.g. a stage whose tickets all sort last).
"""

from __future__ import annotations

import argparse
import time

from common import django_setup, percentile

PATHS = (
    "/tickets/",
    "/tickets/?sla_status=overdue",
    "/tickets/?sla_status=due_soon",
    "/tickets/?sla_status=active",
    "/tickets/?stage=new",
    "/tickets/?stage=waiting-on-customer",
    "/tickets/?stage=closed",
    "/tickets/?team=billing",
    "/tickets/?owner=me",
    "/tickets/?owner=none",
    "/tickets/?priority=low&sla_status=due_soon",
    "/tickets/?stage=waiting-on-customer&team=billing",
    "/tickets/?q=printer",
    "/tickets/?q=ticket+99999",
    "/tickets/?q=%23630000",
    "/tickets/?q=63",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--only", default="", help="comma-separated substrings: measure only the paths with one"
    )
    args = parser.parse_args()
    wanted = [part for part in args.only.split(",") if part]
    paths = [p for p in PATHS if not wanted or any(part in p for part in wanted)]
    django_setup(args.db)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tickets.models import Ticket

    agent = get_user_model().objects.get(username="agent")
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    print(f"{Ticket.objects.count():,} tickets\n")
    print("| queue page | p50 | p95 |\n|---|---|---|")
    for path in paths:
        for _ in range(3):  # warm caches and the settings snapshot
            assert client.get(path).status_code == 200, path
        runs = []
        for _ in range(args.requests):
            started = time.perf_counter()
            assert client.get(path).status_code == 200, path
            runs.append((time.perf_counter() - started) * 1000)
        print(
            f"| `{path}` | {percentile(runs, 0.5):.0f} ms | {percentile(runs, 0.95):.0f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
