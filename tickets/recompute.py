"""Recompute of open tickets' running clocks after a settings change ("new and open tickets").

``sla_recompute_start`` records a ``SlaRecompute`` and queues the first chunk on commit; each
chunk (``sla_recompute_chunk``) handles the next ``RECOMPUTE_CHUNK`` open tickets in id order in
one transaction and moves the cursor, so a chunk that is run twice, or after a crash, neither skips
nor repeats work. A newer settings version supersedes an older recompute: the newest wins.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction
from django.db.models import Count, Max

from settings_app.selectors import sla_config_get
from tickets.models import SlaRecompute, Ticket
from tickets.services import tickets_reconcile

logger = logging.getLogger(__name__)

# Tickets per chunk (one transaction, one Celery task): large enough to amortise the task
# overhead, small enough that a chunk finishes in about a second and holds its locks briefly.
RECOMPUTE_CHUNK = 500


def _enqueue(recompute_id: int) -> None:
    from tickets.tasks import sla_recompute_task  # tasks import this module

    try:
        sla_recompute_task.delay(recompute_id)
    except Exception:  # the broker is down: the sweep re-queues stalled recomputes
        logger.exception("Could not queue recompute %s; the sweep will retry it", recompute_id)


def sla_recompute_start(*, settings_version: int, requested_by: Any = None) -> SlaRecompute:
    """Record a recompute of every open ticket for ``settings_version`` and queue it on commit.

    Supersedes recomputes still queued or running for older versions.
    """
    SlaRecompute.objects.filter(
        state__in=[SlaRecompute.State.QUEUED, SlaRecompute.State.RUNNING]
    ).update(state=SlaRecompute.State.SUPERSEDED)
    stats = Ticket.objects.filter(closed_at__isnull=True).aggregate(n=Count("id"), top=Max("id"))
    recompute = SlaRecompute.objects.create(
        settings_version=settings_version,
        tickets=stats["n"],
        max_ticket_id=stats["top"] or 0,
        requested_by=requested_by,
        state=SlaRecompute.State.QUEUED if stats["n"] else SlaRecompute.State.DONE,
    )
    if stats["n"]:
        transaction.on_commit(lambda: _enqueue(recompute.pk))
    return recompute


def sla_recompute_chunk(
    *, recompute_id: int, now: datetime.datetime, chunk_size: int = RECOMPUTE_CHUNK
) -> bool:
    """Recompute the next chunk of open tickets. Returns True while more chunks remain."""
    with transaction.atomic():
        recompute = SlaRecompute.objects.select_for_update().filter(pk=recompute_id).first()
        if recompute is None or recompute.state in (
            SlaRecompute.State.DONE,
            SlaRecompute.State.SUPERSEDED,
        ):
            return False
        # A newer "new and open" save supersedes this recompute (``sla_recompute_start`` marks
        # it). A newer save for new tickets only does not: the open tickets not reached yet are
        # still recomputed, with the newest settings; stopping would leave them on the goals
        # the super admin chose to replace.
        config = sla_config_get()
        tickets = list(
            Ticket.objects.select_for_update(of=("self",))
            .select_related("team", "pipeline", "stage")
            .filter(
                closed_at__isnull=True,
                id__gt=recompute.last_ticket_id,
                id__lte=recompute.max_ticket_id,
            )
            .order_by("id")[:chunk_size]
        )
        tickets_reconcile(tickets=tickets, config=config, now=now)
        more = len(tickets) == chunk_size
        if tickets:
            recompute.last_ticket_id = tickets[-1].pk
            recompute.done = min(recompute.done + len(tickets), recompute.tickets)
        recompute.state = SlaRecompute.State.RUNNING if more else SlaRecompute.State.DONE
        if not more:
            recompute.done = recompute.tickets
            recompute.finished_at = now
        recompute.save()
    return more


def sla_recompute_run(*, recompute_id: int, now: datetime.datetime) -> None:
    """Run a recompute to the end in this process (commands and tests; Celery runs chunks)."""
    while sla_recompute_chunk(recompute_id=recompute_id, now=now):
        pass


def sla_recomputes_requeue_stalled(*, now: datetime.datetime, older_than_seconds: int = 120) -> int:
    """Queue again the recomputes that made no progress for a while (lost task, broker down)."""
    cutoff = now - datetime.timedelta(seconds=older_than_seconds)
    stalled = list(
        SlaRecompute.objects.filter(
            state__in=[SlaRecompute.State.QUEUED, SlaRecompute.State.RUNNING],
            updated_at__lt=cutoff,
        ).values_list("pk", flat=True)
    )
    for recompute_id in stalled:
        SlaRecompute.objects.filter(pk=recompute_id).update(updated_at=now)
        _enqueue(recompute_id)
    return len(stalled)
