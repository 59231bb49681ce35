"""The dry run in the background (issue 15: above ``SLA_PREVIEW_INLINE_MAX_TICKETS`` open
tickets): the same counts as the dry run in the request, progress on the way, claimed once, a
clear message when it cannot count, and nothing written but its own row."""

from __future__ import annotations

import random

import pytest

from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_check
from tests.factories import WORKING_HOURS_DOCUMENT, TeamFactory, sla_document
from tests.tickets.test_recompute_paths import AFTER, BEFORE, NOW, _random_tickets, _snapshot
from tickets import preview_runs
from tickets.models import SettingsPreviewRun, Ticket
from tickets.preview import settings_preview
from tickets.preview_runs import settings_preview_run, settings_preview_start

pytestmark = pytest.mark.django_db


def _start(sla_settings, scenario: str = "by priority", seed: int = 1):
    """Random tickets under the scenario's old settings; a background dry run of the new ones
    started (not queued: the test's transaction never commits) and the check it came from."""
    TeamFactory(slug="billing")
    TeamFactory(slug="hardware")
    sla_settings(BEFORE[scenario])
    _random_tickets(random.Random(seed), 30)
    check = sla_settings_check(document=AFTER[scenario], now=NOW)
    assert check.config is not None
    run = settings_preview_start(
        document=check.after,
        settings_version=check.before["version"],
        changes=check.changes,
        tickets=Ticket.objects.filter(closed_at=None).count(),
    )
    return run, check


@pytest.mark.parametrize("scenario", ["by priority", "team schedules, by team"])
def test_a_background_dry_run_counts_what_the_dry_run_in_the_request_does(
    sla_settings, scenario
) -> None:
    run, check = _start(sla_settings, scenario)
    assert run.state == SettingsPreviewRun.State.QUEUED and run.result is None
    stored = _snapshot()
    document = sla_settings_document()

    settings_preview_run(run_id=run.pk, now=NOW)

    run.refresh_from_db()
    assert run.state == SettingsPreviewRun.State.DONE
    assert check.config is not None
    assert run.result == settings_preview(config=check.config, now=NOW).as_json()
    assert run.result["tickets"]["changed"] > 0
    assert run.done == run.tickets == Ticket.objects.filter(closed_at=None).count()
    assert run.finished_at is not None and run.error == ""
    assert _snapshot() == stored and sla_settings_document() == document  # nothing else written


def test_a_run_is_worked_out_once(sla_settings, monkeypatch) -> None:
    run, _check = _start(sla_settings)
    settings_preview_run(run_id=run.pk, now=NOW)
    monkeypatch.setattr(preview_runs, "settings_preview", lambda **kwargs: 1 / 0)
    settings_preview_run(run_id=run.pk, now=NOW)  # a task delivered twice: nothing happens
    run.refresh_from_db()
    assert run.state == SettingsPreviewRun.State.DONE and run.result is not None


def test_progress_is_stamped_on_the_way(sla_settings, monkeypatch) -> None:
    run, check = _start(sla_settings)
    seen: list[tuple[str, int, int]] = []
    original = preview_runs.settings_preview

    def watched(**kwargs):
        def progress(done: int) -> None:
            kwargs_progress(done)
            row = SettingsPreviewRun.objects.get(pk=run.pk)
            seen.append((row.state, row.done, row.tickets))

        kwargs_progress = kwargs.pop("on_progress")
        return original(**kwargs, on_progress=progress, chunk_size=7, in_database=False)

    monkeypatch.setattr(preview_runs, "settings_preview", watched)
    monkeypatch.setattr(preview_runs, "STAMP_EVERY", preview_runs.datetime.timedelta(0))
    settings_preview_run(run_id=run.pk, now=NOW)

    open_tickets = Ticket.objects.filter(closed_at=None).count()
    assert len(seen) >= 3
    assert all(state == "running" and total == open_tickets for state, _done, total in seen)
    assert [done for _state, done, _total in seen] == sorted(done for _s, done, _t in seen)
    assert 0 < seen[0][1] < open_tickets and seen[-1][1] == open_tickets


def test_settings_changed_meanwhile_fail_the_run_with_a_message(sla_settings) -> None:
    run, _check = _start(sla_settings)
    sla_settings(sla_document(WORKING_HOURS_DOCUMENT, goals_enabled=False))  # someone saved
    stored = _snapshot()

    settings_preview_run(run_id=run.pk, now=NOW)

    run.refresh_from_db()
    assert run.state == SettingsPreviewRun.State.FAILED and run.result is None
    assert run.error == preview_runs.CHANGED_MEANWHILE
    assert "changed meanwhile" in run.error
    assert _snapshot() == stored


def test_a_failure_while_counting_is_said_and_nothing_is_written(sla_settings, monkeypatch):
    run, _check = _start(sla_settings)
    stored = _snapshot()
    monkeypatch.setattr(preview_runs, "settings_preview", lambda **kwargs: 1 / 0)

    settings_preview_run(run_id=run.pk, now=NOW)

    run.refresh_from_db()
    assert (run.state, run.error, run.result) == ("failed", preview_runs.FAILED, None)
    assert _snapshot() == stored


def test_a_run_that_cannot_be_queued_says_so(sla_settings, monkeypatch) -> None:
    run, _check = _start(sla_settings)

    def broker_down(*args):
        raise ConnectionError("broker down")

    monkeypatch.setattr(preview_runs, "task_queue", broker_down)
    preview_runs._enqueue(run.pk)

    run.refresh_from_db()
    assert (run.state, run.error) == ("failed", preview_runs.NOT_QUEUED)


def test_runs_older_than_a_day_are_deleted_when_one_starts(sla_settings) -> None:
    old, _check = _start(sla_settings)
    SettingsPreviewRun.objects.filter(pk=old.pk).update(
        created_at=NOW - preview_runs.KEEP_RUNS - preview_runs.datetime.timedelta(minutes=1)
    )
    new = settings_preview_start(
        document=old.document, settings_version=old.settings_version, changes=[], tickets=1
    )
    assert list(SettingsPreviewRun.objects.values_list("pk", flat=True)) == [new.pk]
