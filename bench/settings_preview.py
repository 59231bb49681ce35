"""The dry run of a settings change on every open ticket (issue 15; goal: under 2 s at 100k).

    .venv/bin/python bench/settings_preview.py [--db bench] [--repeat 5] [--python-tickets 5000]
        [--change goals|wide] [--parts N]

Needs a database filled by ``bench/generate.py`` (the demo's settings, goals per priority). Two
changes: ``goals`` (every priority's goals a fifth shorter: clocks only move, the database does
it all) and ``wide`` (the same, "low" switched on and Friday afternoons off: clocks move both
ways, the low tickets gain clocks, which the Python planner plans, and many turn Due soon or
Overdue at once).

- ``check + dry run``: what the settings page, ``POST /api/sla/settings/preview/`` and the
  background dry run do: ``sla_settings_check`` (validate, compare, build the new snapshot in a
  rolled-back savepoint) and ``settings_preview`` over every open ticket (in the database where
  it can, as the recompute does, split over ``--parts`` connections, default
  ``PREVIEW_PARTS``; the rest planned in Python meanwhile). Nothing is written: the script checks
  that the settings version, the clocks' moments and the number of events are the same
  afterwards. Printed per run and as median (min–max): the wall time, and the CPU time of
  this process plus every database backend it used (this connection's and each part's own):
  on a shared machine the wall time grows with the load (``uptime`` is printed before and after),
  the CPU time hardly does; on an idle two-core machine the wall time is about the CPU time
  divided by the cores the work keeps busy.
- ``Python path``: the same planning in Python only (what SQLite does, and PostgreSQL for the
  tickets the SQL leaves), timed on ``--python-tickets`` tickets and scaled per ticket.
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import threading
import time
from pathlib import Path

from common import django_setup, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--python-tickets", type=int, default=5000)
    parser.add_argument("--change", choices=("goals", "wide"), default="wide")
    parser.add_argument("--parts", type=int, help="connections (default: PREVIEW_PARTS)")
    args = parser.parse_args()
    django_setup(args.db)

    from django.db import connection
    from django.db.models import Max
    from django.utils import timezone

    from settings_app.selectors import sla_settings_document
    from settings_app.services import sla_settings_check
    from tickets import preview as preview_module
    from tickets.models import SlaClock, SlaEvent, Ticket
    from tickets.preview import _preview_in_python, settings_preview

    open_tickets = Ticket.objects.filter(closed_at__isnull=True).count()
    running = SlaClock.objects.filter(completed_at__isnull=True).count()
    print(f"{open_tickets:,} open tickets, {running:,} running clocks ({connection.vendor})")

    document = copy.deepcopy(sla_settings_document())
    for row in document["goals"]:
        if args.change == "goals" and not row["enabled"]:
            continue
        row["enabled"] = True
        for name in ("first_response", "next_response", "close"):
            minutes = row[f"{name}_minutes"] or {"first_response": 480, "close": 7200}.get(name)
            if minutes is None:
                continue
            row[f"{name}_minutes"] = max(2, minutes * 4 // 5)
            soon = row[f"{name}_due_soon_minutes"]
            if soon:
                row[f"{name}_due_soon_minutes"] = min(soon, row[f"{name}_minutes"] - 1)
    if args.change == "wide":
        document["working_hours"]["fri"] = [["09:00", "12:00"]]

    def fingerprint() -> tuple:
        clocks = SlaClock.objects.aggregate(n=Max("id"), due=Max("due_at"), soon=Max("due_soon_at"))
        return (
            sla_settings_document()["version"],
            tuple(clocks.values()),
            SlaEvent.objects.count(),
            tuple(SlaClock.objects.order_by("id").values_list("due_at", flat=True)[:1000]),
        )

    before = fingerprint()
    last: dict = {}

    def proc_cpu(pid: int) -> float:
        """CPU seconds (user + system) the process ``pid`` has used so far."""
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    # Each part runs on a connection of its own that ends with it: its backend's whole CPU time
    # is read just before, on that connection.
    parts_cpu: list[float] = []
    parts_lock = threading.Lock()
    original_part = preview_module.preview_tickets_sql

    def part_measured(**kwargs):
        rows = original_part(**kwargs)
        if threading.current_thread() is not threading.main_thread():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            with parts_lock:
                parts_cpu.append(proc_cpu(pid))
        return rows

    preview_module.preview_tickets_sql = part_measured

    def check_and_dry_run() -> None:
        now = timezone.now()
        check = sla_settings_check(document=document, now=now)
        assert check.config is not None
        last["preview"] = settings_preview(config=check.config, now=now, parts=args.parts)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    print("load before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    runs, cpu = [], []
    for number in range(1, args.repeat + 1):
        parts_cpu.clear()
        started = time.perf_counter()
        own, own_backend = time.process_time(), proc_cpu(backend)
        check_and_dry_run()
        runs.append(time.perf_counter() - started)
        own, own_backend = time.process_time() - own, proc_cpu(backend) - own_backend
        cpu.append(own + own_backend + sum(parts_cpu))
        print(
            f"  run {number}: wall {runs[-1]:.2f} s, CPU {cpu[-1]:.2f} s = this process "
            f"{own:.2f} + its backend {own_backend:.2f} + parts' backends "
            f"{' + '.join(f'{c:.2f}' for c in parts_cpu) or '0'}"
        )
    print("load after: ", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"check + dry run, {open_tickets:,} open tickets, change {args.change!r}:")
    print(f"  wall time: {summary(runs, unit='s')}")
    print(f"  CPU time (this process + every database backend it used): {summary(cpu, unit='s')}")
    assert fingerprint() == before, "the dry run wrote something"
    print("nothing written (settings version, clocks' moments and events unchanged)")
    print("counts:", last["preview"].as_json())
    preview_module.preview_tickets_sql = original_part

    now = timezone.now()
    config = sla_settings_check(document=document, now=now).config
    assert config is not None
    ids = list(
        Ticket.objects.filter(closed_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[: args.python_tickets]
    )
    started = time.perf_counter()
    _preview_in_python(ticket_ids=ids, config=config, now=now)
    seconds = time.perf_counter() - started
    print(
        f"Python path: {len(ids):,} tickets in {seconds * 1000:.0f} ms "
        f"({seconds / len(ids) * 1e6:.0f} µs a ticket; {open_tickets:,} would take "
        f"{seconds / len(ids) * open_tickets:.1f} s)"
    )


if __name__ == "__main__":
    main()
