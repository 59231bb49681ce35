"""Benchmark of the SLA compliance report at scale: N tickets and their clocks in every state.

    .venv/bin/python bench/report.py --tickets 100000          # SQLite: var/bench_report.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_report \\
        .venv/bin/python bench/report.py --tickets 100000      # PostgreSQL (created if missing)

It prints Markdown for docs/BENCHMARKS.md.

**Fill** (set-based: ``bulk_create`` in batches of 5,000 rows, no per-ticket service calls):
tickets created evenly over the last 365 days in 6 teams (10 % without one), 4 priorities (and
none), 5 sources, 2 pipelines and 20 owners (20 % unassigned); most older tickets are closed. Each
gets a first-response and a close clock and 0–3 next-response cycles, in every state: completed on
time, completed late, running (active, due soon, overdue) and paused (before and after the due
moment). Goals are plain clock time (1 h, 4 h, 2 days); the report reads only the clocks' moments,
so working-hours arithmetic would change nothing here. The data is kept between runs (it ages
with the real clock) and made again when ``--tickets`` differs, or with ``--refill``.

**Timed**, per scenario (the presets and a year by week): the report's two aggregate queries
(``tickets.reports.sla_compliance_report``), the whole page through Django's test client
(session, form, the queries, template and SVG chart) and the CSV export. Each is run twice
untimed, then ``--repeat`` times; the table gives the median, p95 (nearest rank), min and max.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5_000  # rows per INSERT: large enough to amortise round trips, small enough for SQLite
SEED = 20260301
TEAMS = (
    ("billing", "Billing"),
    ("it", "IT"),
    ("sales", "Sales"),
    ("hardware", "Hardware"),
    ("support-eu", "Support EU"),
    ("support-us", "Support US"),
)
AGENTS = 20
FIRST_RESPONSE_MINUTES = 60
NEXT_RESPONSE_MINUTES = 240
CLOSE_MINUTES = 2880
DUE_SOON_MINUTES = {"first_response": 15, "next_response": 30, "close": 240}
SUBJECT = "bench report ticket"


def configure() -> str:
    """Environment for Django (before it is imported); returns a printable database name."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        (ROOT / "var").mkdir(exist_ok=True)
        url = f"sqlite:///{ROOT / 'var' / 'bench_report.sqlite3'}"
        os.environ["DATABASE_URL"] = url
    if url.startswith(("postgres://", "postgresql://")):
        create_postgres_database(url)
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaproject.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    # Plain static files: the manifest storage of DEBUG=false needs collectstatic first.
    os.environ.setdefault(
        "STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    sys.path.insert(0, str(ROOT))
    parts = urlsplit(url)
    return parts.path.lstrip("/") if parts.scheme.startswith("postgres") else parts.path


def create_postgres_database(url: str) -> None:
    """Create the URL's database when missing, connecting to the server's ``postgres`` one."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"Created PostgreSQL database {name}.", file=sys.stderr)


# --- Fill ---------------------------------------------------------------------------------------


def clear_tickets() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("tickets_slaevent", "tickets_slaclock", "tickets_message", "tickets_ticket"):
            cursor.execute(f"DELETE FROM {table}")


def reference_data() -> dict:
    """Teams, agents, a second pipeline and the viewer; created once, found again later."""
    from django.contrib.auth import get_user_model

    from settings_app.models import Pipeline, Stage, Team

    User = get_user_model()
    teams = [Team.objects.get_or_create(slug=s, defaults={"name": n})[0] for s, n in TEAMS]
    agents = []
    for index in range(AGENTS):
        user, _ = User.objects.get_or_create(
            username=f"bench-agent-{index:02d}", defaults={"is_staff": True}
        )
        agents.append(user)
    viewer, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    support = Pipeline.objects.get(slug="support")
    sales, created = Pipeline.objects.get_or_create(
        slug="sales", defaults={"name": "Sales", "position": 2}
    )
    if created:
        Stage.objects.create(pipeline=sales, slug="new", name="New", position=0)
        Stage.objects.create(pipeline=sales, slug="won", name="Won", position=1, is_closed=True)
    stages = {}
    for pipeline in (support, sales):
        rows = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
        stages[pipeline.pk] = {
            "open": [s for s in rows if not s.is_closed],
            "closed": [s for s in rows if s.is_closed],
        }
    return {
        "teams": teams,
        "agents": agents,
        "viewer": viewer,
        "pipelines": [support, support, support, support, sales],
        "stages": stages,
    }


def _clock(
    ticket_id: int,
    kind: str,
    cycle: int,
    *,
    started_at: datetime.datetime,
    goal_minutes: int,
    completed_at: datetime.datetime | None,
    paused_at: datetime.datetime | None,
    now: datetime.datetime,
):
    from tickets import sla
    from tickets.models import SlaClock

    due_at = started_at + datetime.timedelta(minutes=goal_minutes)
    due_soon_at = due_at - datetime.timedelta(minutes=DUE_SOON_MINUTES[kind])
    if completed_at is not None:
        paused_at = None
    elif paused_at is not None:
        paused_at = max(paused_at, started_at)  # a clock that starts during a pause starts paused
    status = sla.clock_status(
        due_at=due_at,
        due_soon_at=due_soon_at,
        completed_at=completed_at,
        paused_at=paused_at,
        now=now,
    )
    running_unpaused = completed_at is None and paused_at is None
    next_check = None
    if running_unpaused and status == sla.ACTIVE:
        next_check = due_soon_at
    elif running_unpaused and status == sla.DUE_SOON:
        next_check = due_at
    return SlaClock(
        ticket_id=ticket_id,
        kind=kind,
        cycle=cycle,
        goal_minutes=goal_minutes,
        due_soon_minutes=DUE_SOON_MINUTES[kind],
        settings_version=1,
        started_at=started_at,
        due_at=due_at,
        due_soon_at=due_soon_at,
        completed_at=completed_at,
        completed_by=("reply" if kind != "close" else "close") if completed_at else "",
        paused_at=paused_at,
        status=status,
        next_check_at=next_check,
    )


def _reply_delay(rng: random.Random, goal_minutes: int) -> datetime.timedelta:
    """How long a reply took: mostly within the goal, sometimes well past it."""
    factor = rng.choice((0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 1.3, 2.5))
    return datetime.timedelta(minutes=goal_minutes * factor + rng.random())


def fill(*, tickets: int, now: datetime.datetime, refs: dict) -> tuple[int, float]:
    """Insert ``tickets`` tickets and their clocks; returns (clocks inserted, seconds)."""
    from django.db import connection, transaction

    from settings_app.models import Priority, Source
    from tickets.models import SlaClock, Ticket

    started = time.perf_counter()
    rng = random.Random(SEED)
    priorities = ["", *Priority.values]
    sources = Source.values
    clock_count = 0
    year = datetime.timedelta(days=365)
    first_id = 1
    for batch_start in range(0, tickets, BATCH):
        ticket_rows: list[Ticket] = []
        clock_rows: list[SlaClock] = []
        for offset in range(batch_start, min(batch_start + BATCH, tickets)):
            ticket_id = first_id + offset
            created = now - year * rng.random()
            age_days = (now - created).days
            pipeline = rng.choice(refs["pipelines"])
            stages = refs["stages"][pipeline.pk]
            is_closed = rng.random() < (0.95 if age_days > 14 else 0.5)
            replied = is_closed or rng.random() < 0.6
            first_reply = created + _reply_delay(rng, FIRST_RESPONSE_MINUTES)
            if first_reply >= now:
                replied = False
            is_paused = not is_closed and rng.random() < 0.15
            paused_at = None
            if is_paused:
                paused_at = created + datetime.timedelta(minutes=rng.uniform(5, 6000))
                paused_at = min(paused_at, now)
            # The cycles of next response, one after the other after the first reply.
            moment = first_reply
            cycles: list[tuple[datetime.datetime, datetime.datetime | None]] = []
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3)) if replied else 0):
                start = moment + datetime.timedelta(minutes=rng.uniform(10, 1440))
                if start >= now:
                    break
                done = start + _reply_delay(rng, NEXT_RESPONSE_MINUTES)
                cycles.append((start, done if done < now else None))
                if done >= now:
                    break
                moment = done
            closed_at = None
            if is_closed:
                closed_at = max(moment, created) + datetime.timedelta(
                    minutes=rng.uniform(30, CLOSE_MINUTES * 1.6)
                )
                if closed_at >= now:
                    closed_at, is_closed = None, False
            if is_closed and cycles and cycles[-1][1] is None:
                cycles[-1] = (cycles[-1][0], closed_at)  # the close completes it
            ticket_rows.append(
                Ticket(
                    id=ticket_id,
                    subject=SUBJECT,
                    requester_email=f"customer{offset % 5000}@example.com",
                    priority=rng.choice(priorities),
                    team=rng.choice(refs["teams"]) if rng.random() > 0.1 else None,
                    source=rng.choice(sources),
                    pipeline=pipeline,
                    stage=rng.choice(stages["closed" if is_closed else "open"]),
                    owner=rng.choice(refs["agents"]) if rng.random() > 0.2 else None,
                    created_at=created,
                    closed_at=closed_at,
                    paused_since=paused_at if is_paused else None,
                    first_replied_at=first_reply if replied else None,
                    last_replied_at=moment if replied else None,
                )
            )
            fr_done = first_reply if replied else (closed_at if is_closed else None)
            common = {"now": now, "paused_at": paused_at}
            clock_rows.append(
                _clock(
                    ticket_id,
                    "first_response",
                    1,
                    started_at=created,
                    goal_minutes=FIRST_RESPONSE_MINUTES,
                    completed_at=fr_done,
                    **common,
                )
            )
            for cycle, (start, done) in enumerate(cycles, start=1):
                clock_rows.append(
                    _clock(
                        ticket_id,
                        "next_response",
                        cycle,
                        started_at=start,
                        goal_minutes=NEXT_RESPONSE_MINUTES,
                        completed_at=done,
                        **common,
                    )
                )
            clock_rows.append(
                _clock(
                    ticket_id,
                    "close",
                    1,
                    started_at=created,
                    goal_minutes=CLOSE_MINUTES,
                    completed_at=closed_at,
                    **common,
                )
            )
        with transaction.atomic():
            Ticket.objects.bulk_create(ticket_rows, batch_size=BATCH)
            SlaClock.objects.bulk_create(clock_rows, batch_size=BATCH)
        clock_count += len(clock_rows)
        print(f"  {batch_start + len(ticket_rows):>9,} tickets", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), "
                "(SELECT MAX(id) FROM tickets_ticket))"
            )
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
    return clock_count, time.perf_counter() - started


# --- Timing -------------------------------------------------------------------------------------


def timed(function: Callable[[], object], *, repeat: int, warmup: int = 2) -> list[float]:
    """Seconds of each of ``repeat`` runs (after ``warmup`` untimed ones), GC off while timing."""
    for _ in range(warmup):
        function()
    runs = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            function()
            runs.append(time.perf_counter() - started)
    finally:
        gc.enable()
    return runs


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def stats(runs: list[float]) -> str:
    """ "median | p95 | min–max" in milliseconds."""
    ms = [r * 1000 for r in runs]
    return (
        f"{statistics.median(ms):.1f} | {nearest_rank(ms, 0.95):.1f} | {min(ms):.1f}–{max(ms):.1f}"
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--refill", action="store_true", help="make the data again")
    parser.add_argument("--explain", action="store_true", help="print the report's query plans")
    args = parser.parse_args()
    db_label = configure()

    import warnings

    import django

    # WhiteNoise looks for collected static files, which the benchmark never collects.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from settings_app.selectors import sla_config_get
    from tickets.models import SlaClock, Ticket
    from tickets.reports import sla_compliance_report

    call_command("migrate", verbosity=0)
    refs = reference_data()
    existing = Ticket.objects.filter(subject=SUBJECT).count()
    fill_note = "kept from an earlier run"
    if args.refill or existing != args.tickets or Ticket.objects.count() != existing:
        print(f"Filling {args.tickets:,} tickets …", file=sys.stderr)
        clear_tickets()
        clocks, seconds = fill(tickets=args.tickets, now=timezone.now(), refs=refs)
        fill_note = f"{clocks:,} clocks inserted in {seconds:.1f} s"
    clock_total = SlaClock.objects.count()

    zone = sla_config_get().schedule.zone
    client = Client()
    client.force_login(refs["viewer"])
    team = refs["teams"][0].slug
    today = timezone.now().astimezone(zone).date()
    year_start = today - datetime.timedelta(days=364)
    scenarios = [
        ("Last 7 days, by team", {"period": "7", "breakdown": "team"}),
        ("Last 30 days, by team", {"period": "30", "breakdown": "team"}),
        ("Last 30 days, one team, by owner", {"period": "30", "breakdown": "owner", "team": team}),
        (
            "365 days (weekly trend), by priority",
            {
                "period": "custom",
                "start": year_start.isoformat(),
                "end": today.isoformat(),
                "breakdown": "priority",
            },
        ),
    ]
    days = {"7": 7, "30": 30, "custom": 365}

    print(f"### {args.tickets:,} tickets, {clock_total:,} clocks ({fill_note})\n")
    print(f"{connection.vendor} ({db_label}); {machine()} at the start.\n")
    print(f"Median, p95 and range of {args.repeat} runs after 2 warm-ups, in milliseconds.\n")
    print("| scenario | judged clocks | what | median | p95 | min–max |")
    print("|---|---:|---|---:|---:|---:|")
    for name, params in scenarios:
        first_day = today - datetime.timedelta(days=days[params["period"]] - 1)

        def report(first_day=first_day, params=params):
            return sla_compliance_report(
                first_day=first_day,
                last_day=today,
                zone=zone,
                now=timezone.now(),
                breakdown=params["breakdown"],
                team_slug=params.get("team", ""),
            )

        def page(params=params):
            response = client.get("/reports/sla/", params)
            assert response.status_code == 200, response.status_code
            return response

        def export(params=params):
            response = client.get("/reports/sla/export.csv", params)
            assert response.status_code == 200, response.status_code
            return response

        result = report()
        judged = sum(result.total.of(kind).judged for kind in result.total.figures)
        with CaptureQueriesContext(connection) as report_queries:
            report()
        # Copied now: every request through the client empties the connection's query log.
        report_sql = [query["sql"] for query in report_queries.captured_queries]
        with CaptureQueriesContext(connection) as page_queries:
            page()
        rows = (
            (f"report queries ({len(report_queries)})", timed(report, repeat=args.repeat)),
            (f"page ({len(page_queries)} queries)", timed(page, repeat=args.repeat)),
            ("CSV export", timed(export, repeat=args.repeat)),
        )
        for index, (what, runs) in enumerate(rows):
            label = f"{name} | {judged:,}" if index == 0 else " | "
            print(f"| {label} | {what} | {stats(runs)} |")
        if args.explain:
            for sql in report_sql:
                with connection.cursor() as cursor:
                    prefix = (
                        "EXPLAIN (ANALYZE, BUFFERS) "
                        if connection.vendor == "postgresql"
                        else "EXPLAIN QUERY PLAN "
                    )
                    cursor.execute(prefix + sql)
                    plan = "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())
                print(f"\n{sql}\n{plan}\n", file=sys.stderr)
    print(f"\nLoad average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}.")


if __name__ == "__main__":
    main()
