"""The ticket history (issue 16, item 6): every change of owner, priority, team, source, pipeline
and stage, and every close and reopen, is recorded by the services with who made it (the user,
or the API token's user) and when; the ticket page shows it among the SLA events, and the admin
lists it. The sweep and the settings recompute record nothing."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from settings_app.models import Pipeline, Stage, Team
from tests.conftest import PASSWORD
from tests.tickets.conftest import JsonApi, utc
from tickets.models import SlaEvent, Ticket, TicketChange
from tickets.recompute import sla_recompute_run
from tickets.services import ticket_create
from tickets.sweep import sla_sweep

User = get_user_model()
NOW = "2026-03-03T12:00:00Z"
DOCUMENT: dict[str, Any] = {
    "applies": "always",
    "timezone": "UTC",
    "working_hours": {},
    "holidays": [],
    "pause_statuses": ["support/waiting-on-customer"],
    "goals_enabled": True,
    "scope": "property",
    "property": "priority",
    "goals": [
        {
            "value": value,
            "enabled": True,
            "first_response_minutes": minutes,
            "first_response_due_soon_minutes": None,
            "next_response_minutes": minutes,
            "next_response_due_soon_minutes": None,
            "close_minutes": minutes * 10,
            "close_due_soon_minutes": None,
        }
        for value, minutes in (("urgent", 15), ("high", 60), ("medium", 240), ("low", 480))
    ],
}


@pytest.fixture(autouse=True)
def _goals(sla_settings, freeze) -> None:
    sla_settings(DOCUMENT)
    freeze(NOW)


@pytest.fixture
def lee(db) -> Any:
    return User.objects.create_user("lee", "lee@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def billing(db) -> Team:
    return Team.objects.create(name="Billing", slug="billing")


@pytest.fixture
def ticket(db) -> Ticket:
    return ticket_create(
        subject="Printer",
        body="Help",
        requester_email="ana@acme.com",
        priority="medium",
        now=utc("2026-03-03T11:00:00Z"),
    )


def rows(ticket: Ticket) -> list[tuple]:
    return [
        (c.field, c.old_value, c.new_value, c.state, c.actor.username if c.actor else None, c.via)
        for c in TicketChange.objects.filter(ticket=ticket).order_by("id")
    ]


def form(ticket: Ticket, **changes: Any) -> dict[str, Any]:
    """The properties form as the page sends it (every field, as loaded) with ``changes``."""
    ticket.refresh_from_db()
    data = {
        "owner": ticket.owner_id or "",
        "priority": ticket.priority,
        "team": ticket.team_id or "",
        "source": ticket.source,
        "stage": ticket.stage_id,
    }
    return {**data, **changes}


def history_lines(client: Client, ticket: Ticket) -> list[str]:
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    section = html.split('id="timeline-heading"', 1)[1]
    items = re.findall(r"<li[^>]*>(.*?)</li>", section, re.S)
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", item))).strip() for item in items]


def test_each_property_changed_on_the_page_is_recorded_with_who_and_when(
    agent_client: Client, agent, lee, billing, ticket
) -> None:
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties/",
        form(ticket, owner=lee.pk, priority="urgent", team=billing.pk, source="phone"),
    )
    assert response.status_code == 302
    assert sorted(rows(ticket)) == sorted(
        [
            ("owner", "", "lee", "", "agent", "page"),
            ("priority", "medium", "urgent", "", "agent", "page"),
            ("team", "", "billing", "", "agent", "page"),
            ("source", "email", "phone", "", "agent", "page"),
        ]
    )
    assert set(TicketChange.objects.values_list("at", flat=True)) == {utc(NOW)}
    assert (
        "12:00 agent : Owner — → lee, Priority Medium → Urgent, Team — → Billing, "
        "Source Email → Phone"
    ) in history_lines(agent_client, ticket)


def test_stage_changes_closes_and_reopens_are_recorded(agent_client: Client, ticket) -> None:
    waiting = Stage.objects.get(pipeline__slug="support", slug="waiting-on-us")
    agent_client.post(f"/tickets/{ticket.pk}/properties/", form(ticket, stage=waiting.pk))
    agent_client.post(f"/tickets/{ticket.pk}/close/")
    agent_client.post(f"/tickets/{ticket.pk}/reopen/")
    assert rows(ticket) == [
        ("stage", "new", "waiting-on-us", "", "agent", "page"),
        ("stage", "waiting-on-us", "closed", "closed", "agent", "page"),
        ("stage", "closed", "new", "reopened", "agent", "page"),
    ]
    lines = history_lines(agent_client, ticket)
    assert "12:00 agent : closed the ticket (Stage Waiting on us → Closed)" in lines
    assert "12:00 agent : reopened the ticket (Stage Closed → New)" in lines
    # The change comes before the clock events it caused at the same moment.
    closed_at = lines.index("12:00 agent : closed the ticket (Stage Waiting on us → Closed)")
    assert any("completed" in line for line in lines[closed_at + 1 :])


def test_the_api_records_the_token_users_changes(api: JsonApi, agent, billing, ticket) -> None:
    other = Pipeline.objects.create(name="Sales", slug="sales", position=2)
    Stage.objects.create(pipeline=other, name="Lead", slug="lead", position=0)
    Stage.objects.create(pipeline=other, name="Won", slug="won", position=1, is_closed=True)
    api.update(ticket.pk, owner="agent", priority="high", team="billing")
    api.update(ticket.pk, pipeline="sales", status="lead")
    api.update(ticket.pk, status="closed")
    assert rows(ticket) == [
        ("owner", "", "agent", "", "agent", "api"),
        ("priority", "medium", "high", "", "agent", "api"),
        ("team", "", "billing", "", "agent", "api"),
        ("pipeline", "support", "sales", "", "agent", "api"),
        ("stage", "new", "lead", "", "agent", "api"),
        ("stage", "lead", "won", "closed", "agent", "api"),
    ]


def test_a_customer_message_that_reopens_is_recorded(api: JsonApi, agent_client, ticket) -> None:
    agent_client.post(f"/tickets/{ticket.pk}/close/")
    api.customer(ticket.pk)
    assert rows(ticket)[-1] == ("stage", "closed", "new", "reopened", "agent", "customer")
    assert "12:00 a customer message : reopened the ticket (Stage Closed → New)" in history_lines(
        agent_client, ticket
    )


def test_the_admin_records_and_lists_the_history(
    admin_client_: Client, super_admin, ticket
) -> None:
    page = admin_client_.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    data = {
        "subject": ticket.subject,
        "requester_email": ticket.requester_email,
        "owner": "",
        "priority": "urgent",
        "team": "",
        "source": ticket.source,
        "pipeline": ticket.pipeline_id,
        "stage": ticket.stage_id,
    }
    for prefix in re.findall(r'name="([\w-]+)-TOTAL_FORMS" value="\d+"', page.content.decode()):
        html = page.content.decode()
        total = re.search(rf'name="{prefix}-TOTAL_FORMS" value="(\d+)"', html).group(1)
        initial = re.search(rf'name="{prefix}-INITIAL_FORMS" value="(\d+)"', html).group(1)
        data[f"{prefix}-TOTAL_FORMS"] = total if prefix != "messages-2" else "0"
        data[f"{prefix}-INITIAL_FORMS"] = initial
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
    response = admin_client_.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert rows(ticket) == [("priority", "medium", "urgent", "", "boss", "admin")]

    change_page = admin_client_.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "History of changes" in change_page
    assert "boss in the admin" in change_page and "Priority Medium → Urgent" in change_page
    listing = admin_client_.get("/admin/tickets/ticketchange/", {"q": f"#{ticket.pk}"})
    assert listing.status_code == 200
    assert "Priority Medium → Urgent" in listing.content.decode()


def test_the_sweep_and_the_settings_recompute_record_no_history(
    sla_settings, agent_client, ticket
) -> None:
    agent_client.post(f"/tickets/{ticket.pk}/close/")
    agent_client.post(f"/tickets/{ticket.pk}/reopen/")
    before = TicketChange.objects.count()
    sla_sweep(now=utc("2026-03-05T12:00:00Z"))
    faster = {**DOCUMENT, "goals": [{**row, "close_minutes": 30} for row in DOCUMENT["goals"]]}
    recompute = sla_settings(faster, apply_to="new_and_open").recompute
    sla_recompute_run(recompute_id=recompute.pk, now=utc("2026-03-05T12:00:00Z"))
    assert SlaEvent.objects.filter(kind__in=["overdue", "recomputed"]).exists()
    assert TicketChange.objects.count() == before
