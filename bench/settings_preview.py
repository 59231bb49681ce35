"""The dry run of a settings change on every open ticket (issue 15; goal: under 2 s at 100k).

    .venv/bin/python bench/settings_preview.py [--db bench] [--repeat 5] [--python-tickets 5000]
        [--change goals|wide]

Needs a database filled by ``bench/generate.py`` (the demo's settings, goals per priority). Two
changes: ``goals`` (every priority's goals a fifth shorter: clocks only move, the database does
it all) and ``wide`` (the same, "low" switched on and Friday afternoons off: clocks move both
ways, a fifth of the tickets gain clocks, which the Python path plans, and many turn Due soon or
Overdue at once).

- ``check + dry run``: what the settings page and ``POST /api/sla/settings/preview/`` do:
  ``sla_settings_check`` (validate, compare, build the new snapshot in a rolled-back savepoint)
  and ``settings_preview`` over every open ticket (in the database where it can, as the recompute
  does). Nothing is written: the script checks that the settings version, the clocks' moments and
  the number of events are the same afterwards. Besides the wall time, the CPU time of the
  database backend and of this process is printed: on a shared machine the wall time grows with
  the load (``uptime`` is printed at the end), the CPU time hardly does.
- ``Python path``: the same planning in Python only (what SQLite does, and PostgreSQL for the
  tickets the SQL leaves), timed on ``--python-tickets`` tickets and scaled per ticket.
"""

from __future__ import annotations

import argparse
import copy
import os
import time
from pathlib import Path

from common import django_setup, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--python-tickets", type=int, default=5000)
    parser.add_argument("--change", choices=("goals", "wide"), default="wide")
    args = parser.parse_args()
    django_setup(args.db)

    from django.db import connection
    from django.db.models import Max
    from django.utils import timezone

    from settings_app.selectors import sla_settings_document
    from settings_app.services import sla_settings_check
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

    def check_and_dry_run() -> None:
        now = timezone.now()
        check = sla_settings_check(document=document, now=now)
        assert check.config is not None
        last["preview"] = settings_preview(config=check.config, now=now)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def backend_cpu() -> float:
        stat = Path(f"/proc/{backend}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    runs, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), backend_cpu() + time.process_time()
        check_and_dry_run()
        runs.append(time.perf_counter() - started)
        cpu.append(backend_cpu() + time.process_time() - started_cpu)
    print(f"check + dry run, {open_tickets:,} open tickets: wall {summary(runs)}")
    print(f"  CPU time (database backend + this process): {summary(cpu)}")
    assert fingerprint() == before, "the dry run wrote something"
    print("nothing written (settings version, clocks' moments and events unchanged)")
    print("counts:", last["preview"].as_json())

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
