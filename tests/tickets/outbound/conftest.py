"""Fixtures of the outgoing email tests: a real SMTP server in the test process, wired as the
project's mail server through Django's real SMTP backend; the ticket API as a channel calls it;
SLA settings (24/7 in Stockholm) and the help desk's email identity."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.utils import timezone

from tests.factories import sla_document
from tests.tickets.conftest import JsonApi, agent_token, api, freeze, sla_settings  # noqa: F401
from tests.tickets.outbound.mailserver import SilentServer, SmtpServer
from tickets.outbound.services import email_settings_save

HELP_DESK = "support@acme.example"
SILENT_TIMEOUT = 2  # EMAIL_TIMEOUT with the silent server, in seconds


def _smtp_settings(settings, port: int, *, timeout: float) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = timeout


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) that the project sends to through Django's SMTP backend."""
    pytest.importorskip("aiosmtpd", reason="install aiosmtpd (requirements-dev.txt)")
    server = SmtpServer().start()
    _smtp_settings(settings, server.port, timeout=5)
    yield server
    server.stop()


@pytest.fixture
def silent_smtp(settings) -> Iterator[SilentServer]:
    """A mail server that accepts connections and never answers; EMAIL_TIMEOUT is 2 s."""
    server = SilentServer().start()
    _smtp_settings(settings, server.port, timeout=SILENT_TIMEOUT)
    yield server
    server.stop()


@pytest.fixture
def stockholm(sla_settings) -> None:  # noqa: F811
    """24/7 in Stockholm: first response 60 min (due soon 15 min before), next 120, close 1 day."""
    sla_settings(sla_document(timezone="Europe/Stockholm"))


@pytest.fixture
def help_desk(db) -> None:
    """The help desk sends as "Acme Support" <support@acme.example>."""
    email_settings_save(
        actor=None,
        now=timezone.now(),
        from_name="Acme Support",
        from_address=HELP_DESK,
        reply_to_address="",
        acknowledge_new_tickets=True,
    )


@pytest.fixture(autouse=True)
def _quiet_smtp_server_log() -> None:
    """aiosmtpd logs every SMTP command at INFO."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)
