"""Emails on the wire: Django's real SMTP backend talking to a real SMTP server in the test.

What arrived is read back as a mail client would: headers, threading, both parts, the language;
and what the help desk records about each email: sent, failed with the reason, retried.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import re
import time

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.factories import AgentFactory
from tests.tickets.outbound.conftest import HELP_DESK, SILENT_TIMEOUT
from tests.tickets.outbound.mailserver import deliver_queued
from tickets.models import Message, Ticket
from tickets.outbound.models import OutboundEmail
from tickets.services import ticket_create
from tickets.sweep import sla_sweep_and_notify

pytestmark = pytest.mark.usefixtures("stockholm", "help_desk")
OPENED = "2026-03-03T10:00:00Z"  # 11:00 in Stockholm (CET)
MESSAGE_ID = re.compile(r"<[0-9a-f]{32}@acme\.example>")


def _agent_says(client, ticket_id: int, body: str, *, internal: bool = False) -> None:
    visibility = "internal" if internal else "public"
    response = client.post(f"/tickets/{ticket_id}/reply/", {"body": body, "visibility": visibility})
    assert response.status_code == 302, response.content[:300]


def test_a_public_reply_arrives_threaded_with_both_parts_and_no_internal_note(
    smtp, api, agent_client, freeze
):
    freeze(OPENED)
    ticket_id = api.create(
        subject="Printer offline", body="It shows error 42.", requester_email="ana@customer.example"
    )["id"]
    # As the inbound side stores them: the customer's email had a Message-ID and copied Bo.
    Message.objects.filter(ticket_id=ticket_id).update(message_id="<first@customer.example>")
    Ticket.objects.filter(pk=ticket_id).update(cc_emails=["bo@customer.example"])
    freeze("2026-03-03T10:05:00Z")
    api.message(ticket_id, author="customer", body="Also the scanner.")
    Message.objects.filter(ticket_id=ticket_id, body="Also the scanner.").update(
        message_id="<second@customer.example>"
    )
    freeze("2026-03-03T10:10:00Z")
    _agent_says(agent_client, ticket_id, "Called facilities: the fuse.", internal=True)
    freeze("2026-03-03T10:20:00Z")
    _agent_says(agent_client, ticket_id, "Please restart it <now>.\nThen try again.")

    states = deliver_queued()
    assert set(states.values()) == {"sent"}
    acknowledgement, reply = smtp.to("ana@customer.example")
    assert len(smtp.received) == 2  # the note went nowhere

    # The reply: to the requester, copying Bo, from the agent at the help desk's address.
    message = reply.message
    assert reply.rcpt_tos == ["ana@customer.example", "bo@customer.example"]
    assert message["Subject"] == f"[#{ticket_id}] Printer offline"
    assert email.utils.parseaddr(message["From"]) == ("agent (Acme Support)", HELP_DESK)
    assert message["To"] == "ana@customer.example"
    assert message["Cc"] == "bo@customer.example"
    assert message["Reply-To"] == HELP_DESK
    stored = Message.objects.get(ticket_id=ticket_id, body__startswith="Please restart")
    assert message["Message-ID"] == stored.message_id
    assert MESSAGE_ID.fullmatch(stored.message_id)
    # Threaded under the customer's latest email, after the thread's earlier ones.
    ack_id = acknowledgement.message["Message-ID"]
    assert MESSAGE_ID.fullmatch(ack_id) and ack_id != stored.message_id
    assert message["In-Reply-To"] == "<second@customer.example>"
    assert message["References"].split() == [
        "<first@customer.example>",
        ack_id,
        "<second@customer.example>",
    ]
    assert "Auto-Submitted" not in message  # a person wrote it
    # Both parts: the text as typed, the HTML escaped and in the app's look, nothing remote.
    text, html = reply.part("text/plain"), reply.part("text/html")
    assert "Please restart it <now>.\nThen try again." in text
    assert "Please restart it &lt;now&gt;.<br>Then try again." in html
    assert "It shows error 42." in text and "Also the scanner." in text  # the conversation so far
    assert "It shows error 42." in html
    assert "##- Please type your reply above this line -##" in text.splitlines()[0]
    assert html.lstrip().startswith("<!doctype html>") and 'lang="en' in html
    assert "<img" not in html and "src=" not in html and "url(" not in html
    assert "<link" not in html and "<script" not in html
    for received in smtp.received:
        assert b"Called facilities" not in received.raw
    assert message["Content-Language"].startswith("en")


def test_the_acknowledgement_carries_the_number_and_never_invites_auto_replies(smtp, api, freeze):
    freeze(OPENED)
    ticket_id = api.create(
        subject="Printer offline", body="It shows error 42.", requester_email="ana@customer.example"
    )["id"]
    deliver_queued()
    (acknowledgement,) = smtp.received
    message = acknowledgement.message
    assert message["Subject"] == f"[#{ticket_id}] Printer offline"
    assert email.utils.parseaddr(message["From"]) == ("Acme Support", HELP_DESK)
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    text = acknowledgement.part("text/plain")
    assert f"We received your request #{ticket_id}" in text
    assert "It shows error 42." in text
    assert "3 March 2026, 11:00 CET" in text  # in the help desk's zone
    assert f"[#{ticket_id}]" in acknowledgement.part("text/html")


@pytest.mark.parametrize(
    "subject",
    [
        "Räkning för december",  # one encoded word
        "Räkning för december och januari — fakturan från förra månaden saknas fortfarande",
        "Über " + "lång rad " * 20,  # folded several times
    ],
)
def test_a_non_ascii_subject_reads_back_exactly_without_a_leading_space(smtp, api, freeze, subject):
    freeze(OPENED)
    created = api.create(subject=subject, body="Hej", requester_email="ana@customer.example")
    ticket_id = created["id"]
    deliver_queued()
    (acknowledgement,) = smtp.received
    expected = f"[#{ticket_id}] {' '.join(subject.split())}"
    assert acknowledgement.message["Subject"] == expected
    # The first encoded word is on the Subject line itself, not on a folded line of its own.
    head = acknowledgement.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    (line,) = (line for line in head.split("\r\n") if line.startswith("Subject:"))
    assert line.startswith("Subject: =?utf-8?") and len(line) <= 78


def test_emails_are_in_the_customers_language(smtp, api, agent_client, freeze):
    freeze(OPENED)
    swedish = ticket_create(
        subject="Skrivaren",
        body="Den är trasig.",
        requester_email="sv@customer.example",
        now=timezone.now(),
    )
    Ticket.objects.filter(pk=swedish.pk).update(requester_language="sv-SE")
    english = ticket_create(
        subject="Printer",
        body="It is broken.",
        requester_email="en@customer.example",
        now=timezone.now(),
    )
    _agent_says(agent_client, swedish.pk, "Starta om den.")
    _agent_says(agent_client, english.pk, "Restart it.")
    deliver_queued()

    (_ack, reply) = smtp.to("sv@customer.example")
    assert reply.message["Content-Language"] == "sv"
    assert '<html lang="sv">' in reply.part("text/html")
    # Dates in Swedish: "skrev den 3 mars 2026" (Django's own Swedish month names).
    assert "3 mars 2026" in reply.part("text/plain")
    (_ack, reply) = smtp.to("en@customer.example")
    assert reply.message["Content-Language"].startswith("en")
    assert "3 March 2026" in reply.part("text/plain")
    # The acknowledgement was rendered when the ticket was opened, before the language was
    # known: it is in the default language.
    assert _ack.message["Content-Language"].startswith("en")


def test_a_server_that_refuses_one_message_leaves_the_others_sent(smtp, api, freeze):
    freeze(OPENED)
    smtp.refuse("bo@customer.example", "550 5.1.1 <bo@customer.example>: no such mailbox")
    ids = [
        api.create(
            subject=f"Question {name}", body="Hi", requester_email=f"{name}@customer.example"
        )["id"]
        for name in ("ana", "bo", "cy")
    ]
    for ticket_id in ids:
        api.message(ticket_id, author="agent", body="We are on it.")
    states = deliver_queued()
    assert sorted(states.values()) == ["failed", "failed", "sent", "sent", "sent", "sent"]
    assert {tuple(r.rcpt_tos) for r in smtp.received} == {
        ("ana@customer.example",),
        ("cy@customer.example",),
    }
    assert len(smtp.received) == 4  # acknowledgement and reply each

    refused = api.get(f"/api/tickets/{ids[1]}/messages/").json()["results"]
    delivery = refused[1]["delivery"]
    assert delivery["state"] == "failed"
    assert "550 5.1.1 <bo@customer.example>: no such mailbox" in delivery["detail"]
    assert delivery["at"] == "2026-03-03T10:00:00Z"
    sent = api.get(f"/api/tickets/{ids[0]}/messages/").json()["results"]
    assert sent[1]["delivery"] == {"state": "sent", "detail": "", "at": "2026-03-03T10:00:00Z"}
    # A permanent refusal is not retried.
    email = OutboundEmail.objects.get(kind="reply", to=["bo@customer.example"])
    assert email.attempts == 1 and email.failed_at is not None


def test_a_temporary_refusal_is_retried_later_with_backoff(smtp, api, freeze, monkeypatch):
    now = freeze(OPENED)
    smtp.refuse("ana@customer.example", "451 4.7.1 Greylisted, try again later")
    ticket_id = api.create(subject="Hi", body="Hi", requester_email="ana@customer.example")["id"]
    assert set(deliver_queued().values()) == {"queued"}
    email = OutboundEmail.objects.get(ticket_id=ticket_id)
    assert email.attempts == 1 and "451 4.7.1 Greylisted" in email.detail
    assert email.next_attempt_at == now + datetime.timedelta(minutes=1)
    assert api.get(f"/api/tickets/{ticket_id}/messages/").json()["results"][0]["delivery"] is None

    queued: list[int] = []
    from tickets.outbound.tasks import outbound_email_send_task

    monkeypatch.setattr(outbound_email_send_task, "delay", queued.append)
    from tickets.outbound.services import outbound_emails_requeue

    assert outbound_emails_requeue(now=now + datetime.timedelta(seconds=30)) == 0  # not yet
    assert deliver_queued(now=now + datetime.timedelta(seconds=30)) == {}
    later = now + datetime.timedelta(seconds=61)
    assert outbound_emails_requeue(now=later) == 1 and queued == [email.pk]
    smtp.handler.refuse.clear()
    assert deliver_queued(now=later) == {email.pk: "sent"}
    email.refresh_from_db()
    assert email.attempts == 2 and email.detail == "" and email.sent_at == later
    assert len(smtp.to("ana@customer.example")) == 1


def test_after_the_last_attempt_an_email_is_failed_with_the_reason(smtp, api, freeze):
    now = freeze(OPENED)
    smtp.refuse("ana@customer.example", "421 4.3.2 Service not available")
    api.create(subject="Hi", body="Hi", requester_email="ana@customer.example")
    from tickets.outbound.services import MAX_ATTEMPTS, RETRY_DELAYS

    for delay in (datetime.timedelta(0), *RETRY_DELAYS):
        now += delay
        deliver_queued(now=now)
    email = OutboundEmail.objects.get()
    assert email.attempts == MAX_ATTEMPTS == 8
    assert email.state == "failed"
    assert email.detail.startswith("Gave up after 8 attempts.") and "421 4.3.2" in email.detail


def test_a_server_that_never_answers_is_cut_off_by_the_timeout(silent_smtp, api, freeze):
    now = freeze(OPENED)
    ids = [
        api.create(subject=f"Q{n}", body="Hi", requester_email=f"c{n}@customer.example")["id"]
        for n in range(2)
    ]
    started = time.monotonic()
    states = deliver_queued(now=now)
    elapsed = time.monotonic() - started
    assert list(states.values()) == ["queued", "queued"]  # to be retried
    # Each attempt waited for the timeout, and no longer (a margin for a busy machine).
    assert 2 * SILENT_TIMEOUT * 0.9 <= elapsed < 2 * SILENT_TIMEOUT + 3, elapsed
    for ticket_id in ids:
        email = OutboundEmail.objects.get(ticket_id=ticket_id)
        assert email.attempts == 1
        assert "did not answer in time" in email.detail
        assert email.next_attempt_at == now + datetime.timedelta(minutes=1)


def test_a_mail_server_that_hangs_does_not_hold_the_sweep(silent_smtp, freeze):
    """The sweep only queues SLA emails: each is sent by its own task, cut off by the timeout."""
    freeze(OPENED)
    owner = AgentFactory(email="owner@acme.example")
    ticket_create(
        subject="Printer on fire",
        body="Help",
        requester_email="c@customer.example",
        now=timezone.now(),
        owner=owner,
        acknowledge=False,
    )
    OutboundEmail.objects.all().delete()  # the assignment notice: not what this test is about
    due_soon = freeze("2026-03-03T10:50:00Z")
    started = time.monotonic()
    result = sla_sweep_and_notify(now=due_soon)
    assert time.monotonic() - started < SILENT_TIMEOUT  # nothing waited for the mail server
    assert result["emails"] == 1 and result["transitions"] == {"due_soon": 1}
    started = time.monotonic()
    assert list(deliver_queued(now=due_soon).values()) == ["queued"]  # its own task, cut off
    assert time.monotonic() - started < SILENT_TIMEOUT + 3
    assert "did not answer in time" in OutboundEmail.objects.get().detail


def test_a_poisoned_subject_never_stops_another_tickets_sla_email(smtp, freeze, caplog):
    freeze(OPENED)
    owner = AgentFactory(email="owner@acme.example")
    tickets = [
        ticket_create(
            subject=subject,
            body="Help",
            requester_email="c@customer.example",
            now=timezone.now(),
            owner=owner,
            acknowledge=False,
        )
        for subject in ("Help please", "Printer on fire")
    ]
    # Stored before subjects were kept to one line (or written around the forms).
    Ticket.objects.filter(pk=tickets[0].pk).update(subject="Help\r\nBcc: everyone@acme.example")
    OutboundEmail.objects.all().delete()
    due_soon = freeze("2026-03-03T10:50:00Z")
    assert sla_sweep_and_notify(now=due_soon)["emails"] == 2
    states = deliver_queued(now=due_soon)
    assert list(states.values()) == ["sent", "sent"]
    poisoned, good = (r.message for r in smtp.to("owner@acme.example"))
    assert good["Subject"].startswith(f"[Due soon] #{tickets[1].pk} Printer on fire — ")
    # The poisoned subject was made one line: no header was added.
    assert poisoned["Subject"].startswith(
        f"[Due soon] #{tickets[0].pk} Help Bcc: everyone@acme.example — "
    )
    assert "Bcc" not in poisoned
    assert all(r.rcpt_tos == ["owner@acme.example"] for r in smtp.received)


def test_an_email_that_cannot_be_built_fails_alone_and_is_logged_with_its_ticket(
    smtp, api, freeze, caplog
):
    freeze(OPENED)
    bad, good = (
        api.create(subject="Hi", body="Hi", requester_email=f"{name}@customer.example")["id"]
        for name in ("bad", "good")
    )
    # A row written around the services (or by a bug): a header break in an address.
    OutboundEmail.objects.filter(ticket_id=bad).update(to=["bad@customer.example\nBcc: x@y.z"])
    with caplog.at_level(logging.WARNING, logger="tickets.outbound.services"):
        states = deliver_queued()
    email = OutboundEmail.objects.get(ticket_id=bad)
    assert states == {email.pk: "failed", email.pk + 1: "sent"}
    assert email.detail.startswith("The email could not be built")
    assert [r.rcpt_tos for r in smtp.received] == [["good@customer.example"]]
    assert any(f"ticket #{bad}" in record.getMessage() for record in caplog.records)
    assert OutboundEmail.objects.get(ticket_id=good).state == "sent"


def test_a_bounce_marks_the_reply_failed(smtp, api, freeze):
    from tickets.outbound.services import outbound_mark_bounced

    freeze(OPENED)
    ticket_id = api.create(subject="Hi", body="Hi", requester_email="ana@customer.example")["id"]
    api.message(ticket_id, author="agent", body="Answer")
    deliver_queued()
    reply = Message.objects.get(ticket_id=ticket_id, author_kind="agent")
    later = freeze("2026-03-03T10:30:00Z")
    assert outbound_mark_bounced(
        message_id=reply.message_id, reason="550 5.1.1 user unknown", now=later
    )
    assert not outbound_mark_bounced(message_id="<nobody@else>", reason="x", now=later)
    delivery = api.get(f"/api/tickets/{ticket_id}/messages/").json()["results"][1]["delivery"]
    assert delivery == {
        "state": "failed",
        "detail": "Bounced: 550 5.1.1 user unknown",
        "at": "2026-03-03T10:30:00Z",
    }


def test_the_help_desk_never_mails_itself(smtp, api, freeze):
    freeze(OPENED)
    ticket_id = api.create(subject="Loop?", body="Hi", requester_email=HELP_DESK)["id"]
    Ticket.objects.filter(pk=ticket_id).update(cc_emails=[HELP_DESK.upper(), "bo@customer.example"])
    api.message(ticket_id, author="agent", body="Answer")
    deliver_queued()
    assert [r.rcpt_tos for r in smtp.received] == [["bo@customer.example"]]


def test_the_agent_signs_in_with_a_password_and_replies(smtp, client, freeze):
    """The whole path a person takes: sign in, reply on the ticket page, the email arrives."""
    freeze(OPENED)
    AgentFactory(username="lee", email="lee@acme.example", first_name="Lee", last_name="Ray")
    ticket = ticket_create(
        subject="VPN", body="Drops", requester_email="ana@customer.example", now=timezone.now()
    )
    assert client.login(username="lee", password=PASSWORD)
    _agent_says(client, ticket.pk, "Try the new profile.")
    deliver_queued()
    reply = smtp.received[-1].message
    assert email.utils.parseaddr(reply["From"]) == ("Lee Ray (Acme Support)", HELP_DESK)
