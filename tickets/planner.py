"""The clock planner: the SLA rules of SPEC section 3 as one pure function.

Given a ticket's SLA-relevant state (``TicketState``: its stage, properties, pause state, excluded
periods and clocks), the settings (goals), the schedule, what happened (``Created``,
``CustomerMessage``, ``PublicReply``, ``PropertyChanged``, ``StageChanged`` — which pauses,
resumes, closes and reopens as the stages say —, ``SettingsApplied``, ``TimePassed``) and
``now``, ``plan`` returns a ``Plan``: the ticket's state afterwards, the clocks to insert, update
and remove, and the event rows to record. Nothing here reads or writes the database: services
lock and load a ticket (``tickets.clock_store``), plan, and write the plan; the sweep, the
settings recompute and its dry run use the same functions, and the SQL paths of the sweep and the
recompute are mirrors that tests compare with this module on random data.

No Django, no clock, no I/O; aware datetimes in and out.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from settings_app.business_time import WorkingSchedule
from tickets import sla
from tickets.sla import ACTIVE, CLOSE, CLOSED, FIRST_RESPONSE, NEXT_RESPONSE, PAUSED, ExcludedPeriod

CLOCK_KINDS = (FIRST_RESPONSE, NEXT_RESPONSE, CLOSE)

# Event kinds recorded for clocks (the values of ``SlaEvent.Kind``).
APPLIED = "applied"
PAUSED_EVENT = "paused"
RESUMED = "resumed"
REOPENED = "reopened"
RECOMPUTED = "recomputed"
REMOVED = "removed"

# Why a clock started or was recomputed or removed (``detail["why"]`` of its events).
WHY_CREATED = "created"
WHY_PROPERTY = "property"
WHY_SETTINGS = "settings"
WHY_CUSTOMER_MESSAGE = "customer message"


# --- What the planner reads --------------------------------------------------------------------


class GoalSet(Protocol):
    """The goals of one scope value (``settings_app.selectors.GoalSet``); ``ref`` is how a ticket
    records the row (``Ticket.sla_goal_value``)."""

    @property
    def ref(self) -> str: ...

    def goal(self, kind: str) -> tuple[int, int | None] | None: ...


class Settings(Protocol):
    """The SLA settings as the planner needs them (``settings_app.selectors.SlaConfig``)."""

    @property
    def version(self) -> int: ...

    @property
    def scope(self) -> str: ...

    @property
    def property(self) -> str: ...

    def goal_set_for(self, values: Mapping[str, Any]) -> GoalSet | None: ...

    def goal_name(self, ref: str | None) -> str: ...


@dataclass(frozen=True)
class StageInfo:
    """A pipeline stage as the clocks see it. ``is_pause``: a pause stage in the current settings
    (a closed stage never pauses)."""

    id: int
    is_closed: bool
    is_pause: bool = False


@dataclass(slots=True)
class Clock:
    """One clock (a next-response clock: one cycle). ``id`` is None until it is stored."""

    kind: str
    cycle: int
    goal_minutes: int
    due_soon_minutes: int | None
    settings_version: int
    started_at: datetime.datetime
    due_at: datetime.datetime
    due_soon_at: datetime.datetime | None
    completed_at: datetime.datetime | None = None
    completed_by: str = ""  # "reply" | "close"
    paused_at: datetime.datetime | None = None
    status: str = ACTIVE  # the persisted status
    next_check_at: datetime.datetime | None = None
    id: int | None = None

    @property
    def is_running(self) -> bool:
        return self.completed_at is None


@dataclass(frozen=True)
class TicketState:
    """A ticket's SLA-relevant state. ``properties`` is handed to ``Settings.goal_set_for`` as it
    is; ``clocks`` are in the order they were stored (kind, cycle)."""

    created_at: datetime.datetime
    stage: StageInfo
    properties: Mapping[str, Any] = field(default_factory=dict)
    closed_at: datetime.datetime | None = None
    paused_since: datetime.datetime | None = None
    excluded_periods: tuple[ExcludedPeriod, ...] = ()
    first_replied_at: datetime.datetime | None = None
    last_replied_at: datetime.datetime | None = None
    awaiting_reply_since: datetime.datetime | None = None
    sla_goal_value: str | None = None
    sla_settings_version: int | None = None
    sla_due_at: datetime.datetime | None = None
    sla_overdue_at: datetime.datetime | None = None
    sla_active_until: datetime.datetime | None = None
    clocks: tuple[Clock, ...] = ()


# --- What happened -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    """The ticket was just opened, in ``TicketState.stage``."""


@dataclass(frozen=True)
class CustomerMessage:
    """A customer wrote. ``move_to``: where the message moves a closed or paused ticket (the
    first open stage of its pipeline that does not pause); not used otherwise."""

    move_to: StageInfo | None = None


@dataclass(frozen=True)
class PublicReply:
    """An agent's public reply (internal notes and automatic messages change no clock)."""


@dataclass(frozen=True)
class PropertyChanged:
    """The ticket's properties are now ``properties``."""

    properties: Mapping[str, Any]


@dataclass(frozen=True)
class StageChanged:
    """The ticket moved to ``stage``: a pause, resume, close or reopen as the stages say."""

    stage: StageInfo


@dataclass(frozen=True)
class SettingsApplied:
    """New settings apply to the open ticket ("new and open tickets"); ``TicketState.stage``
    says whether its stage pauses under them."""


@dataclass(frozen=True)
class TimePassed:
    """Only time passed: persist the running clocks' statuses at ``now`` (the sweep)."""


Event = (
    Created
    | CustomerMessage
    | PublicReply
    | PropertyChanged
    | StageChanged
    | SettingsApplied
    | TimePassed
)


# --- What the planner returns ------------------------------------------------------------------


@dataclass(frozen=True)
class ClockEvent:
    """One event row of a clock: ``kind`` at ``at``, ``notify`` for the emails of due soon and
    overdue transitions."""

    clock: Clock
    kind: str
    at: datetime.datetime
    detail: dict[str, Any] = field(default_factory=dict)
    notify: bool = False


@dataclass
class Plan:
    """The writes one event makes: ``ticket`` is the state afterwards (its ``clocks`` include the
    inserted ones and exclude the removed ones); ``updated`` are stored clocks that changed."""

    ticket: TicketState
    inserted: list[Clock]
    updated: list[Clock]
    removed: list[Clock]
    events: list[ClockEvent]


@dataclass(frozen=True)
class StatusChange:
    """A clock's persisted status and next check at ``now``, and the transitions passed since its
    stored status, each with its own moment."""

    status: str
    next_check_at: datetime.datetime | None
    transitions: tuple[tuple[str, datetime.datetime], ...]


# --- The rules ---------------------------------------------------------------------------------


def status_change(
    *,
    status: str,
    due_at: datetime.datetime,
    due_soon_at: datetime.datetime | None,
    completed_at: datetime.datetime | None,
    paused_at: datetime.datetime | None,
    now: datetime.datetime,
) -> StatusChange:
    """What time alone did to a clock whose persisted status is ``status``: its status at
    ``now``, when that can next change, and the transitions it passed (the sweep's rule)."""
    new = sla.clock_status(
        due_at=due_at,
        due_soon_at=due_soon_at,
        completed_at=completed_at,
        paused_at=paused_at,
        now=now,
    )
    return StatusChange(
        status=new,
        next_check_at=sla.next_check_at(
            status=new,
            due_at=due_at,
            due_soon_at=due_soon_at,
            completed_at=completed_at,
            paused_at=paused_at,
        ),
        transitions=sla.transitions_passed(
            old_status=status, new_status=new, due_at=due_at, due_soon_at=due_soon_at
        ),
    )


def recomputed_detail(
    *, why: str, goal_minutes: Any, due_at_before: Any, due_at: Any
) -> dict[str, Any]:
    """The detail of a "recomputed" event (moments as ``sla.iso`` text). The in-database
    recompute builds its JSON from this same function, with SQL expressions for the values."""
    return {
        "why": why,
        "goal_minutes": goal_minutes,
        "due_at_before": due_at_before,
        "due_at": due_at,
    }


class _Planning:
    """The working copy of one ticket while events are applied to it, in order."""

    def __init__(
        self,
        state: TicketState,
        *,
        settings: Settings,
        schedule: WorkingSchedule,
        schedules: Mapping[str, WorkingSchedule] | None = None,
        now: datetime.datetime,
    ) -> None:
        self.state = state
        self.settings = settings
        self.default_schedule = schedule
        self.team_schedules = schedules or {}
        self.now = now
        self.clocks = [dataclasses.replace(clock) for clock in state.clocks]
        self.originals = {
            id(copy): clock for copy, clock in zip(self.clocks, state.clocks, strict=True)
        }
        self.removed: list[Clock] = []
        self.events: list[ClockEvent] = []

    # -- reading ---------------------------------------------------------------------------------
    def latest(self, kind: str) -> Clock | None:
        mine = [clock for clock in self.clocks if clock.kind == kind]
        return max(mine, key=lambda clock: clock.cycle) if mine else None

    def running(self) -> list[Clock]:
        return [clock for clock in self.clocks if clock.completed_at is None]

    def set(self, **changes: Any) -> None:
        self.state = dataclasses.replace(self.state, **changes)

    def schedule_for(self, properties: Mapping[str, Any]) -> WorkingSchedule:
        """The schedule of a ticket with ``properties``: its team's own, else the default."""
        return self.team_schedules.get(properties.get("team") or "", self.default_schedule)

    @property
    def schedule(self) -> WorkingSchedule:
        """The schedule the ticket's clocks count in now (its excluded time too)."""
        return self.schedule_for(self.state.properties)

    # -- one clock -------------------------------------------------------------------------------
    def event(
        self,
        clock: Clock,
        kind: str,
        *,
        at: datetime.datetime,
        detail: dict[str, Any] | None = None,
        notify: bool = False,
    ) -> None:
        self.events.append(ClockEvent(clock, kind, at, detail or {}, notify))

    def compute(self, clock: Clock, *, extra: Sequence[ExcludedPeriod] = ()) -> None:
        """Due and due-soon moments from the clock's start, goal and excluded time (``extra``:
        stretches not yet in the ticket's excluded periods, such as a pause still going on)."""
        excluded = sla.excluded_time(
            self.schedule,
            periods=[*self.state.excluded_periods, *extra],
            started_at=clock.started_at,
            kind=clock.kind,
        )
        clock.due_at, clock.due_soon_at = sla.clock_moments(
            self.schedule,
            started_at=clock.started_at,
            goal_minutes=clock.goal_minutes,
            due_soon_minutes=clock.due_soon_minutes,
            excluded=excluded,
        )

    def persist_status(self, clock: Clock, *, notify: bool) -> None:
        """Store the clock's status at ``now``, recording the transitions it passed; only the
        last one notifies (and only when ``notify``)."""
        change = status_change(
            status=clock.status,
            due_at=clock.due_at,
            due_soon_at=clock.due_soon_at,
            completed_at=clock.completed_at,
            paused_at=clock.paused_at,
            now=self.now,
        )
        for index, (step, moment) in enumerate(change.transitions):
            last = index == len(change.transitions) - 1
            self.event(clock, step, at=moment, notify=notify and last)
        clock.status, clock.next_check_at = change.status, change.next_check_at

    def start(
        self, kind: str, *, started_at: datetime.datetime, goal: tuple[int, int | None], why: str
    ) -> Clock:
        latest = self.latest(kind)
        clock = Clock(
            kind=kind,
            cycle=latest.cycle + 1 if latest else 1,
            goal_minutes=goal[0],
            due_soon_minutes=goal[1],
            settings_version=self.settings.version,
            started_at=started_at,
            due_at=started_at,
            due_soon_at=None,
        )
        if self.state.paused_since is not None:  # a clock that starts during a pause starts paused
            clock.paused_at = max(self.state.paused_since, started_at)
        self.compute(clock)
        self.clocks.append(clock)
        # The goal row's key ("priority:urgent"), not its label: the timeline names it in the
        # reader's language (``settings_app.labels.stored_goal_label``); a team's or pipeline's
        # row also records the record's name of the moment.
        ref = self.state.sla_goal_value or ""
        detail = {
            "goal": ref,
            **({"goal_name": name} if (name := self.settings.goal_name(ref)) else {}),
            "goal_minutes": clock.goal_minutes,
            "due_soon_minutes": clock.due_soon_minutes,
            "started_at": sla.iso(started_at),
            "due_at": sla.iso(clock.due_at),
            "why": why,
            "applied_at": sla.iso(self.now),
        }
        # Stamped at the clock's own moments, as its due-soon / overdue transitions are: a clock
        # that a settings or property change gives a ticket after the fact starts in the past,
        # and its timeline reads "started, due soon, overdue" in that order.
        self.event(clock, APPLIED, at=started_at, detail=detail)
        if clock.paused_at is not None:
            self.event(clock, PAUSED_EVENT, at=clock.paused_at)
        self.persist_status(clock, notify=why != WHY_SETTINGS)
        return clock

    def complete(self, clock: Clock, *, by: str) -> None:
        """Complete a running clock at ``now``.

        A clock completed during a pause (an agent replies while waiting on the customer) is
        judged on counted time: the pause so far is excluded, as if it had resumed now. The due
        soon / overdue transitions it passed and the sweep has not persisted yet are recorded
        first, so the timeline is whole; they notify nobody, the clock is done.
        """
        if clock.paused_at is not None and self.state.paused_since is not None:
            ongoing = ExcludedPeriod(self.state.paused_since, self.now, PAUSED)
            self.compute(clock, extra=[ongoing])
        clock.paused_at = None
        self.persist_status(clock, notify=False)
        clock.completed_at = self.now
        clock.completed_by = by
        self.persist_status(clock, notify=False)
        self.event(clock, clock.status, at=self.now, detail={"completed_by": by})

    def remove(self, clock: Clock, *, why: str) -> None:
        detail = {"due_at": sla.iso(clock.due_at), "why": why}
        self.event(clock, REMOVED, at=self.now, detail=detail)
        self.clocks.remove(clock)
        if clock.id is not None:
            self.removed.append(clock)

    def recompute(self, clock: Clock, *, goal: tuple[int, int | None], why: str) -> None:
        before = (clock.due_at, clock.due_soon_at, clock.goal_minutes, clock.due_soon_minutes)
        clock.goal_minutes, clock.due_soon_minutes = goal
        clock.settings_version = self.settings.version
        self.compute(clock)
        after = (clock.due_at, clock.due_soon_at, clock.goal_minutes, clock.due_soon_minutes)
        if after != before:
            detail = recomputed_detail(
                why=why,
                goal_minutes=clock.goal_minutes,
                due_at_before=sla.iso(before[0]),
                due_at=sla.iso(clock.due_at),
            )
            self.event(clock, RECOMPUTED, at=self.now, detail=detail)
        self.persist_status(clock, notify=why != WHY_SETTINGS)

    # -- the ticket ------------------------------------------------------------------------------
    def first_response_done(self) -> bool:
        state = self.state
        return sla.first_response_done(
            first_replied_at=state.first_replied_at,
            closed_at=state.closed_at,
            excluded_periods=state.excluded_periods,
        )

    def usual_start(self, kind: str, latest: Clock | None) -> datetime.datetime | None:
        state = self.state
        return sla.usual_start(
            kind,
            latest_started_at=latest.started_at if latest is not None else None,
            created_at=state.created_at,
            first_replied_at=state.first_replied_at,
            awaiting_reply_since=state.awaiting_reply_since,
            first_response_done=self.first_response_done(),
        )

    def reconcile(self, *, why: str) -> None:
        """Pick the goals for the ticket from the current settings and align its clocks.

        Running clocks are recomputed from their original start (or removed when no goal of
        their kind applies any more); clocks the ticket lacks start at their usual start;
        completed clocks are never touched.
        """
        goal_set = self.settings.goal_set_for(self.state.properties)
        self.set(
            sla_goal_value=goal_set.ref if goal_set else None,
            sla_settings_version=self.settings.version if goal_set else None,
        )
        for kind in CLOCK_KINDS:
            goal = goal_set.goal(kind) if goal_set else None
            latest = self.latest(kind)
            if latest is not None and latest.completed_at is None:
                if goal is None:
                    self.remove(latest, why=why)
                else:
                    self.recompute(latest, goal=goal, why=why)
                continue
            if goal is None or self.state.closed_at is not None:
                continue
            start = self.usual_start(kind, latest)
            if start is not None:
                self.start(kind, started_at=start, goal=goal, why=why)

    def reschedule(self) -> None:
        """Recompute the running clocks in the ticket's (new) schedule, keeping their goals."""
        for clock in self.running():
            # Excluded time (paused, closed) is counted in the new schedule too; a pause still
            # going on is added when it ends, as for any paused clock.
            self.recompute(
                clock, goal=(clock.goal_minutes, clock.due_soon_minutes), why=WHY_PROPERTY
            )

    def pause(self) -> None:
        self.set(paused_since=self.now)
        for clock in self.running():
            clock.paused_at = self.now
            self.persist_status(clock, notify=True)
            self.event(clock, PAUSED_EVENT, at=self.now)

    def resume(self) -> None:
        paused_since = self.state.paused_since
        if paused_since is None:
            return
        self.set(
            paused_since=None,
            excluded_periods=(
                *self.state.excluded_periods,
                ExcludedPeriod(paused_since, self.now, PAUSED),
            ),
        )
        for clock in self.running():
            clock.paused_at = None
            before = clock.due_at
            self.compute(clock)
            self.persist_status(clock, notify=True)
            detail = {
                "paused_since": sla.iso(max(paused_since, clock.started_at)),
                "due_at_before": sla.iso(before),
                "due_at": sla.iso(clock.due_at),
            }
            self.event(clock, RESUMED, at=self.now, detail=detail)

    def close(self) -> None:
        self.set(closed_at=self.now, awaiting_reply_since=None)
        for clock in self.running():
            self.complete(clock, by="close")

    def reopen(self) -> None:
        closed_at = self.state.closed_at
        if closed_at is None:
            return
        self.set(
            closed_at=None,
            excluded_periods=(
                *self.state.excluded_periods,
                ExcludedPeriod(closed_at, self.now, CLOSED),
            ),
        )
        clock = self.latest(CLOSE)
        if clock is not None and clock.completed_by == "close":
            previous = clock.completed_at
            clock.completed_at = None
            clock.completed_by = ""
            # Back to the first running status, so transitions are recorded afresh.
            clock.status = ACTIVE
            self.compute(clock)
            detail = {"completed_at_before": sla.iso(previous), "due_at": sla.iso(clock.due_at)}
            self.event(clock, REOPENED, at=self.now, detail=detail)
            self.persist_status(clock, notify=True)

    def enter_stage(self, stage: StageInfo) -> None:
        """Move the ticket to ``stage``: resume, close, reopen and pause as the stages say."""
        is_pause = stage.is_pause and not stage.is_closed
        if self.state.paused_since is not None and not is_pause:
            self.resume()
        if stage.is_closed and self.state.closed_at is None:
            self.close()
        elif not stage.is_closed and self.state.closed_at is not None:
            self.reopen()
        self.set(stage=stage)
        if is_pause and self.state.paused_since is None:
            self.pause()

    # -- the events ------------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        match event:
            case Created():
                stage = self.state.stage
                self.set(
                    closed_at=self.now if stage.is_closed else None,
                    paused_since=self.now if stage.is_pause and not stage.is_closed else None,
                )
                self.reconcile(why=WHY_CREATED)
            case CustomerMessage(move_to=move_to):
                self.customer_message(move_to)
            case PublicReply():
                self.public_reply()
            case PropertyChanged(properties=properties):
                before = self.state.properties
                self.set(properties=properties)
                # Only a change of the property that selects the goals re-picks them.
                selecting = self.settings.property if self.settings.scope == "property" else ""
                if selecting and properties.get(selecting) != before.get(selecting):
                    self.reconcile(why=WHY_PROPERTY)
                elif self.schedule_for(properties) is not self.schedule_for(before):
                    # A team change that moves the ticket to another schedule: its running
                    # clocks count again from their original start in the new one.
                    self.reschedule()
            case StageChanged(stage=stage):
                if stage.id != self.state.stage.id:
                    self.enter_stage(stage)
            case SettingsApplied():
                is_pause = self.state.stage.is_pause and self.state.closed_at is None
                if self.state.paused_since is not None and not is_pause:
                    self.resume()
                self.reconcile(why=WHY_SETTINGS)
                if is_pause and self.state.paused_since is None:
                    self.pause()
            case TimePassed():
                for clock in self.running():
                    self.persist_status(clock, notify=True)
            case _:
                raise TypeError(f"not an event: {event!r}")

    def customer_message(self, move_to: StageInfo | None) -> None:
        """A customer message reopens a closed ticket (or takes a paused one out of its pause)
        by moving it to ``move_to``, and starts a next-response cycle when none is running and
        the first response is done (with the current settings' goal)."""
        state = self.state
        if state.closed_at is not None or state.paused_since is not None:
            if move_to is None:
                raise ValueError("a customer message on a closed or paused ticket needs move_to")
            self.enter_stage(move_to)
        if self.state.awaiting_reply_since is None:
            self.set(awaiting_reply_since=self.now)
        latest = self.latest(NEXT_RESPONSE)
        is_running = latest is not None and latest.completed_at is None
        goal_set = self.settings.goal_set_for(self.state.properties)
        goal = goal_set.goal(NEXT_RESPONSE) if goal_set else None
        start = self.usual_start(NEXT_RESPONSE, latest)
        if goal is not None and not is_running and start is not None:
            self.start(NEXT_RESPONSE, started_at=start, goal=goal, why=WHY_CUSTOMER_MESSAGE)

    def public_reply(self) -> None:
        """Completes the running first- and next-response clocks."""
        for clock in self.running():
            if clock.kind in (FIRST_RESPONSE, NEXT_RESPONSE):
                self.complete(clock, by="reply")
        self.set(
            first_replied_at=self.state.first_replied_at or self.now,
            last_replied_at=self.now,
            awaiting_reply_since=None,
        )

    def result(self) -> Plan:
        sla_due_at, sla_overdue_at = sla.ticket_due_moments(
            (clock.due_at, clock.completed_at, clock.paused_at) for clock in self.clocks
        )
        sla_active_until = sla.ticket_active_until(
            (clock.due_at, clock.due_soon_at, clock.completed_at, clock.paused_at)
            for clock in self.clocks
        )
        ticket = dataclasses.replace(
            self.state,
            clocks=tuple(self.clocks),
            sla_due_at=sla_due_at,
            sla_overdue_at=sla_overdue_at,
            sla_active_until=sla_active_until,
        )
        inserted = [clock for clock in self.clocks if clock.id is None]
        updated = [
            clock
            for clock in self.clocks
            if clock.id is not None and clock != self.originals[id(clock)]
        ]
        return Plan(
            ticket=ticket,
            inserted=inserted,
            updated=updated,
            removed=self.removed,
            events=self.events,
        )


def plan(
    state: TicketState,
    events: Sequence[Event],
    *,
    settings: Settings,
    schedule: WorkingSchedule,
    schedules: Mapping[str, WorkingSchedule] | None = None,
    now: datetime.datetime,
) -> Plan:
    """Apply ``events`` (in order, all at ``now``) to ``state`` by the rules of SPEC section 3.

    ``schedule`` is the default schedule and ``schedules`` the team schedules by team key (the
    ``"team"`` property's value; left out, those of ``settings`` when it has them): a ticket's
    clocks count in its team's schedule, else the default one, and a team change that changes
    its schedule recomputes its running clocks from their original start. ``state`` is not
    changed. Transitions that a clock passes are recorded at their own moments; those caused by
    ``SettingsApplied`` notify nobody (nor do a completed clock's).
    """
    if schedules is None:  # the snapshot's own (``SlaConfig.team_schedules``), when it has them
        schedules = getattr(settings, "team_schedules", None)
    planning = _Planning(state, settings=settings, schedule=schedule, schedules=schedules, now=now)
    for event in events:
        planning.apply(event)
    return planning.result()
