"""Celery tasks of inbound email: each calls one service and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from tickets.inbound.services import mailbox_take


# Named as before the app moved: queued messages and beat entries carry the name.
@shared_task(name="inbound.tasks.imap_poll_task", acks_late=True, ignore_result=True)
def imap_poll_task() -> dict:
    """Celery beat, every ``IMAP_POLL_SECONDS`` when ``IMAP_URL`` is set: take a batch of the
    mailbox's waiting mail; queue the next batch at once when more is waiting.

    Two polls at once take nothing twice: a message's second ingestion is a no-op, and a move of
    a message the other poll moved already finds it gone."""
    if not settings.IMAP_URL:
        return {"taken": 0}
    result = mailbox_take(clock=timezone.now)
    if result.more_waiting:
        imap_poll_task.delay()
    return {"taken": result.taken, **result.outcomes}
