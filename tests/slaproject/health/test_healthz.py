"""``GET /healthz``: database, broker, last beat sweep and last worker heartbeat, each with its
age; 503 when one does not answer or is stale; open to monitors, revealing nothing sensitive.
(With a real broker and worker: tests/hardening/test_worker_health.py.)"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.utils import timezone

from slaproject.health.models import Heartbeat
from slaproject.health.services import heartbeat_stamp

SECONDS = datetime.timedelta(seconds=1)


def _stamp(*, sweep_age: float, worker_age: float, failed: list[str] | None = None) -> None:
    now = timezone.now()
    heartbeat_stamp(
        kind=Heartbeat.Kind.BEAT_SWEEP,
        now=now - sweep_age * SECONDS,
        detail={"failed": failed or []},
    )
    heartbeat_stamp(kind=Heartbeat.Kind.WORKER, now=now - worker_age * SECONDS)


def _get(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


def test_all_fresh_is_200_for_anyone_without_signing_in(client: Client, db) -> None:
    _stamp(sweep_age=30, worker_age=5)

    status, body = _get(client)

    assert status == 200
    assert body["ok"] is True
    checks = body["checks"]
    assert set(checks) == {"database", "broker", "beat_sweep", "worker_heartbeat"}
    assert all(check["ok"] for check in checks.values())
    assert checks["database"]["age_seconds"] == 0 and checks["broker"]["age_seconds"] == 0
    assert 29 <= checks["beat_sweep"]["age_seconds"] < 40
    assert 4 <= checks["worker_heartbeat"]["age_seconds"] < 15
    assert checks["beat_sweep"]["stale_after_seconds"] == 180
    assert checks["worker_heartbeat"]["stale_after_seconds"] == 60
    assert checks["beat_sweep"]["failed_steps"] == []
    assert body["checked_at"].endswith("Z")


def test_a_stale_heartbeat_is_503_and_named(client: Client, db) -> None:
    _stamp(sweep_age=30, worker_age=75)

    status, body = _get(client)

    assert status == 503
    assert body["ok"] is False
    assert [name for name, check in body["checks"].items() if not check["ok"]] == [
        "worker_heartbeat"
    ]
    assert body["checks"]["worker_heartbeat"]["age_seconds"] >= 75


def test_nothing_ever_seen_is_503_with_no_age(client: Client, db) -> None:
    status, body = _get(client)
    assert status == 503
    for name in ("beat_sweep", "worker_heartbeat"):
        assert body["checks"][name] | {"stale_after_seconds": 0} == {
            "ok": False,
            "at": None,
            "age_seconds": None,
            "stale_after_seconds": 0,
        } | ({"failed_steps": []} if name == "beat_sweep" else {})


def test_the_sweep_limit_follows_the_sweep_interval(client: Client, db, settings) -> None:
    settings.SLA_SWEEP_SECONDS = 300  # a sweep every five minutes: stale after fifteen
    _stamp(sweep_age=600, worker_age=5)
    status, body = _get(client)
    assert status == 200
    assert body["checks"]["beat_sweep"]["stale_after_seconds"] == 900
    settings.HEALTH_BEAT_SWEEP_STALE_SECONDS = 500
    assert _get(client)[0] == 503


def test_failed_steps_of_the_last_sweep_are_shown(client: Client, db) -> None:
    _stamp(sweep_age=10, worker_age=5, failed=["notifications"])
    status, body = _get(client)
    assert status == 200  # the job ran; the failing step is logged and shown
    assert body["checks"]["beat_sweep"]["failed_steps"] == ["notifications"]


def test_a_database_that_does_not_answer_is_503(client: Client, db) -> None:
    _stamp(sweep_age=10, worker_age=5)

    def down(*_args: Any) -> Any:
        raise DatabaseError("connection to server at 10.0.0.5 failed")

    with connection.execute_wrapper(down):
        status, body = _get(client)

    assert status == 503
    assert body["checks"]["database"] == {"ok": False, "at": None, "age_seconds": None}
    assert body["checks"]["worker_heartbeat"]["ok"] is False  # unknown: not read
    assert "10.0.0.5" not in str(body)


def test_a_stamp_never_moves_a_heartbeat_backwards(db) -> None:
    now = timezone.now()
    heartbeat_stamp(kind=Heartbeat.Kind.WORKER, now=now)
    heartbeat_stamp(kind=Heartbeat.Kind.WORKER, now=now - 30 * SECONDS)  # a slower worker
    assert Heartbeat.objects.get(kind=Heartbeat.Kind.WORKER).at == now


def test_the_worker_heartbeat_task_stamps_the_row(db) -> None:
    from slaproject.health.tasks import worker_heartbeat

    worker_heartbeat()  # as a worker runs it
    seen = Heartbeat.objects.get(kind=Heartbeat.Kind.WORKER).at
    assert timezone.now() - seen < 5 * SECONDS


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get(client: Client, db, method: str) -> None:
    assert getattr(client, method)("/healthz").status_code == 405


def test_a_503_is_logged_once_as_a_warning_not_as_an_error_per_probe(
    client: Client, db, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    from slaproject.health import views

    monkeypatch.setattr(views, "_last_failing", frozenset())
    caplog.set_level(logging.INFO)
    _stamp(sweep_age=30, worker_age=75)

    statuses = [_get(client)[0] for _probe in range(3)]
    _stamp(sweep_age=30, worker_age=5)
    statuses.append(_get(client)[0])

    assert statuses == [503, 503, 503, 200]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    health = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == views.__name__]
    assert health == [
        ("WARNING", "Health check failing: worker_heartbeat"),
        ("INFO", "Health check passing again (was failing: worker_heartbeat)"),
    ]
