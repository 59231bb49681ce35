"""The clock planner (``tickets.planner``) rule by rule of SPEC section 3, on plain values.

No database and no clock: a ticket's life is a list of (moment, event) steps, each planned on the
state the previous plan left (stored clocks get ids, as the services' writes give them). Each table
row is one rule; a clock is summed up as (kind, cycle, status, started, due, due soon, completed,
completed by, paused) and an event as (clock kind, cycle, event, moment, notifies).

Unless a row says otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15),
next response 120 min (due soon 30) and close 1440 min (due soon 240). Tickets are opened on Tue
1 Dec 2026 at 08:00Z; moments are written "HH:MM[:SS]" on that day, "+Nd HH:MM" N days later.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from settings_app.business_time import WorkingSchedule
from tickets import planner, sla
from tickets.planner import (
    Created,
    CustomerMessage,
    PropertyChanged,
    PublicReply,
    SettingsApplied,
    StageChanged,
    StageInfo,
    TicketState,
    TimePassed,
)

FR, NR, CL = sla.FIRST_RESPONSE, sla.NEXT_RESPONSE, sla.CLOSE
DAY = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)

ALWAYS = WorkingSchedule(timezone="UTC", periods={}, always_open=True)
# Mon–Fri 09:00–17:00 Stockholm, Christmas Eve off.
OFFICE = WorkingSchedule(
    timezone="Europe/Stockholm",
    periods={day: [("09:00", "17:00")] for day in range(5)},
    holidays=[datetime.date(2026, 12, 24)],
)

NEW = StageInfo(1, is_closed=False)
WAITING_ON_US = StageInfo(2, is_closed=False)
WAITING = StageInfo(3, is_closed=False, is_pause=True)
CLOSED = StageInfo(4, is_closed=True)


@dataclass(frozen=True)
class Goals:
    """A goal row: (goal, due-soon threshold) minutes per clock kind."""

    value: str
    minutes: Mapping[str, tuple[int, int | None]]

    @property
    def ref(self) -> str:
        return f"priority:{self.value}" if self.value else "all"

    def goal(self, kind: str) -> tuple[int, int | None] | None:
        return self.minutes.get(kind)


@dataclass(frozen=True)
class Settings:
    """The planner's view of the settings: one row for all tickets, or one per property value."""

    goals: Mapping[str, Goals]
    scope: str = "all"
    property: str = ""
    version: int = 1

    def goal_set_for(self, values: Mapping[str, Any]) -> Goals | None:
        key = "" if self.scope == "all" else values.get(self.property, "")
        return self.goals.get(key)

    def goal_name(self, ref: str | None) -> str:
        return ""


def goals(value: str = "", **minutes: tuple[int, int | None]) -> Goals:
    return Goals(value, minutes)


STANDARD = Settings(
    {"": goals(first_response=(60, 15), next_response=(120, 30), close=(1440, 240))}
)
NO_THRESHOLD = Settings({"": goals(first_response=(60, None), close=(1440, None))})
NO_NEXT_RESPONSE = Settings({"": goals(first_response=(60, 15), close=(1440, 240))})
BY_PRIORITY = Settings(
    {
        "urgent": goals("urgent", first_response=(30, 10), next_response=(60, 15), close=(240, 60)),
        "high": goals("high", first_response=(60, 15), close=(480, 60)),
    },
    scope="property",
    property="priority",
    version=2,
)


def at(text: str) -> datetime.datetime:
    """ "08:45" / "08:44:59" on Tue 1 Dec 2026 (UTC); "+1d 08:00" a day later; or full ISO."""
    if "T" in text:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    days = 0
    if text.startswith("+"):
        prefix, text = text.split(" ")
        days = int(prefix[1:-1])
    hours, minutes, *seconds = (int(part) for part in text.split(":"))
    return DAY + datetime.timedelta(
        days=days, hours=hours, minutes=minutes, seconds=seconds[0] if seconds else 0
    )


def shown(moment: datetime.datetime | None) -> str | None:
    """The inverse of ``at`` (full ISO for moments before the day)."""
    if moment is None:
        return None
    moment = moment.astimezone(datetime.UTC)
    if moment < DAY:
        return sla.iso(moment)
    days, rest = divmod(moment - DAY, datetime.timedelta(days=1))
    text = (DAY + rest).strftime("%H:%M:%S" if rest.seconds % 60 else "%H:%M")
    return f"+{days}d {text}" if days else text


@dataclass
class Life:
    """A ticket's life through the planner: its state and every event recorded, in order."""

    state: TicketState
    events: list[tuple] = field(default_factory=list)
    details: list[dict] = field(default_factory=list)

    def clock(self, kind: str, cycle: int | None = None) -> tuple | None:
        """The latest clock of ``kind`` (or its ``cycle``), summed up."""
        mine = [c for c in self.state.clocks if c.kind == kind]
        if cycle is not None:
            mine = [c for c in mine if c.cycle == cycle]
        if not mine:
            return None
        c = max(mine, key=lambda clock: clock.cycle)
        return (
            c.kind,
            c.cycle,
            c.status,
            shown(c.started_at),
            shown(c.due_at),
            shown(c.due_soon_at),
            shown(c.completed_at),
            c.completed_by,
            c.paused_at is not None,
        )


def live(
    steps: list[tuple[str, planner.Event | list[planner.Event]]],
    *,
    settings: Settings = STANDARD,
    schedule: WorkingSchedule = ALWAYS,
    properties: Mapping[str, Any] | None = None,
    stage: StageInfo = NEW,
    created: str = "08:00",
) -> Life:
    """Open a ticket at ``created`` and plan each step on the state the previous one left."""
    ids = itertools.count(1)
    life = Life(TicketState(created_at=at(created), stage=stage, properties=properties or {}))
    for moment, happened in [(created, Created()), *steps]:
        events = happened if isinstance(happened, list) else [happened]
        result = planner.plan(
            life.state, events, settings=settings, schedule=schedule, now=at(moment)
        )
        for clock in result.inserted:
            clock.id = next(ids)
        life.state = result.ticket
        for event in result.events:
            life.events.append(
                (event.clock.kind, event.clock.cycle, event.kind, shown(event.at), event.notify)
            )
            life.details.append(event.detail)
    return life


def running(kind: str, status: str, started: str, due: str, soon: str | None, *, cycle: int = 1,
            paused: bool = False) -> tuple:  # fmt: skip
    return (kind, cycle, status, started, due, soon, None, "", paused)


def completed(kind: str, status: str, started: str, due: str, soon: str | None, done: str, by: str,
              *, cycle: int = 1) -> tuple:  # fmt: skip
    return (kind, cycle, status, started, due, soon, done, by, False)


CREATED = [(FR, 1, "applied", "08:00", False), (CL, 1, "applied", "08:00", False)]


# --- Status: Active → Due soon → Overdue, and completion on time or late ----------------------


@pytest.mark.parametrize(
    ("moment", "status", "transitions"),
    [
        ("08:44:59", "active", []),
        ("08:45", "due_soon", [(FR, 1, "due_soon", "08:45", True)]),  # now == due-soon moment
        ("09:00", "due_soon", [(FR, 1, "due_soon", "08:45", True)]),  # now == due: not overdue
        # Past both: each transition at its own moment, only the last one emails.
        (
            "09:00:01",
            "overdue",
            [(FR, 1, "due_soon", "08:45", False), (FR, 1, "overdue", "09:00", True)],
        ),
    ],
)
def test_time_passing_persists_the_status_at_its_boundaries(moment, status, transitions) -> None:
    life = live([(moment, TimePassed())])
    assert life.clock(FR) == running(FR, status, "08:00", "09:00", "08:45")
    assert life.events == CREATED + transitions


def test_time_passing_twice_records_nothing_new() -> None:
    once = live([("09:30", TimePassed())])
    twice = live([("09:30", TimePassed()), ("09:31", TimePassed())])
    assert twice.events == once.events
    assert twice.state == once.state


@pytest.mark.parametrize(
    ("moment", "status", "transitions"),
    [
        ("08:59", "active", []),
        ("09:00:01", "overdue", [(FR, 1, "overdue", "09:00", True)]),  # never due soon
    ],
)
def test_without_a_threshold_a_clock_is_never_due_soon(moment, status, transitions) -> None:
    life = live([(moment, TimePassed())], settings=NO_THRESHOLD)
    assert life.clock(FR) == running(FR, status, "08:00", "09:00", None)
    assert life.events == CREATED + transitions


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        ("08:50", "completed_on_time"),
        ("09:00", "completed_on_time"),
        ("09:00:01", "completed_late"),
    ],
)
def test_a_completion_at_the_due_moment_is_on_time(moment: str, status: str) -> None:
    life = live([(moment, PublicReply())])
    assert life.clock(FR) == completed(FR, status, "08:00", "09:00", "08:45", moment, "reply")


# --- Counted time (working hours, weekends, holidays, daylight saving) -------------------------


@pytest.mark.parametrize(
    ("created", "due", "soon"),
    [
        # Fri 4 Dec 16:30 Stockholm: 30 min on Friday, then Mon 09:00 + 30 min (09:30 = 08:30Z);
        # due soon after 45 min: Mon 09:15 Stockholm. Nothing counts over the weekend.
        ("2026-12-04T15:30:00Z", "2026-12-07T08:30:00Z", "2026-12-07T08:15:00Z"),
        # Saturday: counting starts Mon 7 Dec 09:00 Stockholm (08:00Z).
        ("2026-12-05T12:00:00Z", "2026-12-07T09:00:00Z", "2026-12-07T08:45:00Z"),
        # Wed 23 Dec 16:30: 30 min, then Christmas Eve (holiday), the 25th (Friday), the weekend.
        ("2026-12-23T15:30:00Z", "2026-12-25T08:30:00Z", "2026-12-25T08:15:00Z"),
        # Fri 27 Mar 16:30 CET (+1); Mon 30 Mar is CEST (+2): 09:30 CEST = 07:30Z.
        ("2026-03-27T15:30:00Z", "2026-03-30T07:30:00Z", "2026-03-30T07:15:00Z"),
    ],
)
def test_counted_time_follows_the_working_hours(created: str, due: str, soon: str) -> None:
    life = live([], schedule=OFFICE, created=created)
    assert life.clock(FR) == running(
        FR, "active", shown(at(created)), shown(at(due)), shown(at(soon))
    )


def test_a_pause_in_working_hours_excludes_only_working_time() -> None:
    # Fri 4 Dec 14:00 Stockholm; paused 15:00 Fri – Mon 10:00: 2 h + 1 h of working time.
    steps = [
        ("2026-12-04T14:00:00Z", StageChanged(WAITING)),
        ("2026-12-07T09:00:00Z", StageChanged(NEW)),
    ]
    life = live(steps, schedule=OFFICE, created="2026-12-04T13:00:00Z")
    # Due = add(Fri 14:00, 1 h + 3 h): Fri 3 h, Mon 1 h → Mon 10:00 = 09:00Z.
    moments = ("2026-12-04T13:00:00Z", "2026-12-07T09:00:00Z", "2026-12-07T08:45:00Z")
    assert life.clock(FR)[3:6] == tuple(shown(at(moment)) for moment in moments)


# --- First response ----------------------------------------------------------------------------


def test_first_response_and_close_start_at_creation() -> None:
    life = live([])
    assert life.clock(FR) == running(FR, "active", "08:00", "09:00", "08:45")
    assert life.clock(CL) == running(CL, "active", "08:00", "+1d 08:00", "+1d 04:00")
    assert life.clock(NR) is None  # only after the first response
    assert life.events == CREATED
    assert life.details[0] == {
        "goal": "all",
        "goal_minutes": 60,
        "due_soon_minutes": 15,
        "started_at": "2026-12-01T08:00:00Z",
        "due_at": "2026-12-01T09:00:00Z",
        "why": "created",
        "applied_at": "2026-12-01T08:00:00Z",
    }


def test_the_first_public_reply_completes_first_response_and_never_close() -> None:
    life = live([("08:30", PublicReply())])
    assert life.clock(FR) == completed(
        FR, "completed_on_time", "08:00", "09:00", "08:45", "08:30", "reply"
    )
    assert life.clock(CL) == running(CL, "active", "08:00", "+1d 08:00", "+1d 04:00")
    assert life.state.first_replied_at == at("08:30")
    assert life.events[-1] == (FR, 1, "completed_on_time", "08:30", False)  # fmt: skip


def test_a_late_reply_records_the_transitions_it_passed_without_emails() -> None:
    life = live([("09:30", PublicReply())])
    assert life.events == [
        *CREATED,
        (FR, 1, "due_soon", "08:45", False),
        (FR, 1, "overdue", "09:00", False),
        (FR, 1, "completed_late", "09:30", False),
    ]


def test_no_event_changes_nothing() -> None:
    """Internal notes and automatic messages reach the planner as no event at all."""
    before = live([])
    after = live([("08:30", [])])
    assert after.state == before.state
    assert after.events == before.events


# --- Next response -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # Before the first response a customer message is answered by it: no cycle.
        ([("08:05", CustomerMessage())], None),
        # After the first reply: a cycle from the customer's message.
        (
            [("08:10", PublicReply()), ("09:00", CustomerMessage())],
            running(NR, "active", "09:00", "11:00", "10:30"),
        ),
        # A later customer message does not restart it.
        (
            [("08:10", PublicReply()), ("09:00", CustomerMessage()), ("09:30", CustomerMessage())],
            running(NR, "active", "09:00", "11:00", "10:30"),
        ),
        # The next public reply completes it.
        (
            [("08:10", PublicReply()), ("09:00", CustomerMessage()), ("10:00", PublicReply())],
            completed(NR, "completed_on_time", "09:00", "11:00", "10:30", "10:00", "reply"),
        ),
        # The customer's next message after that reply starts cycle 2 (cycle 1 is kept).
        (
            [("08:10", PublicReply()), ("09:00", CustomerMessage()), ("10:00", PublicReply()),
             ("12:00", CustomerMessage())],
            running(NR, "active", "12:00", "14:00", "13:30", cycle=2),
        ),
    ],
)  # fmt: skip
def test_next_response_cycles(steps, expected) -> None:
    life = live(steps)
    assert life.clock(NR) == expected
    if expected is not None and expected[1] == 2:
        assert life.clock(NR, cycle=1)[2] == "completed_on_time"


def test_without_a_next_response_goal_no_cycle_starts() -> None:
    life = live([("08:10", PublicReply()), ("09:00", CustomerMessage())], settings=NO_NEXT_RESPONSE)
    assert life.clock(NR) is None
    assert life.state.awaiting_reply_since == at("09:00")


def test_a_customer_who_writes_after_a_close_starts_a_cycle() -> None:
    """A close counts as the first response done; the message reopens the ticket too."""
    life = live([("08:30", StageChanged(CLOSED)), ("09:00", CustomerMessage(move_to=NEW))])
    assert life.clock(NR) == running(NR, "active", "09:00", "11:00", "10:30")
    assert life.state.stage == NEW


# --- Closing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "fr_status", "close_status"),
    [
        ("08:45", "completed_on_time", "completed_on_time"),
        ("+1d 09:00", "completed_late", "completed_late"),
    ],
)
def test_closing_completes_every_running_clock(moment, fr_status, close_status) -> None:
    life = live([(moment, StageChanged(CLOSED))])
    assert life.clock(FR) == completed(FR, fr_status, "08:00", "09:00", "08:45", moment, "close")
    assert life.clock(CL) == completed(
        CL, close_status, "08:00", "+1d 08:00", "+1d 04:00", moment, "close"
    )
    assert life.state.closed_at == at(moment)
    assert life.state.sla_due_at is None


def test_a_close_at_the_due_soon_moment_records_due_soon_first() -> None:
    life = live([("08:45", StageChanged(CLOSED))])
    assert life.events == [
        *CREATED,
        (FR, 1, "due_soon", "08:45", False),
        (FR, 1, "completed_on_time", "08:45", False),
        (CL, 1, "completed_on_time", "08:45", False),
    ]


# --- Reopening ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reopen", "stage", "next_response"),
    [
        # A customer message moves the ticket to the first open stage that does not pause...
        (CustomerMessage(move_to=NEW), NEW, running(NR, "active", "10:30", "12:30", "12:00")),
        # ...an agent moves it to any open stage, and starts no next-response cycle.
        (StageChanged(WAITING_ON_US), WAITING_ON_US, None),
    ],
)
def test_reopening_resumes_the_close_clock_with_the_closed_time_excluded(
    reopen, stage, next_response
) -> None:
    life = live([("09:30", StageChanged(CLOSED)), ("10:30", reopen)])
    # Closed 09:30–10:30: one hour excluded from the close clock only.
    assert life.clock(CL) == running(CL, "active", "08:00", "+1d 09:00", "+1d 05:00")
    assert life.clock(FR)[2] == "completed_late"  # never un-completed
    assert life.state.stage == stage
    assert life.state.closed_at is None
    assert life.clock(NR) == next_response
    assert (CL, 1, "reopened", "10:30", False) in life.events
    reopened = life.details[life.events.index((CL, 1, "reopened", "10:30", False))]
    assert reopened == {
        "completed_at_before": "2026-12-01T09:30:00Z",
        "due_at": "2026-12-02T09:00:00Z",
    }


def test_a_customer_message_takes_a_ticket_out_of_a_pause() -> None:
    life = live([("08:30", StageChanged(WAITING)), ("09:30", CustomerMessage(move_to=NEW))])
    assert life.state.stage == NEW
    assert life.clock(FR) == running(FR, "active", "08:00", "10:00", "09:45")


def test_a_customer_message_on_an_open_ticket_moves_it_nowhere() -> None:
    life = live([("08:30", StageChanged(WAITING_ON_US)), ("08:40", CustomerMessage(move_to=NEW))])
    assert life.state.stage == WAITING_ON_US


# --- Pause -------------------------------------------------------------------------------------


def test_a_pause_freezes_the_status_and_leaving_it_moves_the_due_moments_later() -> None:
    paused = live([("08:50", StageChanged(WAITING)), ("12:00", TimePassed())])
    # Due soon when it paused, and still due soon hours after its due moment.
    assert paused.clock(FR) == running(FR, "due_soon", "08:00", "09:00", "08:45", paused=True)
    assert paused.state.sla_due_at is None  # paused clocks do not sort the queue
    resumed = live([("08:50", StageChanged(WAITING)), ("10:50", StageChanged(NEW))])
    # Paused 08:50–10:50: two hours later.
    assert resumed.clock(FR) == running(FR, "due_soon", "08:00", "11:00", "10:45")
    assert resumed.clock(CL) == running(CL, "active", "08:00", "+1d 10:00", "+1d 06:00")
    assert resumed.state.excluded_periods == (
        sla.ExcludedPeriod(at("08:50"), at("10:50"), "paused"),
    )
    assert [e for e in resumed.events if e[0] == CL] == [
        (CL, 1, "applied", "08:00", False),
        (CL, 1, "paused", "08:50", False),
        (CL, 1, "resumed", "10:50", False),
    ]
    assert resumed.details[-1] == {
        "paused_since": "2026-12-01T08:50:00Z",
        "due_at_before": "2026-12-02T08:00:00Z",
        "due_at": "2026-12-02T10:00:00Z",
    }


def test_a_reply_during_a_pause_is_judged_on_counted_time() -> None:
    life = live([("08:30", StageChanged(WAITING)), ("10:00", PublicReply())])
    # Paused 08:30–10:00 excluded: due 10:30, so the reply at 10:00 is on time.
    assert life.clock(FR) == completed(
        FR, "completed_on_time", "08:00", "10:30", "10:15", "10:00", "reply"
    )
    assert life.clock(CL)[-1] is True  # the close clock stays paused
    assert life.state.stage == WAITING


def test_a_clock_that_starts_during_a_pause_starts_paused() -> None:
    life = live([("12:00", StageChanged(NEW))], stage=WAITING)
    assert life.events[:3] == [
        (FR, 1, "applied", "08:00", False),
        (FR, 1, "paused", "08:00", False),
        (CL, 1, "applied", "08:00", False),
    ]
    # Paused 08:00–12:00.
    assert life.clock(FR) == running(FR, "active", "08:00", "13:00", "12:45")


def test_a_clock_gained_during_a_pause_never_pauses_before_it_starts() -> None:
    """A clock whose usual start falls after the pause began is paused from its start on.

    The flows move a ticket out of its pause when the customer writes, so the state is built
    directly (as the planner may be given it): paused since 08:30, the oldest unanswered message
    at 09:00; the next-response cycle a priority change gains starts at 09:00, paused then.
    """
    life = live(
        [("08:10", PublicReply()), ("08:30", StageChanged(WAITING))],
        settings=BY_PRIORITY,
        properties={"priority": "high"},
    )
    state = dataclasses.replace(life.state, awaiting_reply_since=at("09:00"))
    result = planner.plan(
        state,
        [PropertyChanged({"priority": "urgent"})],
        settings=BY_PRIORITY,
        schedule=ALWAYS,
        now=at("09:30"),
    )
    (gained,) = result.inserted
    assert (gained.kind, gained.started_at, gained.paused_at) == (NR, at("09:00"), at("09:00"))
    assert [(e.kind, shown(e.at)) for e in result.events if e.clock is gained] == [
        ("applied", "09:00"),
        ("paused", "09:00"),
    ]


def test_a_closed_overdue_and_paused_ticket_counts_as_overdue() -> None:
    """``sla_overdue_at`` keeps clocks that were overdue when they paused (frozen Overdue)."""
    life = live([("09:30", StageChanged(WAITING))])
    assert life.state.sla_due_at is None
    assert life.state.sla_overdue_at == at("09:00")


# --- Changing the property that selects the goals ----------------------------------------------


def test_reprioritising_recomputes_running_clocks_from_their_start() -> None:
    life = live(
        [("08:20", PropertyChanged({"priority": "urgent"}))],
        settings=BY_PRIORITY,
        properties={"priority": "high"},
    )
    assert life.clock(FR) == running(FR, "due_soon", "08:00", "08:30", "08:20")
    assert life.clock(CL) == running(CL, "active", "08:00", "12:00", "11:00")
    assert life.events[2:] == [
        (FR, 1, "recomputed", "08:20", False),
        (FR, 1, "due_soon", "08:20", True),  # a property change emails
        (CL, 1, "recomputed", "08:20", False),
    ]
    assert life.details[4] == {
        "why": "property",
        "goal_minutes": 240,
        "due_at_before": "2026-12-01T16:00:00Z",
        "due_at": "2026-12-01T12:00:00Z",
    }
    assert (life.state.sla_goal_value, life.state.sla_settings_version) == ("priority:urgent", 2)


def test_gained_clocks_start_at_their_usual_start() -> None:
    steps = [
        ("08:10", PublicReply()),
        ("09:00", CustomerMessage()),
        ("09:30", PropertyChanged({"priority": "urgent"})),
    ]
    life = live(steps, settings=BY_PRIORITY, properties={"priority": ""})
    # No goal until 09:30: first response is not started after the reply; close starts at
    # creation; next response at the oldest unanswered customer message.
    assert life.clock(FR) is None
    assert life.clock(CL) == running(CL, "active", "08:00", "12:00", "11:00")
    assert life.clock(NR) == running(NR, "active", "09:00", "10:00", "09:45")


def test_a_gained_clock_that_is_already_overdue_records_both_transitions() -> None:
    life = live(
        [("09:00", PropertyChanged({"priority": "urgent"}))],
        settings=BY_PRIORITY,
        properties={"priority": ""},
    )
    assert [e for e in life.events if e[0] == FR] == [
        (FR, 1, "applied", "08:00", False),
        (FR, 1, "due_soon", "08:20", False),
        (FR, 1, "overdue", "08:30", True),
    ]


@pytest.mark.parametrize("priority", ["low", ""])  # a value with no goals, or none at all
def test_switching_to_a_value_without_goals_removes_running_clocks(priority: str) -> None:
    life = live(
        [("08:10", PublicReply()), ("08:20", PropertyChanged({"priority": priority}))],
        settings=BY_PRIORITY,
        properties={"priority": "high"},
    )
    assert life.clock(CL) is None
    assert life.clock(FR)[2] == "completed_on_time"  # completed clocks are kept
    assert life.events[-1] == (CL, 1, "removed", "08:20", False)
    assert life.details[-1] == {"due_at": "2026-12-01T16:00:00Z", "why": "property"}
    assert life.state.sla_goal_value is None


def test_another_property_changes_no_clock() -> None:
    life = live(
        [("08:20", PropertyChanged({"priority": "high", "team": "billing"}))],
        settings=BY_PRIORITY,
        properties={"priority": "high"},
    )
    assert life.events == CREATED


# --- Applying settings to open tickets ---------------------------------------------------------

FASTER = Settings(
    {"": goals(first_response=(30, 10), next_response=(120, 30), close=(720, 60))}, version=2
)


def _applied(life: Life, moment: str, settings: Settings, stage: StageInfo | None = None) -> Life:
    if stage is not None:
        life.state = dataclasses.replace(life.state, stage=stage)
    result = planner.plan(
        life.state, [SettingsApplied()], settings=settings, schedule=ALWAYS, now=at(moment)
    )
    life.state = result.ticket
    life.events += [
        (e.clock.kind, e.clock.cycle, e.kind, shown(e.at), e.notify) for e in result.events
    ]
    life.details += [e.detail for e in result.events]
    return life


def test_applied_settings_recompute_running_clocks_and_notify_nobody() -> None:
    life = _applied(live([("08:05", PublicReply())]), "08:40", FASTER)
    # The completed first response keeps its 60-minute goal; close is now 720 min from 08:00.
    assert life.clock(FR) == completed(
        FR, "completed_on_time", "08:00", "09:00", "08:45", "08:05", "reply"
    )
    assert life.clock(CL) == running(CL, "active", "08:00", "20:00", "19:00")
    assert life.details[-1]["why"] == "settings"
    overdue = _applied(live([]), "08:40", FASTER)
    assert overdue.events[2:] == [
        (FR, 1, "recomputed", "08:40", False),
        (FR, 1, "due_soon", "08:20", False),
        (FR, 1, "overdue", "08:30", False),  # overdue on apply: recorded, nobody emailed
        (CL, 1, "recomputed", "08:40", False),
    ]  # fmt: skip


def test_applied_settings_align_the_pause_with_the_pause_stages() -> None:
    # "Waiting on us" becomes a pause stage at 08:20 and stops being one at 09:20.
    life = live([("08:10", StageChanged(WAITING_ON_US))])
    pausing = StageInfo(WAITING_ON_US.id, is_closed=False, is_pause=True)
    life = _applied(life, "08:20", STANDARD, stage=pausing)
    assert life.clock(FR)[-1] is True
    life = _applied(life, "09:20", STANDARD, stage=WAITING_ON_US)
    assert life.clock(FR) == running(FR, "active", "08:00", "10:00", "09:45")


def test_the_same_settings_applied_again_record_nothing() -> None:
    life = _applied(live([]), "08:40", FASTER)
    again = _applied(live([]), "08:40", FASTER)
    again = _applied(again, "08:41", FASTER)
    assert again.events == life.events


@pytest.mark.parametrize(("how", "notifies"), [("settings", False), ("property", True)])
def test_a_clock_gained_past_its_due_moment_emails_only_for_a_property_change(
    how: str, notifies: bool
) -> None:
    """A clock that a change gives a ticket after the fact starts at its usual start and records
    the transitions it passed at their own moments; applied settings email nobody, a property
    change emails its last transition."""
    if how == "settings":
        life = _applied(live([], settings=Settings({})), "10:00", STANDARD)
    else:
        life = live(
            [("10:00", PropertyChanged({"priority": "high"}))],
            settings=BY_PRIORITY,
            properties={"priority": ""},
        )
    assert [e for e in life.events if e[0] == FR] == [
        (FR, 1, "applied", "08:00", False),
        (FR, 1, "due_soon", "08:45", False),
        (FR, 1, "overdue", "09:00", notifies),
    ]


# --- Team schedules ----------------------------------------------------------------------------

# Mon–Fri 09:00–17:00 New York: 14:00Z–22:00Z in December.
NEW_YORK = WorkingSchedule(
    timezone="America/New_York", periods={day: [("09:00", "17:00")] for day in range(5)}
)


def test_a_ticket_counts_in_its_team_schedule_and_a_team_change_reschedules_it() -> None:
    """Team "ny" counts in New York hours, every other team in the default schedule (24/7 here);
    a move to another team counts the running clocks again from their original start."""
    schedules = {"ny": NEW_YORK}
    opened = planner.plan(
        TicketState(created_at=at("08:00"), stage=NEW, properties={"team": "ny"}),
        [Created()],
        settings=STANDARD,
        schedule=ALWAYS,
        schedules=schedules,
        now=at("08:00"),
    )
    first, close = opened.ticket.clocks
    assert (shown(first.due_soon_at), shown(first.due_at)) == ("14:45", "15:00")
    assert shown(close.due_at) == "+2d 22:00"  # three New York working days of 8 h
    moved = planner.plan(
        opened.ticket,
        [PropertyChanged({"team": "billing"})],
        settings=STANDARD,
        schedule=ALWAYS,
        schedules=schedules,
        now=at("08:30"),
    )
    first, close = moved.ticket.clocks
    assert (shown(first.due_soon_at), shown(first.due_at)) == ("08:45", "09:00")
    assert shown(close.due_at) == "+1d 08:00"
    assert [(e.kind, e.detail["why"]) for e in moved.events] == [
        ("recomputed", "property"),
        ("recomputed", "property"),
    ]


# --- The ticket's sort and filter keys ---------------------------------------------------------


def test_sla_due_at_is_the_earliest_due_moment_of_the_running_unpaused_clocks() -> None:
    life = live([("08:30", PublicReply()), ("09:00", CustomerMessage())])
    assert life.state.sla_due_at == at("11:00")  # next response; first response is completed
    assert life.state.sla_overdue_at == at("11:00")


@pytest.mark.parametrize(
    ("paused", "overdue_at"),
    [("09:00", None), ("09:00:01", "09:00")],  # paused at its due moment: not overdue yet
)
def test_a_clock_paused_after_its_due_moment_stays_overdue(paused: str, overdue_at) -> None:
    life = live([(paused, StageChanged(WAITING))])
    assert shown(life.state.sla_overdue_at) == overdue_at


# --- Edges of the counted-time rule ------------------------------------------------------------


def test_a_threshold_not_shorter_than_its_goal_gives_no_due_soon_moment() -> None:
    life = live([], settings=Settings({"": goals(first_response=(60, 60), close=(60, 61))}))
    assert life.clock(FR) == running(FR, "active", "08:00", "09:00", None)
    assert life.clock(CL) == running(CL, "active", "08:00", "09:00", None)


def test_a_pause_before_a_clock_started_is_not_excluded_from_it() -> None:
    life = live(
        [
            ("08:05", PublicReply()),
            ("08:10", StageChanged(WAITING)),
            ("08:20", StageChanged(NEW)),
            ("09:00", CustomerMessage()),
        ]
    )
    assert life.clock(NR) == running(NR, "active", "09:00", "11:00", "10:30")
    assert life.clock(CL) == running(CL, "active", "08:00", "+1d 08:10", "+1d 04:10")


def test_closed_time_is_excluded_from_the_close_clock_only() -> None:
    # No goal until 10:30; closed 09:00–10:00 before that. The gained first response (no reply
    # yet) counts the closed hour; the gained close clock does not.
    life = live(
        [
            ("09:00", StageChanged(CLOSED)),
            ("10:00", StageChanged(WAITING_ON_US)),
            ("10:30", PropertyChanged({"priority": "urgent"})),
        ],
        settings=BY_PRIORITY,
        properties={"priority": ""},
    )
    assert life.clock(FR) == running(FR, "overdue", "08:00", "08:30", "08:20")
    assert life.clock(CL) == running(CL, "active", "08:00", "13:00", "12:00")


def test_a_clock_gained_during_a_pause_is_paused_from_the_pause_on() -> None:
    life = live(
        [
            ("08:10", StageChanged(WAITING)),
            ("08:40", PropertyChanged({"priority": "high"})),
            ("09:10", StageChanged(NEW)),
        ],
        settings=BY_PRIORITY,
        properties={"priority": ""},
    )
    assert [e for e in life.events if e[0] == FR] == [
        (FR, 1, "applied", "08:00", False),
        (FR, 1, "paused", "08:10", False),
        (FR, 1, "resumed", "09:10", False),
    ]
    # Paused 08:10–09:10 (one hour) excluded from a clock that started at 08:00.
    assert life.clock(FR) == running(FR, "active", "08:00", "10:00", "09:45")
