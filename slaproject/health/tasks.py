"""Celery tasks of the health app: the worker heartbeat (beat-scheduled, every
``WORKER_HEARTBEAT_SECONDS``), also stamped when a worker starts."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from slaproject.health.models import Heartbeat
from slaproject.health.services import heartbeat_stamp


# Named as before the app moved: queued messages and beat entries carry the name.
@shared_task(name="health.tasks.worker_heartbeat", ignore_result=True)
def worker_heartbeat() -> None:
    """Prove that a worker takes tasks from the broker and reaches the database."""
    heartbeat_stamp(kind=Heartbeat.Kind.WORKER, now=timezone.now())


@worker_ready.connect
def _stamp_when_a_worker_starts(**_kwargs: Any) -> None:
    # A worker that just started is seen at once, not only at beat's next heartbeat.
    heartbeat_stamp(kind=Heartbeat.Kind.WORKER, now=timezone.now())
