"""Recompute of every open ticket after a settings change, through Celery with two workers,
beside a baseline of Django ``bulk_update`` on the same data, in the same run.

    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/recompute.py [--db bench]
        [--baseline-clocks 50000] [--team-schedules 5] [--json]

Needs a database filled by ``bench/generate.py`` and Redis. Two worker processes
(``celery worker --pool=solo``) are started against the benchmark database and stopped at the end.

- Baseline: load running clocks as model instances (with their ticket), compute the new due
  moments with the same pure functions, ``bulk_update`` them (batch 1000), no events. It is run
  on ``--baseline-clocks`` clocks and extrapolated linearly to all running clocks (a full run
  takes too long to repeat), which is stated in the output.
- Ours: ``sla_settings_save(…, apply_to="new_and_open")`` and wait until the ``SlaRecompute`` is
  done: end to end, including the events for every recomputed clock.

``--baseline-clocks 0`` skips the baseline. ``--team-schedules N`` (issue 23, SPEC §2.1): the
same save also gives N teams (``bench-team-1`` …, made by ``bench/generate.py --extra-teams 5``)
schedules of their own (other zones and hours, a holiday each), so the recompute counts each
ticket in its team's schedule: N + 1 schedules. ``--json`` prints the figures as one JSON line
at the end (for ``bench/sitting.py``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

from common import ROOT, django_setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--baseline-clocks", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--team-schedules", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL (a Redis database of its own, e.g. redis://127.0.0.1:6379/14).")
    django_setup(args.db)

    from django.db import transaction
    from django.utils import timezone

    from settings_app.models import SlaSettingsChange
    from settings_app.selectors import sla_config_get, sla_settings_document
    from settings_app.services import sla_settings_save
    from slaproject.celery import app
    from tickets import sla
    from tickets.models import SlaClock, SlaEvent, SlaRecompute, Ticket

    open_tickets = Ticket.objects.filter(closed_at__isnull=True).count()
    running = SlaClock.objects.filter(completed_at__isnull=True, ticket__closed_at__isnull=True)
    running_count = running.count()
    print(f"{open_tickets:,} open tickets, {running_count:,} running clocks")

    # --- Baseline: Django bulk_update, one process -------------------------------------------
    config = sla_config_get()
    now = timezone.now()
    started = time.perf_counter()
    done = 0
    last_id = 0
    while done < args.baseline_clocks:
        with transaction.atomic():
            batch = list(
                running.select_related("ticket").filter(id__gt=last_id).order_by("id")[:5000]
            )
            if not batch:
                break
            for clock in batch:
                goal_minutes = clock.goal_minutes + 1
                periods = sla.excluded_periods_parse(clock.ticket.excluded_periods)
                clock.goal_minutes = goal_minutes
                clock.due_at, clock.due_soon_at = sla.clock_moments(
                    config.schedule,
                    started_at=clock.started_at,
                    goal_minutes=goal_minutes,
                    due_soon_minutes=clock.due_soon_minutes,
                    excluded=sla.excluded_time(
                        config.schedule,
                        periods=periods,
                        started_at=clock.started_at,
                        kind=clock.kind,
                    ),
                )
                clock.status = sla.clock_status(
                    due_at=clock.due_at,
                    due_soon_at=clock.due_soon_at,
                    completed_at=None,
                    paused_at=clock.paused_at,
                    now=now,
                )
            SlaClock.objects.bulk_update(
                batch, ["goal_minutes", "due_at", "due_soon_at", "status"], batch_size=1000
            )
            done += len(batch)
            last_id = batch[-1].pk
    baseline = time.perf_counter() - started
    baseline_full = baseline * running_count / max(done, 1)
    if done:
        print(
            f"baseline bulk_update: {done:,} clocks in {baseline:.1f} s "
            f"({done / baseline:,.0f} clocks/s) -> {baseline_full:,.0f} s for all "
            f"{running_count:,} (extrapolated)"
        )

    # --- Ours: through Celery with N workers -------------------------------------------------
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    app.control.purge()
    workers = [
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "slaproject",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "-n",
                f"bench{i}@%h",
            ],
            cwd=ROOT,
            env=env,
        )
        for i in range(args.workers)
    ]
    try:
        # The timing starts once every worker answers a ping (a worker that is still importing
        # would otherwise be timed: under load that took longer than a fixed wait).
        waited = time.perf_counter()
        while len(app.control.ping(timeout=1.0) or []) < args.workers:
            if time.perf_counter() - waited > 120:
                sys.exit("The Celery workers did not answer a ping within 120 s.")
        print(f"{args.workers} workers answered after {time.perf_counter() - waited:.1f} s")
        document = sla_settings_document()
        for goal in document["goals"]:
            for key in ("first_response_minutes", "next_response_minutes", "close_minutes"):
                if goal[key]:
                    goal[key] += 5
        if args.team_schedules:
            document["team_schedules"] = team_schedules(args.team_schedules)
        events_before = SlaEvent.objects.count()
        started = time.perf_counter()
        result = sla_settings_save(
            document=document,
            actor=None,
            via=SlaSettingsChange.Via.COMMAND,
            apply_to="new_and_open",
        )
        recompute_id = result.recompute.pk
        while True:
            recompute = SlaRecompute.objects.get(pk=recompute_id)
            if recompute.state in (SlaRecompute.State.DONE, SlaRecompute.State.SUPERSEDED):
                break
            time.sleep(0.25)
        ours = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    events = SlaEvent.objects.count() - events_before
    print(
        f"ours (Celery, {args.workers} workers): {recompute.done:,} tickets in {ours:.1f} s "
        f"({recompute.done / ours:,.0f} tickets/s), {events:,} events written"
    )
    if done:
        print(f"speed-up over the extrapolated bulk_update baseline: {baseline_full / ours:.1f}x")
    if args.json:
        figures = {
            "seconds": round(ours, 2),
            "tickets": recompute.done,
            "events": events,
            "team_schedules": args.team_schedules,
            "baseline_seconds": round(baseline_full, 1) if done else None,
        }
        print(json.dumps(figures))


# Zones and weekday hours of the benchmark's team schedules (one each, in this order), as in
# ``bench/recompute_profile.py``.
TEAM_SCHEDULES = (
    ("America/New_York", ("08:00", "18:00")),
    ("Asia/Tokyo", ("09:00", "17:30")),
    ("Europe/London", ("07:00", "15:00")),
    ("Australia/Sydney", ("08:30", "16:30")),
    ("America/Los_Angeles", ("06:00", "14:00")),
)


def team_schedules(count: int) -> list[dict]:
    """The settings document's ``team_schedules`` for ``bench-team-1`` … ``bench-team-<count>``
    (SPEC §7): each its own zone, weekday hours and one holiday three days from today."""
    from settings_app.models import Team

    slugs = [f"bench-team-{number}" for number in range(1, count + 1)]
    found = set(Team.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    if missing := [slug for slug in slugs if slug not in found]:
        sys.exit(f"No team {', '.join(missing)}: generate with bench/generate.py --extra-teams 5")
    holiday = (datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=3)).isoformat()
    days = ("mon", "tue", "wed", "thu", "fri")
    return [
        {
            "teams": [slug],
            "timezone": zone,
            "working_hours": {day: [[start, end]] for day in days},
            "holidays": [{"date": holiday, "name": "Bench holiday", "recurring": False}],
        }
        for slug, (zone, (start, end)) in zip(slugs, TEAM_SCHEDULES[:count], strict=True)
    ]


if __name__ == "__main__":
    main()
