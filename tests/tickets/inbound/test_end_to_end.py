"""End to end: a customer emails the help desk's mailbox (a real IMAP server, Dovecot), an agent
replies on the ticket page, the reply goes out through the outbound path to a real SMTP server
(aiosmtpd), the customer's mail client answers the email that arrived there, and the ticket holds
one thread of three messages with its clocks as SPEC §3 says."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from slaproject.celery import app
from tests.factories import sla_document
from tests.tickets.inbound.conftest import Mailbox, email_bytes, utc
from tests.tickets.outbound.mailserver import SmtpServer
from tickets.inbound.tasks import imap_poll_task
from tickets.models import Message, SlaClock, Ticket

# Ana's mail client's clock is a day wrong: no SLA moment may come from her Date headers.
WRONG_DATE = "Mon, 30 Nov 2026 08:00:00 +0000"


@pytest.fixture
def help_desk(db, sla_settings, settings, mailbox: Mailbox, smtp: SmtpServer) -> Iterator[Mailbox]:
    """24/7 goals: first response 60 min, next response 120 min, close 1 day. The help desk reads
    ``mailbox`` by IMAP and sends through ``smtp``; Celery runs tasks at once, so mail is sent as
    soon as it is queued."""
    sla_settings(sla_document())
    settings.IMAP_URL = mailbox.url()
    settings.IMAP_DONE_FOLDER = "Processed"
    settings.DEFAULT_FROM_EMAIL = "Help Desk <support@helpdesk.example.com>"
    # On the Celery app itself: it reads CELERY_* settings once per process, so a settings
    # override works only when no earlier test in the process has used Celery.
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield mailbox
    app.conf.task_always_eager = saved


def poll(capture) -> dict:
    with capture(execute=True):  # the emails that ingestion queues go out on commit
        return imap_poll_task()


def answer_from_mail_client(sent: EmailMessage, *, body: str) -> bytes:
    """What Ana's mail client sends when she answers ``sent``: threading headers, "Re:", and
    the quoted email below her text."""
    quoted = "\n".join(f"> {line}" for line in sent.get_body(("plain",)).get_content().splitlines())
    references = f"{sent.get('References', '')} {sent['Message-ID']}".strip()
    return email_bytes(
        subject=f"Re: {sent['Subject']}",
        body=f"{body}\n\nOn Tue, 1 Dec 2026 at 10:20, {sent['From']} wrote:\n{quoted}\n",
        message_id="<answer-1@mail.gmail.com>",
        date=WRONG_DATE,
        In_Reply_To=sent["Message-ID"],
        References=references,
    )


def sent_email(smtp: SmtpServer, ticket: Ticket, words: str) -> EmailMessage:
    """Our email about ``ticket`` that contains ``words``, as it arrived at the SMTP server."""
    for received in smtp.handler.received:
        message = received.message
        if message["Subject"].startswith(f"[#{ticket.pk}]") and words in received.part(
            "text/plain"
        ):
            return message
    raise AssertionError(f"no email with {words!r} among {len(smtp.handler.received)}")


def clock(ticket: Ticket, kind: str, cycle: int = 1) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, kind=kind, cycle=cycle)


def converse(help_desk: Mailbox, smtp: SmtpServer, agent_client, freeze, capture) -> Ticket:
    """Ana writes at 09:00, agent replies at 09:20 on the page, Ana answers at 10:00."""
    freeze("2026-12-01T09:00:00Z")
    help_desk.deliver(email_bytes(date=WRONG_DATE, body="The printer on floor 2 is on fire."))
    assert poll(capture) == {"taken": 1, "ticket_created": 1}
    ticket = Ticket.objects.get()
    acknowledgement = sent_email(smtp, ticket, "The printer on floor 2 is on fire.")
    assert acknowledgement["In-Reply-To"] == "<first-1@mail.gmail.com>"  # under her email

    freeze("2026-12-01T09:20:00Z")
    with capture(execute=True):
        response = agent_client.post(
            f"/tickets/{ticket.pk}/reply/",
            {"visibility": "public", "body": "Please unplug it and keep the door closed."},
        )
    assert response.status_code == 302
    sent = sent_email(smtp, ticket, "Please unplug it")

    freeze("2026-12-01T10:00:00Z")
    help_desk.deliver(answer_from_mail_client(sent, body="Unplugged. The smoke is gone."))
    assert poll(capture) == {"taken": 1, "message_added": 1}
    assert help_desk.messages("INBOX") == [] and len(help_desk.messages("Processed")) == 2
    return Ticket.objects.get(pk=ticket.pk)


def test_a_conversation_by_email_is_one_thread_with_its_clocks(
    help_desk,
    smtp,
    agent_client,
    freeze,
    django_capture_on_commit_callbacks,
):
    ticket = converse(help_desk, smtp, agent_client, freeze, django_capture_on_commit_callbacks)
    thread = list(Message.objects.filter(ticket=ticket).order_by("created_at", "id"))
    assert [(m.author_kind, m.body, m.created_at) for m in thread] == [
        ("customer", "The printer on floor 2 is on fire.", utc("2026-12-01T09:00:00Z")),
        ("agent", "Please unplug it and keep the door closed.", utc("2026-12-01T09:20:00Z")),
        ("customer", "Unplugged. The smoke is gone.", utc("2026-12-01T10:00:00Z")),
    ]
    assert Ticket.objects.count() == 1
    first = clock(ticket, "first_response")
    assert (first.started_at, first.completed_at, first.status) == (
        utc("2026-12-01T09:00:00Z"),
        utc("2026-12-01T09:20:00Z"),
        "completed_on_time",
    )
    cycle = clock(ticket, "next_response")
    assert (cycle.started_at, cycle.due_at, cycle.completed_at) == (
        utc("2026-12-01T10:00:00Z"),  # when we received her answer, not its Date
        utc("2026-12-01T12:00:00Z"),
        None,
    )
    assert ticket.awaiting_reply_since == utc("2026-12-01T10:00:00Z")
    # The page shows the thread, each email's original, and no second ticket.
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert (
        page.index("on floor 2 is on fire")
        < page.index("Please unplug it")
        < page.index("The smoke is gone")
    )
    assert page.count("View original") == 2


def test_an_answer_to_a_closed_ticket_reopens_it(
    help_desk,
    smtp,
    agent_client,
    freeze,
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    freeze("2026-12-01T09:00:00Z")
    help_desk.deliver(email_bytes(date=WRONG_DATE, body="The printer on floor 2 is on fire."))
    poll(capture)
    ticket = Ticket.objects.get()
    freeze("2026-12-01T09:20:00Z")
    with capture(execute=True):
        agent_client.post(
            f"/tickets/{ticket.pk}/reply/",
            {"visibility": "public", "body": "Please unplug it and keep the door closed."},
        )
    freeze("2026-12-01T09:30:00Z")
    assert agent_client.post(f"/tickets/{ticket.pk}/close/").status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).closed_at == utc("2026-12-01T09:30:00Z")
    sent = sent_email(smtp, ticket, "Please unplug it")

    freeze("2026-12-01T11:30:00Z")
    help_desk.deliver(answer_from_mail_client(sent, body="It caught fire again."))
    assert poll(capture) == {"taken": 1, "message_added": 1}

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.closed_at is None and ticket.stage.slug == "new"
    assert list(Message.objects.filter(ticket=ticket).values_list("author_kind", flat=True)) == [
        "customer",
        "agent",
        "customer",
    ]
    close = clock(ticket, "close")
    # Reopened: running again, the two closed hours excluded (due 1 day + 2 h after 09:00).
    assert (close.completed_at, close.due_at) == (None, utc("2026-12-02T11:00:00Z"))
    cycle = clock(ticket, "next_response")
    assert (cycle.started_at, cycle.due_at) == (
        utc("2026-12-01T11:30:00Z"),
        utc("2026-12-01T13:30:00Z"),
    )
    assert clock(ticket, "first_response").completed_at == utc("2026-12-01T09:20:00Z")
