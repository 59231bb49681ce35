"""Shared set-up of the scale benchmarks: a PostgreSQL database of their own, Django, timing.

Each benchmark takes ``--db NAME`` (default ``bench``) and uses
``postgres://postgres@127.0.0.1:5432/NAME`` unless ``DATABASE_URL`` is set. The database is
created when missing and migrated.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def django_setup(db_name: str) -> None:
    """Point Django at the benchmark database (created and migrated when needed)."""
    if not os.environ.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [db_name]
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{db_name}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{db_name}"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaproject.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Pages render without a collectstatic run.
    os.environ.setdefault(
        "STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def server_cpu_ns(connection) -> int:
    """CPU time (ns) the database server's process for ``connection`` has used so far.

    From ``/proc/<pid>/schedstat`` of ``pg_backend_pid()``: the server must run on this machine
    and its processes be readable (as root, or as the user running PostgreSQL). On a machine
    shared with other work, CPU time is steadier than wall time, which also counts the waits
    for a core.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[0])


def timed(function: Callable[[], object], *, repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` runs of ``function``."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return runs


def summary(runs: list[float], *, unit: str = "ms") -> str:
    """Median and spread (min–max), and p95 when there are enough runs."""
    scale = 1000.0 if unit == "ms" else 1.0
    values = sorted(r * scale for r in runs)
    digits = 1 if unit == "ms" else 2
    text = (
        f"median {statistics.median(values):.{digits}f} {unit} "
        f"(min {values[0]:.{digits}f}, max {values[-1]:.{digits}f}"
    )
    if len(values) >= 20:
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        text += f", p95 {p95:.{digits}f}"
    return text + f", n={len(values)})"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
