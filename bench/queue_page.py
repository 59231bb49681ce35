"""The queue page and the ticket list API with an SLA-status filter, at 1k and at 100k tickets.

    .venv/bin/python bench/queue_page.py [--sizes 1000,100000] [--requests 300] [--prefix bench_q]
        [--cpu]

For each size, a database of its own (``<prefix><size>``) is filled by ``bench/generate.py`` when
it does not hold that many tickets, then Django's test client (in-process: view, ORM and
database, no HTTP server) requests, as a signed-in agent, the queue page (three badges a row, and
the Next breach view, ``badges=next``) and the list API (first page, 25 rows) many times; p50 and
p95 are printed. The requests are alternated (one of each path per round), so that a busy moment
of the machine falls on every path alike and the two views compare fairly. ``--cpu`` adds a row
per request with the CPU time of this process and the database server together
(``common.server_cpu_ns``: a server on this machine), steadier than wall time on a busy machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from common import ROOT, django_setup, percentile, server_cpu_ns

PATHS = (
    ("queue page", "/tickets/"),
    ("queue page, Next breach", "/tickets/?badges=next"),
    ("queue page, overdue", "/tickets/?sla_status=overdue"),
    ("queue page, overdue, Next breach", "/tickets/?sla_status=overdue&badges=next"),
    ("list API", "/api/tickets/?sla_status=overdue"),
    ("queue page, due soon", "/tickets/?sla_status=due_soon"),
    ("list API, due soon", "/api/tickets/?sla_status=due_soon"),
    ("list API, no filter", "/api/tickets/"),
)


def measure(size: int, requests: int, prefix: str, *, cpu: bool = False) -> None:
    django_setup(f"{prefix}{size}")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from tickets.models import Ticket

    if Ticket.objects.count() != size:
        from generate import generate

        generate(tickets=size)
    agent = get_user_model().objects.get(username="agent")
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    for _label, path in PATHS:
        for _ in range(10):  # warm caches and the settings snapshot
            assert client.get(path).status_code == 200
    runs: dict[str, list[float]] = {path: [] for _label, path in PATHS}
    cpus: dict[str, list[float]] = {path: [] for _label, path in PATHS}
    for _ in range(requests):
        for _label, path in PATHS:
            server = server_cpu_ns(connection) if cpu else 0
            client_cpu = time.process_time()
            started = time.perf_counter()
            response = client.get(path)
            runs[path].append((time.perf_counter() - started) * 1000)
            if cpu:
                used = time.process_time() - client_cpu
                cpus[path].append((used + (server_cpu_ns(connection) - server) / 1e9) * 1000)
            assert response.status_code == 200
    for label, path in PATHS:
        print(
            f"| {size:,} | {label} | {percentile(runs[path], 0.5):.1f} ms | "
            f"{percentile(runs[path], 0.95):.1f} ms |",
            flush=True,
        )
        if cpu:
            print(
                f"| {size:,} | {label}, CPU (client + server) | "
                f"{percentile(cpus[path], 0.5):.1f} ms | {percentile(cpus[path], 0.95):.1f} ms |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--prefix", default="bench_q", help="database name before the size")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", action="store_true", help="also the CPU time of each request")
    args = parser.parse_args()
    if args.size:
        measure(args.size, args.requests, args.prefix, cpu=args.cpu)
        return
    print("| tickets | request | p50 | p95 |\n|---|---|---|---|", flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        subprocess.run(
            [
                sys.executable,
                __file__,
                *("--size", str(size), "--requests", str(args.requests)),
                *("--prefix", args.prefix),
                *(["--cpu"] if args.cpu else []),
            ],
            cwd=ROOT / "bench",
            check=True,
        )


if __name__ == "__main__":
    main()
