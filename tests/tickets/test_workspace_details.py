"""The smaller items of issue 16 through the real URLs: search by ticket number (queue, list API,
admin), one "Closed" in the Stage filter, the "Admin" link only for users the admin shows
something, the admin in the viewer's time zone with the zone named and event details as text, and
a favicon."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import PASSWORD
from tests.tickets.conftest import JsonApi
from tickets.models import AgentProfile, Ticket
from tickets.services import ticket_create

User = get_user_model()
NOW = datetime.datetime(2026, 3, 3, 12, 0, tzinfo=datetime.UTC)  # Stockholm: 13:00 CET
DOCUMENT: dict[str, Any] = {
    "applies": "always",
    "timezone": "Europe/Stockholm",
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
def _goals(sla_settings, freeze) -> None:
    sla_settings(DOCUMENT)
    freeze("2026-03-03T12:00:00Z")


def open_ticket(subject: str, **fields: Any) -> Ticket:
    return ticket_create(
        subject=subject, body="Help!", requester_email="ana@acme.com", now=NOW, **fields
    )


def queue_ids(response: Any) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-ticket="(\d+)"', response.content.decode())]


def admin_ids(response: Any) -> list[int]:
    found = re.findall(
        r'href="/admin/tickets/ticket/(\d+)/change/[^"]*"', response.content.decode()
    )
    return list(dict.fromkeys(int(pk) for pk in found))


@pytest.fixture
def numbered() -> dict[str, Ticket]:
    tickets = {name: open_ticket(name) for name in ("Printer", "VPN", "Mail")}
    # A subject that contains another ticket's number is found too.
    tickets["mentions"] = open_ticket(f"Follow-up to #{tickets['VPN'].pk}")
    return tickets


@pytest.mark.parametrize("form", ["{n}", "#{n}", " # {n} "])
def test_the_queue_finds_a_ticket_by_number(agent_client: Client, numbered, form: str) -> None:
    vpn = numbered["VPN"]
    found = queue_ids(agent_client.get("/tickets/", {"q": form.format(n=vpn.pk)}))
    assert vpn.pk in found and numbered["Printer"].pk not in found


def test_the_list_api_finds_a_ticket_by_number(api: JsonApi, numbered) -> None:
    vpn = numbered["VPN"]
    for q in (str(vpn.pk), f"#{vpn.pk}"):
        ids = [t["id"] for t in api.get("/api/tickets/", {"q": q}).json()["results"]]
        assert sorted(ids) == sorted([vpn.pk, numbered["mentions"].pk])
    assert api.get("/api/tickets/", {"q": "#99999999"}).json()["count"] == 0


def test_the_admin_finds_a_ticket_by_number(admin_client_: Client, numbered) -> None:
    vpn = numbered["VPN"]
    for q in (str(vpn.pk), f"#{vpn.pk}"):
        found = admin_ids(admin_client_.get("/admin/tickets/ticket/", {"q": q}))
        assert sorted(found) == sorted([vpn.pk, numbered["mentions"].pk])
    assert admin_ids(admin_client_.get("/admin/tickets/ticket/", {"q": "printer"})) == [
        numbered["Printer"].pk
    ]


def test_the_stage_filter_lists_closed_once(agent_client: Client) -> None:
    html = agent_client.get("/tickets/").content.decode()
    select = html.split('name="stage"', 1)[1].split("</select>", 1)[0]
    labels = re.findall(r">([^<]+)</option>", select)
    assert labels.count("Closed") == 1
    assert {"Open", "Any stage", "New", "Waiting on us"} <= set(labels)


def nav_has_admin_link(client: Client) -> bool:
    return 'href="/admin/"' in client.get("/tickets/").content.decode()


def test_the_admin_link_only_for_users_the_admin_shows_something(
    agent_client: Client, admin_client_: Client
) -> None:
    assert not nav_has_admin_link(agent_client)  # an agent: staff without permissions
    assert nav_has_admin_link(admin_client_)
    support = User.objects.create_user("support", "s@example.com", PASSWORD, is_staff=True)
    support.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client = Client()
    client.force_login(support)
    assert nav_has_admin_link(client)
    assert client.get("/admin/").status_code == 200
    # A permission through a group counts too; a group without one does not.
    member = User.objects.create_user("member", "m@example.com", PASSWORD, is_staff=True)
    group = Group.objects.create(name="Readers")
    member.groups.add(group, Group.objects.create(name="Nothing"))
    client.force_login(member)
    assert not nav_has_admin_link(client)
    group.permissions.add(Permission.objects.get(codename="view_ticket"))
    assert nav_has_admin_link(client)


def test_the_admin_shows_times_in_the_viewers_zone_and_names_it(
    admin_client_: Client, super_admin
) -> None:
    ticket = open_ticket("Printer")
    page = admin_client_.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "Times in Europe/Stockholm" in page
    assert "Tue 3 Mar, 13:00 CET" in page  # created, in the schedule's zone
    assert "12:00 UTC" not in page

    AgentProfile.objects.create(user=super_admin, timezone="America/New_York")
    page = admin_client_.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "Times in America/New_York" in page
    assert "Tue 3 Mar, 07:00 EST" in page


def test_the_admin_shows_event_details_as_text(admin_client_: Client) -> None:
    ticket = open_ticket("Printer")
    page = admin_client_.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "goals for All tickets · goal 1 h · due soon 15 min before" in page
    assert "started Tue 3 Mar, 13:00 CET · due Tue 3 Mar, 14:00 CET" in page
    assert "when the ticket was opened" in page
    assert "&quot;goal_minutes&quot;" not in page and '"goal_minutes"' not in page


def test_a_favicon(client: Client, agent_client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    icon = Path(finders.find("favicon.ico"))
    assert icon.read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert icon.stat().st_size < 4000
    page = agent_client.get("/tickets/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
