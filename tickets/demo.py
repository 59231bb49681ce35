"""Demo tickets for the run command: a living queue with clocks in every SLA status."""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model

from settings_app.models import Priority, Source, Stage, Team
from tickets.models import SlaEvent, Ticket, TicketChange
from tickets.outbound.services import outbound_demo_settle, outbound_held
from tickets.services import ticket_create, ticket_message_add, ticket_update
from tickets.sweep import sla_sweep

SUBJECTS = (
    "Printer on fire",
    "Refund for order #4471",
    "Password reset does not arrive",
    "Invoice shows the wrong VAT",
    "VPN drops every hour",
    "Cannot log in after update",
    "Change billing address",
    "Laptop screen flickers",
    "Double charge on my card",
    "Export to CSV is empty",
    "New employee needs an account",
    "Mail bounces from our domain",
)
REQUESTERS = ("ana@acme.com", "bo@shop.se", "cy@corp.com", "di@school.edu", "ed@studio.io")
PAGE = TicketChange.Via.PAGE
PRIORITY_WEIGHTS = (
    (Priority.URGENT, 2),
    (Priority.HIGH, 3),
    (Priority.MEDIUM, 4),
    (Priority.LOW, 1),
)


def demo_tickets_seed(*, count: int, now: datetime.datetime, seed: int = 7) -> int:
    """Create ``count`` tickets over the last ten days with replies, pauses and closes, then
    sweep so the persisted statuses match. Returns the number created (0 if tickets exist).
    The emails of this made-up history are recorded as sent, and none is sent."""
    if Ticket.objects.exists() or count <= 0:
        return 0
    with outbound_held():
        _seed(count=count, now=now, seed=seed)
    return count


def _seed(*, count: int, now: datetime.datetime, seed: int) -> None:
    rng = random.Random(seed)
    agents = list(get_user_model().objects.filter(is_staff=True, is_active=True))
    teams = list(Team.objects.all())
    stages = {s.slug: s for s in Stage.objects.filter(pipeline__slug="support")}
    priorities = [p for p, w in PRIORITY_WEIGHTS for _ in range(w)]
    for index in range(count):
        # Recent tickets are more common, so every status shows up in the queue.
        age = datetime.timedelta(minutes=int(rng.triangular(5, 14_400, 30)))
        created = now - age
        ticket = ticket_create(
            subject=rng.choice(SUBJECTS),
            body="Hello, could you help me with this? Thanks.",
            requester_email=rng.choice(REQUESTERS),
            priority=rng.choice(priorities),
            team=rng.choice(teams) if teams else None,
            source=rng.choice(Source.values),
            now=created,
        )
        if rng.random() < 0.6 and agents:
            owner = rng.choice(agents)
            ticket_update(ticket_id=ticket.pk, now=created, owner=owner, actor=owner, via=PAGE)
        moment = created
        for _step in range(rng.randint(0, 3)):
            moment += datetime.timedelta(minutes=rng.randint(10, 900))
            if moment >= now:
                break
            roll = rng.random()
            if roll < 0.45:
                ticket_message_add(
                    ticket_id=ticket.pk,
                    body="Thanks, we are on it.",
                    author_kind="agent",
                    author=rng.choice(agents) if agents else None,
                    now=moment,
                )
            elif roll < 0.65:
                ticket_message_add(
                    ticket_id=ticket.pk, body="Any news?", author_kind="customer", now=moment
                )
            elif roll < 0.8:
                ticket_update(
                    ticket_id=ticket.pk,
                    now=moment,
                    stage=stages["waiting-on-customer"],
                    actor=agents[index % len(agents)] if agents else None,
                    via=PAGE,
                )
            elif roll < 0.9:
                ticket_message_add(
                    ticket_id=ticket.pk,
                    body="Checked the logs.",
                    author_kind="agent",
                    author=rng.choice(agents) if agents else None,
                    is_internal=True,
                    now=moment,
                )
            else:
                ticket_update(
                    ticket_id=ticket.pk,
                    now=moment,
                    stage=stages["closed"],
                    actor=agents[index % len(agents)] if agents else None,
                    via=PAGE,
                )
                break
        if index % 10 == 0 and agents:
            ticket_update(
                ticket_id=ticket.pk, now=max(moment, created), owner=None, actor=agents[0], via=PAGE
            )
    sla_sweep(now=now)
    # The demo's history is made up: nobody needs emails about it.
    SlaEvent.objects.filter(should_notify=True).update(notified_at=now)
    outbound_demo_settle(now=now)
