"""The queue page and the ticket list API with an SLA-status filter, at 1k and at 100k tickets.

    .venv/bin/python bench/queue_page.py [--sizes 1000,100000] [--requests 300]

For each size, a database of its own (``bench_q<size>``) is filled by ``bench/generate.py`` when it
does not hold that many tickets, then Django's test client (in-process: view, ORM and database,
no HTTP server) requests, as a signed-in agent, ``/tickets/?sla_status=overdue`` and
``/api/tickets/?sla_status=overdue`` (first page, 25 rows) many times; p50 and p95 are printed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from common import ROOT, django_setup, percentile

PATHS = (
    ("queue page", "/tickets/?sla_status=overdue"),
    ("list API", "/api/tickets/?sla_status=overdue"),
    ("queue page, due soon", "/tickets/?sla_status=due_soon"),
    ("list API, due soon", "/api/tickets/?sla_status=due_soon"),
    ("list API, no filter", "/api/tickets/"),
)


def measure(size: int, requests: int) -> None:
    django_setup(f"bench_q{size}")
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tickets.models import Ticket

    if Ticket.objects.count() != size:
        from generate import generate

        generate(tickets=size)
    agent = get_user_model().objects.get(username="agent")
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    for label, path in PATHS:
        for _ in range(10):  # warm caches and the settings snapshot
            assert client.get(path).status_code == 200
        runs = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            runs.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        print(
            f"| {size:,} | {label} | {percentile(runs, 0.5):.1f} ms | "
            f"{percentile(runs, 0.95):.1f} ms |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size:
        measure(args.size, args.requests)
        return
    print("| tickets | request | p50 | p95 |\n|---|---|---|---|", flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        subprocess.run(
            [sys.executable, __file__, "--size", str(size), "--requests", str(args.requests)],
            cwd=ROOT / "bench",
            check=True,
        )


if __name__ == "__main__":
    main()
