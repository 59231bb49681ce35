"""Celery as deployed: a real worker (and beat) in-process, on Redis when REDIS_URL is set.

Each test starts from an empty queue, so messages left over from another run are never read.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Iterator

import pytest
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from settings_app.models import SlaSettingsChange
from settings_app.services import sla_settings_save
from slaproject.celery import app
from tickets.models import SlaClock, SlaEvent
from tickets.services import ticket_create
from tickets.tasks import ping

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs Redis: install redis-server and set REDIS_URL"
)


@pytest.fixture
def celery_app(tmp_path) -> Iterator[object]:
    """The project's Celery app pointed at Redis (REDIS_URL) or the in-memory transport."""
    saved = {
        key: app.conf.get(key)
        for key in (
            "broker_url",
            "result_backend",
            "task_default_queue",
            "task_ignore_result",
            "beat_schedule",
            "broker_transport_options",
        )
    }
    app.conf.update(
        broker_url=REDIS_URL or "memory://",
        result_backend=REDIS_URL or "cache+memory://",
        task_ignore_result=False,
        broker_transport_options={},
    )
    _reset_connections()
    # The default queue, emptied: a run's Redis database is its own (REDIS_URL), and nothing
    # left there by an earlier run is read.
    app.control.purge()
    yield app
    app.conf.update(saved)
    _reset_connections()


def _reset_connections() -> None:
    """Forget cached connections and result backend so the new configuration takes effect
    (what Celery itself does after a fork)."""
    app._after_fork()  # noqa: SLF001
    app._backend_cache = None  # noqa: SLF001
    app._local.__dict__.pop("backend", None)  # noqa: SLF001


@pytest.mark.django_db
def test_task_round_trip_through_a_real_worker(celery_app):
    with start_worker(celery_app, pool="solo", perform_ping_check=False):
        assert ping.delay(41).get(timeout=20) == 42


@needs_redis
@pytest.mark.redis
@pytest.mark.django_db
def test_round_trip_uses_redis_when_configured(celery_app):
    assert celery_app.conf.broker_url.startswith("redis://")
    with start_worker(celery_app, pool="solo", perform_ping_check=False):
        result = ping.delay(1)
        assert result.get(timeout=20) == 2
    # The result came back through Redis: it is stored there under the task id.
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    assert client.exists(f"celery-task-meta-{result.id}") == 1


@pytest.mark.django_db(transaction=True)
def test_worker_and_beat_sweep_turn_a_ticket_overdue(celery_app, tmp_path):
    sla_settings_save(
        document={
            "applies": "always",
            "goals_enabled": True,
            "scope": "all",
            "goals": [{"value": None, "first_response_minutes": 1}],
        },
        actor=None,
        via=SlaSettingsChange.Via.COMMAND,
    )
    created = timezone.now() - datetime.timedelta(minutes=5)
    ticket = ticket_create(
        subject="Printer on fire", body="It is.", requester_email="ana@example.com", now=created
    )
    clock = SlaClock.objects.get(ticket=ticket, kind="first_response")
    # Persisted when created five minutes ago: still "active", until a sweep runs.
    assert clock.status == "active"

    celery_app.conf.beat_schedule = {
        "sla-sweep": {"task": "tickets.tasks.sla_sweep_task", "schedule": 0.5}
    }
    beat = EmbeddedService(
        celery_app, thread=True, schedule_filename=str(tmp_path / "beat-schedule")
    )
    with start_worker(celery_app, pool="solo", perform_ping_check=False):
        beat.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                clock.refresh_from_db()
                if clock.status == "overdue":
                    break
                time.sleep(0.2)
        finally:
            beat.stop()
    assert clock.status == "overdue"
    events = SlaEvent.objects.filter(clock=clock, kind="overdue")
    assert events.count() == 1
    assert events.get().at == clock.due_at
