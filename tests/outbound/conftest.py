"""Fixtures of the outgoing email tests: a real SMTP server in the test process, wired as the
project's mail server through Django's real SMTP backend."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.outbound.mailserver import SilentServer, SmtpServer


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
    pytest.importorskip("aiosmtpd", reason="install aiosmtpd (requirements-dev.txt)")
    server = SmtpServer().start()
    _smtp_settings(settings, server.port, timeout=5)
    yield server
    server.stop()


@pytest.fixture
def silent_smtp(settings) -> Iterator[SilentServer]:
    server = SilentServer().start()
    _smtp_settings(settings, server.port, timeout=1)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _quiet_smtp_server_log() -> None:
    """aiosmtpd logs every SMTP command at INFO."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)
