"""Reads of the health app: the report behind ``/healthz``, and whether a recompute of open
tickets is waiting for a background worker.

Nothing here reveals a host name, an address, a version or an error message: ``/healthz`` is open
to anyone who can reach it (a load balancer, a monitor), so it says only what is up and how old.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

from slaproject.health.models import Heartbeat

logger = logging.getLogger(__name__)

# "No worker has been seen for a minute": a recompute that made no progress for this long, with
# no worker heartbeat this recent, is shown as waiting for a background worker.
WORKER_GONE_AFTER = datetime.timedelta(minutes=1)
# How long the broker check may take before it counts as down.
BROKER_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Check:
    """One line of the report: is it fine, since when, and how old is what was seen."""

    ok: bool
    at: datetime.datetime | None = None
    stale_after_seconds: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self, *, now: datetime.datetime) -> dict[str, Any]:
        age = None if self.at is None else max(0.0, (now - self.at).total_seconds())
        body: dict[str, Any] = {
            "ok": self.ok,
            "at": _iso(self.at),
            "age_seconds": None if age is None else round(age, 1),
        }
        if self.stale_after_seconds is not None:
            body["stale_after_seconds"] = self.stale_after_seconds
        return {**body, **self.extra}


def beat_sweep_stale_after() -> datetime.timedelta:
    """A beat sweep older than this is stale: three sweep intervals, at least three minutes."""
    seconds = getattr(settings, "HEALTH_BEAT_SWEEP_STALE_SECONDS", None)
    if seconds is None:
        seconds = max(180.0, 3 * float(settings.SLA_SWEEP_SECONDS))
    return datetime.timedelta(seconds=seconds)


def worker_stale_after() -> datetime.timedelta:
    """A worker heartbeat older than this is stale (default: a minute, four heartbeats)."""
    seconds = getattr(settings, "HEALTH_WORKER_STALE_SECONDS", None)
    return datetime.timedelta(seconds=seconds) if seconds is not None else WORKER_GONE_AFTER


def worker_last_seen() -> datetime.datetime | None:
    """When a Celery worker was last seen running a task (None: never)."""
    return Heartbeat.objects.filter(kind=Heartbeat.Kind.WORKER).values_list("at", flat=True).first()


def recompute_waiting_since(recompute: Any, *, now: datetime.datetime) -> datetime.datetime | None:
    """For a queued or running recompute (``tickets.models.SlaRecompute``) that has made no
    progress for a minute while no worker was seen for a minute: the moment of its last progress
    (or of its creation), since when it waits for a background worker. Otherwise None."""
    if recompute.state not in ("queued", "running"):
        return None
    if now - recompute.updated_at < WORKER_GONE_AFTER:
        return None
    seen = worker_last_seen()
    if seen is not None and now - seen < WORKER_GONE_AFTER:
        return None
    return recompute.updated_at


def _database_check(now: datetime.datetime) -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("Health check: the database does not answer", exc_info=True)
        return Check(ok=False)
    return Check(ok=True, at=now)


def _broker_check(now: datetime.datetime) -> Check:
    from kombu import Connection

    from slaproject.celery import app

    options = {
        **(app.conf.broker_transport_options or {}),
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
    }
    try:
        with Connection(
            app.conf.broker_url,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options=options,
        ) as broker:
            broker.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
            )
    except Exception:  # any failure to reach it is "down"; the log has the reason
        logger.warning("Health check: the broker does not answer", exc_info=True)
        return Check(ok=False)
    return Check(ok=True, at=now)


def _heartbeat_check(
    kind: str, beat: Heartbeat | None, *, now: datetime.datetime, stale_after: datetime.timedelta
) -> Check:
    limit = int(stale_after.total_seconds())
    extra = {}
    if kind == Heartbeat.Kind.BEAT_SWEEP:  # the steps of the last sweep that raised
        extra["failed_steps"] = list(beat.detail.get("failed", [])) if beat else []
    if beat is None:
        return Check(ok=False, stale_after_seconds=limit, extra=extra)
    return Check(
        ok=now - beat.at <= stale_after, at=beat.at, stale_after_seconds=limit, extra=extra
    )


def health_report(*, now: datetime.datetime) -> dict[str, Any]:
    """What ``/healthz`` answers: ``{"ok", "checked_at", "checks": {name: {"ok", "at",
    "age_seconds", …}}}`` for the database, the broker, the last beat sweep and the last worker
    heartbeat. ``ok`` is false when any check is: one does not answer or is stale."""
    checks = {"database": _database_check(now), "broker": _broker_check(now)}
    beats: dict[str, Heartbeat] = {}
    if checks["database"].ok:
        try:
            beats = {beat.kind: beat for beat in Heartbeat.objects.all()}
        except DatabaseError:
            logger.warning("Health check: heartbeats cannot be read", exc_info=True)
    for name, kind, stale_after in (
        ("beat_sweep", Heartbeat.Kind.BEAT_SWEEP, beat_sweep_stale_after()),
        ("worker_heartbeat", Heartbeat.Kind.WORKER, worker_stale_after()),
    ):
        checks[name] = _heartbeat_check(kind, beats.get(kind), now=now, stale_after=stale_after)
    return {
        "ok": all(check.ok for check in checks.values()),
        "checked_at": _iso(now),
        "checks": {name: check.as_json(now=now) for name, check in checks.items()},
    }


def _iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
