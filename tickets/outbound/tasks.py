"""Celery tasks of outgoing email: each takes an id, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tickets.outbound.services import SEND_TASK, outbound_email_deliver


# Named as before the app moved (queued messages carry the name); services queue it by name.
@shared_task(name=SEND_TASK, acks_late=True, ignore_result=True)
def outbound_email_send_task(email_id: int) -> str | None:
    """Send one queued email (claimed first, so a task delivered twice sends it once)."""
    return outbound_email_deliver(email_id=email_id, now=timezone.now())
