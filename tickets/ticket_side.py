"""The tickets' side of the SLA settings (``settings_app.ticket_side.TicketSide``): open ticket
counts, recomputes of the open tickets, the dry run of a change, and the tickets that use a team,
pipeline or stage. ``tickets.apps`` registers it when Django starts."""

from __future__ import annotations

import datetime
from typing import Any

from settings_app.models import Pipeline, Stage, Team
from settings_app.selectors import SlaConfig
from settings_app.ticket_side import TicketsUsing
from tickets.models import SettingsPreviewRun, SlaRecompute, Ticket
from tickets.preview import SettingsPreview
from tickets.preview import settings_preview as preview_run
from tickets.preview_runs import settings_preview_start
from tickets.recompute import sla_recompute_start

UNFINISHED_RECOMPUTE_STATES = (SlaRecompute.State.QUEUED, SlaRecompute.State.RUNNING)


class TicketSide:
    def open_tickets_count(self) -> int:
        return Ticket.objects.filter(closed_at__isnull=True).count()

    def recompute_start(self, *, settings_version: int, requested_by: Any) -> SlaRecompute:
        return sla_recompute_start(settings_version=settings_version, requested_by=requested_by)

    def recompute_get(self, pk: int) -> SlaRecompute | None:
        return SlaRecompute.objects.filter(pk=pk).first()

    def settings_preview(self, *, config: SlaConfig, now: datetime.datetime) -> SettingsPreview:
        return preview_run(config=config, now=now)

    def settings_preview_start(
        self,
        *,
        document: Any,
        settings_version: int,
        changes: list[dict[str, Any]],
        tickets: int,
        requested_by: Any,
    ) -> SettingsPreviewRun:
        return settings_preview_start(
            document=document,
            settings_version=settings_version,
            changes=changes,
            tickets=tickets,
            requested_by=requested_by,
        )

    def settings_preview_get(self, pk: int) -> SettingsPreviewRun | None:
        return SettingsPreviewRun.objects.filter(pk=pk).first()

    def recompute_latest_unfinished(self) -> SlaRecompute | None:
        return (
            SlaRecompute.objects.filter(state__in=UNFINISHED_RECOMPUTE_STATES)
            .order_by("-id")
            .first()
        )

    def tickets_using(
        self, record: Team | Pipeline | Stage, *, open_only: bool, first: int
    ) -> TicketsUsing:
        if isinstance(record, Team):
            tickets = Ticket.objects.filter(team=record)
        elif isinstance(record, Pipeline):
            tickets = Ticket.objects.filter(pipeline=record)
        else:
            tickets = Ticket.objects.filter(stage=record)
        if open_only:
            tickets = tickets.filter(closed_at__isnull=True)
        total = tickets.count()
        if not total:
            return TicketsUsing(ids=[], total=0)
        ids = list(tickets.order_by("id").values_list("id", flat=True)[:first])
        return TicketsUsing(ids=ids, total=total)
