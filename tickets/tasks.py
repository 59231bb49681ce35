"""Celery tasks: each takes ids (or nothing), calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from slaproject.health.models import Heartbeat
from slaproject.health.services import heartbeat_stamp
from tickets.index_rebuild import INDEX_REBUILD_TASK, recompute_indexes_rebuild
from tickets.preview_runs import PREVIEW_RUN_TASK, settings_preview_run
from tickets.recompute import RECOMPUTE_TASK, sla_recompute_chunk
from tickets.sweep import sla_sweep_and_notify


@shared_task(acks_late=True, ignore_result=True)
def sla_sweep_task() -> dict:
    """Celery beat, every ``SLA_SWEEP_SECONDS``: the periodic job (sweep, emails, stalled
    recomputes, purges; each step on its own), then the beat sweep's heartbeat, which lists the
    steps that failed (``/healthz`` shows it)."""
    now = timezone.now()
    result = sla_sweep_and_notify(now=now)
    heartbeat_stamp(kind=Heartbeat.Kind.BEAT_SWEEP, now=now, detail={"failed": result["failed"]})
    return result


@shared_task(name=RECOMPUTE_TASK, acks_late=True, ignore_result=True)
def sla_recompute_task(recompute_id: int) -> None:
    """One chunk of a settings recompute; queues the next chunk until none is left."""
    if sla_recompute_chunk(recompute_id=recompute_id, now=timezone.now()):
        sla_recompute_task.delay(recompute_id)


# A rebuild at a million tickets takes minutes (each index's statement has its own timeout):
# beyond the default five-minute limit of a task.
INDEX_REBUILD_SOFT_TIME_LIMIT = 2 * 60 * 60


@shared_task(
    name=INDEX_REBUILD_TASK,
    acks_late=True,
    ignore_result=True,
    soft_time_limit=INDEX_REBUILD_SOFT_TIME_LIMIT,
    time_limit=INDEX_REBUILD_SOFT_TIME_LIMIT + 60,
)
def sla_indexes_rebuild_task(recompute_id: int) -> None:
    """After a recompute run: rebuild the ticket and clock indexes it bloated (PostgreSQL; once
    per run, one rebuild at a time: safe to run twice)."""
    recompute_indexes_rebuild(recompute_id=recompute_id, now=timezone.now())


@shared_task(name=PREVIEW_RUN_TASK, acks_late=True, ignore_result=True)
def settings_preview_run_task(run_id: int) -> None:
    """A dry run of a settings change over many open tickets (claimed once: safe to run twice)."""
    settings_preview_run(run_id=run_id)


@shared_task(ignore_result=False)
def ping(value: int) -> int:
    """Round-trip check of the broker and result backend (used by tests and operators)."""
    return value + 1
