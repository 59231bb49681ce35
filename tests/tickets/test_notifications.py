"""Due soon / Overdue emails from the periodic sweep: who gets them, and exactly once.

24/7 in UTC with a first-response goal of 60 minutes, due soon 15 minutes before: a ticket opened
at 10:00 turns Due soon at 10:45 and Overdue after 11:00. The sweep queues the emails; their tasks
(run here as the workers would) send them to Django's locmem outbox.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from settings_app.models import Team
from tests.conftest import PASSWORD
from tests.tickets.outbound.mailserver import deliver_queued
from tickets.models import AgentProfile, SlaEvent, Ticket
from tickets.notifications import sla_notifications_send
from tickets.services import ticket_create, ticket_message_add
from tickets.sweep import sla_sweep
from tickets.sweep import sla_sweep_and_notify as sweep_and_queue

User = get_user_model()
OPENED = datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC)
DUE_SOON = OPENED + datetime.timedelta(minutes=50)  # past 10:45
OVERDUE = OPENED + datetime.timedelta(minutes=61)  # past 11:00

DOCUMENT: dict[str, Any] = {
    "applies": "always",
    "timezone": "UTC",
    "working_hours": {},
    "holidays": [],
    "pause_statuses": [],
    "goals_enabled": True,
    "scope": "all",
    "property": None,
    "goals": [
        {
            "value": None,
            "enabled": True,
            "first_response_minutes": 60,
            "first_response_due_soon_minutes": 15,
            "next_response_minutes": None,
            "next_response_due_soon_minutes": None,
            "close_minutes": None,
            "close_due_soon_minutes": None,
        }
    ],
}


@pytest.fixture(autouse=True)
def _goals(sla_settings) -> None:
    sla_settings(DOCUMENT)


def sla_sweep_and_notify(*, now: datetime.datetime) -> dict:
    """The beat job, then the SLA emails' own tasks (as the workers run them after the commit)."""
    result = sweep_and_queue(now=now)
    deliver_queued(now=now, kinds=("sla_alert",))
    return result


def open_ticket(**fields: Any) -> Ticket:
    return ticket_create(
        subject="Printer on fire",
        body="Help!",
        requester_email="ana@acme.com",
        now=OPENED,
        **fields,
    )


def staff(username: str) -> Any:
    return User.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=True)


def test_turning_due_soon_emails_the_owner_once(agent):
    ticket = open_ticket(owner=agent)
    result = sla_sweep_and_notify(now=DUE_SOON)
    assert result["emails"] == 1
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["agent@example.com"]
    assert email.subject.startswith(f"[Due soon] #{ticket.pk} Printer on fire")
    assert f"/tickets/{ticket.pk}/" in email.body

    assert sla_sweep_and_notify(now=DUE_SOON)["emails"] == 0
    assert sla_sweep_and_notify(now=DUE_SOON + datetime.timedelta(minutes=5))["emails"] == 0
    assert len(mail.outbox) == 1


def test_overdue_emails_once_after_due_soon(agent):
    ticket = open_ticket(owner=agent)
    sla_sweep_and_notify(now=DUE_SOON)
    sla_sweep_and_notify(now=OVERDUE)
    sla_sweep_and_notify(now=OVERDUE + datetime.timedelta(minutes=1))
    subjects = [email.subject for email in mail.outbox]
    assert len(subjects) == 2
    assert subjects[0].startswith("[Due soon]")
    assert subjects[1].startswith(f"[Overdue] #{ticket.pk} Printer on fire")


def test_a_late_sweep_sends_only_the_overdue_email(agent):
    open_ticket(owner=agent)
    assert sla_sweep_and_notify(now=OVERDUE)["emails"] == 1
    assert [email.subject[:9] for email in mail.outbox] == ["[Overdue]"]
    # Both transitions are on the timeline; only the last one notified.
    kinds = list(SlaEvent.objects.filter(kind__in=["due_soon", "overdue"]).values_list("kind"))
    assert sorted(kinds) == [("due_soon",), ("overdue",)]


def test_an_unassigned_ticket_emails_its_teams_agents(db):
    team = Team.objects.create(name="Billing", slug="billing")
    ann, bob = staff("ann"), staff("bob")
    customer = User.objects.create_user("cy", "cy@example.com", PASSWORD)  # not an agent
    outsider = staff("dan")  # an agent of no team of the ticket
    team.members.add(ann, bob, customer)
    open_ticket(team=team)
    # One email per agent, each in that agent's time zone and language.
    assert sla_sweep_and_notify(now=DUE_SOON)["emails"] == 2
    assert sorted(email.to for email in mail.outbox) == [["ann@example.com"], ["bob@example.com"]]
    assert all(outsider.email not in email.to for email in mail.outbox)


def test_an_agent_who_switched_emails_off_gets_none(agent):
    AgentProfile.objects.create(user=agent, email_notifications=False)
    open_ticket(owner=agent)
    sla_sweep_and_notify(now=DUE_SOON)
    sla_sweep_and_notify(now=OVERDUE)
    assert mail.outbox == []
    # The events are marked as handled, so switching emails on later sends no backlog.
    assert not SlaEvent.objects.filter(should_notify=True, notified_at__isnull=True).exists()


def test_team_members_who_switched_emails_off_are_left_out(db):
    team = Team.objects.create(name="Billing", slug="billing")
    ann, bob = staff("ann"), staff("bob")
    team.members.add(ann, bob)
    AgentProfile.objects.create(user=bob, email_notifications=False)
    open_ticket(team=team)
    sla_sweep_and_notify(now=DUE_SOON)
    assert [email.to for email in mail.outbox] == [["ann@example.com"]]


def test_an_event_whose_clock_completed_meanwhile_sends_nothing(agent):
    ticket = open_ticket(owner=agent)
    sla_sweep(now=DUE_SOON)  # the transition is recorded; the emails have not gone out yet
    assert SlaEvent.objects.filter(kind="due_soon", should_notify=True).count() == 1
    ticket_message_add(
        ticket_id=ticket.pk,
        body="On it.",
        author_kind="agent",
        author=agent,
        now=DUE_SOON + datetime.timedelta(minutes=1),
    )
    assert sla_notifications_send(now=DUE_SOON + datetime.timedelta(minutes=2)) == 0
    deliver_queued(kinds=("sla_alert",))
    assert mail.outbox == []
    assert sla_sweep_and_notify(now=OVERDUE)["emails"] == 0
    assert mail.outbox == []


def test_an_internal_note_does_not_stop_the_email(agent):
    ticket = open_ticket(owner=agent)
    ticket_message_add(
        ticket_id=ticket.pk,
        body="Looking.",
        author_kind="agent",
        author=agent,
        is_internal=True,
        now=OPENED + datetime.timedelta(minutes=5),
    )
    assert sla_sweep_and_notify(now=DUE_SOON)["emails"] == 1
