"""Fill PostgreSQL with N open tickets and their SLA clocks in every state, set-based (COPY).

    .venv/bin/python bench/generate.py --tickets 1000000 [--db bench] [--extra-teams 5]

Settings: the demo's (Europe/Stockholm working hours with holidays, goals per priority, `low`
off). Tickets are created over the last 20 days (most of them recent); half have had their first
reply, some wait on a next reply, some sit in the pause stage; all are open. Every clock's moments
are computed with the real business-time core and ``tickets.sla``; persisted statuses are what a
sweep at "now" would leave. Existing tickets are removed first.

``--extra-teams N`` adds N teams (``bench-team-1`` …) to the demo's two before the tickets are
spread over the teams, so that ``bench/recompute.py --team-schedules`` can give five teams
schedules of their own without moving tickets first (a mass update would age the tables). The
same seed and options give the same rows on any commit's schema.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import time
from typing import Any

from common import django_setup

BATCH_LOG = 100_000


def generate(*, tickets: int, seed: int = 1, extra_teams: int = 0) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from settings_app.demo import DEMO_SETTINGS, demo_seed
    from settings_app.models import SlaSettings, SlaSettingsChange, Stage, Team
    from settings_app.selectors import sla_config_get
    from settings_app.services import sla_settings_save
    from tickets import sla

    demo_seed()
    for number in range(1, extra_teams + 1):
        Team.objects.get_or_create(
            slug=f"bench-team-{number}", defaults={"name": f"Bench team {number}"}
        )
    settings_row = SlaSettings.objects.get(pk=1)
    sla_settings_save(
        document={**DEMO_SETTINGS, "version": settings_row.version},
        actor=None,
        via=SlaSettingsChange.Via.COMMAND,
    )
    config = sla_config_get()
    schedule = config.schedule
    now = timezone.now()
    rng = random.Random(seed)
    stages = {s.slug: s.pk for s in Stage.objects.filter(pipeline__slug="support")}
    pipeline_id = Stage.objects.get(pk=stages["new"]).pipeline_id
    team_ids = list(Team.objects.order_by("pk").values_list("pk", flat=True))
    priorities = ["urgent", "high", "high", "medium", "medium", "medium", "low"]
    goals = {value: goal_set for value, goal_set in config.goals.items() if goal_set.enabled}

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE tickets_slaevent, tickets_slaclock, tickets_message, tickets_ticket, "
            "tickets_slarecompute RESTART IDENTITY CASCADE"
        )
    ticket_cols = (
        "id, subject, requester_email, priority, team_id, source, pipeline_id, stage_id, "
        "created_at, updated_at, paused_since, excluded_periods, first_replied_at, "
        "last_replied_at, awaiting_reply_since, sla_goal_value, sla_settings_version, sla_due_at, "
        "sla_overdue_at, sla_active_until, requester_name, requester_language, cc_emails"
    )
    clock_cols = (
        "ticket_id, kind, cycle, goal_minutes, due_soon_minutes, settings_version, started_at, "
        "due_at, due_soon_at, completed_at, completed_by, paused_at, status, next_check_at"
    )
    started = time.perf_counter()
    counts = {"clocks": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        ticket_rows: list[tuple] = []
        clock_rows: list[tuple] = []

        def flush() -> None:
            with raw.copy(f"COPY tickets_ticket ({ticket_cols}) FROM STDIN") as copy:
                for row in ticket_rows:
                    copy.write_row(row)
            with raw.copy(f"COPY tickets_slaclock ({clock_cols}) FROM STDIN") as copy:
                for row in clock_rows:
                    copy.write_row(row)
            counts["clocks"] += len(clock_rows)
            ticket_rows.clear()
            clock_rows.clear()

        for ticket_id in range(1, tickets + 1):
            age = datetime.timedelta(seconds=int(rng.triangular(60, 20 * 86400, 86400)))
            created = now - age
            priority = rng.choice(priorities)
            goal_set = goals.get(priority)
            paused_since = None
            stage = stages["new"]
            if rng.random() < 0.05:
                paused_since = created + (now - created) * rng.random()
                stage = stages["waiting-on-customer"]
            first_reply = None
            awaiting = None
            if rng.random() < 0.5:
                first_reply = created + (now - created) * rng.random() * 0.5
                if paused_since is not None and first_reply > paused_since:
                    first_reply = None
            if first_reply is not None and rng.random() < 0.3:
                awaiting = first_reply + (now - first_reply) * rng.random()
                if paused_since is not None and awaiting > paused_since:
                    awaiting = None
            moments: list[tuple] = []  # (due, due soon, completed, paused) of each clock

            def clock(
                kind: str,
                start: datetime.datetime,
                done: datetime.datetime | None,
                *,
                goal_set: Any = goal_set,
                paused_since: datetime.datetime | None = paused_since,
                moments: list = moments,
                ticket_id: int = ticket_id,
            ) -> None:
                if goal_set is None:
                    return
                goal = goal_set.goal(kind)
                if goal is None:
                    return
                due_at, due_soon_at = sla.clock_moments(
                    schedule,
                    started_at=start,
                    goal_minutes=goal[0],
                    due_soon_minutes=goal[1],
                    excluded=datetime.timedelta(0),
                )
                paused_at = None
                if done is None and paused_since is not None:
                    paused_at = max(paused_since, start)
                status = sla.clock_status(
                    due_at=due_at,
                    due_soon_at=due_soon_at,
                    completed_at=done,
                    paused_at=paused_at,
                    now=now,
                )
                check = sla.next_check_at(
                    status=status,
                    due_at=due_at,
                    due_soon_at=due_soon_at,
                    completed_at=done,
                    paused_at=paused_at,
                )
                moments.append((due_at, due_soon_at, done, paused_at))
                clock_rows.append(
                    (
                        ticket_id,
                        kind,
                        1,
                        goal[0],
                        goal[1],
                        config.version,
                        start,
                        due_at,
                        due_soon_at,
                        done,
                        "reply" if done else "",
                        paused_at,
                        status,
                        check,
                    )
                )

            clock(sla.FIRST_RESPONSE, created, first_reply)
            if awaiting is not None:
                clock(sla.NEXT_RESPONSE, awaiting, None)
            clock(sla.CLOSE, created, None)
            ticket_rows.append(
                (
                    ticket_id,
                    f"Generated ticket {ticket_id}",
                    f"customer{ticket_id % 5000}@example.com",
                    priority,
                    rng.choice(team_ids) if team_ids else None,
                    rng.choice(("email", "chat", "form", "phone", "api")),
                    pipeline_id,
                    stage,
                    created,
                    now,
                    paused_since,
                    json.dumps([]),
                    first_reply,
                    first_reply,
                    awaiting,
                    goal_set.ref if goal_set else None,
                    config.version if goal_set else None,
                    *sla.ticket_due_moments((m[0], m[2], m[3]) for m in moments),
                    sla.ticket_active_until(moments),
                    "",
                    "",
                    json.dumps([]),
                )
            )
            if ticket_id % BATCH_LOG == 0:
                flush()
                print(
                    f"  {ticket_id:,} tickets … {time.perf_counter() - started:.0f} s", flush=True
                )
        flush()
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), "
            "(SELECT COALESCE(MAX(id), 1) FROM tickets_ticket))"
        )
    with connection.cursor() as cursor:
        # As autovacuum would leave them: statistics, and the visibility map that lets counts
        # be answered from an index alone.
        cursor.execute("VACUUM ANALYZE tickets_ticket")
        cursor.execute("VACUUM ANALYZE tickets_slaclock")
    return {
        "tickets": tickets,
        "clocks": counts["clocks"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", default="bench")
    parser.add_argument("--extra-teams", type=int, default=0, help="bench teams to add")
    args = parser.parse_args()
    django_setup(args.db)
    result = generate(tickets=args.tickets, extra_teams=args.extra_teams)
    print(
        f"Generated {result['tickets']:,} open tickets and {result['clocks']:,} clocks "
        f"in {result['seconds']} s."
    )


if __name__ == "__main__":
    main()
