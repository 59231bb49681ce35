"""Recompute of every open ticket after a settings change, through Celery with two workers,
beside a baseline of Django ``bulk_update`` on the same data, in the same run.

    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/recompute.py [--db bench]
        [--baseline-clocks 50000]

Needs a database filled by ``bench/generate.py`` and Redis. Two worker processes
(``celery worker --pool=solo``) are started against the benchmark database and stopped at the end.

- Baseline: load running clocks as model instances (with their ticket), compute the new due
  moments with the same pure functions, ``bulk_update`` them (batch 1000), no events. It is run
  on ``--baseline-clocks`` clocks and extrapolated linearly to all running clocks (a full run
  takes too long to repeat), which is stated in the output.
- Ours: ``sla_settings_save(…, apply_to="new_and_open")`` and wait until the ``SlaRecompute`` is
  done: end to end, including the events for every recomputed clock.
"""

from __future__ import annotations

import argparse
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
    print(
        f"baseline bulk_update: {done:,} clocks in {baseline:.1f} s "
        f"({done / baseline:,.0f} clocks/s) -> {baseline_full:,.0f} s for all {running_count:,}"
        " (extrapolated)"
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
        time.sleep(6)  # let the workers connect
        document = sla_settings_document()
        for goal in document["goals"]:
            for key in ("first_response_minutes", "next_response_minutes", "close_minutes"):
                if goal[key]:
                    goal[key] += 5
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
    print(f"speed-up over the extrapolated bulk_update baseline: {baseline_full / ours:.1f}x")


if __name__ == "__main__":
    main()
