"""Emails on Due soon and Overdue: to the ticket's owner, or to its team when unassigned.

Events to notify are marked ``should_notify`` by the sweep (one per transition). This step turns
each pending event into one outgoing email per recipient (``outbound``: rendered in the
recipient's time zone and language, sent by its own Celery task after the commit) and stamps
``notified_at`` in the same locked batch; nothing is sent inside the transaction, so a slow or
failing mail server never holds the sweep or another email. Agents can switch these emails off
(``AgentProfile.email_notifications``). Webhook endpoints subscribed to ``sla.due_soon`` /
``sla.overdue`` are told of each event in the same batch (``tickets.webhooks``).
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from tickets.models import SlaEvent, Ticket
from tickets.outbound.services import outbound_sla_alerts_queue
from tickets.webhooks.services import webhooks_sla_events_emit

User = get_user_model()
NOTIFY_BATCH = 200  # events per transaction


def _recipients(tickets: list[Ticket]) -> dict[int, list]:
    """ticket id -> the agents to tell, honouring their preferences."""
    opted_out = set(
        User.objects.filter(agent_profile__email_notifications=False).values_list("pk", flat=True)
    )
    team_ids = {t.team_id for t in tickets if t.owner_id is None and t.team_id}
    members: dict[int, dict[int, object]] = {}
    if team_ids:
        through = User.teams.through
        rows = through.objects.filter(
            team_id__in=team_ids, user__is_active=True, user__is_staff=True
        ).select_related("user")
        for row in rows:
            user = row.user
            if user.email and user.pk not in opted_out:
                members.setdefault(row.team_id, {})[user.pk] = user
    result: dict[int, list] = {}
    for ticket in tickets:
        owner = ticket.owner
        if owner is not None:
            active = owner.is_active and owner.email and owner.pk not in opted_out
            result[ticket.pk] = [owner] if active else []
        else:
            team = members.get(ticket.team_id, {}) if ticket.team_id is not None else {}
            result[ticket.pk] = sorted(team.values(), key=lambda user: user.email)
    return result


def sla_notifications_send(*, now: datetime.datetime, batch_size: int = NOTIFY_BATCH) -> int:
    """Queue the pending Due soon / Overdue emails once each. Returns the number of emails queued.

    An event whose clock has since completed or been removed is marked without an email; one
    whose email cannot be composed is logged with its ticket and marked, and the others go on.
    The emails are sent by their own tasks after each batch commits (``outbound``). Safe to run
    concurrently (rows are locked, others skipped).
    """
    queued = 0
    while True:
        with transaction.atomic():
            events = list(
                SlaEvent.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(should_notify=True, notified_at__isnull=True)
                .select_related("ticket", "ticket__owner", "clock")
                .order_by("id")[:batch_size]
            )
            if not events:
                return queued
            live = [e for e in events if e.clock is not None and e.clock.completed_at is None]
            tickets = list({e.ticket.pk: e.ticket for e in live}.values())
            recipients = _recipients(tickets)
            queued += outbound_sla_alerts_queue(
                alerts=[(e, recipients[e.ticket.pk]) for e in live if recipients[e.ticket.pk]],
                now=now,
            )
            # Webhooks are told of every transition (its clock may have completed since: the
            # transition still happened), in the same batch, so once.
            webhooks_sla_events_emit(events=events, now=now)
            SlaEvent.objects.filter(pk__in=[e.pk for e in events]).update(notified_at=now)
        if len(events) < batch_size:
            return queued
