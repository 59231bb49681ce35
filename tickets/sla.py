"""Pure SLA clock rules: a clock's status, its due moments, and when its status next changes.

No Django, no clock: every function takes ``now`` (or the moments it needs) as a parameter and works
on aware datetimes. The services feed these from the database; tests call them on plain values.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from settings_app.business_time import WorkingSchedule

ACTIVE = "active"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
COMPLETED_ON_TIME = "completed_on_time"
COMPLETED_LATE = "completed_late"
RUNNING_STATUSES = (ACTIVE, DUE_SOON, OVERDUE)

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
CLOSE = "close"

PAUSED = "paused"
CLOSED = "closed"

# A moment as ``transitions_passed`` hands it through: a datetime, or anything else (SQL text).
Moment = TypeVar("Moment")


def clock_status(
    *,
    due_at: datetime.datetime,
    due_soon_at: datetime.datetime | None,
    completed_at: datetime.datetime | None,
    paused_at: datetime.datetime | None,
    now: datetime.datetime,
) -> str:
    """The status of a clock at ``now``.

    A completed clock is on time when it completed at or before its due moment. A paused clock's
    status is frozen as it was when it paused. Otherwise: overdue once ``now`` is past the due
    moment, due soon from the due-soon moment on, else active.
    """
    if completed_at is not None:
        return COMPLETED_ON_TIME if completed_at <= due_at else COMPLETED_LATE
    as_of = paused_at if paused_at is not None else now
    if as_of > due_at:
        return OVERDUE
    if due_soon_at is not None and as_of >= due_soon_at:
        return DUE_SOON
    return ACTIVE


def clock_status_sql(
    *, due_at: str, due_soon_at: str, completed_at: str | None, paused_at: str, now: str
) -> str:
    """``clock_status`` as a SQL expression over the given column expressions (for the sweep and
    the recompute, which run inside PostgreSQL; ``completed_at=None``: running clocks only)."""
    as_of = f"coalesce({paused_at}, {now})"
    running = (
        f"WHEN {as_of} > {due_at} THEN 'overdue' "
        f"WHEN {due_soon_at} IS NOT NULL AND {as_of} >= {due_soon_at} THEN 'due_soon' "
        "ELSE 'active' END"
    )
    if completed_at is None:
        return f"CASE {running}"
    return (
        f"CASE WHEN {completed_at} IS NOT NULL THEN CASE WHEN {completed_at} <= {due_at} "
        f"THEN 'completed_on_time' ELSE 'completed_late' END {running}"
    )


def next_check_at_sql(
    *, status: str, due_at: str, due_soon_at: str, completed_at: str | None, paused_at: str
) -> str:
    """``next_check_at`` as a SQL expression over the given column expressions."""
    stopped = f"{paused_at} IS NOT NULL"
    if completed_at is not None:
        stopped = f"{completed_at} IS NOT NULL OR {stopped}"
    return (
        f"CASE WHEN {stopped} THEN NULL "
        f"WHEN {status} = 'active' THEN CASE WHEN {due_soon_at} IS NOT NULL "
        f"AND {due_soon_at} <= {due_at} THEN {due_soon_at} ELSE {due_at} END "
        f"WHEN {status} = 'due_soon' THEN {due_at} END"
    )


def ticket_due_moments(
    clocks: Iterable[tuple[datetime.datetime, datetime.datetime | None, datetime.datetime | None]],
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """A ticket's (``sla_due_at``, ``sla_overdue_at``) from its clocks' (due, completed, paused).

    ``sla_due_at``, the queue's sort key: the earliest due moment among running, unpaused clocks.
    ``sla_overdue_at``: from when the ticket is Overdue; it also counts paused clocks that were
    already overdue when they paused (frozen Overdue), so "overdue at ``now``" is exactly
    ``sla_overdue_at < now``. None when no clock gives one.
    """
    due: list[datetime.datetime] = []
    overdue: list[datetime.datetime] = []
    for due_at, completed_at, paused_at in clocks:
        if completed_at is not None:
            continue
        if paused_at is None:
            due.append(due_at)
            overdue.append(due_at)
        elif paused_at > due_at:
            overdue.append(due_at)
    return (min(due) if due else None, min(overdue) if overdue else None)


# ``Ticket.sla_active_until`` of a ticket with a paused clock that was Active when it paused: it
# stays Active while paused (until a service resumes it and writes the ticket again). A far
# moment rather than "infinity", which Python's datetime cannot hold; the year leaves room for any
# time zone's offset.
ACTIVE_WHILE_PAUSED = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)
ACTIVE_WHILE_PAUSED_SQL = "'9999-01-01T00:00:00+00:00'::timestamptz"
_ONE_MICROSECOND = datetime.timedelta(microseconds=1)


def ticket_active_until(
    clocks: Iterable[
        tuple[
            datetime.datetime,
            datetime.datetime | None,
            datetime.datetime | None,
            datetime.datetime | None,
        ]
    ],
) -> datetime.datetime | None:
    """A ticket's ``sla_active_until`` from its clocks' (due, due soon, completed, paused): until
    when (exclusive) the ticket matches the "Active" filter, so that "Active at ``now``" is exactly
    ``sla_active_until > now``. A running unpaused clock is Active while ``now <= due_at`` and
    ``now < due_soon_at`` (``clock_status``), that is before ``min(due_soon_at, due_at + 1 µs)``;
    a paused clock that was Active when it paused is Active while paused
    (``ACTIVE_WHILE_PAUSED``). None when no running clock is or will be Active."""
    until: list[datetime.datetime] = []
    for due_at, due_soon_at, completed_at, paused_at in clocks:
        if completed_at is not None:
            continue
        if paused_at is None:
            end = due_at + _ONE_MICROSECOND
            until.append(end if due_soon_at is None else min(end, due_soon_at))
        elif paused_at <= due_at and (due_soon_at is None or paused_at < due_soon_at):
            until.append(ACTIVE_WHILE_PAUSED)
    return max(until) if until else None


def ticket_active_until_sql(
    *, due_at: str, due_soon_at: str, completed_at: str | None, paused_at: str
) -> str:
    """``ticket_active_until`` as a SQL aggregate over the given clock column expressions
    (``completed_at=None``: the rows are running clocks only). PostgreSQL's ``least`` skips NULL."""
    running = "" if completed_at is None else f"WHEN {completed_at} IS NOT NULL THEN NULL "
    return (
        f"max(CASE {running}"
        f"WHEN {paused_at} IS NULL THEN least({due_soon_at}, {due_at} + interval '1 microsecond') "
        f"WHEN {paused_at} <= {due_at} AND ({due_soon_at} IS NULL OR {paused_at} < {due_soon_at}) "
        f"THEN {ACTIVE_WHILE_PAUSED_SQL} END)"
    )


def next_check_at(
    *,
    status: str,
    due_at: datetime.datetime,
    due_soon_at: datetime.datetime | None,
    completed_at: datetime.datetime | None,
    paused_at: datetime.datetime | None,
) -> datetime.datetime | None:
    """When the persisted ``status`` can next change by the passing of time alone (None: never).

    The sweep selects clocks with ``next_check_at <= now``. Overdue needs ``now > due_at``, so a
    clock may be selected at exactly ``due_at`` and found unchanged; it is picked up again.
    """
    if completed_at is not None or paused_at is not None:
        return None
    if status == ACTIVE:
        return due_soon_at if due_soon_at is not None and due_soon_at <= due_at else due_at
    if status == DUE_SOON:
        return due_at
    return None


@dataclass(frozen=True)
class ExcludedPeriod:
    """A finished stretch no clock counts: in a pause stage (``paused``) or closed (``closed``)."""

    start: datetime.datetime
    end: datetime.datetime
    why: str


def iso(moment: datetime.datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the API and the stored excluded periods write moments."""
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def excluded_periods_parse(stored: Iterable[dict[str, str]]) -> list[ExcludedPeriod]:
    """A ticket's ``excluded_periods`` JSON (``{"start", "end", "why"}`` items) as values."""
    return [
        ExcludedPeriod(
            datetime.datetime.fromisoformat(item["start"].replace("Z", "+00:00")),
            datetime.datetime.fromisoformat(item["end"].replace("Z", "+00:00")),
            item["why"],
        )
        for item in stored
    ]


def excluded_time(
    schedule: WorkingSchedule,
    *,
    periods: Iterable[ExcludedPeriod],
    started_at: datetime.datetime,
    kind: str,
) -> datetime.timedelta:
    """Counted time excluded from a clock that started at ``started_at``.

    Pauses count against every clock; closed stretches only against the close clock (the other
    clocks are completed by the close and never resume). Stretches before the start are ignored.
    """
    total = datetime.timedelta(0)
    for period in periods:
        if period.why == CLOSED and kind != CLOSE:
            continue
        start = max(period.start, started_at)
        if period.end > start:
            total += schedule.working_time_between(start, period.end)
    return total


def clock_moments(
    schedule: WorkingSchedule,
    *,
    started_at: datetime.datetime,
    goal_minutes: int,
    due_soon_minutes: int | None,
    excluded: datetime.timedelta,
) -> tuple[datetime.datetime, datetime.datetime | None]:
    """(due_at, due_soon_at): due = add(start, G + E), due soon = add(start, G − T + E)."""
    goal = datetime.timedelta(minutes=goal_minutes)
    due_at = schedule.add_working_time(started_at, goal + excluded)
    due_soon_at = None
    if due_soon_minutes is not None and due_soon_minutes < goal_minutes:
        threshold = datetime.timedelta(minutes=due_soon_minutes)
        due_soon_at = schedule.add_working_time(started_at, goal - threshold + excluded)
    return due_at, due_soon_at


def usual_start(
    kind: str,
    *,
    latest_started_at: datetime.datetime | None,
    created_at: datetime.datetime,
    first_replied_at: datetime.datetime | None,
    awaiting_reply_since: datetime.datetime | None,
    first_response_done: bool,
) -> datetime.datetime | None:
    """Where a clock of ``kind`` that a ticket lacks would start (None: it would not start).

    ``latest_started_at`` is the start of the ticket's latest clock of that kind (None: none).
    First response and close start at the ticket's creation, first response only before any
    public reply; a next-response cycle starts at the oldest unanswered customer message once the
    first response is done, unless the latest cycle already started there or later.
    """
    if kind == FIRST_RESPONSE:
        return created_at if latest_started_at is None and first_replied_at is None else None
    if kind == CLOSE:
        return created_at if latest_started_at is None else None
    if awaiting_reply_since is None or not first_response_done:
        return None
    if latest_started_at is None or latest_started_at < awaiting_reply_since:
        return awaiting_reply_since
    return None


def transitions_passed(
    *,
    old_status: str,
    new_status: str,
    due_at: Moment,
    due_soon_at: Moment | None,
) -> tuple[tuple[str, Moment], ...]:
    """The running-status transitions a clock passed moving from ``old`` to ``new`` status, each
    with its own moment: (``"due_soon"``, due_soon_at) and/or (``"overdue"``, due_at), in order.

    Active → Overdue passes Due soon too (when the sweep was late), except for a clock without a
    due-soon threshold (``due_soon_at`` None), which is never due soon; a clock never moves back.
    The moments are only handed through, so ``transitions_sql`` can enumerate this function.
    """
    order = RUNNING_STATUSES
    if old_status not in order or new_status not in order:
        return ()
    old_index, new_index = order.index(old_status), order.index(new_status)
    passed: list[tuple[str, Moment]] = []
    for step in order[old_index + 1 : new_index + 1]:
        if step != DUE_SOON:
            passed.append((step, due_at))
        elif due_soon_at is not None:
            passed.append((step, due_soon_at))
    return tuple(passed)


def transitions_sql(*, old_status: str, new_status: str, due_soon_at: str) -> str:
    """``transitions_passed`` as a SQL ``text[]`` of the transition kinds passed, over the given
    column expressions; built by enumerating the Python rule over every pair of running statuses,
    with and without a due-soon moment, so the two cannot disagree."""
    cases = []
    for old in RUNNING_STATUSES:
        for new in RUNNING_STATUSES:
            for has_soon in (True, False):
                steps = transitions_passed(
                    old_status=old, new_status=new, due_at=0, due_soon_at=1 if has_soon else None
                )
                if not steps:
                    continue
                soon = "IS NOT NULL" if has_soon else "IS NULL"
                kinds = ", ".join(f"'{kind}'" for kind, _ in steps)
                cases.append(
                    f"WHEN {old_status} = '{old}' AND {new_status} = '{new}' "
                    f"AND {due_soon_at} {soon} THEN ARRAY[{kinds}]"
                )
    return f"CASE {' '.join(cases)} ELSE ARRAY[]::text[] END"


def transition_moment_sql(*, step: str, due_at: str, due_soon_at: str) -> str:
    """The moment ``transitions_passed`` gives a transition of kind ``step``, as SQL over the given
    column expressions (read off the Python rule for a clock that passes every transition)."""
    every = transitions_passed(
        old_status=ACTIVE, new_status=OVERDUE, due_at=due_at, due_soon_at=due_soon_at
    )
    whens = " ".join(f"WHEN {step} = '{kind}' THEN {moment}" for kind, moment in every)
    return f"CASE {whens} END"


def format_duration(delta: datetime.timedelta) -> str:
    """A short human duration: "35 min", "2 h 10 min", "1 d 2 h"; under a minute: "< 1 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 1:
        return "< 1 min"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def first_response_done(
    *,
    first_replied_at: datetime.datetime | None,
    closed_at: datetime.datetime | None,
    excluded_periods: Iterable[ExcludedPeriod],
) -> bool:
    """Whether next-response cycles may start: after the first public agent reply, or once the
    ticket has been closed (now, or in one of its ``excluded_periods``)."""
    return (
        first_replied_at is not None
        or closed_at is not None
        or any(period.why == CLOSED for period in excluded_periods)
    )
