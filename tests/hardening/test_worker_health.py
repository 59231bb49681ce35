"""A stopped worker in plain sight (issue "Robustness"): with Redis on a private port and no
Celery worker, a recompute of open tickets says it waits for a background worker, and /healthz
answers 503; with a worker and beat running, the recompute finishes and /healthz answers 200."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from settings_app.selectors import sla_settings_document
from slaproject.health.models import Heartbeat
from tests.factories import TicketFactory, sla_document
from tests.hardening.conftest import PrivateRedis
from tests.hardening.test_faults import ALWAYS, _save, celery_on_private_redis  # noqa: F401
from tickets.api_auth.models import ApiToken
from tickets.models import SlaRecompute

User = get_user_model()
A_MINUTE_LATER = datetime.timedelta(seconds=75)
WAITING = "Waiting for a background worker since"


def _wait_for(condition: Callable[[], bool], *, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _health(client: Client) -> tuple[int, dict[str, bool]]:
    response = client.get("/healthz")
    body = response.json()
    return response.status_code, {name: check["ok"] for name, check in body["checks"].items()}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_stopped_worker_is_shown_and_a_running_one_catches_up(
    celery_on_private_redis: Any,  # noqa: F811
    private_redis: PrivateRedis,
    tmp_path,
) -> None:
    app = celery_on_private_redis
    _save(ALWAYS)
    for _ in range(3):
        TicketFactory()
    boss = User.objects.create_user(
        "boss", "boss@example.com", "x", is_staff=True, is_superuser=True
    )
    page = Client()
    page.force_login(boss)
    token = ApiToken.objects.create(user=boss, key=ApiToken.generate_key())
    api = Client(headers={"Authorization": f"Token {token.key}"})
    monitor = Client()

    # No worker runs: the save for new and open tickets queues its tasks on Redis, and waits.
    document = {**sla_document(ALWAYS, timezone="Europe/Stockholm"), "apply_to": "new_and_open"}
    saved = api.put("/api/sla/settings/", json.dumps(document), content_type="application/json")
    assert saved.status_code == 202, saved.content
    recompute = SlaRecompute.objects.get(pk=saved.json()["recompute"]["id"])
    assert saved.json()["recompute"]["waiting_for_worker_since"] is None  # just queued
    progress_url = f"/api/sla/recomputes/{recompute.pk}/"
    card_url = f"/settings/sla/recomputes/{recompute.pk}/"
    assert WAITING not in page.get(card_url).content.decode()  # not before a minute has passed

    with time_machine.travel(timezone.now() + A_MINUTE_LATER, tick=True):
        progress = api.get(progress_url).json()
        assert progress["state"] == "queued" and progress["done"] == 0
        since = recompute.updated_at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
        assert progress["waiting_for_worker_since"] == since
        card = page.get(card_url).content.decode()
        assert WAITING in card
        assert 'id="recompute-waiting"' in card
        settings_page = page.get(f"/settings/sla/?recompute={recompute.pk}").content.decode()
        assert WAITING in settings_page
        status, checks = _health(monitor)
        assert status == 503
        assert checks == {
            "database": True,
            "broker": True,
            "beat_sweep": False,
            "worker_heartbeat": False,
        }

    # A worker and beat start: the heartbeat and the sweep run, the recompute finishes.
    app.conf.beat_schedule = {
        "sla-sweep": {"task": "tickets.tasks.sla_sweep_task", "schedule": 0.5},
        "worker-heartbeat": {"task": "health.tasks.worker_heartbeat", "schedule": 0.5},
    }
    beat = EmbeddedService(app, thread=True, schedule_filename=str(tmp_path / "beat-schedule"))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        beat.start()
        try:

            def caught_up() -> bool:
                recompute.refresh_from_db()
                return recompute.state == SlaRecompute.State.DONE and (
                    Heartbeat.objects.filter(kind__in=["worker", "beat_sweep"]).count() == 2
                )

            assert _wait_for(caught_up), (recompute.state, list(Heartbeat.objects.all()))
            assert _health(monitor) == (
                200,
                {"database": True, "broker": True, "beat_sweep": True, "worker_heartbeat": True},
            )
            card = page.get(card_url).content.decode()
            assert "Recomputed 3 open tickets" in card and WAITING not in card
            done = api.get(progress_url).json()
            assert done["state"] == "done" and done["waiting_for_worker_since"] is None
        finally:
            beat.stop()
    assert sla_settings_document()["timezone"] == "Europe/Stockholm"

    # The worker stopped a minute ago: /healthz says so, and so does the next recompute.
    with time_machine.travel(timezone.now() + A_MINUTE_LATER, tick=True):
        status, checks = _health(monitor)
        assert status == 503 and checks["worker_heartbeat"] is False
        body = monitor.get("/healthz").json()
        assert body["checks"]["worker_heartbeat"]["age_seconds"] >= 60


@pytest.mark.redis
@pytest.mark.django_db
def test_a_broker_that_does_not_answer_is_503_without_saying_where_it_is(
    celery_on_private_redis: Any,  # noqa: F811
    private_redis: PrivateRedis,
) -> None:
    monitor = Client()
    assert _health(monitor)[1]["broker"] is True
    private_redis.stop()
    started = time.monotonic()
    response = monitor.get("/healthz")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"] == {"ok": False, "at": None, "age_seconds": None}
    assert str(private_redis.port) not in response.content.decode()
    assert "redis" not in response.content.decode().lower()
