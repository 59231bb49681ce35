"""The ticket history: who changed a ticket's owner, properties or stage, when and how.

The services take a snapshot of the ticket's values after locking it (``history_values``) and
record the fields that differ once their work is done (``history_record``): one row per field, in
the services' transaction. Nothing here runs on ``Ticket.save`` (the sweep and the settings
recompute write tickets at high volume and change none of these fields).
"""

from __future__ import annotations

import datetime
from typing import Any

from tickets.models import Ticket, TicketChange

Values = dict[str, tuple[str, str]]  # field -> (key, label)


def history_values(ticket: Ticket) -> Values:
    """The ticket's recorded fields as (key, label): username, priority key, team slug, source
    key, pipeline slug and stage slug, with the names people see ("" when empty). Needs
    ``owner``, ``team``, ``pipeline`` and ``stage`` loaded."""
    owner = ticket.owner.get_username() if ticket.owner is not None else ""
    return {
        TicketChange.Field.OWNER: (owner, owner),
        TicketChange.Field.PRIORITY: (
            ticket.priority or "",
            str(ticket.get_priority_display()) if ticket.priority else "",
        ),
        TicketChange.Field.TEAM: (
            (ticket.team.slug, ticket.team.name) if ticket.team is not None else ("", "")
        ),
        TicketChange.Field.SOURCE: (ticket.source, str(ticket.get_source_display())),
        TicketChange.Field.PIPELINE: (ticket.pipeline.slug, ticket.pipeline.name),
        TicketChange.Field.STAGE: (ticket.stage.slug, ticket.stage.name),
    }


def history_record(
    *,
    ticket: Ticket,
    before: Values,
    was_closed: bool,
    now: datetime.datetime,
    actor: Any,
    via: str,
) -> list[TicketChange]:
    """Record each field whose value differs from ``before`` (the caller holds the ticket's row
    lock, in its transaction). A stage change that closes or reopens the ticket says so."""
    after = history_values(ticket)
    is_closed = ticket.closed_at is not None
    rows = []
    for field, (old_value, old_label) in before.items():
        new_value, new_label = after[field]
        if field == TicketChange.Field.STAGE:
            moved = (old_value, old_label) != (new_value, new_label) or (
                before[TicketChange.Field.PIPELINE] != after[TicketChange.Field.PIPELINE]
            )
        else:
            moved = old_value != new_value
        if not moved:
            continue
        state = TicketChange.State.NONE
        if field == TicketChange.Field.STAGE and was_closed != is_closed:
            state = TicketChange.State.CLOSED if is_closed else TicketChange.State.REOPENED
        rows.append(
            TicketChange(
                ticket=ticket,
                at=now,
                actor=actor if getattr(actor, "pk", None) is not None else None,
                via=via,
                field=field,
                old_value=old_value[:200],
                new_value=new_value[:200],
                old_label=old_label[:200],
                new_label=new_label[:200],
                state=state,
            )
        )
    return TicketChange.objects.bulk_create(rows) if rows else []
