"""Emails on Due soon and Overdue: to the ticket's owner, or to its team when unassigned.

Events to notify are marked ``should_notify`` by the sweep (one per transition); this module sends
each one once and stamps ``notified_at`` in the same locked batch. Agents can switch emails off
(``AgentProfile.email_notifications``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse

from tickets import sla
from tickets.models import SlaEvent, Ticket

User = get_user_model()
NOTIFY_BATCH = 200  # emails per transaction; one SMTP connection per batch
KIND_LABELS = {
    sla.FIRST_RESPONSE: "first response",
    sla.NEXT_RESPONSE: "next response",
    sla.CLOSE: "close",
}


def _recipients(tickets: list[Ticket]) -> dict[int, list[str]]:
    """ticket id -> email addresses of the people to tell, honouring their preferences."""
    opted_out = set(
        User.objects.filter(agent_profile__email_notifications=False).values_list("pk", flat=True)
    )
    team_ids = {t.team_id for t in tickets if t.owner_id is None and t.team_id}
    members: dict[int, list[str]] = {}
    if team_ids:
        through = User.teams.through  # type: ignore[attr-defined]
        rows = through.objects.filter(
            team_id__in=team_ids, user__is_active=True, user__is_staff=True
        ).values_list("team_id", "user_id", "user__email")
        for team_id, user_id, email in rows:
            if email and user_id not in opted_out:
                members.setdefault(team_id, []).append(email)
    result: dict[int, list[str]] = {}
    for ticket in tickets:
        owner = ticket.owner
        if owner is not None:
            active = owner.is_active and owner.email and owner.pk not in opted_out
            result[ticket.pk] = [owner.email] if active else []
        else:
            result[ticket.pk] = sorted(set(members.get(ticket.team_id, [])))
    return result


def _message(event: SlaEvent, recipients: list[str]) -> EmailMessage:
    ticket = event.ticket
    what = KIND_LABELS.get(event.clock_kind, event.clock_kind)
    moment = f"{event.at.astimezone(datetime.UTC):%a %d %b %Y %H:%M} UTC"
    if event.kind == SlaEvent.Kind.OVERDUE:
        subject = f"[Overdue] #{ticket.pk} {ticket.subject} — {what} was due {moment}"
    else:
        due = event.clock.due_at if event.clock else event.at
        subject = (
            f"[Due soon] #{ticket.pk} {ticket.subject} — {what} due "
            f"{due.astimezone(datetime.UTC):%a %d %b %Y %H:%M} UTC"
        )
    url = settings.SITE_URL.rstrip("/") + reverse("tickets:detail", args=[ticket.pk])
    body = (
        f"Ticket #{ticket.pk}: {ticket.subject}\n"
        f"Requester: {ticket.requester_email}\n"
        f"SLA: {what} is {event.get_kind_display().lower()} ({moment}).\n\n"
        f"Open the ticket: {url}\n\n"
        "You get this email because you own this ticket or are in its team. "
        "Switch SLA emails off in your profile."
    )
    return EmailMessage(subject=subject[:250], body=body, to=recipients)


def sla_notifications_send(*, now: datetime.datetime, batch_size: int = NOTIFY_BATCH) -> int:
    """Send the pending Due soon / Overdue emails once each. Returns the number of emails sent.

    An event whose clock has since completed or been removed is marked without an email.
    Safe to run concurrently (rows are locked, others skipped).
    """
    sent = 0
    while True:
        with transaction.atomic():
            events = list(
                SlaEvent.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(should_notify=True, notified_at__isnull=True)
                .select_related("ticket", "ticket__owner", "clock")
                .order_by("id")[:batch_size]
            )
            if not events:
                return sent
            live = [e for e in events if e.clock is not None and e.clock.completed_at is None]
            tickets = list({e.ticket.pk: e.ticket for e in live}.values())
            recipients = _recipients(tickets)
            messages = [
                _message(e, recipients[e.ticket.pk]) for e in live if recipients[e.ticket.pk]
            ]
            if messages:
                with get_connection() as connection:
                    connection.send_messages(messages)
            SlaEvent.objects.filter(pk__in=[e.pk for e in events]).update(notified_at=now)
            sent += len(messages)
        if len(events) < batch_size:
            return sent
