"""Writes of tickets and their SLA clocks: create, message, update, close/reopen, pause, recompute.

Every public service runs in one transaction with the ticket row and its clocks locked, takes
``now`` (an aware datetime) from its caller, and applies the rules of SPEC section 3 through
``_SlaWork``, which batches the clock and event writes. The beat sweep and the settings recompute
live in ``tickets.sweep`` and ``tickets.recompute``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from outbound.services import (
    outbound_acknowledgement_queue,
    outbound_assigned_queue,
    outbound_customer_replied_queue,
    outbound_reply_queue,
)
from settings_app.models import Pipeline, Priority, SlaSettings, Source, Stage, Team
from settings_app.selectors import SlaConfig, sla_config_get, ticket_goal_keys
from tickets import sla
from tickets.history import history_record, history_values
from tickets.models import Message, SlaClock, SlaEvent, Ticket, TicketChange

User = get_user_model()
CLOCK_KINDS = (sla.FIRST_RESPONSE, sla.NEXT_RESPONSE, sla.CLOSE)
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
    "updated_at",
)


class TicketInputError(Exception):
    """Refused input; ``errors`` maps field names to messages. Nothing was saved."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def ticket_property_values(ticket: Ticket) -> dict[str, str]:
    """The ticket's keys for each property that can select goals ("" when empty; teams and
    pipelines by id, so that renaming one changes nothing)."""
    return ticket_goal_keys(
        priority=ticket.priority,
        team_id=ticket.team_id,
        source=ticket.source,
        pipeline_id=ticket.pipeline_id,
    )


def _goal_label(config: SlaConfig, ref: str) -> str:
    """The goal row's human name for the timeline ("Priority Urgent", "All tickets")."""
    return config.goal_label(ref)


class _SlaWork:
    """The clock changes of one ticket in one operation, written in bulk by ``flush``.

    Holds the ticket (with ``team`` and ``pipeline`` loaded), all its clocks, the settings snapshot
    and ``now``. Methods change the in-memory objects and collect events; nothing touches the
    database until ``flush``.
    """

    def __init__(
        self, *, ticket: Ticket, clocks: list[SlaClock], config: SlaConfig, now: datetime.datetime
    ) -> None:
        self.ticket = ticket
        self.clocks = clocks
        self.config = config
        self.now = now
        self.new_clocks: list[SlaClock] = []
        self.changed: dict[int, SlaClock] = {}
        self.removed: list[SlaClock] = []
        self.events: list[SlaEvent] = []

    # -- reading -------------------------------------------------------------------------------
    def latest(self, kind: str) -> SlaClock | None:
        mine = [c for c in self.clocks if c.kind == kind]
        return max(mine, key=lambda c: c.cycle) if mine else None

    def running(self) -> list[SlaClock]:
        return [c for c in self.clocks if c.completed_at is None]

    def excluded_periods(self) -> list[sla.ExcludedPeriod]:
        return sla.excluded_periods_parse(self.ticket.excluded_periods)

    def first_response_done(self) -> bool:
        ticket = self.ticket
        return (
            ticket.first_replied_at is not None
            or ticket.closed_at is not None
            or any(p["why"] == sla.CLOSED for p in ticket.excluded_periods)
        )

    # -- writing -------------------------------------------------------------------------------
    def _touch(self, clock: SlaClock) -> None:
        if clock.pk is not None:
            self.changed[clock.pk] = clock

    def event(
        self,
        clock: SlaClock,
        kind: str,
        *,
        at: datetime.datetime,
        detail: dict[str, Any] | None = None,
        notify: bool = False,
    ) -> None:
        self.events.append(
            SlaEvent(
                ticket=self.ticket,
                clock=clock,
                clock_kind=clock.kind,
                cycle=clock.cycle,
                kind=kind,
                at=at,
                detail=detail or {},
                should_notify=notify,
            )
        )

    def compute(self, clock: SlaClock, *, extra: Iterable[sla.ExcludedPeriod] = ()) -> None:
        """Due and due-soon moments from the clock's start, goal and excluded time (``extra``:
        stretches not yet in the ticket's ``excluded_periods``, such as a pause still going on)."""
        excluded = sla.excluded_time(
            self.config.schedule,
            periods=[*self.excluded_periods(), *extra],
            started_at=clock.started_at,
            kind=clock.kind,
        )
        clock.due_at, clock.due_soon_at = sla.clock_moments(
            self.config.schedule,
            started_at=clock.started_at,
            goal_minutes=clock.goal_minutes,
            due_soon_minutes=clock.due_soon_minutes,
            excluded=excluded,
        )

    def persist_status(self, clock: SlaClock, *, notify: bool) -> None:
        """Store the clock's status at ``now``, recording the transitions it passed."""
        new = sla.clock_status(
            due_at=clock.due_at,
            due_soon_at=clock.due_soon_at,
            completed_at=clock.completed_at,
            paused_at=clock.paused_at,
            now=self.now,
        )
        passed = [
            step
            for step in sla.transitions_between(old_status=clock.status, new_status=new)
            if not (step == sla.DUE_SOON and clock.due_soon_at is None)
        ]
        for step in passed:
            moment = clock.due_soon_at if step == sla.DUE_SOON else clock.due_at
            self.event(clock, step, at=moment, notify=notify and step == passed[-1])
        clock.status = new
        clock.next_check_at = sla.next_check_at(
            status=new,
            due_at=clock.due_at,
            due_soon_at=clock.due_soon_at,
            completed_at=clock.completed_at,
            paused_at=clock.paused_at,
        )
        self._touch(clock)

    def start(
        self, kind: str, *, started_at: datetime.datetime, goal: tuple[int, int | None], why: str
    ) -> SlaClock:
        latest = self.latest(kind)
        ticket = self.ticket
        clock = SlaClock(
            ticket=ticket,
            kind=kind,
            cycle=latest.cycle + 1 if latest else 1,
            goal_minutes=goal[0],
            due_soon_minutes=goal[1],
            settings_version=self.config.version,
            started_at=started_at,
            status=sla.ACTIVE,
        )
        if ticket.paused_since is not None:  # a clock that starts during a pause starts paused
            clock.paused_at = max(ticket.paused_since, started_at)
        self.compute(clock)
        self.clocks.append(clock)
        self.new_clocks.append(clock)
        detail = {
            "goal": _goal_label(self.config, ticket.sla_goal_value or ""),
            "goal_minutes": clock.goal_minutes,
            "due_soon_minutes": clock.due_soon_minutes,
            "started_at": sla.iso(started_at),
            "due_at": sla.iso(clock.due_at),
            "why": why,
            "applied_at": sla.iso(self.now),
        }
        # Stamped at the clock's own moments, as its due-soon / overdue transitions are: a clock
        # that a settings or property change gives a ticket after the fact starts in the past,
        # and its timeline must read "started, due soon, overdue" in that order (issue 16).
        self.event(clock, SlaEvent.Kind.APPLIED, at=started_at, detail=detail)
        if clock.paused_at is not None:
            self.event(clock, SlaEvent.Kind.PAUSED, at=clock.paused_at)
        self.persist_status(clock, notify=why != "settings")
        return clock

    def complete(self, clock: SlaClock, *, at: datetime.datetime, by: str) -> None:
        """Complete a running clock at ``at`` (the operation's ``now``).

        A clock completed during a pause (an agent replies while waiting on the customer) is
        judged on counted time: the pause so far is excluded, as if it had resumed at ``at``.
        The due-soon / overdue transitions it passed and the sweep has not persisted yet are
        recorded first, so the timeline is whole; they notify nobody, the clock is done.
        """
        if clock.paused_at is not None and self.ticket.paused_since is not None:
            ongoing = sla.ExcludedPeriod(self.ticket.paused_since, at, sla.PAUSED)
            self.compute(clock, extra=[ongoing])
        clock.paused_at = None
        self.persist_status(clock, notify=False)
        clock.completed_at = at
        clock.completed_by = by
        self.persist_status(clock, notify=False)
        self.event(clock, clock.status, at=at, detail={"completed_by": by})

    def remove(self, clock: SlaClock, *, why: str) -> None:
        detail = {"due_at": sla.iso(clock.due_at), "why": why}
        self.event(clock, SlaEvent.Kind.REMOVED, at=self.now, detail=detail)
        self.clocks.remove(clock)
        self.changed.pop(clock.pk, None)
        self.removed.append(clock)

    def recompute(self, clock: SlaClock, *, goal: tuple[int, int | None], why: str) -> None:
        before = (clock.due_at, clock.due_soon_at, clock.goal_minutes, clock.due_soon_minutes)
        clock.goal_minutes, clock.due_soon_minutes = goal
        clock.settings_version = self.config.version
        self.compute(clock)
        after = (clock.due_at, clock.due_soon_at, clock.goal_minutes, clock.due_soon_minutes)
        if after != before:
            detail = {
                "why": why,
                "goal_minutes": clock.goal_minutes,
                "due_at_before": sla.iso(before[0]),
                "due_at": sla.iso(clock.due_at),
            }
            self.event(clock, SlaEvent.Kind.RECOMPUTED, at=self.now, detail=detail)
        self.persist_status(clock, notify=why != "settings")
        self._touch(clock)

    # -- the rules -----------------------------------------------------------------------------
    def reconcile(self, *, why: str) -> None:
        """Pick the goals for the ticket from the current settings and align its clocks.

        Running clocks are recomputed from their original start (or removed when no goal of
        their kind applies any more); clocks the ticket lacks start at their usual start;
        completed clocks are never touched. ``why``: "created", "property" or "settings".
        """
        ticket, config = self.ticket, self.config
        goal_set = config.goal_set_for(ticket_property_values(ticket))
        ticket.sla_goal_value = goal_set.ref if goal_set else None
        ticket.sla_settings_version = config.version if goal_set else None
        for kind in CLOCK_KINDS:
            goal = goal_set.goal(kind) if goal_set else None
            latest = self.latest(kind)
            if latest is not None and latest.completed_at is None:
                if goal is None:
                    self.remove(latest, why=why)
                else:
                    self.recompute(latest, goal=goal, why=why)
                continue
            if goal is None or ticket.closed_at is not None:
                continue
            start = self.usual_start(kind, latest)
            if start is not None:
                self.start(kind, started_at=start, goal=goal, why=why)

    def usual_start(self, kind: str, latest: SlaClock | None) -> datetime.datetime | None:
        ticket = self.ticket
        return sla.usual_start(
            kind,
            latest_started_at=latest.started_at if latest is not None else None,
            created_at=ticket.created_at,
            first_replied_at=ticket.first_replied_at,
            awaiting_reply_since=ticket.awaiting_reply_since,
            first_response_done=self.first_response_done(),
        )

    def pause(self) -> None:
        ticket = self.ticket
        ticket.paused_since = self.now
        for clock in self.running():
            clock.paused_at = self.now
            self.persist_status(clock, notify=True)
            self.event(clock, SlaEvent.Kind.PAUSED, at=self.now)

    def resume(self) -> None:
        ticket = self.ticket
        if ticket.paused_since is None:
            return
        ticket.excluded_periods = [
            *ticket.excluded_periods,
            {"start": sla.iso(ticket.paused_since), "end": sla.iso(self.now), "why": sla.PAUSED},
        ]
        paused_since, ticket.paused_since = ticket.paused_since, None
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
            self.event(clock, SlaEvent.Kind.RESUMED, at=self.now, detail=detail)

    def close(self) -> None:
        ticket = self.ticket
        ticket.closed_at = self.now
        ticket.awaiting_reply_since = None
        for clock in self.running():
            self.complete(clock, at=self.now, by="close")

    def reopen(self) -> None:
        ticket = self.ticket
        if ticket.closed_at is None:
            return
        ticket.excluded_periods = [
            *ticket.excluded_periods,
            {"start": sla.iso(ticket.closed_at), "end": sla.iso(self.now), "why": sla.CLOSED},
        ]
        ticket.closed_at = None
        clock = self.latest(sla.CLOSE)
        if clock is not None and clock.completed_by == "close":
            previous = clock.completed_at
            clock.completed_at = None
            clock.completed_by = ""
            # Back to the running status it last had, so transitions are recorded afresh.
            clock.status = sla.ACTIVE
            self.compute(clock)
            self.event(
                clock,
                SlaEvent.Kind.REOPENED,
                at=self.now,
                detail={"completed_at_before": sla.iso(previous), "due_at": sla.iso(clock.due_at)},
            )
            self.persist_status(clock, notify=True)

    def enter_stage(self, stage: Stage) -> None:
        """Move the ticket to ``stage``: resume, close, reopen and pause as the stages say."""
        ticket = self.ticket
        is_pause = stage.id in self.config.pause_stage_ids and not stage.is_closed
        if ticket.paused_since is not None and (not is_pause or stage.is_closed):
            self.resume()
        if stage.is_closed and ticket.closed_at is None:
            self.close()
        elif not stage.is_closed and ticket.closed_at is not None:
            self.reopen()
        ticket.stage = stage
        if is_pause and ticket.paused_since is None:
            self.pause()

    def flush(self) -> None:
        """Write the collected clock changes, events and the ticket's SLA fields."""
        ticket = self.ticket
        ticket.sla_due_at, ticket.sla_overdue_at = sla.ticket_due_moments(
            (c.due_at, c.completed_at, c.paused_at) for c in self.clocks
        )
        ticket.updated_at = self.now
        Ticket.objects.filter(pk=ticket.pk).update(
            **{name: getattr(ticket, name) for name in TICKET_SLA_FIELDS}
        )
        for clock in self.removed:
            for event in self.events:
                if event.clock is clock:
                    event.clock = None
        if self.removed:
            SlaClock.objects.filter(pk__in=[c.pk for c in self.removed]).delete()
        if self.new_clocks:
            SlaClock.objects.bulk_create(self.new_clocks)
        changed = [c for c in self.changed.values() if c.pk is not None]
        if changed:
            SlaClock.objects.bulk_update(changed, CLOCK_FIELDS)
        if self.events:
            SlaEvent.objects.bulk_create(self.events, ignore_conflicts=True)
        self.new_clocks, self.changed, self.removed, self.events = [], {}, [], []


def _locked_ticket(ticket_id: int) -> tuple[Ticket, list[SlaClock]]:
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("team", "pipeline", "stage", "owner")
        .get(pk=ticket_id)
    )
    clocks = list(SlaClock.objects.select_for_update().filter(ticket_id=ticket_id))
    return ticket, clocks


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(slug="support").first() or Pipeline.objects.first()
    if pipeline is None:
        raise TicketInputError({"pipeline": ["No pipeline exists; create one first."]})
    return pipeline


def first_stage(pipeline: Pipeline, *, open_only: bool = False) -> Stage:
    stages = Stage.objects.filter(pipeline=pipeline).order_by("position", "id")
    if open_only:
        stages = stages.filter(is_closed=False)
    stage = stages.first()
    if stage is None:
        raise TicketInputError({"pipeline": [f"Pipeline {pipeline.slug!r} has no stages."]})
    return stage


def first_open_unpaused_stage(pipeline: Pipeline, *, config: SlaConfig) -> Stage:
    """Where a customer message moves a closed or paused ticket."""
    for stage in Stage.objects.filter(pipeline=pipeline, is_closed=False).order_by("position"):
        if stage.id not in config.pause_stage_ids:
            return stage
    return first_stage(pipeline, open_only=True)


def ticket_create(
    *,
    subject: str,
    body: str,
    requester_email: str,
    now: datetime.datetime,
    priority: str = "",
    team: Team | None = None,
    source: str = Source.EMAIL,
    pipeline: Pipeline | None = None,
    owner: Any = None,
    requester_name: str = "",
    requester_language: str = "",
    cc_emails: list[str] | None = None,
    message_id: str | None = None,
    acknowledge: bool = True,
) -> Ticket:
    """Open a ticket with the customer's first message and start its SLA clocks.

    The ticket goes to the first stage of its pipeline (``support`` by default). Its first-response
    and close clocks start at ``now`` (counting from the next working period when the SLA runs in
    working hours). Not idempotent by itself; the API layer de-duplicates with Idempotency-Key.
    A ticket opened by email also gets the requester's name and language, the people copied,
    and the email's Message-ID (angle brackets included) on its first message.
    On commit the customer is emailed an acknowledgement (when the email settings say so and
    ``acknowledge`` is true: pass False for automatic mail), and an owner given here is told.
    """
    if priority and priority not in Priority.values:
        raise TicketInputError({"priority": [f"Unknown priority {priority!r}."]})
    if source not in Source.values:
        raise TicketInputError({"source": [f"Unknown source {source!r}."]})
    with transaction.atomic():
        pipeline = pipeline or default_pipeline()
        stage = first_stage(pipeline)
        config = sla_config_get()
        ticket = Ticket.objects.create(
            subject=subject,
            requester_email=requester_email,
            requester_name=requester_name,
            requester_language=requester_language,
            cc_emails=list(cc_emails or []),
            priority=priority or "",
            team=team,
            source=source,
            pipeline=pipeline,
            stage=stage,
            owner=owner,
            created_at=now,
            closed_at=now if stage.is_closed else None,
            paused_since=now if stage.id in config.pause_stage_ids else None,
        )
        message = Message.objects.create(
            ticket=ticket,
            author_kind=Message.Author.CUSTOMER,
            body=body,
            created_at=now,
            message_id=message_id,
        )
        work = _SlaWork(ticket=ticket, clocks=[], config=config, now=now)
        work.reconcile(why="created")
        work.flush()
        if acknowledge:
            outbound_acknowledgement_queue(ticket=ticket, message=message, now=now)
        if owner is not None:
            outbound_assigned_queue(ticket=ticket, assigned_by=None, now=now)
    return ticket


def ticket_message_add(
    *,
    ticket_id: int,
    body: str,
    author_kind: str,
    now: datetime.datetime,
    author: Any = None,
    is_internal: bool = False,
    message_id: str | None = None,
    sender_email: str = "",
) -> Message:
    """Add a message and apply its SLA effect.

    ``message_id`` and ``sender_email`` come with a message that arrived by email: its
    Message-ID (angle brackets included), and who wrote it when it was not the requester.

    A customer message reopens a closed ticket (or un-pauses a paused one) by moving it to the
    first open stage that does not pause, and starts a next-response cycle when none is running
    and the first response is done. A public agent reply completes the running first- and
    next-response clocks. Internal notes and automatic messages change no clock.
    On commit a public agent reply is emailed to the customer, and a customer message is
    emailed to the ticket's owner; internal notes are never emailed.
    """
    if author_kind not in Message.Author.values:
        raise TicketInputError({"author": ['Must be "customer" or "agent".']})
    if is_internal and author_kind != Message.Author.AGENT:
        raise TicketInputError({"internal": ["Only agents write internal notes."]})
    with transaction.atomic():
        ticket, clocks = _locked_ticket(ticket_id)
        config = sla_config_get()
        message = Message.objects.create(
            ticket=ticket,
            author_kind=author_kind,
            author=author if author_kind == Message.Author.AGENT else None,
            body=body,
            is_internal=is_internal,
            created_at=now,
            message_id=message_id,
            sender_email=sender_email,
        )
        work = _SlaWork(ticket=ticket, clocks=clocks, config=config, now=now)
        recorded, was_closed = history_values(ticket), ticket.closed_at is not None
        if author_kind == Message.Author.CUSTOMER:
            if ticket.closed_at is not None or ticket.paused_since is not None:
                work.enter_stage(first_open_unpaused_stage(ticket.pipeline, config=config))
            if ticket.awaiting_reply_since is None:
                ticket.awaiting_reply_since = now
            latest = work.latest(sla.NEXT_RESPONSE)
            running = latest is not None and latest.completed_at is None
            goal_set = config.goal_set_for(ticket_property_values(ticket))
            goal = goal_set.goal(sla.NEXT_RESPONSE) if goal_set else None
            start = work.usual_start(sla.NEXT_RESPONSE, latest)
            if goal is not None and not running and start is not None:
                work.start(sla.NEXT_RESPONSE, started_at=start, goal=goal, why="customer message")
        elif author_kind == Message.Author.AGENT and not is_internal:
            for clock in work.running():
                if clock.kind in (sla.FIRST_RESPONSE, sla.NEXT_RESPONSE):
                    work.complete(clock, at=now, by="reply")
            if ticket.first_replied_at is None:
                ticket.first_replied_at = now
            ticket.last_replied_at = now
            ticket.awaiting_reply_since = None
        work.flush()
        # A customer message that moved the ticket (reopened, or out of a pause stage).
        history_record(
            ticket=ticket,
            before=recorded,
            was_closed=was_closed,
            now=now,
            actor=author,
            via=TicketChange.Via.CUSTOMER,
        )
        if author_kind == Message.Author.AGENT and not is_internal:
            outbound_reply_queue(message=message, now=now)
        elif author_kind == Message.Author.CUSTOMER:
            outbound_customer_replied_queue(ticket=ticket, message=message, now=now)
    return message


UNSET: Any = object()


def ticket_update(
    *,
    ticket_id: int,
    now: datetime.datetime,
    priority: Any = UNSET,
    team: Any = UNSET,
    source: Any = UNSET,
    pipeline: Any = UNSET,
    stage: Any = UNSET,
    owner: Any = UNSET,
    actor: Any = None,
    via: str = TicketChange.Via.SYSTEM,
) -> Ticket:
    """Change properties, owner and stage. Arguments left ``UNSET`` keep their value.

    Each field that changes is recorded in the ticket's history with ``actor`` (the user, or the
    API token's user) and ``via`` (a ``TicketChange.Via``).

    ``team``/``pipeline``/``stage``/``owner`` are model instances or None; ``priority``/``source``
    are keys ("" or None clears the priority). A change of the property that selects the goals
    re-picks them (running clocks recomputed from their start). A stage change closes, reopens,
    pauses or resumes as the stages say. A pipeline change without a stage keeps a stage of the
    same slug in the new pipeline, else its first stage (closed or open, as the ticket is).
    A new owner is emailed on commit, unless they are the ``actor`` (the user making the change).
    """
    with transaction.atomic():
        ticket, clocks = _locked_ticket(ticket_id)
        config = sla_config_get()
        before = ticket_property_values(ticket)
        owner_before = ticket.owner_id
        recorded, was_closed = history_values(ticket), ticket.closed_at is not None
        fields: list[str] = []
        if priority is not UNSET:
            if priority and priority not in Priority.values:
                raise TicketInputError({"priority": [f"Unknown priority {priority!r}."]})
            ticket.priority = priority or ""
            fields.append("priority")
        if source is not UNSET:
            if source not in Source.values:
                raise TicketInputError({"source": [f"Unknown source {source!r}."]})
            ticket.source = source
            fields.append("source")
        if team is not UNSET:
            ticket.team = team
            fields.append("team")
        if owner is not UNSET:
            ticket.owner = owner
            fields.append("owner")
        if pipeline is not UNSET and pipeline is not None and pipeline.pk != ticket.pipeline_id:
            ticket.pipeline = pipeline
            fields.append("pipeline")
            if stage is UNSET:
                same = Stage.objects.filter(pipeline=pipeline, slug=ticket.stage.slug).first()
                if same is not None and same.is_closed == ticket.stage.is_closed:
                    stage = same
                else:
                    stages = Stage.objects.filter(
                        pipeline=pipeline, is_closed=ticket.closed_at is not None
                    ).order_by("position")
                    stage = stages.first() or first_stage(pipeline)
        if stage is not UNSET and stage is not None and stage.pipeline_id != ticket.pipeline_id:
            raise TicketInputError(
                {"status": [f"Stage {stage.slug!r} is not in pipeline {ticket.pipeline.slug!r}."]}
            )
        if fields:
            ticket.save(update_fields=[*fields, "updated_at"])
        work = _SlaWork(ticket=ticket, clocks=clocks, config=config, now=now)
        selecting = config.property if config.scope == SlaSettings.Scope.PROPERTY else None
        if selecting and ticket_property_values(ticket)[selecting] != before[selecting]:
            work.reconcile(why="property")
        if stage is not UNSET and stage is not None and stage.pk != ticket.stage_id:
            work.enter_stage(stage)
        work.flush()
        if ticket.owner_id is not None and ticket.owner_id != owner_before:
            outbound_assigned_queue(ticket=ticket, assigned_by=actor, now=now)
        history_record(
            ticket=ticket, before=recorded, was_closed=was_closed, now=now, actor=actor, via=via
        )
    return ticket


def ticket_close(
    *,
    ticket_id: int,
    now: datetime.datetime,
    actor: Any = None,
    via: str = TicketChange.Via.SYSTEM,
) -> Ticket:
    """Move the ticket to its pipeline's first closed stage (completing every running clock)."""
    ticket = Ticket.objects.select_related("pipeline").get(pk=ticket_id)
    closed = Stage.objects.filter(pipeline=ticket.pipeline, is_closed=True).order_by("position")
    stage = closed.first()
    if stage is None:
        raise TicketInputError({"status": ["This pipeline has no closed stage."]})
    return ticket_update(ticket_id=ticket_id, now=now, stage=stage, actor=actor, via=via)


def ticket_reopen(
    *,
    ticket_id: int,
    now: datetime.datetime,
    actor: Any = None,
    via: str = TicketChange.Via.SYSTEM,
) -> Ticket:
    """Move a closed ticket to the first open stage of its pipeline that does not pause."""
    ticket = Ticket.objects.select_related("pipeline").get(pk=ticket_id)
    stage = first_open_unpaused_stage(ticket.pipeline, config=sla_config_get())
    return ticket_update(ticket_id=ticket_id, now=now, stage=stage, actor=actor, via=via)


def tickets_reconcile(
    *, tickets: Iterable[Ticket], config: SlaConfig, now: datetime.datetime
) -> int:
    """Re-pick goals of open ``tickets`` after a settings change (caller holds a transaction).

    Also aligns the pause state with the current pause stages. Returns the number of tickets.
    """
    tickets = list(tickets)
    by_ticket: dict[int, list[SlaClock]] = {t.pk: [] for t in tickets}
    for clock in SlaClock.objects.select_for_update().filter(ticket_id__in=list(by_ticket)):
        by_ticket[clock.ticket_id].append(clock)
    for ticket in tickets:
        work = _SlaWork(ticket=ticket, clocks=by_ticket[ticket.pk], config=config, now=now)
        is_pause = ticket.stage_id in config.pause_stage_ids and ticket.closed_at is None
        if ticket.paused_since is not None and not is_pause:
            work.resume()
        work.reconcile(why="settings")
        if is_pause and ticket.paused_since is None:
            work.pause()
        work.flush()
    return len(tickets)
