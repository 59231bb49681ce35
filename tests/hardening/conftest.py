"""Fixtures of the hardening tests: one client per role, the objects every URL needs, helpers
for free ports and a private Redis server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from settings_app.models import SlaSettingsChange, Team
from settings_app.services import sla_settings_save
from tests.factories import ALWAYS_DOCUMENT, TicketFactory, sla_document
from tickets.api_auth.models import ApiToken
from tickets.models import AgentProfile, SlaRecompute, Ticket

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"
# Every kind of visitor the permission walk plays, in the order the tables list them.
ROLES = ("anonymous", "customer", "user", "agent", "staff", "super_admin")


@dataclass
class World:
    """The people and objects the URLs of the project need, one of each."""

    clients: dict[str, Client]
    users: dict[str, object]
    ticket: Ticket
    recompute: SlaRecompute
    change: SlaSettingsChange
    group: Group
    team: Team
    token: ApiToken
    profile: AgentProfile
    plain_user: object
    attempt: AccessAttempt  # failed sign-ins of an agent (django-axes)
    sign_in: AccessLog  # a successful sign-in of an agent

    def fresh_client(self, role: str) -> Client:
        """A new client of ``role``, for a request that changes its session (signing out)."""
        if role == "customer":
            return _customer()
        if role in self.users:
            return _signed_in(self.users[role])
        return Client()


def _signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _customer() -> Client:
    """A visitor who has just opened a ticket with the request form (their session knows it)."""
    customer = Client()
    response = customer.post(
        "/request/",
        {"requester_email": "cy@example.com", "subject": "Where is my order?", "body": "Hi!"},
    )
    assert response.status_code == 302, response.content
    return customer


def sign_in_attempt(username: str, *, failures: int = 3) -> AccessAttempt:
    """Failed sign-ins of ``username`` from one address, as django-axes records them."""
    return AccessAttempt.objects.create(
        username=username,
        ip_address="203.0.113.7",
        user_agent="curl/8",
        get_data="",
        post_data="",
        failures_since_start=failures,
    )


@pytest.fixture
def world(db) -> World:
    sla_settings_save(
        document=sla_document(ALWAYS_DOCUMENT), actor=None, via=SlaSettingsChange.Via.COMMAND
    )
    users = {
        "user": User.objects.create_user("visitor", "visitor@example.com", PASSWORD),
        "agent": User.objects.create_user("agent", "agent@example.com", PASSWORD, is_staff=True),
        "staff": User.objects.create_user(
            "support", "support@example.com", PASSWORD, is_staff=True
        ),
        "super_admin": User.objects.create_user(
            "boss", "boss@example.com", PASSWORD, is_staff=True, is_superuser=True
        ),
    }
    # Support staff: every permission Django has, yet not a super admin.
    users["staff"].user_permissions.set(Permission.objects.all())
    clients = {"anonymous": Client(), "customer": _customer()}
    clients.update({role: _signed_in(user) for role, user in users.items()})
    team = Team.objects.create(name="Billing", slug="billing")
    return World(
        clients=clients,
        users=users,
        ticket=TicketFactory(now=timezone.now()),
        recompute=SlaRecompute.objects.create(settings_version=1, tickets=10, done=4),
        change=SlaSettingsChange.objects.order_by("-id").first(),
        group=Group.objects.create(name="Night shift"),
        team=team,
        token=ApiToken.objects.create(user=users["agent"], key=ApiToken.generate_key()),
        profile=AgentProfile.objects.create(user=users["agent"], timezone="Europe/Stockholm"),
        plain_user=User.objects.create_user("former", "former@example.com", PASSWORD),
        attempt=sign_in_attempt("agent"),
        sign_in=AccessLog.objects.create(username="agent", ip_address="198.51.100.4"),
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class PrivateRedis:
    """A redis-server of our own on a free port (never the machine's shared one)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REDIS_URL"):
            pytest.fail("REDIS_URL is set but the redis-server binary is missing")
        pytest.skip("needs Redis: install redis-server (and set REDIS_URL)")
    server = PrivateRedis(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()
