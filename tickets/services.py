"""Writes of tickets and their SLA clocks: create, message, update, close/reopen, pause, recompute.

Every public service runs in one transaction and goes lock → load → plan → write: it locks the
ticket row and its clocks, loads them as the clock planner's ``TicketState``
(``tickets.clock_store``), asks ``tickets.planner.plan`` what the change does to them by the rules
of SPEC section 3, and writes that plan. Each takes ``now`` (an aware datetime) from its caller. The
beat sweep and the settings recompute live in ``tickets.sweep`` and ``tickets.recompute``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from settings_app.models import Pipeline, Priority, Source, Stage, Team
from settings_app.selectors import SlaConfig, sla_config_get
from slaproject.single_line import single_line
from tickets import planner
from tickets.clock_store import (
    plan_write,
    plan_write_clocks,
    stage_info,
    ticket_property_values,
    ticket_state,
)
from tickets.history import history_record, history_values
from tickets.models import Message, SlaClock, SlaEvent, Ticket, TicketChange
from tickets.outbound.services import (
    outbound_acknowledgement_queue,
    outbound_assigned_queue,
    outbound_customer_replied_queue,
    outbound_reply_queue,
)
from tickets.webhooks.models import EventType
from tickets.webhooks.services import webhooks_emit

__all__ = [
    "TicketChanges",
    "TicketInputError",
    "ticket_close",
    "ticket_create",
    "ticket_message_add",
    "ticket_property_values",
    "ticket_reopen",
    "ticket_update",
    "tickets_reconcile",
]


class TicketInputError(Exception):
    """Refused input; ``errors`` maps field names to messages. Nothing was saved."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def _plan(
    ticket: Ticket,
    clocks: list[SlaClock],
    events: list[planner.Event],
    *,
    config: SlaConfig,
    now: datetime.datetime,
) -> planner.Plan:
    """What ``events`` do to the ticket's clocks (nothing is written)."""
    return planner.plan(
        ticket_state(ticket, clocks, config=config),
        events,
        settings=config,
        schedule=config.schedule,
        schedules=config.team_schedules,
        now=now,
    )


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
        raise TicketInputError({"pipeline": [_("No pipeline exists; create one first.")]})
    return pipeline


def first_stage(pipeline: Pipeline, *, open_only: bool = False) -> Stage:
    stages = Stage.objects.filter(pipeline=pipeline).order_by("position", "id")
    if open_only:
        stages = stages.filter(is_closed=False)
    stage = stages.first()
    if stage is None:
        raise TicketInputError(
            {
                "pipeline": [
                    _("Pipeline %(pipeline)s has no stages.") % {"pipeline": repr(pipeline.slug)}
                ]
            }
        )
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
    owner: User | None = None,
    requester_name: str = "",
    requester_language: str = "",
    cc_emails: list[str] | None = None,
    message_id: str | None = None,
    acknowledge: bool = True,
) -> Ticket:
    """Open a ticket with the customer's first message and start its SLA clocks.

    The subject and requester name are stored as single-line text (``single_line``). The ticket
    goes to the first stage of its pipeline (``support`` by default). Its first-response
    and close clocks start at ``now`` (counting from the next working period when the SLA runs in
    working hours). Not idempotent by itself; the API layer de-duplicates with Idempotency-Key.
    A ticket opened by email also gets the requester's name and language, the people copied,
    and the email's Message-ID (angle brackets included) on its first message.
    On commit the customer is emailed an acknowledgement (when the email settings say so and
    ``acknowledge`` is true: pass False for automatic mail), and an owner given here is told.
    """
    if priority and priority not in Priority.values:
        raise TicketInputError(
            {"priority": [_("Unknown priority %(priority)s.") % {"priority": repr(priority)}]}
        )
    if source not in Source.values:
        raise TicketInputError(
            {"source": [_("Unknown source %(source)s.") % {"source": repr(source)}]}
        )
    with transaction.atomic():
        pipeline = pipeline or default_pipeline()
        stage = first_stage(pipeline)
        config = sla_config_get()
        ticket = Ticket(
            subject=single_line(subject),  # one line, whichever channel it came from
            requester_email=requester_email,
            requester_name=single_line(requester_name),
            requester_language=requester_language,
            cc_emails=list(cc_emails or []),
            priority=priority or "",
            team=team,
            source=source,
            pipeline=pipeline,
            stage=stage,
            owner=owner,
            created_at=now,
        )
        # Planned before the row exists, so the ticket is inserted with its SLA fields.
        plan = _plan(ticket, [], [planner.Created()], config=config, now=now)
        plan_write(ticket, plan, now=now, ticket_stored=False)
        ticket.save(force_insert=True)
        plan_write_clocks(ticket, plan, now=now)
        message = Message.objects.create(
            ticket=ticket,
            author_kind=Message.Author.CUSTOMER,
            body=body,
            created_at=now,
            message_id=message_id,
        )
        if acknowledge:
            outbound_acknowledgement_queue(ticket=ticket, message=message, now=now)
        if owner is not None:
            outbound_assigned_queue(ticket=ticket, assigned_by=None, now=now)
        webhooks_emit(
            event_type=EventType.TICKET_CREATED,
            cause=f"ticket.created:{ticket.pk}",
            ticket_id=ticket.pk,
            now=now,
        )
    return ticket


def ticket_message_add(
    *,
    ticket_id: int,
    body: str,
    author_kind: str,
    now: datetime.datetime,
    author: User | None = None,
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
        raise TicketInputError({"author": [_('Must be "customer" or "agent".')]})
    if is_internal and author_kind != Message.Author.AGENT:
        raise TicketInputError({"internal": [_("Only agents write internal notes.")]})
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
        recorded, was_closed = history_values(ticket), ticket.closed_at is not None
        events: list[planner.Event] = []
        move_to: Stage | None = None
        if author_kind == Message.Author.CUSTOMER:
            if ticket.closed_at is not None or ticket.paused_since is not None:
                move_to = first_open_unpaused_stage(ticket.pipeline, config=config)
            moved = stage_info(move_to, config=config) if move_to is not None else None
            events.append(planner.CustomerMessage(move_to=moved))
        elif author_kind == Message.Author.AGENT and not is_internal:
            events.append(planner.PublicReply())
        plan = _plan(ticket, clocks, events, config=config, now=now)
        plan_write(ticket, plan, now=now)
        if move_to is not None:
            ticket.stage = move_to
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
        webhooks_emit(
            event_type=EventType.MESSAGE_CREATED,
            cause=f"message.created:{message.pk}",
            ticket_id=ticket.pk,
            message=message,
            now=now,
        )
        _webhooks_completed_late(ticket.pk, plan, now=now)
    return message


def _webhooks_completed_late(ticket_id: int, plan: planner.Plan, *, now: datetime.datetime) -> None:
    """Tell webhooks of the clocks this change completed late (a reply, a close after the due
    moment). Settings changes never come here: they complete no clock and tell nobody."""
    for event in plan.events:
        if event.kind == SlaEvent.Kind.COMPLETED_LATE and event.clock.id is not None:
            webhooks_emit(
                event_type=EventType.SLA_COMPLETED_LATE,
                cause=f"sla.completed_late:{event.clock.id}:{event.clock.cycle}",
                ticket_id=ticket_id,
                clock_id=event.clock.id,
                now=now,
            )


class TicketChanges(TypedDict, total=False):
    """What ``ticket_update`` changes; a key left out keeps its value."""

    priority: str | None  # a key of ``Priority``; "" or None clears it
    team: Team | None
    source: str  # a key of ``Source``
    pipeline: Pipeline | None  # None keeps the pipeline
    stage: Stage | None  # None keeps the stage
    owner: User | None


def ticket_update(
    *,
    ticket_id: int,
    now: datetime.datetime,
    actor: User | None = None,
    via: str = TicketChange.Via.SYSTEM,
    **changes: Unpack[TicketChanges],
) -> Ticket:
    """Change properties, owner and stage (``TicketChanges``; keys left out keep their value).

    Each field that changes is recorded in the ticket's history with ``actor`` (the user, or the
    API token's user) and ``via`` (a ``TicketChange.Via``).

    A change of the property that selects the goals re-picks them (running clocks recomputed from
    their start). A stage change closes, reopens, pauses or resumes as the stages say. A pipeline
    change without a stage keeps a stage of the same slug in the new pipeline, else its first
    stage (closed or open, as the ticket is). A new owner is emailed on commit, unless they are
    the ``actor`` (the user making the change).
    """
    with transaction.atomic():
        ticket, clocks = _locked_ticket(ticket_id)
        config = sla_config_get()
        state = ticket_state(ticket, clocks, config=config)  # before the changes
        owner_before = ticket.owner_id
        recorded, was_closed = history_values(ticket), ticket.closed_at is not None
        fields: list[str] = []
        if "priority" in changes:
            priority = changes["priority"]
            if priority and priority not in Priority.values:
                raise TicketInputError(
                    {
                        "priority": [
                            _("Unknown priority %(priority)s.") % {"priority": repr(priority)}
                        ]
                    }
                )
            ticket.priority = priority or ""
            fields.append("priority")
        if "source" in changes:
            source = changes["source"]
            if source not in Source.values:
                raise TicketInputError(
                    {"source": [_("Unknown source %(source)s.") % {"source": repr(source)}]}
                )
            ticket.source = source
            fields.append("source")
        if "team" in changes:
            ticket.team = changes["team"]
            fields.append("team")
        if "owner" in changes:
            ticket.owner = changes["owner"]
            fields.append("owner")
        stage = changes.get("stage")
        pipeline = changes.get("pipeline")
        if pipeline is not None and pipeline.pk != ticket.pipeline_id:
            ticket.pipeline = pipeline
            fields.append("pipeline")
            if "stage" not in changes:
                same = Stage.objects.filter(pipeline=pipeline, slug=ticket.stage.slug).first()
                if same is not None and same.is_closed == ticket.stage.is_closed:
                    stage = same
                else:
                    stages = Stage.objects.filter(
                        pipeline=pipeline, is_closed=ticket.closed_at is not None
                    ).order_by("position")
                    stage = stages.first() or first_stage(pipeline)
        if stage is not None and stage.pipeline_id != ticket.pipeline_id:
            raise TicketInputError(
                {
                    "status": [
                        _("Stage %(stage)s is not in pipeline %(pipeline)s.")
                        % {"stage": repr(stage.slug), "pipeline": repr(ticket.pipeline.slug)}
                    ]
                }
            )
        if fields:
            ticket.save(update_fields=[*fields, "updated_at"])
        events: list[planner.Event] = [planner.PropertyChanged(ticket_property_values(ticket))]
        if stage is not None:
            events.append(planner.StageChanged(stage_info(stage, config=config)))
        plan = planner.plan(
            state,
            events,
            settings=config,
            schedule=config.schedule,
            schedules=config.team_schedules,
            now=now,
        )
        plan_write(ticket, plan, now=now)
        if stage is not None and plan.ticket.stage.id == stage.pk:
            ticket.stage = stage
        if ticket.owner_id is not None and ticket.owner_id != owner_before:
            outbound_assigned_queue(ticket=ticket, assigned_by=actor, now=now)
        history_record(
            ticket=ticket, before=recorded, was_closed=was_closed, now=now, actor=actor, via=via
        )
        _webhooks_completed_late(ticket.pk, plan, now=now)
    return ticket


def ticket_close(
    *,
    ticket_id: int,
    now: datetime.datetime,
    actor: User | None = None,
    via: str = TicketChange.Via.SYSTEM,
) -> Ticket:
    """Move the ticket to its pipeline's first closed stage (completing every running clock)."""
    ticket = Ticket.objects.select_related("pipeline").get(pk=ticket_id)
    closed = Stage.objects.filter(pipeline=ticket.pipeline, is_closed=True).order_by("position")
    stage = closed.first()
    if stage is None:
        raise TicketInputError({"status": [_("This pipeline has no closed stage.")]})
    return ticket_update(ticket_id=ticket_id, now=now, stage=stage, actor=actor, via=via)


def ticket_reopen(
    *,
    ticket_id: int,
    now: datetime.datetime,
    actor: User | None = None,
    via: str = TicketChange.Via.SYSTEM,
) -> Ticket:
    """Move a closed ticket to the first open stage of its pipeline that does not pause."""
    ticket = Ticket.objects.select_related("pipeline").get(pk=ticket_id)
    stage = first_open_unpaused_stage(ticket.pipeline, config=sla_config_get())
    return ticket_update(ticket_id=ticket_id, now=now, stage=stage, actor=actor, via=via)


def tickets_reconcile(
    *, tickets: Iterable[Ticket], config: SlaConfig, now: datetime.datetime
) -> int:
    """Re-pick goals of open ``tickets`` after a settings change, one by one (caller holds a
    transaction; ``team``, ``pipeline`` and ``stage`` loaded).

    Also aligns the pause state with the current pause stages. Returns the number of tickets.
    The recompute (``tickets.recompute``) does the same set-based.
    """
    tickets = list(tickets)
    by_ticket: dict[int, list[SlaClock]] = {t.pk: [] for t in tickets}
    for clock in SlaClock.objects.select_for_update().filter(ticket_id__in=list(by_ticket)):
        by_ticket[clock.ticket_id].append(clock)
    for ticket in tickets:
        events: list[planner.Event] = [planner.SettingsApplied()]
        plan = _plan(ticket, by_ticket[ticket.pk], events, config=config, now=now)
        plan_write(ticket, plan, now=now)
    return len(tickets)


# --- Saves from the ticket page (issue 16) ---------------------------------------------------


@dataclass(frozen=True)
class TicketSaveResult:
    """What ``ticket_update_checked`` did: the fields it saved, the fields it held back because
    someone else changed them since the page was loaded, and everything others changed since."""

    ticket: Ticket
    applied: tuple[str, ...]
    held: tuple[str, ...]
    others: tuple[TicketChange, ...]


def _already_so(ticket: Ticket, field: str, value: Any) -> bool:
    """Whether ``ticket`` already has the ``ticket_update`` value ``value`` for ``field``."""
    if field in ("owner", "team", "pipeline", "stage"):
        return getattr(ticket, f"{field}_id") == (value.pk if value is not None else None)
    return (getattr(ticket, field) or "") == (value or "")


def ticket_update_checked(
    *,
    ticket_id: int,
    now: datetime.datetime,
    changes: dict[str, Any],
    since_version: int | None,
    actor: User | None = None,
    via: str = TicketChange.Via.PAGE,
) -> TicketSaveResult:
    """Save the fields a person changed on a page loaded at ``since_version`` (the id of the
    ticket's latest history row then), overwriting nothing they did not see.

    ``changes`` holds only the fields they changed (``ticket_update`` keyword arguments). A field
    that someone else also changed since ``since_version`` is held back (not saved) unless it
    already has the value asked for; stage and pipeline go together. Everything else is saved
    through ``ticket_update``, in one transaction with the ticket's row locked. With
    ``since_version`` None (a caller that does not know what the person saw) nothing is held.
    """
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("team", "pipeline", "stage", "owner")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None:
            raise TicketInputError({"": [_("No such ticket.")]})
        others = tuple(
            TicketChange.objects.filter(ticket_id=ticket_id, id__gt=since_version)
            .select_related("actor")
            .order_by("id")
            if since_version is not None
            else ()
        )
        touched = {change.field for change in others}
        if touched & {"stage", "pipeline"}:
            touched |= {"stage", "pipeline"}
        held = tuple(
            field
            for field, value in changes.items()
            if field in touched and not _already_so(ticket, field, value)
        )
        if "stage" in held or "pipeline" in held:
            held = tuple(
                dict.fromkeys([*held, *(f for f in ("pipeline", "stage") if f in changes)])
            )
        apply = {
            field: value
            for field, value in changes.items()
            if field not in held and not _already_so(ticket, field, value)
        }
        if apply:
            ticket = ticket_update(ticket_id=ticket_id, now=now, actor=actor, via=via, **apply)
    return TicketSaveResult(ticket=ticket, applied=tuple(apply), held=held, others=others)


def ticket_reply_and_move(
    *,
    ticket_id: int,
    body: str,
    author: User,
    now: datetime.datetime,
    is_internal: bool = False,
    stage: Stage | None = None,
    via: str = TicketChange.Via.PAGE,
) -> Message:
    """An agent's reply (or internal note) and, when ``stage`` is given, a move to it, in one
    transaction at one moment: a public reply completes the response clocks ("reply"), and a
    closed ``stage`` then completes the rest ("close"). Nothing is saved if either is refused.
    """
    with transaction.atomic():
        message = ticket_message_add(
            ticket_id=ticket_id,
            body=body,
            author_kind=Message.Author.AGENT,
            author=author,
            is_internal=is_internal,
            now=now,
        )
        if stage is not None:
            ticket_update(ticket_id=ticket_id, now=now, stage=stage, actor=author, via=via)
    return message
