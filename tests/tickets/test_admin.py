"""The Django admin for support staff: the ticket changelist (live SLA status, filters, search,
bounded queries), edits that go through the ticket services, preferences and recomputes
(the API tokens' admin: tests/tickets/api_auth/).

Change-form POSTs are built the way a browser builds them: the page is fetched and its form's
fields (inputs, checked boxes, selected options, textareas) are read from the HTML.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.models import Pipeline, Stage, Team
from settings_app.selectors import sla_config_cache_clear
from tests.conftest import PASSWORD
from tickets.models import Message, SlaClock, Ticket
from tickets.services import ticket_create, ticket_message_add, ticket_update

User = get_user_model()
NOW = datetime.datetime(2026, 3, 3, 12, 0, tzinfo=datetime.UTC)
CHANGELIST = "/admin/tickets/ticket/"

DOCUMENT: dict[str, Any] = {
    "applies": "always",
    "timezone": "UTC",
    "working_hours": {},
    "holidays": [],
    "pause_statuses": ["support/waiting-on-customer"],
    "goals_enabled": True,
    "scope": "all",
    "property": None,
    "goals": [
        {
            "value": None,
            "enabled": True,
            "first_response_minutes": 60,
            "first_response_due_soon_minutes": 15,
            "next_response_minutes": 120,
            "next_response_due_soon_minutes": 30,
            "close_minutes": 1440,
            "close_due_soon_minutes": 240,
        }
    ],
}


@pytest.fixture(autouse=True)
def _goals(sla_settings, freeze) -> None:
    sla_settings(DOCUMENT)
    freeze("2026-03-03T12:00:00Z")


def open_ticket(minutes_ago: int, **fields: Any) -> Ticket:
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("requester_email", "ana@acme.com")
    return ticket_create(body="Help!", now=NOW - datetime.timedelta(minutes=minutes_ago), **fields)


def listed_ids(response: Any) -> list[int]:
    """Ticket ids in the changelist's result rows."""
    html = response.content.decode()
    found = re.findall(r'href="/admin/tickets/ticket/(\d+)/change/[^"]*"', html)
    return list(dict.fromkeys(int(pk) for pk in found))  # id and subject both link


@pytest.fixture
def staff_client(db) -> Client:
    """A support agent (staff, not superuser) with the ticket permissions, not the token ones."""
    user = User.objects.create_user("support", "support@example.com", PASSWORD, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tickets", codename__in=["view_ticket", "change_ticket"]
        )
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_changelist_shows_live_sla_status(staff_client: Client):
    overdue = open_ticket(90, subject="Late one")  # first reply due 30 min ago
    fresh = open_ticket(5, subject="Fresh one")
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert set(listed_ids(response)) == {overdue.pk, fresh.pk}
    assert "overdue by 30 min" in html and ">Overdue<" in html
    assert "in 55 min" in html and ">Active<" in html


def test_agents_without_admin_permissions_are_refused(agent_client: Client):
    open_ticket(5)
    assert agent_client.get(CHANGELIST).status_code == 403


@pytest.mark.parametrize("url", [CHANGELIST, CHANGELIST + "?sla_status=active&q=printer"])
def test_the_changelist_runs_the_same_queries_for_3_or_30_tickets(
    admin_client_: Client, agent, url: str, django_assert_num_queries
):
    team = Team.objects.create(name="Billing", slug="billing")

    def make(count: int) -> None:
        for index in range(count):
            ticket = open_ticket(
                index % 90, owner=agent if index % 2 else None, team=team, priority="high"
            )
            if index % 3 == 0:
                ticket_message_add(
                    ticket_id=ticket.pk, body="x", author_kind="agent", author=agent, now=NOW
                )

    make(3)
    sla_config_cache_clear()
    with CaptureQueriesContext(connection) as captured:
        assert admin_client_.get(url).status_code == 200
    make(27)
    sla_config_cache_clear()
    with django_assert_num_queries(len(captured)):
        response = admin_client_.get(url)
    assert len(listed_ids(response)) == 30


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("overdue", ["overdue"]),
        ("due_soon", ["due_soon"]),
        ("active", ["overdue", "due_soon", "active"]),  # their close clocks are active
        ("completed", ["closed"]),
    ],
)
def test_the_sla_status_filter(admin_client_: Client, agent, status: str, expected: list[str]):
    tickets = {
        "overdue": open_ticket(90),  # first reply due 30 min ago
        "due_soon": open_ticket(50),  # due in 10 min, due soon from 15 min before
        "active": open_ticket(5),
        "closed": open_ticket(30),
    }
    closed_stage = Stage.objects.get(pipeline__slug="support", slug="closed")
    ticket_update(ticket_id=tickets["closed"].pk, now=NOW, stage=closed_stage)
    response = admin_client_.get(CHANGELIST, {"sla_status": status})
    assert response.status_code == 200
    assert sorted(listed_ids(response)) == sorted(tickets[name].pk for name in expected)


def test_search_by_subject_and_requester(admin_client_: Client):
    printer = open_ticket(5, subject="Printer on fire")
    vpn = open_ticket(5, subject="VPN drops", requester_email="bo@shop.se")
    assert listed_ids(admin_client_.get(CHANGELIST, {"q": "printer"})) == [printer.pk]
    assert listed_ids(admin_client_.get(CHANGELIST, {"q": "shop.se"})) == [vpn.pk]


def test_the_other_filters(admin_client_: Client):
    team = Team.objects.create(name="Billing", slug="billing")
    billing = open_ticket(5, team=team, priority="urgent")
    open_ticket(5, priority="low")
    assert listed_ids(admin_client_.get(CHANGELIST, {"team__id__exact": team.pk})) == [billing.pk]
    assert listed_ids(admin_client_.get(CHANGELIST, {"priority__exact": "urgent"})) == [billing.pk]
    new = Stage.objects.get(pipeline__slug="support", slug="new")
    assert len(listed_ids(admin_client_.get(CHANGELIST, {"stage__id__exact": new.pk}))) == 2


# --- The change form goes through the services --------------------------------------------------


class FormReader(HTMLParser):
    """The fields of the admin's change form, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "ticket_form":
            self._in_form = True
        if not self._in_form or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if a.get("type") in ("checkbox", "radio") else ""
            self.data.setdefault(name, []).append(a.get("value", default))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self.data.setdefault(self._select, []).append(a.get("value", ""))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        if tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.data.setdefault(self._select, []).append(self._select_first)
            self._select = None
        if tag == "textarea" and self._textarea:
            value = self.data[self._textarea][-1]
            # HTML drops a newline right after <textarea>.
            self.data[self._textarea][-1] = value[1:] if value.startswith("\n") else value
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][-1] += data


def change_form(client: Client, ticket: Ticket) -> dict[str, Any]:
    response = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert response.status_code == 200
    reader = FormReader()
    reader.feed(response.content.decode())
    return {k: v if len(v) > 1 else v[0] for k, v in reader.data.items()}


def test_a_stage_change_in_the_admin_closes_through_the_service(admin_client_: Client):
    ticket = open_ticket(30)
    data = change_form(admin_client_, ticket)
    closed = Stage.objects.get(pipeline__slug="support", slug="closed")
    data["stage"] = str(closed.pk)
    response = admin_client_.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 302, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
    )
    ticket.refresh_from_db()
    assert ticket.closed_at == NOW and ticket.stage == closed
    clocks = SlaClock.objects.filter(ticket=ticket)
    assert {c.completed_by for c in clocks} == {"close"}


def test_a_stage_of_another_pipeline_is_refused_in_the_admin(admin_client_: Client):
    other = Pipeline.objects.create(slug="sales", name="Sales", position=3)
    lead = Stage.objects.create(pipeline=other, slug="lead", name="Lead")
    ticket = open_ticket(30)
    data = change_form(admin_client_, ticket)
    data["stage"] = str(lead.pk)
    response = admin_client_.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 200
    assert "Choose a stage of the pipeline Support." in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).stage.slug == "new"


def test_a_pipeline_change_alone_keeps_a_matching_stage(admin_client_: Client):
    other = Pipeline.objects.create(slug="sales", name="Sales", position=3)
    Stage.objects.create(pipeline=other, slug="lead", name="Lead", position=0)
    new = Stage.objects.create(pipeline=other, slug="new", name="New", position=1)
    ticket = open_ticket(30)
    data = change_form(admin_client_, ticket)
    data["pipeline"] = str(other.pk)
    response = admin_client_.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.pipeline, ticket.stage) == (other, new)


def test_only_agents_can_own_tickets_in_the_admin(admin_client_: Client, customer_user, agent):
    ticket = open_ticket(30)
    data = change_form(admin_client_, ticket)
    data["owner"] = str(customer_user.pk)
    response = admin_client_.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).owner is None
    data["owner"] = str(agent.pk)
    response = admin_client_.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).owner == agent


def test_a_public_reply_in_the_admin_completes_the_first_response(admin_client_: Client):
    ticket = open_ticket(30)
    data = change_form(admin_client_, ticket)
    new_message = [k for k in data if k.endswith("-0-body")]
    assert len(new_message) == 1
    data[new_message[0]] = "We are on it."
    response = admin_client_.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 302, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
    )
    message = Message.objects.filter(ticket=ticket).last()
    assert (message.body, message.author_kind, message.is_internal) == (
        "We are on it.",
        "agent",
        False,
    )
    first = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert (first.completed_at, first.completed_by) == (NOW, "reply")


def test_the_ticket_page_in_the_admin_has_read_only_sla_history(admin_client_: Client):
    ticket = open_ticket(90)
    html = admin_client_.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "SLA clocks" in html and "SLA events" in html
    assert 'name="clocks-0-due_at"' not in html  # shown, not editable
    assert admin_client_.get("/admin/tickets/ticket/add/").status_code == 403


# --- Preferences, recomputes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tickets/agentprofile/",
        "/admin/tickets/agentprofile/add/",
        "/admin/tickets/slarecompute/",
    ],
)
def test_the_other_admin_pages_load(admin_client_: Client, url: str):
    assert admin_client_.get(url).status_code == 200


def test_recomputes_are_read_only(admin_client_: Client):
    assert admin_client_.get("/admin/tickets/slarecompute/add/").status_code == 403
