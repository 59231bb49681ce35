"""Agents' emails (a customer replied, a ticket was assigned, SLA alerts in their own zone,
linking to SITE_URL) with their switches, and the email settings page with its test email."""

from __future__ import annotations

import email.utils

import pytest

from tests.factories import AgentFactory, TicketFactory
from tests.tickets.outbound.conftest import HELP_DESK
from tests.tickets.outbound.mailserver import deliver_queued
from tickets.models import AgentProfile
from tickets.outbound.models import OutboundEmail
from tickets.outbound.selectors import email_settings_get
from tickets.sweep import sla_sweep_and_notify

pytestmark = pytest.mark.usefixtures("stockholm", "help_desk")
OPENED = "2026-03-03T10:00:00Z"


@pytest.fixture
def lee(db):
    return AgentFactory(username="lee", email="lee@acme.example")


def test_the_owner_hears_when_the_customer_replies(smtp, api, lee, settings, freeze):
    settings.SITE_URL = "http://127.0.0.1:8123"
    freeze(OPENED)
    ticket_id = api.create(requester_email="ana@customer.example")["id"]
    api.update(ticket_id, owner="lee")
    freeze("2026-03-03T10:30:00Z")
    api.message(ticket_id, author="customer", body="It is on fire again.")
    deliver_queued()
    assigned, replied = (r.message for r in smtp.to("lee@acme.example"))
    assert replied["Subject"] == f"[Customer replied] #{ticket_id} Printer on fire"
    assert replied["Auto-Submitted"] == "auto-generated"
    text = smtp.to("lee@acme.example")[1].part("text/plain")
    assert "It is on fire again." in text
    assert "ana@customer.example wrote on Tue 3 Mar 2026, 11:30 CET" in text
    assert f"http://127.0.0.1:8123/tickets/{ticket_id}/" in text
    assert f'href="http://127.0.0.1:8123/tickets/{ticket_id}/"' in smtp.to("lee@acme.example")[
        1
    ].part("text/html")
    assert assigned["Subject"] == f"[Assigned to you] #{ticket_id} Printer on fire"


def test_each_agent_email_can_be_switched_off(api, agent, lee, freeze):
    AgentProfile.objects.create(user=lee, notify_customer_replies=False, notify_assignments=False)
    freeze(OPENED)
    ticket_id = api.create()["id"]
    api.update(ticket_id, owner="lee")
    api.message(ticket_id, author="customer")
    assert not OutboundEmail.objects.filter(to=["lee@acme.example"]).exists()


def test_taking_a_ticket_yourself_sends_no_notice(agent_client, agent, freeze):
    freeze(OPENED)
    ticket = TicketFactory()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties/",
        {
            "owner": agent.pk,
            "priority": "",
            "team": "",
            "source": "email",
            "stage": ticket.stage_id,
        },
    )
    assert response.status_code == 302
    assert not OutboundEmail.objects.filter(kind="assigned").exists()


def test_an_assignment_by_someone_else_names_them(agent_client, lee, freeze):
    freeze(OPENED)
    ticket = TicketFactory()
    agent_client.post(
        f"/tickets/{ticket.pk}/properties/",
        {"owner": lee.pk, "priority": "", "team": "", "source": "email", "stage": ticket.stage_id},
    )
    notice = OutboundEmail.objects.get(kind="assigned")
    assert notice.to == ["lee@acme.example"] and notice.recipient_user == lee
    assert "agent assigned this ticket to you." in notice.body_text


def test_the_profile_page_switches_the_agents_emails(agent_client, agent):
    page = agent_client.get("/tickets/profile/").content.decode()
    assert "Email me when a customer replies to a ticket I own" in page
    assert "Email me when a ticket is assigned to me" in page
    response = agent_client.post(
        "/tickets/profile/",
        {"timezone": "", "email_notifications": "on", "notify_assignments": "on"},
    )
    assert response.status_code == 302
    profile = AgentProfile.objects.get(user=agent)
    assert profile.notify_assignments and not profile.notify_customer_replies


def test_sla_alerts_show_times_in_the_recipients_zone_and_link_to_site_url(
    smtp, lee, settings, freeze
):
    settings.SITE_URL = "https://help.acme.example/"
    AgentProfile.objects.create(user=lee, timezone="America/New_York")
    freeze(OPENED)
    ticket = TicketFactory(owner=lee, acknowledge=False, subject="VPN drops")
    OutboundEmail.objects.all().delete()
    due_soon = freeze("2026-03-03T10:50:00Z")
    sla_sweep_and_notify(now=due_soon)
    deliver_queued(now=due_soon)
    (alert,) = smtp.received
    # Due 11:00Z: 06:00 in New York (EST), not UTC and not the schedule's Stockholm.
    subject = alert.message["Subject"]
    assert (
        subject == f"[Due soon] #{ticket.pk} VPN drops — first reply due Tue 3 Mar 2026 06:00 EST"
    )
    text = alert.part("text/plain")
    assert "The first reply is due Tue 3 Mar 2026, 06:00 EST." in text
    assert "Times are in America/New_York." in text
    assert f"https://help.acme.example/tickets/{ticket.pk}/" in text


def test_sla_alerts_default_to_the_schedules_zone(smtp, lee, freeze):
    freeze(OPENED)
    TicketFactory(owner=lee, acknowledge=False)
    OutboundEmail.objects.all().delete()
    due_soon = freeze("2026-03-03T10:50:00Z")
    sla_sweep_and_notify(now=due_soon)
    deliver_queued(now=due_soon)
    assert smtp.received[0].message["Subject"].endswith("due Tue 3 Mar 2026 12:00 CET")


# --- The email settings page -------------------------------------------------------------------


def test_the_settings_tabs_lead_to_the_email_page(admin_client_):
    page = admin_client_.get("/settings/sla/").content.decode()
    assert 'href="/settings/email/"' in page
    page = admin_client_.get("/settings/email/").content.decode()
    assert "Acknowledge new tickets" in page and "Send a test email" in page
    assert "Emails now go out as “Acme Support” &lt;support@acme.example&gt;" in page


def test_a_super_admin_saves_the_help_desks_identity(admin_client_, super_admin, smtp, freeze):
    freeze(OPENED)
    response = admin_client_.post(
        "/settings/email/",
        {
            "from_name": "Acme Service Desk",
            "from_address": "desk@acme.example",
            "reply_to_address": "inbox@acme.example",
        },
    )
    assert response.status_code == 302
    saved = email_settings_get()
    assert saved.from_name == "Acme Service Desk" and saved.acknowledge_new_tickets is False
    assert saved.updated_by == super_admin
    ticket = TicketFactory(requester_email="ana@customer.example")
    assert not OutboundEmail.objects.filter(ticket=ticket).exists()  # switched off above
    admin_client_.post(
        "/settings/email/",
        {
            "from_name": "Acme Service Desk",
            "from_address": "desk@acme.example",
            "reply_to_address": "inbox@acme.example",
            "acknowledge_new_tickets": "on",
        },
    )
    TicketFactory(requester_email="bo@customer.example")
    deliver_queued()
    (ack,) = smtp.received
    assert email.utils.parseaddr(ack.message["From"]) == ("Acme Service Desk", "desk@acme.example")
    assert ack.message["Reply-To"] == "inbox@acme.example"
    assert ack.message["Message-ID"].endswith("@acme.example>")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("from_name", "Acme\r\nBcc: x@y.z", "One line of plain text"),
        ("from_address", "not an address", "Enter a valid email address."),
        ("reply_to_address", "a@b", "Enter a valid email address."),
    ],
)
def test_bad_email_settings_are_refused_next_to_the_field(admin_client_, field, value, message):
    data = {"from_name": "Acme", "from_address": HELP_DESK, "reply_to_address": ""}
    response = admin_client_.post("/settings/email/", {**data, field: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "Nothing was saved" in page
    assert email_settings_get().from_name == "Acme Support"


def test_the_test_email_button_sends_one_and_shows_its_delivery(admin_client_, smtp):
    response = admin_client_.post("/settings/email/test/", {"to": "me@acme.example"})
    assert response.status_code == 302
    page = admin_client_.get("/settings/email/").content.decode()
    assert 'data-state="queued"' in page and "me@acme.example" in page
    deliver_queued()
    (test_email,) = smtp.received
    assert test_email.rcpt_tos == ["me@acme.example"]
    assert test_email.message["Subject"] == "Test email from Acme Support"
    assert "boss asked for this test email" in test_email.part("text/plain")
    assert 'data-state="sent"' in admin_client_.get("/settings/email/").content.decode()

    smtp.refuse("nobody@acme.example", "550 5.1.1 Unknown user")
    admin_client_.post("/settings/email/test/", {"to": "nobody@acme.example"})
    deliver_queued()
    page = admin_client_.get("/settings/email/").content.decode()
    assert 'data-state="failed"' in page and "550 5.1.1 Unknown user" in page


def test_a_test_email_to_a_bad_address_is_refused(admin_client_):
    response = admin_client_.post("/settings/email/test/", {"to": "nope"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not OutboundEmail.objects.exists()
