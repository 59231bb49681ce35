"""Shared fixtures: users of each role, API clients, and a clean settings cache per test."""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` (PostgreSQL's own statements, locks and plans) are skipped on
    another database, with the reason; on CI (PostgreSQL) every one runs."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On SQLite, test in a database file in WAL mode, as the product runs (``settings.py``).

    Django's default SQLite test database is in memory with a shared cache. There, locking is per
    table and a reader meets a writer's lock at once ("database table is locked"), without the
    busy timeout: a test thread reading while an in-process Celery worker or the live server
    writes fails at random. A WAL file lets readers go on during a write, as in production. Each
    pytest-xdist worker gets its own file (its own temporary directory).
    """
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tmp_path_factory.mktemp("sqlite")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """Each test starts in the site's language: Django's LocaleMiddleware leaves a request's
    language active in the thread, so a Swedish request must not make the next test Swedish."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _test_settings(settings) -> None:
    """Fast password hashing (the production hasher costs ~0.3 s a user), and plain static
    files: the manifest storage of DEBUG=false needs a ``collectstatic`` run first."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The sign-in lockout and the rate limits are on by default (production); the suite's other
    # tests sign in and post from one address, and parallel workers share one Redis, so they
    # run with both off. tests/hardening/test_throttling.py switches them on, as a test outside
    # the project would.
    settings.LOGIN_LOCKOUT_ENABLED = False
    settings.RATE_LIMITS_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """The data migration's rows (the "support" pipeline, the settings row) in transactional
    tests: each one's teardown empties every table, and the next would start without what a
    fresh database always holds."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    migration = importlib.import_module("settings_app.migrations.0002_support_pipeline")
    migration.create(apps, None)


@pytest.fixture(autouse=True, scope="session")
def _celery_in_memory() -> None:
    """Tasks that the code under test queues (on commit, or from the sweep) go to Celery's
    in-memory transport, where nothing runs them — never to the worktree's ``var/broker`` folder
    or the CI's Redis. Tests that run a worker point Celery at a broker of their own."""
    from slaproject.celery import app

    app.conf.update(broker_url="memory://", broker_transport_options={})


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
