"""Set-based writes of clocks, tickets and events for the sweep and the recompute.

On PostgreSQL each write is one statement fed with arrays (``UPDATE … FROM unnest(…)``,
``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING``): no per-row SQL and none of the Python
cost of Django's ``bulk_update`` (a CASE per row and field). Elsewhere (SQLite) the ORM's bulk
operations do the same job. Callers hold the transaction and the row locks.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import connection

from tickets.models import SlaClock, SlaEvent, Ticket


class EventRow(NamedTuple):
    ticket_id: int
    clock_id: int | None
    clock_kind: str
    cycle: int
    kind: str
    at: datetime.datetime
    detail: dict[str, Any]
    should_notify: bool


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def events_insert(rows: list[EventRow], *, now: datetime.datetime) -> None:
    """Insert events; one that repeats a due-soon/overdue transition already stored is skipped."""
    if not rows:
        return
    if _pg():
        columns = _columns(rows)
        columns[6] = [json.dumps(detail) for detail in columns[6]]
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tickets_slaevent (ticket_id, clock_id, clock_kind, cycle, kind, at, "
                "detail, should_notify, recorded_at) "
                "SELECT v.ticket_id, v.clock_id, v.clock_kind, v.cycle, v.kind, v.at, "
                "v.detail::jsonb, v.should_notify, %s "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::integer[], "
                "%s::varchar[], %s::timestamptz[], %s::text[], %s::boolean[]) "
                "AS v(ticket_id, clock_id, clock_kind, cycle, kind, at, detail, should_notify) "
                "ON CONFLICT DO NOTHING",
                [now, *columns],
            )
        return
    SlaEvent.objects.bulk_create(
        [SlaEvent(**row._asdict()) for row in rows], batch_size=500, ignore_conflicts=True
    )


def clocks_delete(clocks: Sequence[tuple[int, int]]) -> None:
    """Delete stored clocks, given as (ticket id, clock id) pairs; their events stay on the
    ticket's timeline, detached (clock NULL), the moments at which they happened unchanged.

    The event log has no index on the clock (migration 0026: each event written would go to a
    random page of it), and the key does nothing when a clock is deleted (``DO_NOTHING``), so its
    events are detached here, found by their tickets through ``event_by_ticket_idx`` and narrowed
    to the clocks (an event's clock is always one of its own ticket's). Callers hold the tickets
    locked.
    """
    if not clocks:
        return
    ticket_ids = sorted({ticket_id for ticket_id, _ in clocks})
    clock_ids = sorted({clock_id for _, clock_id in clocks})
    SlaEvent.objects.filter(ticket_id__in=ticket_ids, clock_id__in=clock_ids).update(clock=None)
    SlaClock.objects.filter(pk__in=clock_ids).delete()


def clocks_set_status(rows: list[tuple[int, str, datetime.datetime | None]]) -> None:
    """(clock id, status, next_check_at) rows: what the sweep persists."""
    if not rows:
        return
    if _pg():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_slaclock AS c SET status = v.status, "
                "next_check_at = v.next_check_at "
                "FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[]) "
                "AS v(id, status, next_check_at) WHERE c.id = v.id",
                _columns(rows),
            )
        return
    SlaClock.objects.bulk_update(
        [SlaClock(id=i, status=s, next_check_at=n) for i, s, n in rows],
        ["status", "next_check_at"],
        batch_size=500,
    )


CLOCK_MOMENT_FIELDS = (
    "goal_minutes",
    "due_soon_minutes",
    "settings_version",
    "due_at",
    "due_soon_at",
    "status",
    "next_check_at",
)


def clocks_set_moments(rows: list[tuple]) -> None:
    """(id, goal, due-soon goal, version, due_at, due_soon_at, status, next_check_at) rows."""
    if not rows:
        return
    if _pg():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_slaclock AS c SET goal_minutes = v.goal, "
                "due_soon_minutes = v.soon, settings_version = v.version, due_at = v.due_at, "
                "due_soon_at = v.due_soon_at, status = v.status, next_check_at = v.next_check_at "
                "FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[], "
                "%s::timestamptz[], %s::timestamptz[], %s::varchar[], %s::timestamptz[]) "
                "AS v(id, goal, soon, version, due_at, due_soon_at, status, next_check_at) "
                "WHERE c.id = v.id",
                _columns(rows),
            )
        return
    SlaClock.objects.bulk_update(
        [
            SlaClock(id=row[0], **dict(zip(CLOCK_MOMENT_FIELDS, row[1:], strict=True)))
            for row in rows
        ],
        list(CLOCK_MOMENT_FIELDS),
        batch_size=500,
    )


# Every field of a stored clock that can change (kind, cycle and ticket never do).
CLOCK_FIELDS = (
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
# ``CLOCK_FIELDS`` as rows carry them: (id, kind, cycle, *CLOCK_FIELDS).
_CLOCK_ROW = ("kind", "cycle", *CLOCK_FIELDS)


def clocks_update(rows: list[tuple]) -> None:
    """(id, kind, cycle, goal, due-soon goal, version, started_at, due_at, due_soon_at,
    completed_at, completed_by, paused_at, status, next_check_at) rows: a clock's every field."""
    if not rows:
        return
    if _pg():
        columns = _columns(rows)
        del columns[1:3]  # kind and cycle never change
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_slaclock AS c SET goal_minutes = v.goal, "
                "due_soon_minutes = v.soon, settings_version = v.version, "
                "started_at = v.started_at, due_at = v.due_at, due_soon_at = v.due_soon_at, "
                "completed_at = v.completed_at, completed_by = v.completed_by, "
                "paused_at = v.paused_at, status = v.status, next_check_at = v.next_check_at "
                "FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[], "
                "%s::timestamptz[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[], "
                "%s::varchar[], %s::timestamptz[], %s::varchar[], %s::timestamptz[]) "
                "AS v(id, goal, soon, version, started_at, due_at, due_soon_at, completed_at, "
                "completed_by, paused_at, status, next_check_at) "
                "WHERE c.id = v.id",
                columns,
            )
        return
    SlaClock.objects.bulk_update(
        [SlaClock(id=row[0], **dict(zip(_CLOCK_ROW, row[1:], strict=True))) for row in rows],
        list(CLOCK_FIELDS),
        batch_size=500,
    )


def tickets_set_sla(rows: list[tuple], *, now: datetime.datetime) -> None:
    """(id, goal value, settings version, sla_due_at, sla_overdue_at, sla_active_until) rows."""
    if not rows:
        return
    if _pg():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_ticket AS t SET sla_goal_value = v.goal_value, "
                "sla_settings_version = v.version, sla_due_at = v.due_at, "
                "sla_overdue_at = v.overdue_at, sla_active_until = v.active_until, "
                "updated_at = %s "
                "FROM unnest(%s::bigint[], %s::varchar[], %s::integer[], %s::timestamptz[], "
                "%s::timestamptz[], %s::timestamptz[]) "
                "AS v(id, goal_value, version, due_at, overdue_at, active_until) "
                "WHERE t.id = v.id",
                [now, *_columns(rows)],
            )
        return
    Ticket.objects.bulk_update(
        [
            Ticket(
                id=i,
                sla_goal_value=g,
                sla_settings_version=v,
                sla_due_at=d,
                sla_overdue_at=o,
                sla_active_until=a,
                updated_at=now,
            )
            for i, g, v, d, o, a in rows
        ],
        [
            "sla_goal_value",
            "sla_settings_version",
            "sla_due_at",
            "sla_overdue_at",
            "sla_active_until",
            "updated_at",
        ],
        batch_size=500,
    )
