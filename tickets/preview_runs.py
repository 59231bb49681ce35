"""The dry run of a settings change in the background, for help desks with more open tickets than
``SLA_PREVIEW_INLINE_MAX_TICKETS`` (issue 15): the apply dialog and
``POST /api/sla/settings/preview/`` start one and show its progress, then its counts.

``settings_preview_start`` records the run (the document already checked: what it changes, the
open tickets) and queues it when the caller's transaction commits; ``settings_preview_run``
(the Celery task's service) checks the document again against the saved settings, counts with
``tickets.preview.settings_preview`` (the same rules and code as the dry run in the request),
stamping its progress, and stores the counts, or why it failed. Nothing but the run's own row is
ever written; a run is claimed once (``queued`` to ``running``), so a task delivered twice does
nothing the second time. Runs older than a day are deleted when a new one starts.
"""

from __future__ import annotations

import datetime
import logging
import math
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from settings_app.services import (
    SettingsValidationError,
    SettingsVersionConflict,
    sla_settings_check,
)
from slaproject.celery import task_queue
from tickets.models import SettingsPreviewRun, Ticket
from tickets.preview import PREVIEW_PARTS, settings_preview

logger = logging.getLogger(__name__)

PREVIEW_RUN_TASK = "tickets.tasks.settings_preview_run_task"
KEEP_RUNS = datetime.timedelta(days=1)
# Open tickets per part of a background dry run: its progress moves part by part.
PART_TICKETS = 50_000
# Progress is stamped at most this often (each stamp is a write).
STAMP_EVERY = datetime.timedelta(seconds=0.5)

# Why a run failed, as the person who asked reads it (translated when shown).
CHANGED_MEANWHILE = gettext_noop(
    "The SLA settings were changed meanwhile, so these counts would be out of date. "
    "Save again to check the change against the new settings."
)
NOT_VALID_NOW = gettext_noop(
    "The change is no longer valid against the saved settings (a team, pipeline or stage it "
    "names may have changed). Save again to check it."
)
FAILED = gettext_noop("Working out the counts failed; nothing was saved. Try again in a moment.")
NOT_QUEUED = gettext_noop(
    "The counts could not be queued: the background worker's queue cannot be reached. Nothing "
    "was saved. Try again in a moment."
)


def settings_preview_start(
    *,
    document: Any,
    settings_version: int,
    changes: list[dict[str, Any]],
    tickets: int,
    requested_by: Any = None,
) -> SettingsPreviewRun:
    """Record a background dry run of ``document`` (checked against ``settings_version``; what
    it changes: ``changes``) over the ``tickets`` open tickets, queued when the caller's
    transaction commits."""
    SettingsPreviewRun.objects.filter(created_at__lt=timezone.now() - KEEP_RUNS).delete()
    run = SettingsPreviewRun.objects.create(
        document=document,
        settings_version=settings_version,
        changes=changes,
        tickets=tickets,
        requested_by=requested_by,
    )
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    try:
        task_queue(PREVIEW_RUN_TASK, run_id)
    except Exception:  # the broker is down: say so rather than wait forever
        logger.exception("Could not queue settings dry run %s", run_id)
        SettingsPreviewRun.objects.filter(pk=run_id, state=SettingsPreviewRun.State.QUEUED).update(
            state=SettingsPreviewRun.State.FAILED,
            error=NOT_QUEUED,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )


def _finish(run_id: int, **fields: Any) -> None:
    now = timezone.now()
    SettingsPreviewRun.objects.filter(pk=run_id).update(finished_at=now, updated_at=now, **fields)


def settings_preview_run(*, run_id: int, now: datetime.datetime | None = None) -> None:
    """Work out the dry run ``run_id`` if it is still queued (the Celery task calls this)."""
    claimed = SettingsPreviewRun.objects.filter(
        pk=run_id, state=SettingsPreviewRun.State.QUEUED
    ).update(state=SettingsPreviewRun.State.RUNNING, updated_at=timezone.now())
    if not claimed:
        return
    run = SettingsPreviewRun.objects.get(pk=run_id)
    now = now or timezone.now()
    document = run.document
    if isinstance(document, dict):  # judged against the settings it was checked against
        document = {**document, "version": run.settings_version}
    try:
        check = sla_settings_check(document=document, now=now)
    except SettingsVersionConflict:
        _finish(run_id, state=SettingsPreviewRun.State.FAILED, error=CHANGED_MEANWHILE)
        return
    except SettingsValidationError:
        _finish(run_id, state=SettingsPreviewRun.State.FAILED, error=NOT_VALID_NOW)
        return
    except Exception:
        logger.exception("Settings dry run %s failed", run_id)
        _finish(run_id, state=SettingsPreviewRun.State.FAILED, error=FAILED)
        return
    if check.config is None:  # the change changes nothing now
        _finish(run_id, state=SettingsPreviewRun.State.FAILED, error=CHANGED_MEANWHILE)
        return

    open_tickets = Ticket.objects.filter(closed_at__isnull=True).count()
    stamped = [timezone.now()]

    def stamp(done: int) -> None:
        moment = timezone.now()
        if moment - stamped[0] >= STAMP_EVERY:
            stamped[0] = moment
            SettingsPreviewRun.objects.filter(pk=run_id).update(
                done=min(done, open_tickets), tickets=open_tickets, updated_at=moment
            )

    try:
        preview = settings_preview(
            config=check.config,
            now=now,
            parts=max(PREVIEW_PARTS, math.ceil(open_tickets / PART_TICKETS)),
            on_progress=stamp,
        )
    except Exception:
        logger.exception("Settings dry run %s failed", run_id)
        _finish(run_id, state=SettingsPreviewRun.State.FAILED, error=FAILED)
        return
    _finish(
        run_id,
        state=SettingsPreviewRun.State.DONE,
        result=preview.as_json(),
        tickets=preview.open_tickets,
        done=preview.open_tickets,
    )
