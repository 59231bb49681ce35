"""The rebuild of the ticket and clock indexes after a recompute run (``tickets.index_rebuild``).

On PostgreSQL a desk of a few thousand tickets is copied in SQL from one made by the services, its
ticket indexes bloated as a full recompute bloats them (every row's indexed moment rewritten a few
times, then vacuumed), and the rebuild is run as the task runs it: outside any transaction.
"""

from __future__ import annotations

import datetime
import logging

import pytest
from django.db import connection, connections

from tests.factories import ALWAYS_DOCUMENT, TicketFactory, sla_document
from tests.tickets.conftest import utc
from tickets import recompute as recompute_module
from tickets.index_rebuild import (
    ADVISORY_LOCK,
    INDEX_REBUILD_TASK,
    recompute_indexes_rebuild,
)
from tickets.models import SlaClock, SlaRecompute, Ticket
from tickets.recompute import (
    sla_recompute_run,
    sla_recompute_start,
    sla_recomputes_requeue_stalled,
)

NOW = utc("2026-12-01T08:10:00Z")
COPIES = 3000


def _size(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(%s::regclass)", [name])
        return cursor.fetchone()[0]


def _filenode(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relfilenode FROM pg_class WHERE relname = %s", [name])
        return cursor.fetchone()[0]


def _sql(*statements: str) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _run(*, tickets: int) -> SlaRecompute:
    """A finished recompute run of ``tickets`` open tickets, as its last chunk leaves it."""
    return SlaRecompute.objects.create(
        settings_version=2, tickets=tickets, done=tickets, state=SlaRecompute.State.DONE
    )


@pytest.fixture
def desk(sla_settings) -> int:
    """A desk of ``COPIES + 1`` open tickets; returns how many."""
    sla_settings(sla_document(ALWAYS_DOCUMENT))
    ticket = TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    columns = ", ".join(
        connection.ops.quote_name(field.column)
        for field in Ticket._meta.concrete_fields
        if field.column != "id"
    )
    _sql(
        f"INSERT INTO tickets_ticket ({columns}) SELECT {columns} FROM tickets_ticket, "
        f"generate_series(1, {COPIES}) WHERE id = {ticket.pk}",
        # Distinct due moments, as a desk has.
        "UPDATE tickets_ticket SET sla_due_at = sla_due_at + id * interval '1 minute'",
        "VACUUM ANALYZE tickets_ticket",
    )
    return COPIES + 1


def _bloat() -> None:
    """What a full recompute does to the ticket indexes: every open ticket's moment rewritten
    (a non-HOT update: a new entry in every index), a few times, then vacuumed."""
    for _ in range(3):
        _sql("UPDATE tickets_ticket SET sla_due_at = sla_due_at + interval '1 minute'")
    _sql("VACUUM ANALYZE tickets_ticket")


def _what_pages_read() -> tuple:
    """What the queue page and the sweep read through these indexes."""
    open_tickets = Ticket.objects.filter(closed_at__isnull=True)
    return (
        list(open_tickets.order_by("sla_due_at", "id").values_list("id", "sla_due_at")[:100]),
        list(open_tickets.order_by("-id").values_list("id", flat=True)[:100]),
        open_tickets.filter(sla_due_at__lt=NOW + datetime.timedelta(days=1)).count(),
        list(
            SlaClock.objects.filter(next_check_at__isnull=False)
            .order_by("next_check_at", "id")
            .values_list("id", "ticket_id", "next_check_at")
        ),
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_rebuild_shrinks_the_bloated_indexes_and_changes_no_result(desk) -> None:
    fresh = _size("ticket_sla_due_idx")
    _bloat()
    bloated = _size("ticket_sla_due_idx")
    assert bloated > 1.5 * fresh
    before = _what_pages_read()
    run = _run(tickets=desk)

    result = recompute_indexes_rebuild(recompute_id=run.pk, now=NOW)

    assert result.outcome == "rebuilt"
    assert result.shares["tickets_ticket"] == pytest.approx(1.0)
    assert _size("ticket_sla_due_idx") <= 1.1 * fresh
    rebuilt = {index.name: index for index in result.indexes}
    assert rebuilt["ticket_sla_due_idx"].bytes_before == bloated
    assert rebuilt["ticket_sla_due_idx"].bytes_after == _size("ticket_sla_due_idx")
    assert {"tickets_ticket_pkey", "ticket_open_sort_key_idx", "tickets_slaclock_pkey"} <= set(
        rebuilt
    )
    assert not any(index.error for index in result.indexes)
    assert _what_pages_read() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_index WHERE indrelid = 'tickets_ticket'::regclass"
            " AND NOT indisvalid"
        )
        assert cursor.fetchone()[0] == 0
    run.refresh_from_db()
    assert run.indexes_rebuilt_at == NOW
    # The task delivered again (acks_late) finds the run's rebuild done.
    filenode = _filenode("ticket_sla_due_idx")
    again = recompute_indexes_rebuild(recompute_id=run.pk, now=NOW + datetime.timedelta(hours=1))
    assert again.outcome == "already_done"
    assert _filenode("ticket_sla_due_idx") == filenode


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_that_rewrote_under_the_threshold_leaves_the_tables_indexes(desk, settings) -> None:
    settings.SLA_REINDEX_MIN_SHARE = 0.5
    _bloat()
    filenode = _filenode("ticket_sla_due_idx")
    run = _run(tickets=desk // 3)  # a third of the ticket table

    result = recompute_indexes_rebuild(recompute_id=run.pk, now=NOW)

    assert result.shares["tickets_ticket"] == pytest.approx(1 / 3, abs=0.01)
    rebuilt = {index.name for index in result.indexes}
    assert not [name for name in rebuilt if name.startswith(("ticket_", "tickets_ticket"))]
    assert "tickets_slaclock_pkey" in rebuilt  # every clock is running: that table is rebuilt
    assert _filenode("ticket_sla_due_idx") == filenode
    run.refresh_from_db()
    assert run.indexes_rebuilt_at == NOW  # decided: a task delivered again does nothing

    settings.SLA_REINDEX_MIN_SHARE = 1.01  # never
    other = _run(tickets=desk)
    assert recompute_indexes_rebuild(recompute_id=other.pk, now=NOW).outcome == "not_needed"
    assert _filenode("ticket_sla_due_idx") == filenode


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_invalid_index_left_by_a_failed_rebuild_is_dropped(desk, caplog, monkeypatch) -> None:
    # A failed concurrent build leaves its index invalid, as REINDEX CONCURRENTLY's "_ccnew" is.
    with pytest.raises(Exception, match="could not create unique index"):
        _sql(
            "CREATE UNIQUE INDEX CONCURRENTLY ticket_sla_due_idx_ccnew"
            " ON tickets_ticket (requester_email)"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid FROM pg_index"
            " WHERE indexrelid = 'ticket_sla_due_idx_ccnew'::regclass"
        )
        assert cursor.fetchone()[0] is False
    run = _run(tickets=desk)
    # On this module's logger itself: other tests' logging set-ups (Celery's) may have changed
    # what reaches the root logger.
    logger = logging.getLogger("tickets.index_rebuild")
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "level", logging.INFO)
    logger.addHandler(caplog.handler)
    try:
        result = recompute_indexes_rebuild(recompute_id=run.pk, now=NOW)
    finally:
        logger.removeHandler(caplog.handler)

    assert result.leftovers_dropped == ["ticket_sla_due_idx_ccnew"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE '%%ccnew%%'")
        assert cursor.fetchone()[0] == 0
    assert "Dropping ticket_sla_due_idx_ccnew" in caplog.text
    assert "ticket_sla_due_idx_ccnew" not in {index.name for index in result.indexes}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_rebuild_while_one_runs_is_skipped(desk) -> None:
    _bloat()
    filenode = _filenode("ticket_sla_due_idx")
    run = _run(tickets=desk)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:  # the first rebuild, in another worker
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", list(ADVISORY_LOCK))

        result = recompute_indexes_rebuild(recompute_id=run.pk, now=NOW)

        assert result.outcome == "busy"
        assert _filenode("ticket_sla_due_idx") == filenode
        run.refresh_from_db()
        assert run.indexes_rebuilt_at is None
        with (
            other.cursor() as cursor
        ):  # (closing alone frees the lock when its server process ends)
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", list(ADVISORY_LOCK))
    finally:
        other.close()
    # Once it is over, a rebuild takes the lock again.
    assert recompute_indexes_rebuild(recompute_id=run.pk, now=NOW).outcome == "rebuilt"


@pytest.mark.django_db
def test_on_sqlite_nothing_is_done(monkeypatch) -> None:
    run = _run(tickets=10)
    monkeypatch.setattr(connection, "vendor", "sqlite")

    assert recompute_indexes_rebuild(recompute_id=run.pk, now=NOW).outcome == "not_postgresql"

    run.refresh_from_db()
    assert run.indexes_rebuilt_at is None


@pytest.mark.django_db
def test_the_run_queues_the_rebuild_once_its_last_chunk_commits(
    sla_settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    sla_settings(sla_document(ALWAYS_DOCUMENT))
    for _ in range(5):
        TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(recompute_module, "task_queue", lambda name, *a: queued.append((name, *a)))
    run = sla_recompute_start(settings_version=2)

    with django_capture_on_commit_callbacks(execute=True):
        sla_recompute_run(recompute_id=run.pk, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        sla_recompute_run(recompute_id=run.pk, now=NOW)  # a chunk delivered again

    assert [name for name, _ in queued].count(INDEX_REBUILD_TASK) == 1
    assert (INDEX_REBUILD_TASK, run.pk) in queued


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_unfinished_run_is_not_followed_by_a_rebuild() -> None:
    run = SlaRecompute.objects.create(settings_version=2, tickets=5)  # queued
    assert recompute_indexes_rebuild(recompute_id=run.pk, now=NOW).outcome == "not_done"
    run.refresh_from_db()
    assert run.indexes_rebuilt_at is None


@pytest.mark.django_db
def test_a_run_whose_last_parts_finished_side_by_side_is_marked_done_and_rebuilt_after(
    sla_settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """Two chunks finishing the last two parts at once each see the other's part unfinished, and
    neither marks the run done: the periodic job's look for stalled runs does, and queues the
    rebuild."""
    sla_settings(sla_document(ALWAYS_DOCUMENT))
    TicketFactory(now=utc("2026-12-01T08:00:00Z"))
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(recompute_module, "task_queue", lambda name, *a: queued.append((name, *a)))
    run = sla_recompute_start(settings_version=2)
    run.parts.update(is_finished=True)
    SlaRecompute.objects.filter(pk=run.pk).update(
        state=SlaRecompute.State.RUNNING, done=1, updated_at=NOW - datetime.timedelta(minutes=5)
    )

    with django_capture_on_commit_callbacks(execute=True):
        sla_recomputes_requeue_stalled(now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        sla_recomputes_requeue_stalled(now=NOW + datetime.timedelta(minutes=1))

    run.refresh_from_db()
    assert (run.state, run.finished_at) == (SlaRecompute.State.DONE, NOW)
    assert queued == [(INDEX_REBUILD_TASK, run.pk)]


def test_the_rebuild_is_a_task_of_its_own_with_room_for_a_large_desk() -> None:
    """Queued by name at the run's end; acknowledged after it ran (a lost worker's rebuild is
    delivered again), with a time limit beyond the default five minutes."""
    from django.conf import settings

    import tickets.tasks  # noqa: F401  (registers the tasks, as a worker does)
    from slaproject.celery import app

    task = app.tasks[INDEX_REBUILD_TASK]
    assert task.acks_late is True
    assert task.soft_time_limit > settings.CELERY_TASK_TIME_LIMIT
    assert task.time_limit > task.soft_time_limit
