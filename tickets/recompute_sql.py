"""The recompute's common case done inside PostgreSQL: no ticket or clock row leaves the server.

The settings' counted time is handed to the query as constant sorted arrays of UTC working
intervals with running sums (``WorkingSchedule.working_intervals``), one set per schedule (the
default one and each team schedule, by its number; a ticket counts in its team's), so a due moment
is two binary searches (``width_bucket``) and some integer arithmetic on epoch microseconds,
exactly what ``WorkingSchedule.add_working_time`` does with ``bisect`` on the same intervals.
The rules are those of the Python set-based path (``tickets.recompute``): the same eligibility,
the same events, and status and next check from the SQL mirrors in ``tickets.sla``;
``tests/tickets/test_recompute_paths.py`` proves the three paths agree.

A ticket is left to the Python paths (returned to the caller) when it has excluded periods
(paused or closed before), when its pause state does not match its stage, when it gains or loses
a clock, or when one of its moments falls outside the intervals handed over.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import connection

from settings_app.business_time import WorkingSchedule
from settings_app.selectors import SlaConfig
from tickets import planner, sla

# Intervals handed to the query: from this far back (older running clocks go to Python) to the
# latest due moment any goal can give from ``now``, plus a margin.
HISTORY = datetime.timedelta(days=400)
MARGIN = datetime.timedelta(days=7)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_US = datetime.timedelta(microseconds=1)
_ALWAYS_END = 2**62

# A ticket's key for the property that selects goals, as ``ticket_goal_keys`` gives it: teams
# and pipelines by id, "" when empty (which matches the no-value row).
_PROPERTY_KEY = {
    "": "''",
    "priority": "t.priority",
    "source": "t.source",
    "team": "coalesce(t.team_id::text, '')",
    "pipeline": "coalesce(t.pipeline_id::text, '')",
}


def _iso(column: str) -> str:
    """SQL for ``tickets.sla.iso``: UTC, seconds, microseconds only when not zero, and a Z."""
    return (
        f"replace(to_char({column} AT TIME ZONE 'UTC', "
        f"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"
    )


def _ts(us: str) -> str:
    return f"(timestamptz '1970-01-01 00:00:00+00' + ({us}) * interval '1 microsecond')"


def _schedule_intervals(
    schedule: WorkingSchedule, *, longest: int, now: datetime.datetime
) -> tuple[list[int], ...]:
    """One schedule's starts, ends, sums before and sums through each interval, in epoch µs."""
    if schedule.always_open:  # one interval: 1970 to the year 148,000
        return [0], [_ALWAYS_END], [0], [_ALWAYS_END]
    end = schedule.add_working_time(now, datetime.timedelta(minutes=longest)) + MARGIN
    starts, ends, before, through = [], [], [], []
    total = 0
    for lo, hi in schedule.working_intervals(now - HISTORY, end):
        lo_us, hi_us = (lo - _EPOCH) // _US, (hi - _EPOCH) // _US
        starts.append(lo_us)
        ends.append(hi_us)
        before.append(total)
        total += hi_us - lo_us
        through.append(total)
    return starts, ends, before, through


def _intervals(
    config: SlaConfig, now: datetime.datetime
) -> tuple[list[tuple[list[int], ...]], list[int], list[int]]:
    """The spans of every schedule in its number's place (0: the default schedule), and the
    team ids whose tickets count in a team schedule with that schedule's number."""
    longest = max(
        (
            goal[0]
            for goal_set in config.goals.values()
            for kind in (sla.FIRST_RESPONSE, sla.NEXT_RESPONSE, sla.CLOSE)
            if (goal := goal_set.goal(kind)) is not None
        ),
        default=0,
    )
    numbers: dict[int, int] = {}
    spans: list[tuple[list[int], ...]] = []
    for number, schedule in enumerate(config.schedules()):
        numbers[id(schedule)] = number
        spans.append(_schedule_intervals(schedule, longest=longest, now=now))
    team_ids = [int(key) for key in config.team_schedules]
    team_numbers = [numbers[id(schedule)] for schedule in config.team_schedules.values()]
    return spans, team_ids, team_numbers


def _span_array(column: str, schedules: int, *, sc: str) -> str:
    """SQL for the schedule ``sc``'s array ``column`` (``s``, ``e``, ``cb`` or ``ca``), a
    constant per schedule: the parameter ``<column>_<number>``."""
    if schedules == 1:
        return f"%({column}_0)s::bigint[]"
    cases = " ".join(f"WHEN {n} THEN %({column}_{n})s::bigint[]" for n in range(schedules))
    return f"(CASE {sc} {cases} END)"


def _goal_rows(config: SlaConfig) -> list[tuple]:
    """(key, ref, fr, fr soon, nr, nr soon, close, close soon) of each goal set that applies to
    the tickets whose property has that key (``goal_set_for`` decides, as for one ticket); ref
    is what those tickets record as ``sla_goal_value``."""
    rows = []
    for key in config.goals:
        goal_set = config.goal_set_for({} if config.scope == "all" else {config.property: key})
        if goal_set is None or goal_set.value != key:
            continue
        row: list = [key, goal_set.ref]
        for kind in (sla.FIRST_RESPONSE, sla.NEXT_RESPONSE, sla.CLOSE):
            goal = goal_set.goal(kind)
            row.extend(goal if goal is not None else (None, None))
        rows.append(tuple(row))
    return rows


_TICKETS_WORK = """
CREATE TEMP TABLE sla_recompute_tickets ON COMMIT DROP AS
WITH g AS (
    SELECT * FROM unnest(%(g_key)s::text[], %(g_ref)s::text[], %(g_fr)s::int[],
                         %(g_fr_soon)s::int[], %(g_nr)s::int[], %(g_nr_soon)s::int[],
                         %(g_cl)s::int[], %(g_cl_soon)s::int[])
        AS g(key, ref, fr, fr_soon, nr, nr_soon, cl, cl_soon)
),
ts AS (  -- the teams that count in a team schedule, and its number
    SELECT * FROM unnest(%(ts_team)s::bigint[], %(ts_number)s::int[]) AS ts(team_id, sc)
),
t AS (
    SELECT t.id, t.first_replied_at, t.awaiting_reply_since, t.sla_goal_value,
           t.sla_settings_version, t.sla_due_at, t.sla_overdue_at, t.sla_active_until,
           g.ref AS goal_value, g.fr, g.fr_soon, g.nr, g.nr_soon, g.cl, g.cl_soon,
           coalesce(ts.sc, 0) AS sc
    FROM tickets_ticket t
    LEFT JOIN g ON g.key = {property_key}
    LEFT JOIN ts ON ts.team_id = t.team_id
    WHERE {tickets} AND t.closed_at IS NULL
      AND t.excluded_periods = '[]'::jsonb
      AND (t.paused_since IS NOT NULL) = (t.stage_id = ANY(%(pause_stages)s::bigint[]))
),
c AS (
    SELECT c.ticket_id, c.kind, c.started_at, c.completed_at,
           c.cycle = max(c.cycle) OVER (PARTITION BY c.ticket_id, c.kind) AS is_latest
    FROM tickets_slaclock c WHERE c.ticket_id IN (SELECT id FROM t)
),
k AS (  -- per ticket: what its latest clock of each kind is
    SELECT t.id AS ticket_id,
        coalesce(bool_or(c.kind = 'first_response'), false) AS fr_has,
        coalesce(bool_or(c.kind = 'first_response' AND c.is_latest AND c.completed_at IS NULL),
                 false) AS fr_runs,
        coalesce(bool_or(c.kind = 'close'), false) AS cl_has,
        coalesce(bool_or(c.kind = 'close' AND c.is_latest AND c.completed_at IS NULL), false)
            AS cl_runs,
        coalesce(bool_or(c.kind = 'next_response' AND c.is_latest AND c.completed_at IS NULL),
                 false) AS nr_runs,
        max(c.started_at) FILTER (WHERE c.kind = 'next_response' AND c.is_latest) AS nr_started,
        coalesce(bool_or(c.completed_at IS NULL AND NOT c.is_latest), false) AS odd
    FROM t LEFT JOIN c ON c.ticket_id = t.id GROUP BY t.id
)
-- Tickets whose clocks only need new moments: no running clock loses its goal, none starts.
SELECT t.* FROM t JOIN k ON k.ticket_id = t.id
WHERE NOT k.odd
  AND NOT (k.fr_runs AND t.fr IS NULL)
  AND NOT (k.nr_runs AND t.nr IS NULL)
  AND NOT (k.cl_runs AND t.cl IS NULL)
  AND NOT (t.fr IS NOT NULL AND NOT k.fr_has AND t.first_replied_at IS NULL)
  AND NOT (t.cl IS NOT NULL AND NOT k.cl_has)
  AND NOT (t.nr IS NOT NULL AND NOT k.nr_runs
           AND t.awaiting_reply_since IS NOT NULL AND t.first_replied_at IS NOT NULL
           AND (k.nr_started IS NULL OR k.nr_started < t.awaiting_reply_since))
"""

# add_working_time(start, goal) on the spans, which are handed over as constant arrays (one set
# per schedule, sorted): the counted time before the start (from the last span starting at or
# before it: ``width_bucket``, a binary search), plus the goal, gives a target; the first span
# whose running sum reaches the target holds the due moment (``width_bucket`` of the target less
# one microsecond counts the spans before it). NULL (left to Python) outside the spans.
_CLOCKS_WORK = """
CREATE TEMP TABLE sla_recompute_work ON COMMIT DROP AS
WITH r AS MATERIALIZED (  -- the running clocks of the tickets handled, with their new goal
    SELECT c.id, c.ticket_id, c.kind, c.cycle, c.status, c.goal_minutes, c.due_soon_minutes,
           c.settings_version, c.due_at, c.due_soon_at, c.paused_at,
           CASE c.kind WHEN 'first_response' THEN ok.fr WHEN 'next_response' THEN ok.nr
                ELSE ok.cl END AS goal,
           CASE c.kind WHEN 'first_response' THEN ok.fr_soon
                WHEN 'next_response' THEN ok.nr_soon ELSE ok.cl_soon END AS soon,
           s.start_us, ok.sc, width_bucket(s.start_us, {s}) AS i
    FROM tickets_slaclock c JOIN sla_recompute_tickets ok ON ok.id = c.ticket_id
    CROSS JOIN LATERAL (
        SELECT (extract(epoch FROM c.started_at) * 1000000)::bigint AS start_us
    ) AS s
    WHERE c.completed_at IS NULL
    -- The sweep may hold some of these clocks: wait for it, then read what it wrote.
    {lock}
),
-- Each step is materialized so that its values are computed once per clock (an expression
-- referred to twice in a later step would otherwise be computed twice).
m AS MATERIALIZED (
    SELECT r.*, r.soon IS NOT NULL AND r.soon < r.goal AS has_soon,
           ({cb_r})[r.i] + LEAST(r.start_us - ({s_r})[r.i], ({e_r})[r.i] - ({s_r})[r.i])
               AS counted
    FROM r
),
j AS MATERIALIZED (
    SELECT m.*, width_bucket(m.counted + m.goal::bigint * 60000000 - 1, {ca_m}) + 1 AS dj,
           CASE WHEN m.has_soon
                THEN width_bucket(m.counted + (m.goal - m.soon)::bigint * 60000000 - 1,
                                  {ca_m}) + 1 END AS wj
    FROM m
),
n AS MATERIALIZED (
    SELECT j.*, ({s_j})[j.dj] + (j.counted + j.goal::bigint * 60000000 - ({cb_j})[j.dj])
               AS due_us,
           CASE WHEN j.has_soon
                THEN ({s_j})[j.wj] + (j.counted + (j.goal - j.soon)::bigint * 60000000
                                      - ({cb_j})[j.wj]) END AS soon_us
    FROM j
),
o AS (
    SELECT n.*, {due} AS new_due, CASE WHEN n.has_soon THEN {soon} END AS new_soon,
           n.due_us IS NULL OR (n.has_soon AND n.soon_us IS NULL) AS out_of_range
    FROM n
)
SELECT o.id, o.ticket_id, o.kind, o.cycle, o.status AS old_status, o.goal, o.soon,
       o.goal_minutes AS old_goal, o.due_soon_minutes AS old_soon,
       o.settings_version AS old_version, o.due_at AS old_due, o.due_soon_at AS old_due_soon,
       o.paused_at, o.new_due AS due_at, o.new_soon AS due_soon_at, o.out_of_range,
       {status} AS status
FROM o
"""

# Tickets with a moment outside the intervals handed over are left to Python, whole (their ids
# come back).
_OUT_OF_RANGE = """
WITH gone AS (
    DELETE FROM sla_recompute_tickets
    WHERE id IN (SELECT ticket_id FROM sla_recompute_work WHERE out_of_range) RETURNING id
),
dropped AS (DELETE FROM sla_recompute_work WHERE ticket_id IN (SELECT id FROM gone))
SELECT id FROM gone ORDER BY id
"""

_CLOCKS = """
UPDATE tickets_slaclock AS c SET goal_minutes = w.goal, due_soon_minutes = w.soon,
    settings_version = %(version)s, due_at = w.due_at, due_soon_at = w.due_soon_at,
    status = w.status,
    next_check_at = {next_check}
FROM sla_recompute_work w
WHERE c.id = w.id
  AND ((w.due_at, w.due_soon_at, w.goal, w.soon, w.status, %(version)s::integer)
       IS DISTINCT FROM (w.old_due, w.old_due_soon, w.old_goal, w.old_soon, w.old_status,
                         w.old_version))
""".format(
    next_check=sla.next_check_at_sql(
        status="w.status",
        due_at="w.due_at",
        due_soon_at="w.due_soon_at",
        completed_at=None,
        paused_at="w.paused_at",
    )
)

# A "recomputed" event cannot conflict (only transitions are unique per clock and moment), so
# it is a plain insert; the transitions the new moments cause go in with ON CONFLICT, whose
# speculative insertion costs a second WAL record per row. Its detail is the planner's, built by
# the same function from SQL expressions.
_RECOMPUTED_DETAIL = planner.recomputed_detail(
    why=f"'{planner.WHY_SETTINGS}'",
    goal_minutes="w.goal",
    due_at_before=_iso("w.old_due"),
    due_at=_iso("w.due_at"),
)
_RECOMPUTED_JSON = ", ".join(f"'{key}', {value}" for key, value in _RECOMPUTED_DETAIL.items())
_EVENTS_RECOMPUTED = f"""
INSERT INTO tickets_slaevent (ticket_id, clock_id, clock_kind, cycle, kind, at, detail,
                              should_notify, recorded_at)
SELECT w.ticket_id, w.id, w.kind, w.cycle, '{planner.RECOMPUTED}', %(now)s,
       jsonb_build_object({_RECOMPUTED_JSON}),
       false, %(now)s
FROM sla_recompute_work w
WHERE (w.due_at, w.due_soon_at, w.goal, w.soon)
      IS DISTINCT FROM (w.old_due, w.old_due_soon, w.old_goal, w.old_soon)
"""

# The transitions the new moments pass since the stored status (``transitions_passed``'s SQL
# mirror), each at its own moment; a settings change notifies nobody.
_EVENTS_TRANSITIONS = """
INSERT INTO tickets_slaevent (ticket_id, clock_id, clock_kind, cycle, kind, at, detail,
                              should_notify, recorded_at)
SELECT w.ticket_id, w.id, w.kind, w.cycle, step, {moment}, '{{}}'::jsonb, false, %(now)s
FROM sla_recompute_work w CROSS JOIN LATERAL unnest({transitions}) AS step
ON CONFLICT DO NOTHING
""".format(
    transitions=sla.transitions_sql(
        old_status="w.old_status", new_status="w.status", due_soon_at="w.due_soon_at"
    ),
    moment=sla.transition_moment_sql(step="step", due_at="w.due_at", due_soon_at="w.due_soon_at"),
)

_TICKETS = """
UPDATE tickets_ticket AS t SET sla_goal_value = v.goal_value, sla_settings_version = v.version,
    sla_due_at = v.due_at, sla_overdue_at = v.overdue_at, sla_active_until = v.active_until,
    updated_at = %(now)s
FROM (
    SELECT ok.id, ok.goal_value,
           CASE WHEN ok.goal_value IS NOT NULL THEN %(version)s::integer END AS version,
           min(w.due_at) FILTER (WHERE w.paused_at IS NULL) AS due_at,
           min(w.due_at) FILTER (WHERE w.paused_at IS NULL OR w.paused_at > w.due_at)
               AS overdue_at,
           {active_until} AS active_until,
           ok.sla_goal_value, ok.sla_settings_version, ok.sla_due_at, ok.sla_overdue_at,
           ok.sla_active_until
    FROM sla_recompute_tickets ok LEFT JOIN sla_recompute_work w ON w.ticket_id = ok.id
    GROUP BY ok.id, ok.goal_value, ok.sla_goal_value, ok.sla_settings_version, ok.sla_due_at,
             ok.sla_overdue_at, ok.sla_active_until
) AS v
WHERE t.id = v.id
  AND (v.goal_value, v.version, v.due_at, v.overdue_at, v.active_until)
      IS DISTINCT FROM (v.sla_goal_value, v.sla_settings_version, v.sla_due_at, v.sla_overdue_at,
                        v.sla_active_until)
""".format(
    active_until=sla.ticket_active_until_sql(
        due_at="w.due_at", due_soon_at="w.due_soon_at", completed_at=None, paused_at="w.paused_at"
    )
)


def _work_tables(
    cursor: Any,
    *,
    ticket_ids: list[int] | None,
    config: SlaConfig,
    now: datetime.datetime,
    lock: bool,
    part: tuple[int, int] = (0, 1),
    on_tickets: Callable[[Any, dict[str, Any]], None] | None = None,
) -> tuple[dict[str, Any], list[int]]:
    """Create the temporary tables of the tickets handled in the database
    (``sla_recompute_tickets``) and of their running clocks with new moments and live status
    (``sla_recompute_work``), of the open tickets ``ticket_ids`` (None: every open ticket, or
    with ``part`` = (k, n) those whose id is k modulo n); ``lock``: lock those clocks as they are
    read; ``on_tickets(cursor, params)`` is called once the tickets' table is there. Returns the
    statements' parameters and the ids of the tickets dropped for a moment out of range."""
    spans, ts_team, ts_number = _intervals(config, now)
    goals = _goal_rows(config)
    columns = [list(column) for column in zip(*goals, strict=True)] if goals else [[]] * 8
    params: dict[str, Any] = {
        f"{column}_{number}": values
        for number, parts in enumerate(spans)
        for column, values in zip(("s", "e", "cb", "ca"), parts, strict=True)
    }
    params |= {
        "g_key": columns[0],
        "g_ref": columns[1],
        "g_fr": columns[2],
        "g_fr_soon": columns[3],
        "g_nr": columns[4],
        "g_nr_soon": columns[5],
        "g_cl": columns[6],
        "g_cl_soon": columns[7],
        "ts_team": ts_team,
        "ts_number": ts_number,
        "ids": ticket_ids,
        "part": part[0],
        "parts": part[1],
        "pause_stages": sorted(config.pause_stage_ids),
        "now": now,
        "version": config.version,
    }
    tickets_work = _TICKETS_WORK.format(
        property_key=_PROPERTY_KEY["" if config.scope == "all" else config.property],
        tickets=(
            "t.id = ANY(%(ids)s::bigint[])"
            if ticket_ids is not None
            else "mod(t.id, %(parts)s) = %(part)s"
            if part[1] > 1
            else "true"
        ),
    )
    arrays = {
        f"{column}{suffix}": _span_array(column, len(spans), sc=sc)
        for column in ("s", "e", "cb", "ca")
        for suffix, sc in (("", "ok.sc"), ("_r", "r.sc"), ("_m", "m.sc"), ("_j", "j.sc"))
    }
    clocks_work = _CLOCKS_WORK.format(
        **arrays,
        lock="FOR UPDATE OF c" if lock else "",
        due=_ts("n.due_us"),
        soon=_ts("n.soon_us"),
        status=sla.clock_status_sql(
            due_at="o.new_due",
            due_soon_at="o.new_soon",
            completed_at=None,
            paused_at="o.paused_at",
            now="%(now)s",
        ),
    )
    cursor.execute("DROP TABLE IF EXISTS sla_recompute_work, sla_recompute_tickets")
    cursor.execute(tickets_work, params)
    cursor.execute("ANALYZE sla_recompute_tickets (id)")
    if on_tickets is not None:
        on_tickets(cursor, params)
    cursor.execute(clocks_work, params)
    cursor.execute(_OUT_OF_RANGE)
    dropped = [row[0] for row in cursor.fetchall()]
    if lock:  # the recompute's updates join on it; the dry run only counts it
        cursor.execute("ANALYZE sla_recompute_work (id, ticket_id)")
    return params, dropped


def recompute_tickets_sql(
    *, ticket_ids: list[int], config: SlaConfig, now: datetime.datetime
) -> tuple[int, list[int]]:
    """Recompute what it can of the open tickets ``ticket_ids``, whose rows the caller holds
    locked in its transaction (the clocks are locked here, as they are read). Returns (tickets
    handled, ids left to Python)."""
    if not ticket_ids:
        return 0, []
    with connection.cursor() as cursor:
        # What a recompute writes is derived again from the stored starts if a crash loses the
        # last commits (the part's cursor is in the same transaction), so do not wait for the
        # WAL flush.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        params, _dropped = _work_tables(
            cursor, ticket_ids=ticket_ids, config=config, now=now, lock=True
        )
        cursor.execute(_CLOCKS, params)
        cursor.execute(_EVENTS_RECOMPUTED, params)
        cursor.execute(_EVENTS_TRANSITIONS, params)
        cursor.execute(_TICKETS, params)
        cursor.execute("SELECT id FROM sla_recompute_tickets")
        handled = {row[0] for row in cursor.fetchall()}
        cursor.execute("DROP TABLE sla_recompute_work, sla_recompute_tickets")
    return len(handled), [ticket_id for ticket_id in ticket_ids if ticket_id not in handled]


# The dry run's counts over the work table (``tickets.preview``): per clock kind, the due moments
# that move earlier, later or not at all, and the clocks whose live status turns Overdue (from
# anything else) or Due soon (from Active) at ``now``; then per ticket. Clocks handled here
# neither start nor lose their goal (those tickets are left to Python).
_PREVIEW = """
WITH w AS (
    SELECT w.ticket_id, w.kind, w.due_at, w.old_due, w.status = 'overdue' AND {old} <> 'overdue'
               AS turns_overdue,
           w.status = 'due_soon' AND {old} = 'active' AS turns_due_soon
    FROM sla_recompute_work w
)
SELECT w.kind, count(*) FILTER (WHERE w.due_at < w.old_due),
       count(*) FILTER (WHERE w.due_at > w.old_due), count(*) FILTER (WHERE w.due_at = w.old_due),
       count(*) FILTER (WHERE w.turns_overdue),
       count(*) FILTER (WHERE w.turns_due_soon AND NOT w.turns_overdue)
FROM w GROUP BY w.kind
UNION ALL
SELECT NULL, count(*), count(*) FILTER (WHERE changed), count(*) FILTER (WHERE overdue),
       count(*) FILTER (WHERE due_soon), 0
FROM (
    SELECT t.id, coalesce(bool_or(w.due_at <> w.old_due), false) AS changed,
           coalesce(bool_or(w.turns_overdue), false) AS overdue,
           coalesce(bool_or(w.turns_due_soon), false) AS due_soon
    FROM sla_recompute_tickets t LEFT JOIN w ON w.ticket_id = t.id GROUP BY t.id
) AS per_ticket
""".format(
    old=sla.clock_status_sql(
        due_at="w.old_due",
        due_soon_at="w.old_due_soon",
        completed_at=None,
        paused_at="w.paused_at",
        now="%(now)s",
    )
)


# The open tickets (of the part) that the tickets' table left to Python, in id order.
_LEFT_OVER = """
SELECT t.id FROM tickets_ticket t
WHERE t.closed_at IS NULL AND {tickets}
  AND NOT EXISTS (SELECT FROM sla_recompute_tickets ok WHERE ok.id = t.id)
ORDER BY t.id
"""


def preview_tickets_sql(
    *,
    config: SlaConfig,
    now: datetime.datetime,
    on_left: Callable[[list[int]], None],
    part: tuple[int, int] = (0, 1),
) -> list[tuple]:
    """The dry run of ``recompute_tickets_sql`` on every open ticket at once (or on those whose
    id is k modulo n, ``part`` = (k, n)): the same work tables, no lock and no write. The caller
    holds a transaction (the temporary tables end with it). The ids of the open tickets left to
    Python are handed to ``on_left`` as soon as they are known (most of them before the clocks'
    new moments are worked out, so that the caller can plan them meanwhile). Returns the counts:
    ``(kind, earlier, later, unchanged, overdue_now, due_soon_now)`` per clock kind, then
    ``(None, tickets, changed, overdue_now, due_soon_now, 0)``."""

    def left_over(cursor: Any, params: dict[str, Any]) -> None:
        cursor.execute(
            _LEFT_OVER.format(tickets="mod(t.id, %(parts)s) = %(part)s" if part[1] > 1 else "true"),
            params,
        )
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            on_left(ids)

    with connection.cursor() as cursor:
        # One pass over every open ticket: sorts and hashes of that size stay in memory, and
        # hash joins beat the per-ticket index look-ups the planner would pick (it expects few
        # tickets from the functions and filters).
        cursor.execute("SET LOCAL work_mem TO '64MB'")
        cursor.execute("SET LOCAL enable_nestloop TO off")
        # Compiling these statements costs more than it saves (measured: ~0.1 s each).
        cursor.execute("SET LOCAL jit TO off")
        params, dropped = _work_tables(
            cursor,
            ticket_ids=None,
            config=config,
            now=now,
            lock=False,
            part=part,
            on_tickets=left_over,
        )
        if dropped:
            on_left(dropped)
        cursor.execute(_PREVIEW, params)
        rows = cursor.fetchall()
        cursor.execute("DROP TABLE sla_recompute_work, sla_recompute_tickets")
    return rows
