"""What the SLA settings need of the tickets they apply to, declared here and provided by the
tickets app, so that settings_app never imports tickets (docs/DECISIONS.md, "Layers").

Tickets depend on settings, not the reverse: yet saving settings "for new and open tickets"
starts a recompute of the open tickets, the settings page shows its progress and how many
tickets are open, the apply dialog and the API show what a change would do to the open tickets
(the dry run), and a team, pipeline or stage that tickets use is not deleted. This module
names those needs (``TicketSide``); ``tickets.ticket_side`` meets them, and ``tickets.apps``
registers it when Django starts (``ticket_side_register``). Services and views reach it through
``ticket_side()``.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from django.core.exceptions import ImproperlyConfigured

from settings_app.models import Pipeline, Stage, Team

if TYPE_CHECKING:
    from settings_app.selectors import SlaConfig


class Recompute(Protocol):
    """A recompute of the open tickets' running clocks after a save "for new and open tickets"
    (``tickets.models.SlaRecompute``), as the settings page and API show its progress."""

    @property
    def pk(self) -> Any: ...

    @property
    def state(self) -> str: ...  # "queued", "running", "done" or "superseded"

    @property
    def tickets(self) -> int: ...  # open tickets to recompute

    @property
    def done(self) -> int: ...

    @property
    def updated_at(self) -> datetime.datetime: ...  # its last progress


class DryRun(Protocol):
    """What applying a settings snapshot to the open tickets would do
    (``tickets.preview.SettingsPreview``)."""

    def as_json(self) -> dict[str, Any]:
        """``{"computed_at", "open_tickets", "clocks", "tickets"}`` as
        ``POST /api/sla/settings/preview/`` shows them (docs/API.md)."""
        ...


class PreviewRun(Protocol):
    """A dry run worked out in the background (``tickets.models.SettingsPreviewRun``), above
    ``SLA_PREVIEW_INLINE_MAX_TICKETS`` open tickets."""

    @property
    def pk(self) -> Any: ...

    @property
    def state(self) -> str: ...  # "queued", "running", "done" or "failed"

    @property
    def settings_version(self) -> int: ...  # the saved version it was checked against

    @property
    def changes(self) -> Any: ...  # what a save would change (``sla_settings_check``'s)

    @property
    def tickets(self) -> int: ...  # open tickets to go through

    @property
    def done(self) -> int: ...

    @property
    def result(self) -> Any: ...  # ``DryRun.as_json()`` once done, else None

    @property
    def error(self) -> str: ...  # why it failed (an English message to translate), else ""


class TicketsUsing(NamedTuple):
    """The tickets that use a team, pipeline or stage: the first ids, and how many in all."""

    ids: list[int]
    total: int


class TicketSide(Protocol):
    def open_tickets_count(self) -> int:
        """How many tickets are open (what a "new and open tickets" save recomputes)."""
        ...

    def recompute_start(self, *, settings_version: int, requested_by: Any) -> Recompute:
        """Record a recompute of the open tickets for ``settings_version`` inside the caller's
        transaction, queued when it commits; it supersedes those still running."""
        ...

    def recompute_get(self, pk: int) -> Recompute | None:
        """The recompute ``pk``, if there is one."""
        ...

    def settings_preview(self, *, config: SlaConfig, now: datetime.datetime) -> DryRun:
        """The dry run: what applying ``config`` (the snapshot a save would give) to every open
        ticket at ``now`` would do, by the recompute's rules, writing nothing."""
        ...

    def settings_preview_start(
        self,
        *,
        document: Any,
        settings_version: int,
        changes: list[dict[str, Any]],
        tickets: int,
        requested_by: Any,
    ) -> PreviewRun:
        """Record the dry run of ``document`` (checked: it changes ``changes`` of
        ``settings_version``) over ``tickets`` open tickets, to be worked out in the background
        once the caller's transaction commits."""
        ...

    def settings_preview_get(self, pk: int) -> PreviewRun | None:
        """The background dry run ``pk``, if there is one."""
        ...

    def recompute_latest_unfinished(self) -> Recompute | None:
        """The newest recompute still queued or running."""
        ...

    def tickets_using(
        self, record: Team | Pipeline | Stage, *, open_only: bool, first: int
    ) -> TicketsUsing:
        """The tickets of a team, pipeline or stage (``open_only``: the open ones), lowest ids
        first, at most ``first`` ids."""
        ...


_ticket_side: TicketSide | None = None


def ticket_side_register(side: TicketSide) -> None:
    """Provide the settings' needs of tickets (``tickets.apps`` does, when Django starts)."""
    global _ticket_side
    _ticket_side = side


def ticket_side() -> TicketSide:
    """The registered ``TicketSide``."""
    if _ticket_side is None:
        raise ImproperlyConfigured("No ticket side is registered (is the tickets app installed?).")
    return _ticket_side
