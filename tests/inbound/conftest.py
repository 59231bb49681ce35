"""Fixtures of the inbound email tests: a real IMAP server (Dovecot) with a mailbox per test, and
the corpus of message shapes."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.inbound.dovecot import INSTALL_HINT, ImapServer, dovecot_binary, running_dovecot

CORPUS = Path(__file__).parent / "corpus"
_users = itertools.count(1)


def corpus(name: str) -> bytes:
    """The bytes of ``tests/inbound/corpus/<name>.eml``."""
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
