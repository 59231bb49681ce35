"""Celery tasks of webhooks: each takes an id, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tickets.webhooks.services import SEND_TASK, webhook_deliver


@shared_task(name=SEND_TASK, acks_late=True, ignore_result=True)
def webhook_deliver_task(delivery_id: int) -> str | None:
    """Post one pending delivery (claimed first, so a task delivered twice posts it once)."""
    return webhook_deliver(delivery_id=delivery_id, now=timezone.now())
