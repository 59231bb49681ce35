"""Shared fixtures: users of each role, API clients, and a clean settings cache per test."""

from __future__ import annotations

import os
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from settings_app.selectors import sla_config_cache_clear

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On CI every dependency is installed, so a skipped test means a broken set-up: fail."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) were skipped; every test must run on CI.")
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_sla_config_cache():
    sla_config_cache_clear()
    yield
    sla_config_cache_clear()


@pytest.fixture
def super_admin(db):
    return User.objects.create_user(
        "boss", "boss@example.com", PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def agent(db):
    return User.objects.create_user("agent", "agent@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def customer_user(db):
    """A signed-in user who is neither agent nor super admin."""
    return User.objects.create_user("visitor", "visitor@example.com", PASSWORD)


@pytest.fixture
def admin_client_(super_admin) -> Client:
    client = Client()
    client.force_login(super_admin)
    return client


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")
