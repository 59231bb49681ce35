"""The clock planner's input loaded from the database, and its plans written back.

``ticket_state`` turns a ticket and its clocks (locked by the caller) into a
``planner.TicketState``; ``ticket_states_load`` does the same for many tickets from plain rows
(the recompute and its dry run). ``plan_write`` writes one ticket's plan, as a service does after
planning; ``plans_write`` writes the plans of many tickets set-based (``tickets.bulk``). Callers
hold the transaction and the row locks.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from settings_app.models import Stage
from settings_app.selectors import SlaConfig, ticket_goal_keys
from tickets import planner, sla
from tickets.bulk import (
    CLOCK_MOMENT_FIELDS,
    EventRow,
    clocks_delete,
    clocks_set_moments,
    clocks_update,
    events_insert,
    tickets_set_sla,
)
from tickets.models import SlaClock, Ticket

# The ticket fields a plan may change, written together by ``plan_write``.
TICKET_SLA_FIELDS = (
    "stage",
    "closed_at",
    "paused_since",
    "excluded_periods",
    "first_replied_at",
    "last_replied_at",
    "awaiting_reply_since",
    "sla_goal_value",
    "sla_settings_version",
    "sla_due_at",
    "sla_overdue_at",
    "sla_active_until",
)
# Of those, the ones the set-based ticket update writes (what a recompute changes most often).
_SLA_ONLY = (
    "sla_goal_value",
    "sla_settings_version",
    "sla_due_at",
    "sla_overdue_at",
    "sla_active_until",
)
# A stored clock's columns, in ``planner.Clock`` order after (id, ticket_id).
CLOCK_COLUMNS = (
    "id",
    "ticket_id",
    "kind",
    "cycle",
    "goal_minutes",
    "due_soon_minutes",
    "settings_version",
    "started_at",
    "due_at",
    "due_soon_at",
    "completed_at",
    "completed_by",
    "paused_at",
    "status",
    "next_check_at",
)
# The clock fields ``tickets.bulk.clocks_set_moments`` leaves as they are.
_KEPT_BY_MOMENTS = ("completed_at", "completed_by", "paused_at")


def ticket_property_values(ticket: Ticket) -> dict[str, str]:
    """The ticket's keys for each property that can select goals ("" when empty; teams and
    pipelines by id, so that renaming one changes nothing)."""
    return ticket_goal_keys(
        priority=ticket.priority,
        team_id=ticket.team_id,
        source=ticket.source,
        pipeline_id=ticket.pipeline_id,
    )


def stage_info(stage: Stage, *, config: SlaConfig) -> planner.StageInfo:
    return planner.StageInfo(
        id=stage.pk,
        is_closed=stage.is_closed,
        is_pause=stage.pk in config.pause_stage_ids and not stage.is_closed,
    )


def _clock(row: Sequence[Any]) -> planner.Clock:
    """A ``planner.Clock`` from a row of ``CLOCK_COLUMNS``."""
    clock_id, _ticket_id, *fields = row
    clock = planner.Clock(*fields)
    clock.id = clock_id
    return clock


def clock_from_model(clock: SlaClock) -> planner.Clock:
    return _clock(tuple(getattr(clock, name) for name in CLOCK_COLUMNS))


def ticket_state(
    ticket: Ticket, clocks: list[SlaClock], *, config: SlaConfig
) -> planner.TicketState:
    """The planner's view of ``ticket`` (``stage``, ``team`` and ``pipeline`` loaded) and its
    clocks (in their stored order: kind, cycle)."""
    return planner.TicketState(
        created_at=ticket.created_at,
        stage=stage_info(ticket.stage, config=config),
        properties=ticket_property_values(ticket),
        closed_at=ticket.closed_at,
        paused_since=ticket.paused_since,
        excluded_periods=tuple(sla.excluded_periods_parse(ticket.excluded_periods)),
        first_replied_at=ticket.first_replied_at,
        last_replied_at=ticket.last_replied_at,
        awaiting_reply_since=ticket.awaiting_reply_since,
        sla_goal_value=ticket.sla_goal_value,
        sla_settings_version=ticket.sla_settings_version,
        sla_due_at=ticket.sla_due_at,
        sla_overdue_at=ticket.sla_overdue_at,
        sla_active_until=ticket.sla_active_until,
        clocks=tuple(clock_from_model(clock) for clock in clocks),
    )


_TICKET_COLUMNS = (
    "id",
    "priority",
    "team_id",
    "source",
    "pipeline_id",
    "stage_id",
    "stage__is_closed",
    "created_at",
    "closed_at",
    "paused_since",
    "excluded_periods",
    "first_replied_at",
    "last_replied_at",
    "awaiting_reply_since",
    "sla_goal_value",
    "sla_settings_version",
    "sla_due_at",
    "sla_overdue_at",
    "sla_active_until",
)


def ticket_states_load(
    *, ticket_ids: list[int], config: SlaConfig, for_update: bool, open_only: bool = True
) -> dict[int, planner.TicketState]:
    """The planner's view of many tickets, from plain rows (two queries), by ticket id.

    ``for_update``: lock the tickets (in id order, as the services lock them) and their clocks.
    """
    tickets = Ticket.objects.filter(id__in=ticket_ids).order_by("id")
    clocks = SlaClock.objects.filter(ticket_id__in=ticket_ids).order_by(
        "ticket_id", "kind", "cycle"
    )
    if open_only:
        tickets = tickets.filter(closed_at__isnull=True)
    if for_update:
        tickets = tickets.select_for_update(of=("self",))
        clocks = clocks.select_for_update()
    ticket_rows = list(tickets.values_list(*_TICKET_COLUMNS))
    by_ticket: dict[int, list[planner.Clock]] = defaultdict(list)
    for row in clocks.values_list(*CLOCK_COLUMNS):
        by_ticket[row[1]].append(_clock(row))
    states = {}
    for (
        ticket_id,
        priority,
        team,
        source,
        pipeline,
        stage_id,
        stage_is_closed,
        created_at,
        closed_at,
        paused_since,
        excluded,
        first_replied_at,
        last_replied_at,
        awaiting,
        goal_value,
        settings_version,
        due_at,
        overdue_at,
        active_until,
    ) in ticket_rows:
        states[ticket_id] = planner.TicketState(
            created_at=created_at,
            stage=planner.StageInfo(
                id=stage_id,
                is_closed=stage_is_closed,
                is_pause=stage_id in config.pause_stage_ids and not stage_is_closed,
            ),
            properties=ticket_goal_keys(
                priority=priority, team_id=team, source=source, pipeline_id=pipeline
            ),
            closed_at=closed_at,
            paused_since=paused_since,
            excluded_periods=tuple(sla.excluded_periods_parse(excluded)),
            first_replied_at=first_replied_at,
            last_replied_at=last_replied_at,
            awaiting_reply_since=awaiting,
            sla_goal_value=goal_value,
            sla_settings_version=settings_version,
            sla_due_at=due_at,
            sla_overdue_at=overdue_at,
            sla_active_until=active_until,
            clocks=tuple(by_ticket.get(ticket_id, ())),
        )
    return states


def _ticket_values(state: planner.TicketState) -> dict[str, Any]:
    """``TICKET_SLA_FIELDS`` of a planned state, as model field values."""
    return {
        "stage_id": state.stage.id,
        "closed_at": state.closed_at,
        "paused_since": state.paused_since,
        "excluded_periods": [
            {"start": sla.iso(p.start), "end": sla.iso(p.end), "why": p.why}
            for p in state.excluded_periods
        ],
        "first_replied_at": state.first_replied_at,
        "last_replied_at": state.last_replied_at,
        "awaiting_reply_since": state.awaiting_reply_since,
        "sla_goal_value": state.sla_goal_value,
        "sla_settings_version": state.sla_settings_version,
        "sla_due_at": state.sla_due_at,
        "sla_overdue_at": state.sla_overdue_at,
        "sla_active_until": state.sla_active_until,
    }


def plan_write(
    ticket: Ticket, plan: planner.Plan, *, now: datetime.datetime, ticket_stored: bool = True
) -> None:
    """Write one ticket's plan: its SLA fields (also onto ``ticket``), clocks and events.

    ``ticket_stored=False``: the ticket is not in the database yet; its SLA fields are only set
    on ``ticket``, to be inserted with it, and the caller writes the clocks and events with
    ``plan_write_clocks`` once it has an id.
    """
    values = _ticket_values(plan.ticket)
    for name, value in values.items():
        setattr(ticket, name, value)
    ticket.updated_at = now
    if ticket_stored:
        Ticket.objects.filter(pk=ticket.pk).update(**values, updated_at=now)
        plan_write_clocks(ticket, plan, now=now)


def plan_write_clocks(ticket: Ticket, plan: planner.Plan, *, now: datetime.datetime) -> None:
    """Write one ticket's planned clocks and events (the ticket row is written)."""
    _clocks_and_events_write([(ticket.pk, None, plan)], now=now)


def plans_write(
    items: list[tuple[int, planner.TicketState, planner.Plan]], *, now: datetime.datetime
) -> None:
    """Write the plans of many tickets set-based: (ticket id, state before, plan) each. A ticket
    whose fields did not change is not written."""
    sla_rows = []
    for ticket_id, before, plan in items:
        old, new = _ticket_values(before), _ticket_values(plan.ticket)
        changed = {name for name in new if new[name] != old[name]}
        if not changed:
            continue
        if changed <= set(_SLA_ONLY):
            sla_rows.append((ticket_id, *(new[name] for name in _SLA_ONLY)))
        else:
            Ticket.objects.filter(pk=ticket_id).update(**new, updated_at=now)
    tickets_set_sla(sla_rows, now=now)
    _clocks_and_events_write(items, now=now)


def _clock_model(ticket_id: int, clock: planner.Clock) -> SlaClock:
    return SlaClock(
        ticket_id=ticket_id, **{name: getattr(clock, name) for name in CLOCK_COLUMNS[2:]}
    )


def _clocks_and_events_write(
    items: Sequence[tuple[int, planner.TicketState | None, planner.Plan]],
    *,
    now: datetime.datetime,
) -> None:
    # Removed clocks were stored: each has its id. Their events stay, detached.
    removed_pairs = [
        (ticket_id, clock.id)
        for ticket_id, _, plan in items
        for clock in plan.removed
        if clock.id is not None
    ]
    removed = {clock_id for _, clock_id in removed_pairs}
    clocks_delete(removed_pairs)
    inserted = [(ticket_id, clock) for ticket_id, _, plan in items for clock in plan.inserted]
    if inserted:
        stored = SlaClock.objects.bulk_create(
            [_clock_model(ticket_id, clock) for ticket_id, clock in inserted]
        )
        for (_, clock), model in zip(inserted, stored, strict=True):
            clock.id = model.pk
    # A clock that only got new moments (the recompute's common case) takes the narrower update.
    moments, whole = [], []
    for _, before, plan in items:
        originals = {clock.id: clock for clock in before.clocks} if before is not None else {}
        for clock in plan.updated:
            original = originals.get(clock.id)
            if original is not None and all(
                getattr(clock, name) == getattr(original, name) for name in _KEPT_BY_MOMENTS
            ):
                moments.append((clock.id, *(getattr(clock, name) for name in CLOCK_MOMENT_FIELDS)))
            else:
                whole.append((clock.id, *(getattr(clock, name) for name in CLOCK_COLUMNS[2:])))
    clocks_set_moments(moments)
    clocks_update(whole)
    events_insert(
        [
            EventRow(
                ticket_id,
                None if event.clock.id in removed else event.clock.id,
                event.clock.kind,
                event.clock.cycle,
                event.kind,
                event.at,
                event.detail,
                event.notify,
            )
            for ticket_id, _, plan in items
            for event in plan.events
        ],
        now=now,
    )
