"""Test doubles of a mail server, and running the outbox as the workers would.

``SmtpServer`` is a real SMTP server (aiosmtpd) in a thread of the test process: Django's real
SMTP backend talks to it over a socket, and the test reads what arrived on the wire. It can
refuse chosen recipients with a 5xx answer. ``SilentServer`` accepts connections and never says
a word (a mail server that hangs).
"""

from __future__ import annotations

import datetime
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from django.utils import timezone

from tickets.outbound.models import OutboundEmail
from tickets.outbound.services import outbound_email_deliver


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """One message as the server received it: the envelope and the parsed bytes."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]

    def part(self, content_type: str) -> str:
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert found is not None and found.get_content_type() == content_type, content_type
        return found.get_content().replace("\r\n", "\n")  # SMTP's line ends, as read


@dataclass
class _Handler:
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 …" answer
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:  # noqa: E501
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        self.received.append(received)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def refuse(self, address: str, answer: str = "550 5.1.1 No such mailbox here") -> None:
        self.handler.refuse[address] = answer

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


class SilentServer:
    """Accepts TCP connections and never answers (no greeting): a hung mail server."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                continue
            self.connections.append(connection)  # held open, never written to

    def start(self) -> SilentServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        for connection in self.connections:
            connection.close()
        self.sock.close()


def deliver_queued(
    *, now: datetime.datetime | None = None, kinds: tuple[str, ...] | None = None
) -> dict[int, str | None]:
    """Run the send task of every queued email whose attempt is due (of ``kinds``, else all), as
    the workers would after the commit: email id -> the state it reached."""
    now = now or timezone.now()
    ids = OutboundEmail.objects.filter(
        state=OutboundEmail.State.QUEUED, next_attempt_at__lte=now
    ).order_by("id")
    if kinds is not None:
        ids = ids.filter(kind__in=kinds)
    return {
        email_id: outbound_email_deliver(email_id=email_id, now=now)
        for email_id in list(ids.values_list("id", flat=True))
    }
