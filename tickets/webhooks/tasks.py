"""Celery tasks of webhooks: each takes an id, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tickets.webhooks.services import (
    FAN_OUT_TASK,
    SEND_TASK,
    webhook_deliver,
    webhooks_fan_out,
)


@shared_task(name=SEND_TASK, acks_late=True, ignore_result=True)
def webhook_deliver_task(delivery_id: int) -> str | None:
    """Post one pending delivery (claimed first, so a task delivered twice posts it once)."""
    return webhook_deliver(delivery_id=delivery_id, now=timezone.now())


@shared_task(name=FAN_OUT_TASK, acks_late=True, ignore_result=True)
def webhooks_fan_out_task(delivery_ids: list[int]) -> int:
    """Queue one send task per delivery (a task queued twice queues them twice: each send task
    claims its delivery first, so each is posted once)."""
    return webhooks_fan_out(delivery_ids=delivery_ids)
