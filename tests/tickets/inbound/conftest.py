"""Fixtures of the inbound email tests: a real IMAP server (Dovecot) with a mailbox per test, and
the corpus of message shapes."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import sla_document
from tests.test_celery import celery_app  # noqa: F401 (a fixture: the app on a test broker)
from tests.tickets.conftest import freeze, sla_settings, utc  # noqa: F401 (fixtures)
from tests.tickets.inbound.dovecot import INSTALL_HINT, ImapServer, dovecot_binary, running_dovecot
from tests.tickets.outbound.conftest import smtp  # noqa: F401 (a fixture: a real SMTP server)
from tickets.inbound.models import Via
from tickets.inbound.services import IngestResult, email_ingest
from tickets.models import Message, Ticket
from tickets.outbound.models import OutboundEmail
from tickets.services import ticket_message_add

CORPUS = Path(__file__).parent / "corpus"
# The Message-ID of our reply that the corpus's replies, auto-reply and bounce refer to.
OUR_REPLY_ID = "<reply-1@helpdesk.example.com>"
REQUESTER = "ana.ferreira@gmail.com"
_users = itertools.count(1)


def corpus(name: str) -> bytes:
    """The bytes of ``tests/tickets/inbound/corpus/<name>.eml``."""
    return (CORPUS / f"{name}.eml").read_bytes()


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    binary = dovecot_binary()
    if binary is None:
        pytest.skip(INSTALL_HINT)
    with running_dovecot(binary) as server:
        yield server


@dataclass
class Mailbox:
    """A throwaway mailbox on the test's Dovecot: its own user, empty at first."""

    server: ImapServer
    user: str

    def url(self, *, scheme: str = "imap", folder: str = "INBOX") -> str:
        return self.server.url(self.user, scheme=scheme, folder=folder)

    def deliver(self, raw: bytes, *, folder: str = "INBOX") -> None:
        self.server.append(self.user, raw, folder=folder)

    def messages(self, folder: str = "INBOX") -> list[tuple[bytes, bytes]]:
        return self.server.messages(self.user, folder)


@pytest.fixture
def mailbox(imap_server: ImapServer) -> Mailbox:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return Mailbox(server=imap_server, user=f"helpdesk-{worker}-{next(_users)}")


def email_bytes(
    *,
    sender: str = "Ana Ferreira <ana.ferreira@gmail.com>",
    to: str = "Help Desk <support@helpdesk.example.com>",
    subject: str = "Printer on fire",
    body: str = "It is on fire.",
    message_id: str | None = "<first-1@mail.gmail.com>",
    date: str = "Tue, 01 Dec 2026 09:00:00 +0000",
    **headers: str,
) -> bytes:
    """A plain-text email as a mail client sends it; ``headers`` add more (``In_Reply_To=…``
    becomes ``In-Reply-To``)."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


def ingest(raw: bytes, *, via: str = Via.PIPE, **kwargs) -> IngestResult:
    """``email_ingest`` as a mail server's pipe calls it, received now (the frozen clock)."""
    return email_ingest(raw=raw, via=via, now=timezone.now(), **kwargs)


@dataclass
class Thread:
    """Ana's ticket: her email opened it at 09:00, agent Lee answered at 09:20 (our reply's
    Message-ID is ``OUR_REPLY_ID``). SLA 24/7: first response 60 min, next response 120 min,
    close 1 day."""

    ticket: Ticket
    first: Message
    reply: Message

    def refresh(self) -> Ticket:
        return Ticket.objects.get(pk=self.ticket.pk)

    def messages(self) -> list[Message]:
        return list(Message.objects.filter(ticket=self.ticket).order_by("created_at", "id"))


@pytest.fixture
def thread(db, sla_settings, freeze, agent) -> Thread:  # noqa: F811
    sla_settings(sla_document())
    freeze("2026-12-01T09:00:00Z")
    opened = ingest(email_bytes())
    assert opened.outcome == "ticket_created", opened
    freeze("2026-12-01T09:20:00Z")
    reply = ticket_message_add(
        ticket_id=opened.ticket_id,
        body="Please unplug the printer and keep the door closed.",
        author_kind=Message.Author.AGENT,
        author=agent,
        now=timezone.now(),
    )
    OutboundEmail.objects.filter(message_id=reply.message_id).update(message_id=OUR_REPLY_ID)
    Message.objects.filter(pk=reply.pk).update(message_id=OUR_REPLY_ID)
    ticket = Ticket.objects.get(pk=opened.ticket_id)
    return Thread(
        ticket=ticket, first=ticket.messages.first(), reply=Message.objects.get(pk=reply.pk)
    )
