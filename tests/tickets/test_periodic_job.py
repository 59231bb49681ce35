"""The periodic job (beat's ``sla_sweep_task``): each step — sweep, notifications, stalled
recomputes, purges — runs and reports on its own, so one failing step never stops the others."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from settings_app.models import SlaSettingsChange
from settings_app.services import sla_settings_save
from slaproject.celery import app
from slaproject.health.models import Heartbeat
from tests.factories import ALWAYS_DOCUMENT, TicketFactory, sla_document
from tickets.api_auth.models import IdempotencyKey
from tickets.models import SlaEvent, SlaRecompute, SlaRecomputePart
from tickets.sweep import sla_sweep, sla_sweep_and_notify
from tickets.tasks import sla_sweep_task

User = get_user_model()
MINUTE = datetime.timedelta(minutes=1)
STEPS = ("sweep", "notifications", "stalled_recomputes", "idempotency_keys")


class Poisoned(Exception):
    """Stands for whatever a step may raise (a bad email header, a database error)."""


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Queued tasks run at once, in this process: a re-queued recompute runs to its end."""
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def world(db, eager_celery) -> dict[str, Any]:
    """An email owed and transitions due, a recompute whose queue messages were lost three
    minutes ago, and idempotency keys from yesterday and from just now."""
    now = timezone.now()
    sla_settings_save(
        document=sla_document(ALWAYS_DOCUMENT), actor=None, via=SlaSettingsChange.Via.COMMAND
    )
    owner = User.objects.create_user("owner", "owner@example.com", "x", is_staff=True)
    # An overdue transition swept earlier, whose email is still owed.
    TicketFactory(now=now - 200 * MINUTE, owner=owner)
    sla_sweep(now=now - 130 * MINUTE)
    late = TicketFactory(now=now - 90 * MINUTE, owner=owner)  # due soon and overdue, unswept
    # Saved for new and open tickets in this test's transaction: its tasks were never queued
    # (on commit), as if the broker had lost them.
    recompute = sla_settings_save(
        document=sla_document(ALWAYS_DOCUMENT, timezone="Europe/Stockholm"),
        actor=None,
        via=SlaSettingsChange.Via.COMMAND,
        apply_to="new_and_open",
    ).recompute
    SlaRecomputePart.objects.filter(recompute=recompute).update(updated_at=now - 3 * MINUTE)
    for key, age in (("yesterday", datetime.timedelta(hours=25)), ("now", MINUTE)):
        IdempotencyKey.objects.create(
            user=owner,
            key=key,
            path="/api/tickets/",
            status_code=201,
            response_body={},
            created_at=now - age,
        )
    return {"now": now, "late": late, "recompute": recompute}


def _poison(monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    def raise_(**_kwargs: Any) -> Any:
        raise Poisoned(f"{step} is poisoned")

    target = {
        "sweep": "tickets.sweep.sla_sweep",
        "notifications": "tickets.notifications.sla_notifications_send",
        "stalled_recomputes": "tickets.recompute.sla_recomputes_requeue_stalled",
        "idempotency_keys": "tickets.api_auth.idempotency.idempotency_keys_purge",
    }[step]
    monkeypatch.setattr(target, raise_)


def test_a_failing_notification_step_leaves_the_recompute_and_purge_steps_running(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _poison(monkeypatch, "notifications")

    with caplog.at_level(logging.ERROR, logger="tickets.sweep"):
        result = sla_sweep_task()  # what beat runs, in this process

    assert result["failed"] == ["notifications"]
    # The sweep before it recorded the overdue transition (its email is still owed).
    overdue = SlaEvent.objects.get(ticket=world["late"], kind="overdue")
    assert overdue.should_notify and overdue.notified_at is None
    assert result["transitions"] == {"due_soon": 1, "overdue": 1}
    # The stalled recompute was queued again, and ran (eagerly here) to its end.
    assert result["recomputes_requeued"] == 1
    world["recompute"].refresh_from_db()
    assert world["recompute"].state == SlaRecompute.State.DONE
    # Yesterday's idempotency key is purged; the fresh one is kept.
    assert result["idempotency_keys_purged"] == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["now"]
    # The failure is logged with its step and time, and the beat sweep's heartbeat lists it.
    [record] = [r for r in caplog.records if "step 'notifications' failed" in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is Poisoned
    beat = Heartbeat.objects.get(kind=Heartbeat.Kind.BEAT_SWEEP)
    assert beat.detail == {"failed": ["notifications"]}
    # Once the step works again, the owed email goes out.
    monkeypatch.undo()
    again = sla_sweep_and_notify(now=timezone.now())
    assert again["failed"] == [] and again["emails"] == 2


@pytest.mark.parametrize("poisoned", STEPS)
def test_each_step_runs_whichever_other_step_fails(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, poisoned: str
) -> None:
    _poison(monkeypatch, poisoned)

    result = sla_sweep_and_notify(now=timezone.now())

    assert result["failed"] == [poisoned]
    done = {
        "sweep": result["transitions"] == {"due_soon": 1, "overdue": 1},
        # The earlier transition's email, and the one of the sweep's when it ran.
        "notifications": result["emails"] == (2 if poisoned != "sweep" else 1),
        "stalled_recomputes": result["recomputes_requeued"] == 1,
        "idempotency_keys": result["idempotency_keys_purged"] == 1,
    }
    assert done == {step: step != poisoned for step in STEPS}


def test_the_command_reports_a_failed_step_after_running_the_others(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _poison(monkeypatch, "stalled_recomputes")
    with pytest.raises(CommandError, match="These steps failed .*: stalled_recomputes"):
        call_command("sla_sweep")
    assert not IdempotencyKey.objects.filter(key="yesterday").exists()


def test_a_clean_run_reports_no_failure_and_stamps_the_beat_sweep(world: dict[str, Any]) -> None:
    result = sla_sweep_task()
    assert result["failed"] == [] and result["emails"] == 2
    beat = Heartbeat.objects.get(kind=Heartbeat.Kind.BEAT_SWEEP)
    assert beat.detail == {"failed": []}
    assert timezone.now() - beat.at < MINUTE
